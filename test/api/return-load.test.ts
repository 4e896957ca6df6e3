import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReturnLoad } from "../../src/api/return-load.js";

describe("the load the returns told will meet", () => {
  it("says nothing waits while less is due than the server takes", () => {
    const load = new ReturnLoad();
    for (let i = 0; i < 5_000; i++) load.noteRead(i % 2 === 0);
    load.measure(250, Number.NaN);
    for (let i = 0; i < 500; i++) load.book(1_000, 0);
    // 10 000 arrivals a second and 500 returns in one slot, against 20 000 a second.
    assert.equal(load.delayAt(2_000, 0), 0);
  });

  it("counts the queue the returns due before a request build beside the arrivals", () => {
    const load = new ReturnLoad();
    for (let i = 0; i < 5_000; i++) load.noteRead(i % 2 === 0);
    load.measure(250, Number.NaN);
    // 20 000 returns told for the first second: 10 000 more than the server takes beside the arrivals.
    for (let slot = 0; slot < 10; slot++) for (let i = 0; i < 2_000; i++) load.book(slot * 100 + 50, 0);
    const atEnd = load.delayAt(1_000, 0);
    assert.ok(Math.abs(atEnd - 500) < 1, `${atEnd}: 10 000 queued at 20 000 a second`);
    // It drains at what the server takes beyond the arrivals: 10 000 a second, a second.
    assert.ok(Math.abs(load.delayAt(1_500, 0) - 250) < 1);
    assert.equal(load.delayAt(2_100, 0), 0);
  });

  it("carries the queue on as time passes, and forgets it after a long quiet", () => {
    const load = new ReturnLoad();
    for (let i = 0; i < 1_000; i++) load.noteRead(false);
    load.measure(1_000, Number.NaN);
    for (let i = 0; i < 3_000; i++) load.book(50, 0);
    assert.ok(Math.abs(load.delayAt(1_000, 500) - 2_000) < 1, "3 000 due at once at 1 000 a second, 1 s later");
    assert.equal(load.delayAt(60_000, 60_000), 0);
  });

  it("does not count a return told past its horizon", () => {
    const load = new ReturnLoad({ slots: 10 });
    for (let i = 0; i < 100; i++) load.noteRead(false);
    load.measure(1_000, Number.NaN);
    for (let i = 0; i < 1_000; i++) load.book(5_000, 0);
    assert.equal(load.delayAt(999, 0), 0);
  });
});
