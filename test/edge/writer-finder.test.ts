/**
 * An edge's client following the writer lease: it dials where the lease names, leaves a writer
 * once the lease names a newer epoch, and never talks to a writer older than an epoch it has
 * seen, whether the older epoch comes from a read of the lease or from the writer's welcome.
 * The writers here are small peers on Unix sockets that welcome with a given epoch; the lease
 * is a value the test moves (the PostgreSQL row is in test/process/edge-failover.test.ts).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { WATCH_EVERY_MS, WriterClient, type WriterLocation } from "../../src/edge/writer-client.js";
import { welcomeFrame } from "../support/wire.js";

const dir = mkdtempSync(join(tmpdir(), "hongbao-finder-"));

/** A peer that welcomes every hello with `epoch` and answers nothing else. */
class FakeWriter {
  readonly path: string;
  readonly #server: Server;
  readonly sockets = new Set<Socket>();
  hellos = 0;

  constructor(
    name: string,
    readonly epoch: number | null,
  ) {
    this.path = join(dir, `${name}.sock`);
    this.#server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => this.sockets.delete(socket));
      socket.once("data", () => {
        this.hellos += 1;
        socket.write(welcomeFrame(this.epoch));
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(this.path, resolve));
  }

  /** Cuts every edge's connection, as a dying writer does. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** The lease as the test sets it. */
class Lease {
  location: WriterLocation | undefined;
  reads = 0;
  find = async () => {
    this.reads += 1;
    return this.location;
  };
  close = () => {};
  name(writer: FakeWriter, epoch: number): void {
    this.location = { address: { path: writer.path }, epoch };
  }
}

async function until(what: string, holds: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("an edge following the writer lease", () => {
  const writers: FakeWriter[] = [];
  const writer = async (name: string, epoch: number | null) => {
    const made = new FakeWriter(name, epoch);
    await made.listen();
    writers.push(made);
    return made;
  };
  after(async () => {
    for (const made of writers) await made.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("dials the holder, follows the lease to a newer one, and never goes back to an older epoch", async () => {
    const [two, three] = [await writer("two", 2), await writer("three", 3)];
    const lease = new Lease();
    lease.name(two, 2);
    const client = new WriterClient({ address: lease, secret: "s", name: "edge" });
    try {
      await client.ready(5_000);
      assert.deepEqual(client.writer, { address: two.path, epoch: 2 });

      // The lease moves while the edge is connected: it leaves the old writer by itself.
      lease.name(three, 3);
      await until("with the writer of epoch 3", () => client.writer?.epoch === 3, 20 * WATCH_EVERY_MS);
      assert.equal(two.sockets.size, 0, "the old writer's connection is closed");

      // A read naming an older epoch (a lagging replica, a stale row) is not followed...
      lease.name(two, 2);
      const hellos = two.hellos;
      await new Promise((resolve) => setTimeout(resolve, 3 * WATCH_EVERY_MS));
      assert.equal(client.writer?.epoch, 3);
      // ...nor dialled when the connection drops: the edge waits for a writer at least as new.
      three.cut();
      await until("the connection seen lost", () => !client.connected);
      const reads = lease.reads;
      await until("the lease read again", () => lease.reads > reads + 2);
      assert.equal(two.hellos, hellos, "the writer of epoch 2 was never dialled again");
      await assert.rejects(client.call("hasUser", ["u"]), /not reachable/);

      lease.name(three, 3);
      await until("back with the writer of epoch 3", () => client.writer?.epoch === 3);
    } finally {
      client.close();
    }
  });

  it("refuses a writer whose welcome says an older epoch than the lease did, or none", async () => {
    const [stale, none, five] = [await writer("stale", 4), await writer("none", null), await writer("five", 5)];
    const lease = new Lease();
    // The row names epoch 5 at an address where a writer of epoch 4 still answers.
    lease.location = { address: { path: stale.path }, epoch: 5 };
    const client = new WriterClient({ address: lease, secret: "s", name: "edge" });
    try {
      await until("the stale writer dialled", () => stale.hellos >= 2);
      assert.equal(client.connected, false, "never welcomed by epoch 4 after seeing 5");
      lease.location = { address: { path: none.path }, epoch: 5 };
      await until("the writer without an epoch dialled", () => none.hellos >= 2);
      assert.equal(client.connected, false, "never welcomed by a writer that holds no lease");
      lease.name(five, 5);
      await client.ready(5_000);
      assert.deepEqual(client.writer, { address: five.path, epoch: 5 });
    } finally {
      client.close();
    }
  });
});
