import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Registry } from "prom-client";
import { TallyCounter } from "../../src/api/tally-counter.js";

describe("a tally counter", () => {
  it("reads exactly as prom-client's counter of the same increments, a series shown from its first", async () => {
    const options = (registry: Registry) => ({
      name: "hongbao_test_total",
      help: 'Answers "counted", by method and status',
      labelNames: ["method", "status"],
      registers: [registry],
    });
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Counter(options(theirs));
    const tally = new TallyCounter(options(ours));
    // A child made before any increment shows nothing, as prom-client's does not.
    const early = tally.labels({ method: "GET", status: "200" });
    assert.equal(await ours.metrics(), await theirs.metrics());
    for (const [method, status, times] of [
      ["POST", "410", 3],
      ["GET", "200", 1],
      ["POST", "200", 2],
      ["POST", "410", 1],
    ] as const) {
      for (let i = 0; i < times; i++) {
        reference.labels({ method, status }).inc();
        tally.labels({ method, status }).inc();
      }
    }
    early.inc();
    reference.labels({ method: "GET", status: "200" }).inc();
    assert.equal(await ours.metrics(), await theirs.metrics());
    tally.reset();
    reference.reset();
    assert.equal(await ours.metrics(), await theirs.metrics());
    early.inc();
    reference.labels({ method: "GET", status: "200" }).inc();
    assert.equal(await ours.metrics(), await theirs.metrics());
  });
});
