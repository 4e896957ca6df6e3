/**
 * How much the store writes to its WAL per transfer, and how long SQLite takes for it, by
 * batch size and by the kind of transfer id (random as today, or time-ordered). Uses the
 * record/replay of statements.ts, so the rows and SQL are the store's own.
 *
 * Usage: node dist/bench/wal-experiment.js [transfers=100000] [batch sizes=80,2000]
 * Prints one JSON line per case: KiB of WAL per transfer, WAL pages per batch, µs per
 * transfer of the replay (statements + COMMIT with fsync).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeId } from "../src/domain/ids.js";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import { calendarFor } from "../src/server.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { prng } from "./lib.js";
import { openPlain, openRecordable, recordRuns, replayer } from "./statements.js";

const [countArg, sizesArg] = process.argv.slice(2);
const count = Number(countArg ?? 100_000);
const sizes = (sizesArg ?? "80,2000").split(",").map(Number);
const USERS = 5000;
const PAGE = 4096;

/** Ten id bytes: 5 of them a counter (so ids sort by creation), 5 random. */
function orderedRandom(): (size: number) => Uint8Array {
  let n = 0;
  return (size) => {
    const bytes = randomBytes(size);
    const t = n++;
    bytes[0] = Math.floor(t / 2 ** 32) & 255;
    bytes[1] = (t >>> 24) & 255;
    bytes[2] = (t >>> 16) & 255;
    bytes[3] = (t >>> 8) & 255;
    bytes[4] = t & 255;
    return bytes;
  };
}

async function measure(size: number, ids: "random" | "ordered") {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-wal-"));
  const path = join(dir, "wal.db");
  const store = await openRecordable(() => new SqliteStore({ path }));
  const engine = new Engine({
    store,
    clock: systemClock,
    calendar: calendarFor(undefined),
    ...(ids === "ordered" ? { random: orderedRandom() } : {}),
  });
  await engine.start();
  const users = await Promise.all(
    Array.from({ length: USERS }, async (_, i) => {
      const created = await engine.submit({
        type: "createUser",
        id: makeId("user", randomBytes(10)),
        phone: `+8613${String(i).padStart(9, "0")}`,
        name: `wal ${i}`,
      });
      if (!created.ok) throw new Error(created.error.message);
      await engine.submit({ type: "deposit", userId: created.value.id, amount: 1_000_000_000 });
      return created.value.id;
    }),
  );
  const db = openPlain(path);
  db.pragma("wal_autocheckpoint = 0");
  db.pragma("wal_checkpoint(TRUNCATE)");
  const replay = replayer(db);
  const random = prng(7);
  const pick = () => users[Math.floor(random() * users.length)] as string;
  let done = 0;
  let walBytes = 0;
  let ms = 0;
  let batches = 0;
  while (done < count) {
    const ops = await recordRuns(() =>
      Promise.all(
        Array.from({ length: size }, () => {
          const from = pick();
          let to = pick();
          while (to === from) to = pick();
          return engine.submit({
            type: "sendTransfer",
            request: { from, to, amount: 100, memo: "", nature: "unspecified", dueDate: null },
          });
        }),
      ),
    );
    const before = statSync(`${path}-wal`).size;
    const started = performance.now();
    replay(ops);
    ms += performance.now() - started;
    walBytes += statSync(`${path}-wal`).size - before;
    done += size;
    batches += 1;
    if (statSync(`${path}-wal`).size > 256 * 2 ** 20) db.pragma("wal_checkpoint(TRUNCATE)");
  }
  db.close();
  await engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    batch: size,
    ids,
    transfers: done,
    walKiBPerTransfer: Number((walBytes / done / 1024).toFixed(2)),
    walPagesPerBatch: Math.round(walBytes / (PAGE + 24) / batches),
    replayMicrosecondsPerTransfer: Number(((1000 * ms) / done).toFixed(1)),
  };
}

for (const size of sizes) {
  for (const ids of ["random", "ordered"] as const) console.log(JSON.stringify(await measure(size, ids)));
}
