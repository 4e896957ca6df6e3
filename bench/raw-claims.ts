import { fmtInt, forkChild } from "./lib.js";

/**
 * Raw better-sqlite3 claims (bench/engine-bench.ts `raw … claim`): the rows a writer's claim
 * batches write, with the store's SQL and settings, replayed in transactions of `batch` claims
 * on a fresh file. Only the replay is timed: its claims/s and CPU a claim are the floor under
 * a writer's.
 */
export async function rawClaims(
  count: number,
  batch: number,
  log: (line: string) => void,
): Promise<{ perSecond: number; cpuPerClaim: number }> {
  const child = forkChild("engine-bench", ["raw", String(count + 1_000), "1", "claim"]);
  try {
    await child.next("ready", 300_000);
    child.send({ type: "slice", transfers: count, size: Math.max(1, Math.round(batch)), measure: true });
    // The replay's own seconds and CPU: recording the statements through the engine is not counted.
    const slice = await child.next<{ transfers: number; seconds: number; cpuSeconds: number }>("slice", 600_000);
    const cpuPerClaim = slice.cpuSeconds / slice.transfers;
    child.send({ type: "finish" });
    await child.next("finished", 120_000);
    const rate = slice.transfers / slice.seconds;
    log(
      `raw SQLite claim batches of ${Math.round(batch)}: ${fmtInt(rate)}/s, ${(1e6 * cpuPerClaim).toFixed(1)} µs CPU a claim`,
    );
    return { perSecond: rate, cpuPerClaim };
  } finally {
    await child.stop();
  }
}
