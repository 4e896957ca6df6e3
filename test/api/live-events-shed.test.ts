import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { ApiError } from "../../src/api/errors.js";
import { LiveEvents } from "../../src/api/live-events.js";
import { openEventStream } from "../support/event-stream.js";

/**
 * The streams' bounds and their shedding, on real sockets: a node:http server whose only
 * route attaches the stream of the user named in the path, and a crowd signal the test
 * turns on and off (the service's is the crowd gate and claim admission, tested elsewhere).
 */
describe("live event streams under a crowd, and their bounds", () => {
  let crowded = false;
  const members = new Map([["grp_1", new Set(["u1", "u2"])]]);
  const live = new LiveEvents(
    () => crowded,
    (id) => members.get(id),
    { perUserMax: 2, totalMax: 3, heartbeatMs: 100 },
  );
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((request, response) => {
      const userId = (request.url ?? "/").slice(1);
      try {
        live.admit(userId);
        live.attach(userId, response);
      } catch (error) {
        const code = error instanceof ApiError ? error.code : "INTERNAL";
        response.writeHead(error instanceof ApiError ? error.statusCode : 500, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: { code } }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });
  after(async () => {
    live.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sheds events while crowded, tells the stream to resync after, and refuses new streams meanwhile", async () => {
    const u1 = await openEventStream(`${base}/u1`, undefined);
    await u1.nextOf("hello");
    live.publish(["u1"], "transfer", { n: 1 });
    assert.equal(JSON.parse((await u1.nextOf("transfer")).data).n, 1);

    crowded = true;
    const refused = await openEventStream(`${base}/u2`, undefined);
    assert.equal(refused.status, 503);
    assert.equal(JSON.parse(refused.body).error.code, "BUSY");
    const shedBefore = live.counts.shed;
    live.publish(["u1"], "transfer", { n: 2 });
    assert.equal(live.counts.shed, shedBefore + 1);
    // Only heartbeats while the crowd lasts: the shed event is never sent late.
    assert.equal((await u1.next()).event, "comment");

    crowded = false;
    assert.equal((await u1.nextOf("resync")).data, "{}");
    live.publish(["u1"], "transfer", { n: 3 });
    const next = await u1.nextOf("transfer");
    assert.equal(JSON.parse(next.data).n, 3, "the shed event is not replayed");
    u1.close();
  });

  it("holds at most perUserMax streams a user and totalMax in all", async () => {
    const a = await openEventStream(`${base}/a`, undefined);
    const b = await openEventStream(`${base}/a`, undefined);
    assert.deepEqual([a.status, b.status], [200, 200]);
    const third = await openEventStream(`${base}/a`, undefined);
    assert.equal(third.status, 429);
    assert.equal(JSON.parse(third.body).error.code, "TOO_MANY_STREAMS");
    const c = await openEventStream(`${base}/b`, undefined);
    assert.equal(c.status, 200);
    const full = await openEventStream(`${base}/d`, undefined);
    assert.equal(full.status, 503);
    assert.equal(JSON.parse(full.body).error.code, "BUSY");
    for (const stream of [a, b, c]) stream.close();
    // The server forgets a stream when its socket closes.
    for (let i = 0; i < 200 && live.open > 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(live.open, 0);
  });
});
