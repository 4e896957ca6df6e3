import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type OpenStream, openEventStream } from "../support/event-stream.js";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

/** GET /v1/me/events over a real socket, on the store the suite runs on. */
describe("live events", () => {
  let app: TestApp;
  let base: string;
  let alice: TestUser;
  let bob: TestUser;
  let outsider: TestUser;
  let groupId: string;
  const open: OpenStream[] = [];

  const stream = async (token: string | undefined) => {
    const opened = await openEventStream(`${base}/v1/me/events`, token);
    open.push(opened);
    return opened;
  };

  before(async () => {
    app = await startTestApp({ live: { heartbeatMs: 200 } });
    await app.app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.app.server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    [alice, bob, outsider] = [await app.createUser(), await app.createUser(), await app.createUser()];
    await app.deposit(alice.userId, 100_000);
    const group = await app.call("POST", "/v1/groups", {
      token: alice.token,
      body: { name: "家人", memberIds: [bob.userId] },
    });
    assert.equal(group.statusCode, 201, group.body);
    groupId = group.json().id;
  });

  after(async () => {
    for (const opened of open) opened.close();
    await app.dispose();
  });

  it("refuses a request without a valid token in the error shape", async () => {
    const refused = await stream(undefined);
    assert.equal(refused.status, 401);
    assert.equal(JSON.parse(refused.body).error.code, "UNAUTHORIZED");
  });

  it("tells group members of a new packet and of each grab, and the recipient of a transfer", async () => {
    const bobs = await stream(bob.token);
    const outsiders = await stream(outsider.token);
    assert.equal(bobs.status, 200);
    assert.match(bobs.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(JSON.parse((await bobs.nextOf("hello")).data).userId, bob.userId);
    await outsiders.nextOf("hello");

    const sent = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "lucky", amount: 300, count: 2, groupId, greeting: "新年快乐" },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    const packet = JSON.parse((await bobs.nextOf("packet")).data).packet;
    assert.equal(packet.id, sent.json().id);
    assert.equal(packet.greeting, "新年快乐");
    assert.equal(packet.groupId, groupId);

    const grabbed = await app.call("POST", `/v1/red-packets/${packet.id}/grab`, { token: alice.token });
    assert.equal(grabbed.statusCode, 200, grabbed.body);
    const grab = JSON.parse((await bobs.nextOf("grab")).data);
    assert.deepEqual(
      { packetId: grab.packetId, userId: grab.userId, amount: grab.amount },
      { packetId: packet.id, userId: alice.userId, amount: grabbed.json().amount },
    );

    const transfer = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: outsider.userId, amount: 52 },
    });
    assert.equal(transfer.statusCode, 201, transfer.body);
    // The outsider is in no group: the first event after hello is the transfer, not the packet or grab.
    let first = await outsiders.next();
    while (first.event === "comment") first = await outsiders.next();
    assert.equal(first.event, "transfer");
    assert.equal(JSON.parse(first.data).transfer.id, transfer.json().id);

    // An idempotent replay moved nothing, so it tells nobody anything again.
    const key = "replayed-transfer-0001";
    const once = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: outsider.userId, amount: 53 },
      idempotencyKey: key,
    });
    const twice = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: outsider.userId, amount: 53 },
      idempotencyKey: key,
    });
    assert.equal(twice.json().id, once.json().id);
    assert.equal(JSON.parse((await outsiders.nextOf("transfer")).data).transfer.id, once.json().id);
    const marker = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: outsider.userId, amount: 54 },
    });
    assert.equal(JSON.parse((await outsiders.nextOf("transfer")).data).transfer.id, marker.json().id);
  });

  it("keeps idle streams open with a heartbeat", async () => {
    const alices = await stream(alice.token);
    await alices.nextOf("hello");
    assert.equal((await alices.next()).event, "comment");
    alices.close();
  });

  it("holds at most 3 streams per user: the 4th is refused 429 until one closes", async () => {
    const held = [await stream(outsider.token), await stream(outsider.token)];
    for (const opened of held) assert.equal(opened.status, 200);
    // The outsider already holds one from the test above: this is the 4th.
    const fourth = await stream(outsider.token);
    assert.equal(fourth.status, 429);
    assert.equal(JSON.parse(fourth.body).error.code, "TOO_MANY_STREAMS");
    held[0]?.close();
    let again = await stream(outsider.token);
    // The server sees the close when the socket ends: give it a moment, generously.
    for (let i = 0; i < 100 && again.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await stream(outsider.token);
    }
    assert.equal(again.status, 200);
  });

  it("has no HEAD: it would hold a connection with nothing to send", async () => {
    const head = await fetch(`${base}/v1/me/events`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${bob.token}` },
    });
    assert.equal(head.status, 405);
  });

  it("is in the OpenAPI document as an event stream", async () => {
    const document = (await app.call("GET", "/openapi.json")).json();
    const operation = document.paths["/v1/me/events"].get;
    assert.ok(operation.responses["200"].content["text/event-stream"]);
    assert.deepEqual(operation.security, [{ user: [] }]);
  });
});
