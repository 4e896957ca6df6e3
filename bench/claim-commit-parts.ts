/**
 * Where a claim commit's time goes (`node dist/bench/claim-commit-parts.js`): the same claim
 * batches (recorded once through the engine, as bench/engine-bench.ts records them) are
 * written to copies of one prepared file by several writers in turn, each timed in parts:
 *   raw          — raw better-sqlite3 as SQLite comes: the statements, then COMMIT, which
 *                  runs SQLite's automatic checkpoint every 1 000 WAL pages (the baseline);
 *   no checkpoint — the same with checkpoints off for the run: COMMIT alone (WAL write and
 *                  fsync); the baseline's COMMIT less this one is the checkpoints' share, and a
 *                  checkpoint of the whole WAL at the end is timed apart for comparison;
 *   thread       — the same with the store's checkpoint thread (src/store/sqlite/checkpoint-thread.ts)
 *                  woken after each COMMIT and its connection's bound at 8 000 pages;
 *   store, thread off / store — SqliteStore.commit() of the same batches (the store's own
 *                  JavaScript and statements), without and with its checkpoint thread.
 * Rounds alternate the writers' order; every figure is a median over rounds, in µs a claim
 * (wall time on the writer's thread) and as claims/s against raw's in the same round.
 *
 * Usage: node dist/bench/claim-commit-parts.js [--claims 40000] [--batch 1000] [--rounds 3]
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import type { Batch } from "../src/engine/store-port.js";
import { calendarFor } from "../src/server.js";
import { CheckpointThread } from "../src/store/sqlite/checkpoint-thread.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { flag, median, prng, table } from "./lib.js";
import { type Op, openPlain, openRecordable, recordRuns, statementRunner } from "./statements.js";
import { makeWorkload } from "./workloads.js";

const CLAIMS = Number(flag("claims", "40000"));
const BATCH = Number(flag("batch", "1000"));
const ROUNDS = Number(flag("rounds", "3"));
const log = (line: string) => process.stderr.write(`[claim-commit-parts] ${line}\n`);

/** Seconds a claim spent in each part of a writer's commits. */
interface Parts {
  statements: number;
  commit: number;
  /** A checkpoint of the whole WAL after the run (the "no checkpoint" writer only). */
  checkpointAfter: number;
  total: number;
}

const dir = mkdtempSync(join(tmpdir(), "hongbao-commit-parts-"));
const prepared = join(dir, "prepared.db");

/** The prepared file (a campaign, its claimers) and the claim batches recorded, not written, on it. */
async function record(): Promise<{ ops: Op[][]; batches: Batch[] }> {
  const store = await openRecordable(() => new SqliteStore({ path: prepared, checkpointThread: false }));
  const batches: Batch[] = [];
  const commit = store.commit.bind(store);
  store.commit = (batch: Batch) => {
    batches.push(batch);
    return commit(batch);
  };
  const engine = new Engine({ store, clock: systemClock, calendar: calendarFor(undefined) });
  await engine.start();
  const workload = await makeWorkload("claim", engine, CLAIMS + 1_000, prng(1));
  await workload.prepare(CLAIMS);
  batches.length = 0;
  const ops: Op[][] = [];
  for (let done = 0; done < CLAIMS; done += BATCH) {
    const size = Math.min(BATCH, CLAIMS - done);
    const before = batches.length;
    const recorded = await recordRuns(async () => {
      const results = await Promise.all(Array.from({ length: size }, () => engine.submit(workload.next())));
      if (results.some((r) => !r.ok) || batches.length !== before + 1) throw new Error("not one batch of claims");
    });
    ops.push(recorded);
  }
  await engine.close();
  await store.close();
  return { ops, batches };
}

type Mode = "raw" | "no checkpoint" | "thread";

async function plainWriter(mode: Mode, path: string, ops: Op[][]): Promise<Parts> {
  const db = openPlain(path, { checkpointThread: mode === "thread" });
  if (mode === "no checkpoint") db.pragma("wal_autocheckpoint = 0");
  const thread = mode === "thread" ? new CheckpointThread(path) : undefined;
  const run = statementRunner(db);
  let statements = 0;
  let commit = 0;
  for (const batch of ops) {
    const t0 = performance.now();
    db.exec("BEGIN IMMEDIATE");
    run(batch);
    const t1 = performance.now();
    db.exec("COMMIT");
    const t2 = performance.now();
    thread?.committed();
    statements += t1 - t0;
    commit += t2 - t1;
    // The writer's loop turns between batches, as the engine's does.
    await new Promise((resolve) => setImmediate(resolve));
  }
  let checkpointAfter = 0;
  if (mode === "no checkpoint") {
    const t = performance.now();
    db.pragma("wal_checkpoint(PASSIVE)");
    checkpointAfter = performance.now() - t;
  }
  await thread?.close();
  db.close();
  const perClaim = (ms: number) => ms / 1000 / CLAIMS;
  return {
    statements: perClaim(statements),
    commit: perClaim(commit),
    checkpointAfter: perClaim(checkpointAfter),
    total: perClaim(statements + commit),
  };
}

async function storeWriter(checkpointThread: boolean, path: string, batches: Batch[]): Promise<Parts> {
  const store = new SqliteStore({ path, checkpointThread, verifyOnLoad: false });
  let total = 0;
  for (const batch of batches) {
    const t = performance.now();
    await store.commit(batch);
    total += performance.now() - t;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await store.close();
  const seconds = total / 1000 / CLAIMS;
  return { statements: Number.NaN, commit: Number.NaN, checkpointAfter: 0, total: seconds };
}

const WRITERS = ["raw", "no checkpoint", "thread", "store, thread off", "store"] as const;
type Writer = (typeof WRITERS)[number];

try {
  log(`recording ${CLAIMS} claims in batches of ${BATCH}`);
  const { ops, batches } = await record();
  const figures = new Map<Writer, Parts[]>(WRITERS.map((w) => [w, []]));
  const ratios = new Map<Writer, number[]>(WRITERS.map((w) => [w, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [...WRITERS] : [...WRITERS].reverse();
    const byWriter = new Map<Writer, Parts>();
    for (const writer of order) {
      const path = join(dir, `round-${round}-${writer.replaceAll(/\W+/g, "-")}.db`);
      copyFileSync(prepared, path);
      const parts =
        writer === "store" || writer === "store, thread off"
          ? await storeWriter(writer === "store", path, batches)
          : await plainWriter(writer, path, ops);
      byWriter.set(writer, parts);
      figures.get(writer)?.push(parts);
      log(`round ${round + 1}, ${writer}: ${(1e6 * parts.total).toFixed(2)} µs a claim`);
      rmSync(path, { force: true });
      rmSync(`${path}-wal`, { force: true });
      rmSync(`${path}-shm`, { force: true });
    }
    const raw = byWriter.get("raw")?.total ?? Number.NaN;
    for (const writer of WRITERS) ratios.get(writer)?.push(raw / (byWriter.get(writer)?.total ?? Number.NaN));
  }
  const us = (s: number) => (Number.isNaN(s) ? "" : (1e6 * s).toFixed(2));
  const med = (writer: Writer, part: keyof Parts) => median((figures.get(writer) ?? []).map((p) => p[part]));
  const rows = WRITERS.map((writer) => [
    writer,
    us(med(writer, "statements")),
    us(med(writer, "commit")),
    writer === "no checkpoint" ? us(med(writer, "checkpointAfter")) : "",
    us(med(writer, "total")),
    (1 / med(writer, "total")).toFixed(0),
    median(ratios.get(writer) ?? []).toFixed(2),
  ]);
  process.stdout.write(
    `Claim commits of ${BATCH} claims, ${CLAIMS} claims a writer, median of ${ROUNDS} rounds (µs a claim):\n`,
  );
  process.stdout.write(
    `${table(["writer", "statements", "COMMIT", "checkpoint after", "total", "claims/s", "claims/s ÷ raw"], rows)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
