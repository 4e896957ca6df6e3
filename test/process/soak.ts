/**
 * `npm run soak`: the bank soak (test/process/bank.ts) at full length, in both modes, and
 * the figures it measured. Bounded: it stops after `--cycles` kills of each mode, or after the
 * cycle that passes `--time-limit-s`, whichever comes first; a breach stops it at once with a
 * non-zero exit.
 *
 *   npm run soak -- [--cycles 100] [--mode both|real|clock] [--seed N] [--time-limit-s 2400]
 */
import { parseArgs } from "node:util";
import { type BankFigures, formatFigures, runBank } from "./bank.js";
import { cleanup } from "./support.js";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "100" },
    mode: { type: "string", default: "both" },
    seed: { type: "string" },
    "time-limit-s": { type: "string", default: "2400" },
    quiet: { type: "boolean", default: false },
  },
});
const cycles = Number(values.cycles);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const timeLimitMs = Number(values["time-limit-s"]) * 1000;
const modes = values.mode === "both" ? [false, true] : [values.mode === "clock"];
if (
  !Number.isSafeInteger(cycles) ||
  cycles < 1 ||
  !Number.isFinite(timeLimitMs) ||
  !["both", "real", "clock"].includes(values.mode as string)
) {
  console.error("usage: npm run soak -- [--cycles N] [--mode both|real|clock] [--seed N] [--time-limit-s S]");
  process.exit(2);
}
console.log(
  `bank soak: ${cycles} cycles a mode, seed ${seed} (--seed ${seed} replays the choices; timing still varies)`,
);
const all: BankFigures[] = [];
try {
  for (const testClock of modes) {
    const figures = await runBank({
      cycles,
      testClock,
      seed,
      timeLimitMs,
      log: (line) => {
        if (!values.quiet) console.log(line);
      },
    });
    all.push(figures);
    console.log(formatFigures(figures));
  }
} catch (error) {
  console.error(`bank soak FAILED (seed ${seed}): ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
if (process.exitCode !== 1) {
  console.log(`bank soak passed: ${all.map((f) => `${f.mode} ${f.cycles} cycles`).join(", ")}`);
}
