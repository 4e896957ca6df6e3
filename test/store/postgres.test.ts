import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyBatch } from "../../src/engine/ledger-state.js";
import type { Batch } from "../../src/engine/store-port.js";
import { PostgresStore, WriterFencedError } from "../../src/store/postgres/postgres-store.js";
import { currentWriter, WriterLease } from "../../src/store/postgres/writer-lease.js";
import { freshPostgresUrl } from "../support/postgres.js";
import { runStoreContract } from "./contract.js";

runStoreContract("postgres", async () => {
  const url = await freshPostgresUrl();
  let current = await PostgresStore.open({ url });
  return {
    store: current,
    async reopen() {
      current = await PostgresStore.open({ url });
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
});

describe("postgres store: the writer lease and its fence", () => {
  it("lets one writer hold the lease; a batch of a writer whose lease was taken over commits nothing", async () => {
    const url = await freshPostgresUrl();
    const first = await PostgresStore.open({ url });
    const second = await PostgresStore.open({ url });
    const leaseA = new WriterLease({ url, holder: "a", ttlMs: 60_000 });
    const leaseB = new WriterLease({ url, holder: "b", ttlMs: 60_000 });
    try {
      const lost: string[] = [];
      const epochA = await leaseA.acquire((reason) => lost.push(reason));
      assert.equal(await leaseB.tryAcquire(), undefined, "a live holder keeps the lease");
      first.fenceWith(epochA);
      await first.commit(batch({ users: [user(1)] }));
      // The holder's session goes (as when its process is killed): the lease is free at once.
      await leaseA.close(false);
      const epochB = await leaseB.acquire(() => {});
      assert.equal(epochB, epochA + 1);
      second.fenceWith(epochB);
      await assert.rejects(first.commit(batch({ users: [user(2)] })), WriterFencedError);
      await assert.rejects(first.commit(batch({ users: [user(3)] })), WriterFencedError, "and every batch after it");
      await second.commit(batch({ users: [user(4)] }));
      const ids = (await second.load()).users.map((u) => u.id).sort();
      assert.deepEqual(ids, [user(1).id, user(4).id]);
      const writer = await currentWriter(url);
      assert.equal(writer?.holder, "b");
      assert.equal(writer?.epoch, epochB);
    } finally {
      await leaseA.close(false);
      await leaseB.close();
      await first.close();
      await second.close();
    }
  });

  it("takes over a lease whose holder stopped renewing once it lapses", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open({ url });
    await store.close();
    const holder = new WriterLease({ url, holder: "paused", ttlMs: 300, renewEveryMs: 60_000 });
    const waiter = new WriterLease({ url, holder: "waiting", ttlMs: 300, pollEveryMs: 20 });
    try {
      const held = await holder.acquire(() => {});
      const started = performance.now();
      const taken = await waiter.acquire(() => {});
      assert.equal(taken, held + 1);
      assert.ok(performance.now() - started >= 250, "not before the lease lapsed");
    } finally {
      await holder.close(false);
      await waiter.close();
    }
  });
});

function user(n: number) {
  return { id: `usr_${String(n).padStart(20, "0")}`, phone: `+861380000000${n}`, name: `u${n}`, createdAt: n };
}

function batch(parts: Partial<Batch>): Batch {
  return { ...emptyBatch(), ...parts };
}
