import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pack } from "msgpackr";
import { EDGE_LOAD } from "../../src/edge/forwarded.js";
import { WriterAwayError, WriterClient } from "../../src/edge/writer-client.js";
import { WriterServer } from "../../src/edge/writer-server.js";
import { createService, type Service } from "../../src/server.js";
import {
  BATCH_ITEMS_MAX,
  encodeBatch,
  encodeFrame,
  FRAME_BYTES_MAX,
  FrameDecoder,
  FrameError,
  WIRE_VERSION,
} from "../../src/wire/frames.js";
import { isPaidClaim, paidClaimOf } from "../../src/wire/messages.js";
import { EDGE_SETUP as SETUP, welcomeFrame } from "../support/wire.js";

const SECRET = "wire-test-secret";

describe("wire frames", () => {
  it("decodes frames cut anywhere and several in one chunk", () => {
    const messages = [{ t: "call", id: 1, op: "hasUser", args: ["u1"] }, { t: "status" }, { a: "红包", n: 1314 }];
    const bytes = Buffer.concat(messages.map((message) => encodeFrame(message)));
    for (const size of [1, 3, 7, bytes.length]) {
      const decoder = new FrameDecoder();
      const got: unknown[] = [];
      for (let i = 0; i < bytes.length; i += size) decoder.push(bytes.subarray(i, i + size), (m) => got.push(m));
      assert.deepEqual(got, messages, `in chunks of ${size}`);
    }
  });

  it("refuses a frame announced over the bound before reading its body", () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(FRAME_BYTES_MAX + 1, 0);
    assert.throws(() => new FrameDecoder().push(head, () => {}), FrameError);
    assert.throws(() => encodeFrame({ big: "x".repeat(FRAME_BYTES_MAX) }), FrameError);
  });

  it("splits a batch across frames at the bound, in order, and sets aside an item over it alone", () => {
    const bound = 1_000;
    const items = Array.from({ length: 200 }, (_, i) => [i, true, `value ${i} ${"x".repeat(i % 13)}`]);
    const huge = [999, true, "y".repeat(bound)];
    const set: unknown[] = [];
    const frames = encodeBatch(
      "replies",
      [...items.slice(0, 100), huge, ...items.slice(100)],
      (item) => {
        set.push(item);
        return [999, false, { kind: "internal", message: "too large" }];
      },
      bound,
    );
    assert.ok(frames.length > 1, `${frames.length} frames`);
    const got: unknown[] = [];
    const decoder = new FrameDecoder(bound);
    for (const frame of frames) {
      assert.ok(frame.length - 4 <= bound, `a frame of ${frame.length - 4} bytes`);
      decoder.push(frame, (message) => got.push(...(message as { t: string; replies: unknown[] }).replies));
    }
    assert.deepEqual(set, [huge]);
    assert.deepEqual(got, [
      ...items.slice(0, 100),
      [999, false, { kind: "internal", message: "too large" }],
      ...items.slice(100),
    ]);
    // One frame, one pack, when the batch fits.
    assert.equal(encodeBatch("calls", items, () => undefined).length, 1);
    // At most BATCH_ITEMS_MAX a frame, so a peer decodes the first ones while the rest arrive.
    const many = Array.from({ length: 2 * BATCH_ITEMS_MAX + 1 }, (_, i) => [i, "hasUser", ["u"]]);
    assert.equal(encodeBatch("calls", many, () => undefined).length, 3);
  });

  it("refuses a frame whose body is not MessagePack", () => {
    const body = Buffer.from([0x92, 0x01]); // an array of two values that holds one
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 2]), body]);
    assert.throws(() => new FrameDecoder().push(frame, () => {}), FrameError);
  });

  it("carries a paid claim as [amount, n] (version 3), and every other decided claim whole", () => {
    const paid = { ok: true, value: { campaignId: "cmp_1", userId: "usr_1", amount: 88, n: 7 } };
    const packed = paidClaimOf("claimed", paid, false);
    assert.deepEqual(packed, [88, 7]);
    const [decoded] = roundTrip(packed);
    assert.ok(isPaidClaim(decoded));
    assert.equal(paidClaimOf("claimed", paid, true), undefined, "a replay keeps its flag");
    const soldOut = { ok: false, error: { code: "SOLD_OUT", message: "sold out" } };
    assert.equal(paidClaimOf("sold_out", soldOut, false), undefined);
    for (const other of [{ kind: "decided", outcome: "claimed" }, [88], [88, 7, 1], ["88", 7], [88.5, 7]])
      assert.equal(isPaidClaim(other), false, JSON.stringify(other));
  });
});

const roundTrip = (value: unknown): unknown[] => {
  const out: unknown[] = [];
  new FrameDecoder().push(encodeFrame(value), (message) => out.push(message));
  return out;
};

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw connection that speaks frames by hand, to send what no edge would. */
async function rawPeer(address: { path: string } | { port: number }) {
  const socket: Socket = "path" in address ? connect(address.path) : connect(address.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const received: unknown[] = [];
  const decoder = new FrameDecoder();
  socket.on("data", (chunk: Buffer) => decoder.push(chunk, (message) => received.push(message)));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => {});
  return { socket, received, closed };
}

describe("the writer on the wire", () => {
  let dir: string;
  let service: Service;
  let writer: WriterServer;
  let port: number;
  const logged: { reason: string; message: string }[] = [];
  const socketPath = () => join(dir, "w.sock");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hongbao-wire-"));
    service = await createService({
      db: join(dir, "hongbao.db"),
      adminToken: "wire-test-admin-token",
      tokenSecret: "wire-test-token-secret-of-32-bytes-or-more",
      testClock: false,
      logLevel: "silent",
    });
    const record = (object: object, message: string) => {
      const reason = (object as { reason?: string }).reason;
      if (reason !== undefined) logged.push({ reason, message });
    };
    writer = new WriterServer({
      engine: service.context.engine,
      store: service.context.store,
      secret: SECRET,
      rules: null,
      testClock: undefined,
      codes: service.context.codes,
      logger: { info: record, warn: record },
      setup: { ...SETUP, tokenSecret: "00", adminToken: "wire-test-admin-token" },
    });
    await writer.listenUnix(socketPath());
    port = await writer.listenTcp("127.0.0.1", 0);
  });

  after(async () => {
    await writer.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (address: { path: string } | { host: string; port: number }, secret = SECRET) =>
    new WriterClient({ address, secret, name: "test-edge", deadlineMs: 5_000 });

  it("welcomes an edge with the secret and answers its calls, on the socket and on TCP", async () => {
    for (const address of [{ path: socketPath() }, { host: "127.0.0.1", port }]) {
      const edge = client(address);
      try {
        await edge.ready();
        assert.equal(await edge.call("hasUser", ["nobody"]), false);
        assert.equal(await edge.call("store.balanceSum", []), 0);
      } finally {
        edge.close();
      }
    }
  });

  it("sums the edges' load reports for the waiting room: fresh ones only, places at once as they grow", async () => {
    assert.ok(Number.isNaN(writer.edgesLoad().claimsPerSecond), "no edge has said anything");
    const lateBefore = writer.edgesLoad().lateAtOnceTotal;
    const first = client({ path: socketPath() });
    const second = client({ host: "127.0.0.1", port });
    try {
      await Promise.all([first.ready(), second.ready()]);
      assert.equal(await first.call(EDGE_LOAD, [6_000, 10]), null);
      assert.equal(writer.edgesLoad().claimsPerSecond, 6_000);
      await second.call(EDGE_LOAD, [4_000.5, 3]);
      assert.equal(writer.edgesLoad().claimsPerSecond, 10_000.5);
      assert.equal(
        writer.edgesLoad().lateAtOnceTotal,
        lateBefore,
        "a connection's first total is where growth counts from",
      );
      // A total that went down adds nothing; one that grew adds its growth.
      await first.call(EDGE_LOAD, [null, 4]);
      await first.call(EDGE_LOAD, [null, 12]);
      assert.equal(writer.edgesLoad().lateAtOnceTotal, lateBefore + 2);
      assert.equal(writer.edgesLoad().claimsPerSecond, 4_000.5, "an edge that has no figure now counts for none");
      // Garbage is no figure and no growth, and never a crash or a NaN in the sum.
      await second.call(EDGE_LOAD, ["fast", -1]);
      await second.call(EDGE_LOAD, [Number.POSITIVE_INFINITY, 1.5]);
      await second.call(EDGE_LOAD, [-5, Number.MAX_SAFE_INTEGER + 2]);
      assert.ok(Number.isNaN(writer.edgesLoad().claimsPerSecond));
      assert.equal(writer.edgesLoad().lateAtOnceTotal, lateBefore + 2);
      await second.call(EDGE_LOAD, [2_500, 5]);
      assert.equal(writer.edgesLoad().lateAtOnceTotal, lateBefore + 4);
    } finally {
      first.close();
    }
    await waitFor(() => writer.edgesLoad().claimsPerSecond === 2_500, "a closed edge's figure leaves the sum");
    // The first edge back on a new connection sends its total since it started: counted already.
    const again = client({ path: socketPath() });
    try {
      await again.ready();
      await again.call(EDGE_LOAD, [1_000, 12]);
      assert.equal(writer.edgesLoad().lateAtOnceTotal, lateBefore + 4);
      assert.equal(writer.edgesLoad().claimsPerSecond, 3_500);
    } finally {
      again.close();
    }
    second.close();
    await waitFor(() => Number.isNaN(writer.edgesLoad().claimsPerSecond), "and so does the last one's");
  });

  it("refuses a wrong secret, says why, and logs it", async () => {
    const peer = await rawPeer({ port });
    peer.socket.write(encodeFrame({ t: "hello", v: WIRE_VERSION, secret: "guess", edge: "intruder" }));
    await peer.closed;
    assert.deepEqual(peer.received, [{ t: "refused", reason: "wrong secret" }]);
    assert.ok(logged.some((entry) => entry.reason === "wrong secret"));
  });

  it("refuses another wire version", async () => {
    const peer = await rawPeer({ path: socketPath() });
    peer.socket.write(encodeFrame({ t: "hello", v: WIRE_VERSION + 1, secret: SECRET, edge: "future" }));
    await peer.closed;
    assert.match((peer.received[0] as { reason: string }).reason, /wire version/);
  });

  it("closes a connection that sends garbage or an oversized frame, and no other", async () => {
    const bystander = client({ path: socketPath() });
    try {
      await bystander.ready();
      const garbage = await rawPeer({ path: socketPath() });
      garbage.socket.write(Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]));
      await garbage.closed;
      const oversized = await rawPeer({ path: socketPath() });
      const head = Buffer.alloc(4);
      head.writeUInt32BE(FRAME_BYTES_MAX + 1, 0);
      oversized.socket.write(head);
      await oversized.closed;
      const welcomedThenOdd = await rawPeer({ path: socketPath() });
      welcomedThenOdd.socket.write(encodeFrame({ t: "hello", v: WIRE_VERSION, secret: SECRET, edge: "odd" }));
      welcomedThenOdd.socket.write(encodeFrame({ t: "calls", calls: [[1, "load", []]] }));
      await welcomedThenOdd.closed;
      assert.ok(
        logged.some((entry) => /undecodable frame/.test(entry.reason)),
        JSON.stringify(logged),
      );
      assert.ok(logged.some((entry) => /bytes announced/.test(entry.reason)));
      assert.ok(logged.some((entry) => /no such call: load/.test(entry.reason)));
      assert.equal(bystander.connected, true);
      assert.equal(await bystander.call("hasUser", ["still-here"]), false);
    } finally {
      bystander.close();
    }
  });

  it("answers a frame of calls with a frame of replies, and closes a malformed or oversized batch alone", async () => {
    const bystander = client({ path: socketPath() });
    try {
      await bystander.ready();
      const batcher = await rawPeer({ path: socketPath() });
      batcher.socket.write(encodeFrame({ t: "hello", v: WIRE_VERSION, secret: SECRET, edge: "batcher" }));
      const calls = Array.from({ length: 50 }, (_, i) => [i + 1, "hasUser", [`nobody-${i}`]]);
      batcher.socket.write(encodeFrame({ t: "calls", calls }));
      const replies = async () => {
        for (;;) {
          const frame = batcher.received.find((m) => (m as { t: string }).t === "replies");
          if (frame !== undefined) return (frame as { replies: unknown[] }).replies;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      assert.deepEqual(
        await replies(),
        calls.map(([id]) => [id, true, false]),
      );
      batcher.socket.destroy();

      const malformed = await rawPeer({ path: socketPath() });
      malformed.socket.write(encodeFrame({ t: "hello", v: WIRE_VERSION, secret: SECRET, edge: "malformed" }));
      malformed.socket.write(
        encodeFrame({
          t: "calls",
          calls: [
            [1, "hasUser", ["a"]],
            [2, "hasUser"],
          ],
        }),
      );
      await malformed.closed;
      assert.ok(
        malformed.received.some((m) => (m as { reason?: string }).reason === "a message the protocol does not have"),
      );

      const oversized = await rawPeer({ path: socketPath() });
      oversized.socket.write(encodeFrame({ t: "hello", v: WIRE_VERSION, secret: SECRET, edge: "oversized" }));
      const body = Buffer.alloc(8);
      body.writeUInt32BE(FRAME_BYTES_MAX + 1, 0);
      body.write("\x81\xa1t", 4, "latin1"); // the start of a calls frame that would pass the bound
      oversized.socket.write(body);
      await oversized.closed;
      assert.ok(logged.some((entry) => entry.reason === "a message the protocol does not have"));
      assert.ok(logged.filter((entry) => /bytes announced/.test(entry.reason)).length >= 1);

      assert.equal(bystander.connected, true);
      const many = await Promise.all(Array.from({ length: 100 }, (_, i) => bystander.call("hasUser", [`b-${i}`])));
      assert.deepEqual(many, Array(100).fill(false));
    } finally {
      bystander.close();
    }
  });

  it("refuses a call before hello", async () => {
    const peer = await rawPeer({ path: socketPath() });
    peer.socket.write(encodeFrame({ t: "calls", calls: [[1, "hasUser", ["x"]]] }));
    await peer.closed;
    assert.deepEqual(peer.received, [{ t: "refused", reason: "a call before hello" }]);
  });

  it("will not listen on TCP without a secret", async () => {
    const open = new WriterServer({
      engine: service.context.engine,
      store: service.context.store,
      secret: undefined,
      rules: null,
      testClock: undefined,
      codes: service.context.codes,
      logger: { info: () => {}, warn: () => {} },
      setup: SETUP,
    });
    await assert.rejects(open.listenTcp("127.0.0.1", 0), /secret/);
  });

  it("is MessagePack any reader can speak: a hand-packed hello is welcomed", async () => {
    const peer = await rawPeer({ path: socketPath() });
    const body = pack({ t: "hello", v: WIRE_VERSION, secret: SECRET, edge: "by-hand" });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    peer.socket.write(Buffer.concat([head, body]));
    while (peer.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((peer.received[0] as { t: string }).t, "welcome");
    peer.socket.destroy();
  });
});

describe("an edge's calls to a writer that does not answer", () => {
  let silent: Server;
  let path: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hongbao-wire-silent-"));
    path = join(dir, "silent.sock");
    // A peer that welcomes and then never replies: what a writer stuck on its disk looks like.
    silent = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.write(welcomeFrame()));
    });
    await new Promise<void>((resolve) => silent.listen(path, resolve));
  });

  after(async () => {
    await new Promise((resolve) => silent.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("fails each call at its deadline and bounds the calls in flight", async () => {
    const edge = new WriterClient({ address: { path }, secret: SECRET, name: "t", deadlineMs: 300, inFlightMax: 2 });
    try {
      await edge.ready();
      const first = edge.call("hasUser", ["a"]);
      const second = edge.call("hasUser", ["b"]);
      await assert.rejects(edge.call("hasUser", ["c"]), /too many calls in flight/);
      await assert.rejects(
        first,
        (error: unknown) => error instanceof WriterAwayError && /no answer within/.test(error.message),
      );
      await assert.rejects(second, WriterAwayError);
      assert.equal(edge.inFlight, 0);
    } finally {
      edge.close();
    }
  });

  it("fails at once while there is no writer", async () => {
    const edge = new WriterClient({ address: { path: join(dir, "nobody.sock") }, secret: SECRET, name: "t" });
    try {
      await assert.rejects(edge.call("hasUser", ["a"]), /not connected/);
    } finally {
      edge.close();
    }
  });
});

describe("an edge's calls on the wire", () => {
  it("leave in one frame when made in several callbacks of one turn of the event loop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-wire-gather-"));
    const path = join(dir, "gather.sock");
    const frames: unknown[] = [];
    const server = createServer((socket) => {
      socket.on("error", () => {});
      const decoder = new FrameDecoder(FRAME_BYTES_MAX);
      socket.on("data", (chunk) =>
        decoder.push(chunk, (message) => {
          if ((message as { t?: string }).t === "hello") socket.write(welcomeFrame());
          else frames.push(message);
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const edge = new WriterClient({ address: { path }, secret: SECRET, name: "t", deadlineMs: 300 });
    try {
      await edge.ready();
      // Two callbacks of one turn, as two claims read from two sockets are.
      const calls = await new Promise<Promise<unknown>[]>((resolve) => {
        const made: Promise<unknown>[] = [];
        setImmediate(() => made.push(edge.call("hasUser", ["a"])));
        setImmediate(() => {
          made.push(edge.call("hasUser", ["b"]));
          resolve(made);
        });
      });
      for (const call of calls) call.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(frames.length, 1, JSON.stringify(frames));
      assert.equal((frames[0] as { t: string; calls: unknown[] }).calls.length, 2);
    } finally {
      edge.close();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
