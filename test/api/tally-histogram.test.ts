import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Histogram, Registry } from "prom-client";
import { TallyHistogram } from "../../src/api/tally-histogram.js";

describe("a tally histogram", () => {
  it("reads exactly as prom-client's histogram of the same observations, and shows a series once observed", async () => {
    const options = (registry: Registry) => ({
      name: "hongbao_test_seconds",
      help: 'Calls "timed", by side and op',
      labelNames: ["side", "op"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram(options(theirs));
    const tally = new TallyHistogram(options(ours));
    tally.labels({ side: "edge", op: "never observed" });
    for (const [side, op] of [
      ["writer", "line.claim"],
      ["edge", "execute"],
    ] as const) {
      for (const value of [0, 1e-9, 0.0005, 0.0007, 0.001, 0.3, 2.5, 7, 11]) {
        reference.labels({ side, op }).observe(value);
        tally.labels({ side, op }).observe(value);
      }
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
    tally.reset();
    reference.reset();
    assert.equal(await ours.metrics(), await theirs.metrics());
  });
});
