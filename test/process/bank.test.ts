/**
 * The bank soak, short: a few SIGKILL/restart cycles of each mode (the full run is
 * `npm run soak`, docs/reliability.md). Set BANK_SEED to replay a run's choices.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { formatFigures, runBank } from "./bank.js";
import { cleanup } from "./support.js";

const CYCLES = 5;

describe("bank soak: SIGKILL under mixed money load, lost answers retried by key", () => {
  after(cleanup);

  for (const testClock of [false, true]) {
    it(`${CYCLES} cycles with the ${testClock ? "test" : "real"} clock: every acknowledged operation once, the ledger whole`, {
      timeout: 240_000,
    }, async (t) => {
      const seed = Number(process.env.BANK_SEED ?? Math.floor(Math.random() * 2 ** 31));
      const figures = await runBank({ cycles: CYCLES, testClock, seed, log: (line) => t.diagnostic(line) });
      for (const line of formatFigures(figures).split("\n")) t.diagnostic(line);
      assert.equal(figures.cycles, CYCLES);
      const acknowledged = Object.values(figures.acknowledged).reduce((total, count) => total + count, 0);
      assert.ok(acknowledged > CYCLES * 20, `the load was acknowledged ${acknowledged} times`);
      assert.ok(figures.acknowledged.grab > 0 && figures.acknowledged.claim > 0 && figures.acknowledged.accept > 0);
      if (testClock) assert.ok(figures.clockMoves > 0, "the clock moved during the load");
    });
  }
});
