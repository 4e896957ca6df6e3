import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Transfer } from "../../src/domain/transfer.js";
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

describe("postgres store: transfers", () => {
  it("inserts a transfer once as sent and changes only a transfer it holds; neither is done silently otherwise", async () => {
    const url = await freshPostgresUrl();
    const store = await PostgresStore.open({ url });
    try {
      await store.commit(batch({ users: [user(1), user(2)], transfers: [sent(1)] }));
      await assert.rejects(store.commit(batch({ transfers: [sent(1)] })), /duplicate key/, "a new id already there");
      const accepted = { ...sent(1), status: "accepted" as const, answeredAt: 5_000 };
      await store.commit(batch({ transfers: [accepted] }));
      assert.deepEqual(await store.transfer(accepted.id), accepted);
      await assert.rejects(
        store.commit(batch({ transfers: [{ ...sent(2), status: "declined", answeredAt: 5_000 }] })),
        /changes 1 transfers, 0 of them are in the store/,
        "a change to a transfer the store does not hold",
      );
      // Sent and answered in one batch: one row, in its last state.
      const declined = { ...sent(3), status: "declined" as const, answeredAt: 6_000 };
      await store.commit(batch({ transfers: [sent(3), declined] }));
      assert.deepEqual(await store.transfer(declined.id), declined);
      // A loan acknowledged while pending, then answered: the acknowledgement stays.
      const acknowledged = { ...sent(4), loanAcknowledgedAt: 7_000 };
      await store.commit(batch({ transfers: [sent(4)] }));
      await store.commit(batch({ transfers: [acknowledged] }));
      await store.commit(batch({ transfers: [{ ...sent(4), status: "accepted", answeredAt: 8_000 }] }));
      assert.deepEqual(await store.transfer(acknowledged.id), {
        ...acknowledged,
        status: "accepted",
        answeredAt: 8_000,
      });
    } finally {
      await store.close();
    }
  });
});

function sent(n: number): Transfer {
  return {
    id: `tr_${String(n).padStart(20, "0")}`,
    from: user(1).id,
    to: user(2).id,
    amount: 100,
    memo: "",
    nature: "loan",
    dueDate: "2027-01-01",
    status: "pending",
    createdAt: 1_000,
    refundAt: 1_000 + 86_400_000,
    answeredAt: null,
    natureHints: [],
    warnings: [],
    loanAcknowledgedAt: null,
  };
}

function user(n: number) {
  return { id: `usr_${String(n).padStart(20, "0")}`, phone: `+861380000000${n}`, name: `u${n}`, createdAt: n };
}

function batch(parts: Partial<Batch>): Batch {
  return { ...emptyBatch(), ...parts };
}
