/**
 * Where SQLite's time goes for a grab or a claim, and what the store's red-packet write
 * costs: the store's statements for batches of the workload (recorded as in statements.ts,
 * so the rows and the SQL are the store's own) are replayed on a plain connection, timed
 * statement by statement and COMMIT (WAL write + fsync) apart, with the WAL bytes written.
 *
 * Variants (grab only), each on its own fresh file with the same workload:
 *   as-is           — every statement the store runs today: one red_packets upsert per grab;
 *   packet-once     — the red_packets upsert only once per packet per batch (its last state);
 *   status-change   — the red_packets upsert only when the packet's status changes (finished),
 *                     the grabs row carrying the rest.
 * (A fourth, no-balances, measured the accounts table's upserts before balances became the
 * last entry of each account: docs/decisions/0016-balances-from-entries.md.)
 *
 * Usage: node dist/bench/store-experiment.js <grab|claim|transfer> [commands=60000] [batch sizes=75,2000]
 * Prints one JSON line per case.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import { calendarFor } from "../src/server.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { prng } from "./lib.js";
import { type Op, openPlain, openRecordable, recordRuns } from "./statements.js";
import { makeWorkload, WORKLOADS, type WorkloadName } from "./workloads.js";

const [workloadArg, countArg, sizesArg] = process.argv.slice(2);
const workload = (workloadArg ?? "grab") as WorkloadName;
if (!WORKLOADS.includes(workload)) throw new Error(`usage: store-experiment <${WORKLOADS.join("|")}> [count] [sizes]`);
const count = Number(countArg ?? 60_000);
const sizes = (sizesArg ?? "75,2000").split(",").map(Number);
const PAGE = 4096;

type Variant = "as-is" | "packet-once" | "status-change";
const isPacketUpsert = ([sql]: Op) => sql.trimStart().startsWith("INSERT INTO red_packets");
const packetOf = ([, args]: Op) => args[0] as { id: string; status: string };

function filter(ops: Op[], variant: Variant): Op[] {
  if (variant === "as-is") return ops;
  if (variant === "status-change") return ops.filter((op) => !isPacketUpsert(op) || packetOf(op).status !== "active");
  const last = new Map<string, number>();
  ops.forEach((op, i) => {
    if (isPacketUpsert(op)) last.set(packetOf(op).id, i);
  });
  return ops.filter((op, i) => !isPacketUpsert(op) || last.get(packetOf(op).id) === i);
}

/** A short name for a statement: its verb and table. */
function kindOf(sql: string): string {
  const m = /^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)/i.exec(sql);
  return m === null ? sql.slice(0, 30) : `${m[1]?.split(" ")[0]?.toLowerCase()} ${m[2]}`;
}

async function measure(size: number, variant: Variant) {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-store-"));
  const path = join(dir, "store.db");
  const store = await openRecordable(() => new SqliteStore({ path }));
  const engine = new Engine({ store, clock: systemClock, calendar: calendarFor(undefined) });
  await engine.start();
  const work = await makeWorkload(workload, engine, 5000, prng(7));
  await work.prepare(count);
  const db = openPlain(path);
  db.pragma("wal_autocheckpoint = 0");
  db.pragma("wal_checkpoint(TRUNCATE)");
  const statements = new Map<string, Database.Statement>();
  const begin = db.prepare("BEGIN");
  const commit = db.prepare("COMMIT");
  const byKind = new Map<string, { n: number; ms: number }>();
  let done = 0;
  let walBytes = 0;
  let commitMs = 0;
  let batches = 0;
  while (done < count) {
    const take = Math.min(size, count - done);
    const ops = filter(
      await recordRuns(() => Promise.all(Array.from({ length: take }, () => engine.submit(work.next())))),
      variant,
    );
    const before = statSync(`${path}-wal`).size;
    begin.run();
    for (const [sql, args] of ops) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      const started = performance.now();
      statement.run(...args);
      const k = kindOf(sql);
      const entry = byKind.get(k) ?? { n: 0, ms: 0 };
      entry.n += 1;
      entry.ms += performance.now() - started;
      byKind.set(k, entry);
    }
    const started = performance.now();
    commit.run();
    commitMs += performance.now() - started;
    walBytes += statSync(`${path}-wal`).size - before;
    done += take;
    batches += 1;
    if (statSync(`${path}-wal`).size > 256 * 2 ** 20) db.pragma("wal_checkpoint(TRUNCATE)");
  }
  db.close();
  await engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const perCommand = (ms: number) => Number(((1000 * ms) / done).toFixed(1));
  let statementMs = 0;
  for (const { ms } of byKind.values()) statementMs += ms;
  return {
    workload,
    batch: size,
    variant,
    commands: done,
    walKiBPerCommand: Number((walBytes / done / 1024).toFixed(2)),
    walPagesPerBatch: Math.round(walBytes / (PAGE + 24) / batches),
    µsPerCommand: perCommand(statementMs + commitMs),
    commitµsPerCommand: perCommand(commitMs),
    statementsµsPerCommand: Object.fromEntries(
      [...byKind]
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(([k, { n, ms }]) => [`${k} ×${(n / done).toFixed(2)}`, perCommand(ms)]),
    ),
  };
}

const variants: Variant[] = workload === "grab" ? ["as-is", "packet-once", "status-change"] : ["as-is"];
for (const size of sizes) for (const variant of variants) console.log(JSON.stringify(await measure(size, variant)));
