import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TestClock } from "../../src/engine/clock.js";
import { type Queued, Scheduler } from "../../src/engine/scheduler.js";

/**
 * The group-commit window (decision 0068): while the event loop is busy, a batch is taken no
 * sooner than the window after the one before it, with whatever queued meanwhile; an idle loop
 * takes each batch at once.
 */

interface Item extends Queued {
  readonly n: number;
}

/** A scheduler whose batches are recorded with the instant each was taken. */
function recorded(windowMs: number, busy: boolean) {
  const batches: { at: number; items: number[] }[] = [];
  const scheduler = new Scheduler<Item>({
    clock: new TestClock(0),
    batchMax: 100,
    claimBatchMax: 100,
    claimLingerMs: 0,
    spacingMs: windowMs,
    loopBusy: () => busy,
    runBatch: async (items, writable) => {
      batches.push({ at: performance.now(), items: items.map((item) => item.n) });
      writable();
      return { timersLeft: false };
    },
    nextDueAt: () => undefined,
  });
  scheduler.start();
  const push = (n: number) => scheduler.push({ lane: "critical", enqueuedAt: performance.now(), n });
  return { batches, push, scheduler };
}

async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the batches");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe("the commit window", () => {
  it("while the loop is busy, takes the next batch a window after the last, with all that queued meanwhile", async () => {
    const { batches, push, scheduler } = recorded(500, true);
    push(1);
    await until(() => batches.length === 1);
    push(2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    push(3);
    await until(() => batches.length === 2);
    scheduler.close();
    assert.deepEqual(
      batches.map((batch) => batch.items),
      [[1], [2, 3]],
    );
    const gap = (batches[1]?.at ?? 0) - (batches[0]?.at ?? 0);
    assert.ok(gap >= 499, `the second batch came ${gap.toFixed(1)} ms after the first`);
  });

  it("takes each batch at once while the loop is idle, and never waits with the window at 0", async () => {
    for (const [windowMs, busy] of [
      [2_000, false],
      [0, true],
    ] as const) {
      const { batches, push, scheduler } = recorded(windowMs, busy);
      push(1);
      await until(() => batches.length === 1);
      push(2);
      await until(() => batches.length === 2);
      scheduler.close();
      const gap = (batches[1]?.at ?? 0) - (batches[0]?.at ?? 0);
      assert.ok(gap < 1_000, `window ${windowMs}, busy ${busy}: the second batch waited ${gap.toFixed(1)} ms`);
    }
  });
});
