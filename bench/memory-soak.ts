import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeId } from "../src/domain/ids.js";
import { HOUR_MS } from "../src/domain/time.js";
import { TestClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";

/**
 * Memory over time: rounds of campaigns created, claimed by a crowd and ended, on a real
 * SQLite file, with the clock moved past each round's end. Prints the heap and RSS after a
 * full GC each round, and what the engine holds: both must stay flat once the bounded
 * "recently ended" memory is full, however many campaigns have run.
 *
 *   npm run build && node --expose-gc dist/bench/memory-soak.js [rounds=20] [campaignsPerRound=250] [users=200]
 */
const rounds = Number(process.argv[2] ?? 20);
const campaignsPerRound = Number(process.argv[3] ?? 250);
const userCount = Number(process.argv[4] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

const dir = mkdtempSync(join(tmpdir(), "hongbao-memory-soak-"));
const store = new SqliteStore({ path: join(dir, "soak.db") });
const clock = new TestClock(Date.parse("2026-08-19T13:00:00+08:00"));
const engine = new Engine({ store, clock });
await engine.start();
const users = Array.from({ length: userCount }, () => ({
  id: makeId("user", randomBytes(10)),
  phone: `+86${randomBytes(5).readUIntBE(0, 5) % 1e11}`,
  name: "u",
}));
const made = await engine.submit({ type: "createUsers", users });
if (!made.ok) throw new Error(made.error.message);

const MIB = 1024 * 1024;
console.log("round  campaigns  claims   heapMiB  rssMiB  inMemory  claimEntries  endedRemembered  timers");
let claims = 0;
const started = performance.now();
for (let round = 1; round <= rounds; round++) {
  const now = clock.now();
  const ids: string[] = [];
  for (let c = 0; c < campaignsPerRound; c++) {
    const created = await engine.submit({
      type: "createCampaign",
      request: {
        name: `r${round}c${c}`,
        budget: userCount * 10,
        amount: { fixed: 10 },
        startsAt: now,
        endsAt: now + HOUR_MS,
        perUserLimit: 1,
      },
    });
    if (!created.ok) throw new Error(created.error.message);
    ids.push(created.value.id);
  }
  const answers = await Promise.all(
    ids.flatMap((campaignId) => users.map((user) => engine.submit({ type: "claim", campaignId, userId: user.id }))),
  );
  claims += answers.filter((answer) => answer.ok).length;
  clock.set(now + 2 * HOUR_MS);
  await engine.runDueTimers();
  gc();
  const sizes = engine.memorySizes();
  const { heapUsed, rss } = process.memoryUsage();
  console.log(
    [
      String(round).padStart(5),
      String(round * campaignsPerRound).padStart(10),
      String(claims).padStart(7),
      (heapUsed / MIB).toFixed(1).padStart(9),
      (rss / MIB).toFixed(1).padStart(7),
      String(sizes.campaignsInMemory).padStart(9),
      String(sizes.claimMapEntries).padStart(13),
      String(sizes.endedCampaignsRemembered).padStart(16),
      String(sizes.timers).padStart(7),
    ].join(""),
  );
}
console.log(
  `${rounds * campaignsPerRound} campaigns, ${claims} claims in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
await engine.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
