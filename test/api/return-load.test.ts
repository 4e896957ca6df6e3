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

  it("takes what the server reads when full from what it read over the share of the loop it worked", () => {
    const load = new ReturnLoad();
    // 2 500 read in a quarter second with the loop busy half of it: 20 000 a second when full.
    for (let i = 0; i < 2_500; i++) load.noteRead(true);
    load.measure(250, Number.NaN, 250, 0.5);
    assert.equal(load.capacity, 20_000);
    // A window of a full loop reading 8 000 a second, and the gate's jumpy figure beside it:
    // the figure is not taken, and the capacity moves a quarter of the way.
    for (let i = 0; i < 2_000; i++) load.noteRead(false);
    load.measure(250, 48_000, 500, 1);
    assert.equal(load.capacity, 17_000);
    // Newcomers are averaged the same way: 10 000 a second, then a window without any.
    assert.equal(load.arrivals, 7_500);
    // A loop nearly idle says nothing of a full one.
    for (let i = 0; i < 10; i++) load.noteRead(false);
    load.measure(250, Number.NaN, 750, 0.02);
    assert.equal(load.capacity, 17_000);
  });

  it("starts the newcomers' average afresh when a crowd comes to a loop nearly idle", () => {
    const load = new ReturnLoad();
    // Setup: a few reads over seconds, the loop nearly idle; then 2 000 newcomers in a quarter second.
    for (let i = 0; i < 3; i++) load.noteRead(true);
    load.measure(5_000, Number.NaN, 5_000, 0.01);
    for (let i = 0; i < 2_000; i++) load.noteRead(true);
    load.measure(250, Number.NaN, 5_250, 0.8);
    assert.equal(load.arrivals, 8_000, "not a quarter of the way from the idle figure");
    for (let i = 0; i < 1_000; i++) load.noteRead(true);
    load.measure(250, Number.NaN, 5_500, 0.5);
    assert.equal(load.arrivals, 7_000, "then averaged");
  });

  it("counts the returns foreseen beside those booked", () => {
    const load = new ReturnLoad();
    for (let i = 0; i < 1_000; i++) load.noteRead(false);
    load.measure(1_000, Number.NaN);
    for (let i = 0; i < 500; i++) load.book(50, 0);
    // 500 booked at 1 000 a second: none waits; with 2 500 more foreseen in the same slot,
    // 2 000 are left after a second.
    assert.equal(load.delayAt(1_050, 0), 0);
    const foreseen = (startMs: number) => (startMs === 0 ? 2_500 : 0);
    assert.ok(Math.abs(load.delayAt(1_050, 0, foreseen) - 2_000) < 1);
  });

  it("does not count a return told past its horizon", () => {
    const load = new ReturnLoad({ slots: 10 });
    for (let i = 0; i < 100; i++) load.noteRead(false);
    load.measure(1_000, Number.NaN);
    for (let i = 0; i < 1_000; i++) load.book(5_000, 0);
    assert.equal(load.delayAt(999, 0), 0);
  });
});

describe("the returns met after a sell-out", () => {
  const loaded = () => {
    const load = new ReturnLoad();
    // 1 000 claims a second read, no newcomers.
    for (let i = 0; i < 1_000; i++) load.noteRead(false);
    load.measure(1_000, Number.NaN);
    return load;
  };

  it("reads the queue past the foreseen sell-out at the rate of answers from memory", () => {
    const load = loaded();
    for (let i = 0; i < 1_000; i++) load.book(50, 0);
    for (let i = 0; i < 2_000; i++) load.book(1_550, 0);
    assert.ok(Math.abs(load.delayAt(1_600, 0) - 1_900) < 1, "1 900 queued at 1 000 claims a second");
    // The budget spent at 0.5 s: the claims queued then are read first, and after them the
    // returns are answered from memory, four times as fast until such answers are measured.
    const at = load.sellOutAt(500, 0, 0);
    assert.ok(Math.abs(at - 1_000) < 1, `${at}: 500 queued when the budget is spent`);
    const after = load.delayAt(1_600, 0);
    assert.ok(Math.abs(after - 400) < 1, `${after}: 1 600 left, read at 4 000 a second`);
  });

  it("learns how fast memory answers from the count the claim path keeps", () => {
    const load = loaded();
    for (let i = 0; i < 8_000; i++) load.book(50, 0);
    load.noteFromMemory(20_000);
    load.measure(1_000, Number.NaN);
    load.sellOutAt(0, 0, 0);
    const delay = load.delayAt(200, 0);
    assert.ok(Math.abs(delay - 200) < 1, `${delay}: 4 000 left at 20 000 a second`);
  });

  it("forgets a sell-out that did not come once the room reads more than memory answers", () => {
    const load = loaded();
    load.sellOutAt(0, 0, 0);
    for (let i = 0; i < 3_000; i++) load.book(1_050, 1_000);
    const foreseen = load.delayAt(1_200, 1_000);
    for (let i = 0; i < 1_000; i++) load.noteRead(false);
    load.measure(1_000, Number.NaN, 1_000);
    const after = load.delayAt(1_200, 1_000);
    assert.ok(after > foreseen * 2, `${after} against ${foreseen}: claims again`);
  });
});
