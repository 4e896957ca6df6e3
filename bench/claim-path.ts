/**
 * The engine's claim path alone: CPU a claim through `Engine.execute` without a key (what the
 * writer's `line.claim` runs for an admitted claim), batches formed as they are when thousands
 * of claims are in flight, the store's commit replaced by nothing. SQLite's share is measured
 * by bench/writer-feed.ts against raw better-sqlite3; this isolates the JavaScript around it,
 * which on a shared machine moves less than the whole writer does from run to run.
 *
 * Usage: node dist/bench/claim-path.js [--claims 20000] [--in-flight 5000] [--rounds 8]
 * Prints the CPU µs a claim of each round after the first (the first warms the path up).
 */

import { systemClock } from "../src/engine/clock.js";
import type { Answer } from "../src/engine/engine.js";
import { Engine } from "../src/engine/engine.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { flag, median } from "./lib.js";
import { makeWorkload } from "./workloads.js";

const CLAIMS = Number(flag("claims", "20000"));
const IN_FLIGHT = Number(flag("in-flight", "5000"));
const ROUNDS = Number(flag("rounds", "8"));

const store = new SqliteStore({ path: ":memory:" });
const engine = new Engine({ store, clock: systemClock });
await engine.start();
let seed = 1;
const random = () => {
  seed = (seed * 16_807) % 2_147_483_647;
  return seed / 2_147_483_647;
};
const workload = await makeWorkload("claim", engine, 0, random);
// Only the claims' batches from here on: the users and the campaign are in the file already.
store.commit = async () => {};
const render = (result: { ok: boolean }): Answer => ({ status: result.ok ? 200 : 409, body: "" });

const perClaim: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  await workload.prepare(CLAIMS);
  const commands = Array.from({ length: CLAIMS }, () => workload.next());
  let next = 0;
  let refused = 0;
  const lane = async () => {
    while (next < CLAIMS) {
      const answer = await engine.execute(commands[next++] as never, render);
      if (answer.status !== 200) refused += 1;
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const used = process.cpuUsage(before);
  if (refused > 0) throw new Error(`${refused} claims were refused`);
  if (round > 0) perClaim.push((used.user + used.system) / CLAIMS);
}
await engine.close();
await store.close();
process.stdout.write(
  `engine claim path, µs CPU a claim by round: ${perClaim.map((us) => us.toFixed(2)).join(" ")}; median ${median(perClaim).toFixed(2)}\n`,
);
