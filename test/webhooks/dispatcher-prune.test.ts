import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { WebhookDispatcher } from "../../src/webhooks/dispatcher.js";
import type { EventStore, PruneSlice } from "../../src/webhooks/event-store.js";
import { eventually } from "../support/webhook-receiver.js";

/**
 * The dispatcher's side of pruning, on a store that only counts calls (the stores' own prune is
 * checked against SQLite and PostgreSQL in test/store/contract.ts): a pass goes on over several
 * looks, a failing prune never stops deliveries, and a failed pass waits a period.
 */

interface Calls {
  prunes: { before: number; afterSeq: number }[];
  dueLooks: number;
}

function storeWith(prune: (before: number, afterSeq: number) => PruneSlice): { store: EventStore; calls: Calls } {
  const calls: Calls = { prunes: [], dueLooks: 0 };
  const unused = () => {
    throw new Error("not used here");
  };
  const store: EventStore = {
    events: unused,
    lastEventSeq: async () => 0,
    createEndpoint: unused,
    endpoints: async () => [],
    endpoint: async () => undefined,
    rotateSecret: unused,
    deleteEndpoint: unused,
    fanOut: async () => 0,
    prune: async (before, afterSeq) => {
      calls.prunes.push({ before, afterSeq });
      return prune(before, afterSeq);
    },
    dueDeliveries: async () => {
      calls.dueLooks += 1;
      return [];
    },
    recordAttempt: unused,
    deliveries: unused,
    deliveryCounts: unused,
  };
  return { store, calls };
}

const NOW = 1_000_000_000;
const policy = { allowPrivate: true };

describe("the dispatcher's prune", () => {
  let dispatcher: WebhookDispatcher | undefined;
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
  });

  it("goes on with a pass over several looks, a slice after the last one read, and counts each slice", async () => {
    // 25 slices of 4 events before it is done: three looks of at most ten.
    const { store, calls } = storeWith((_before, afterSeq) => ({
      events: 4,
      deliveries: 1,
      lastSeq: afterSeq + 4,
      done: afterSeq + 4 >= 100,
    }));
    const pruned: number[] = [];
    const started = Date.now();
    dispatcher = new WebhookDispatcher({
      store,
      policy,
      now: () => NOW + Date.now() - started,
      pollMs: 20,
      retentionMs: 1_000,
      pruneEveryMs: 60_000,
      onPruned: (slice) => pruned.push(slice.events),
    });
    dispatcher.start();
    await eventually(() => calls.prunes.length >= 25 && calls.dueLooks >= 4, "the pass done", 10_000);
    assert.equal(calls.prunes.length, 25, "no pass after the first is due within the period");
    assert.deepEqual(
      calls.prunes.map((call) => call.afterSeq),
      Array.from({ length: 25 }, (_, i) => 4 * i),
    );
    const before = calls.prunes[0]?.before as number;
    assert.ok(before >= NOW - 1_000 && calls.prunes.every((call) => call.before === before), "one pass, one limit");
    assert.equal(
      pruned.reduce((sum, events) => sum + events, 0),
      100,
    );
  });

  it("keeps delivering when the prune fails, and tries it again only a period later", async () => {
    const { store, calls } = storeWith(() => {
      throw new Error("permission denied for table events");
    });
    let now = NOW;
    const failures: unknown[] = [];
    dispatcher = new WebhookDispatcher({
      store,
      policy,
      now: () => now,
      pollMs: 10,
      pruneEveryMs: 1_000,
      onPruneError: (error) => failures.push(error),
      onError: (error) => assert.fail(`the tick itself failed: ${String(error)}`),
    });
    dispatcher.start();
    await eventually(() => calls.dueLooks >= 10, "ten looks", 10_000);
    assert.equal(calls.prunes.length, 1);
    assert.equal(failures.length, 1);
    now += 1_000;
    await eventually(() => calls.prunes.length === 2, "a prune a period later", 10_000);
    const looks = calls.dueLooks;
    await eventually(() => calls.dueLooks >= looks + 5, "five more looks", 10_000);
    assert.equal(calls.prunes.length, 2);
  });
});
