/**
 * One side of an engine comparison (figures 1, 3 and 5), alive for the whole section in its
 * own process on its own fresh SQLite file, measured in short slices that run.js interleaves
 * with the other side's (the machine is shared: both sides must see the same noise).
 *   engine — Engine + SqliteStore, driven by `size` concurrent submit() loops;
 *   raw    — the same rows with the same SQL, through better-sqlite3 prepared statements on a
 *            plain connection, one transaction per batch of `size` commands (see rawSide).
 * The workload (bench/workloads.ts) says what is submitted: transfers, packet grabs or
 * campaign claims. Both sides build the same kind of state through the engine, from the
 * same seed, and prepare what each slice needs (users, packets) before its clock starts.
 *
 * Usage (from run.js): node engine-bench.js <engine|raw> <users> <seed> [transfer|grab|claim]
 * A slice is a number of commands, not a time, so both files grow alike and every slice
 * pair compares the two sides at the same database size.
 * IPC: → "ready"; ← {type:"slice", transfers, size} → {type:"slice", ...Slice};
 *      ← "finish" → {type:"finished", balanceSum}.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import { calendarFor } from "../src/server.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { cpuSecondsSince, makeProfiler, prng, tell } from "./lib.js";
import { type Op, openPlain, openRecordable, recordRuns, replayer } from "./statements.js";
import { makeWorkload, WORKLOADS, type WorkloadName } from "./workloads.js";

export interface Slice {
  /** Successful commands (transfers, grabs or claims, by the workload). */
  readonly transfers: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly batches: number;
  /** Other outcomes than success, by error code (engine only; should stay empty). */
  readonly failures: Record<string, number>;
}

interface Side {
  /** Untimed: what the next `count` commands need. */
  prepare(count: number): Promise<void>;
  /** `timedSeconds`: the part of the slice that counts, when not all of it does (raw). */
  slice(
    count: number,
    size: number,
  ): Promise<
    Omit<Slice, "seconds" | "cpuSeconds"> & { readonly timedSeconds?: number; readonly timedCpuSeconds?: number }
  >;
  finish(): Promise<number>;
}

const [mode, usersArg, seedArg, workloadArg] = process.argv.slice(2);
const userCount = Number(usersArg);
const random = prng(Number(seedArg ?? 1));
const workloadName = (workloadArg ?? "transfer") as WorkloadName;
if (!WORKLOADS.includes(workloadName)) throw new Error(`unknown workload ${workloadArg}`);

async function engineSide(path: string): Promise<Side> {
  let batches = 0;
  // HONGBAO_CHECKPOINT_THREAD=1: the store with decision 0064's checkpoint thread, for comparing the two.
  const store = new SqliteStore({ path, checkpointThread: process.env.HONGBAO_CHECKPOINT_THREAD === "1" });
  // The calendar the server runs with (special days, lunar dates): the engine as deployed.
  const engine = new Engine({
    store,
    clock: systemClock,
    calendar: calendarFor(undefined),
    observer: {
      batchCommitted() {
        batches += 1;
      },
    },
  });
  await engine.start();
  const workload = await makeWorkload(workloadName, engine, userCount, random);
  return {
    prepare: (count) => workload.prepare(count),
    async slice(count, size) {
      const failures: Record<string, number> = {};
      let ok = 0;
      let submitted = 0;
      batches = 0;
      const lane = async () => {
        while (submitted < count) {
          submitted += 1;
          const result = await engine.submit(workload.next());
          if (result.ok) ok += 1;
          else failures[result.error.code] = (failures[result.error.code] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: size }, lane));
      return { transfers: ok, batches, failures };
    },
    async finish() {
      await engine.close();
      const sum = await store.balanceSum();
      await store.close();
      return sum;
    },
  };
}

/**
 * Raw better-sqlite3 writing the SAME rows with the SAME SQL as the store: for each batch,
 * the engine (untimed) applies `size` commands while the store's statements are recorded
 * rather than run; then (timed) a separate plain connection to the same file runs exactly
 * those statements with exactly those arguments in one transaction. What the raw side
 * skips is only the engine and the store's JavaScript; SQLite's work is the same.
 */
async function rawSide(path: string): Promise<Side> {
  let batches = 0;
  // No checkpoint thread: raw SQLite checkpoints on its own connection, as SQLite comes.
  const store = await openRecordable(() => new SqliteStore({ path, checkpointThread: false }));
  const engine = new Engine({
    store,
    clock: systemClock,
    calendar: calendarFor(undefined),
    observer: {
      batchCommitted() {
        batches += 1;
      },
    },
  });
  await engine.start();
  const workload = await makeWorkload(workloadName, engine, userCount, random);
  const db = openPlain(path);
  const replay = replayer(db);
  const record = async (size: number): Promise<Op[]> => {
    const before = batches;
    const ops = await recordRuns(async () => {
      const results = await Promise.all(Array.from({ length: size }, () => engine.submit(workload.next())));
      const refused = results.find((r) => !r.ok);
      if (refused !== undefined || batches !== before + 1) {
        throw new Error(
          `raw: the recorded batch is not one batch of successful commands (${batches - before} batches` +
            `${refused !== undefined && !refused.ok ? `, ${refused.error.code}` : ""})`,
        );
      }
    });
    if (ops.length === 0)
      throw new Error("raw: no statement of the store was recorded (does it still prepare its SQL with db.prepare?)");
    return ops;
  };
  return {
    prepare: (count) => workload.prepare(count),
    async slice(count, size) {
      let done = 0;
      let n = 0;
      let timed = 0;
      let cpu = 0;
      while (done < count) {
        const take = Math.min(size, count - done);
        const ops = await record(take);
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        replay(ops);
        timed += performance.now() - started;
        cpu += cpuSecondsSince(cpuBefore);
        done += take;
        n += 1;
      }
      return { transfers: done, batches: n, failures: {}, timedSeconds: timed / 1000, timedCpuSeconds: cpu };
    },
    async finish() {
      db.close();
      await engine.close();
      await store.close();
      // A fresh store re-adds every entry and checks every balance against them.
      const check = new SqliteStore({ path, verifyOnLoad: true });
      await check.load();
      const sum = await check.balanceSum();
      await check.close();
      return sum;
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "hongbao-bench-"));
try {
  const side = mode === "raw" ? await rawSide(join(dir, "bench.db")) : await engineSide(join(dir, "bench.db"));
  // --profile: the measured slices only (on the raw side that includes recording the statements).
  const profiler = await makeProfiler();
  tell({ type: "ready" });
  for (;;) {
    const message = await nextMessage();
    if (message.type === "slice") {
      const { transfers, size, measure } = message as unknown as { transfers: number; size: number; measure: boolean };
      await side.prepare(transfers);
      if (measure) await profiler.resume();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const { timedSeconds, timedCpuSeconds, ...result } = await side.slice(transfers, size);
      const slice: Slice = {
        ...result,
        seconds: timedSeconds ?? (performance.now() - started) / 1000,
        cpuSeconds: timedCpuSeconds ?? cpuSecondsSince(cpu),
      };
      await profiler.pause();
      tell({ type: "slice", ...slice });
    } else if (message.type === "finish" || message.type === "stop") {
      await profiler.finish(
        `${mode === "raw" ? "raw" : "engine"}${workloadName === "transfer" ? "" : `-${workloadName}`}`,
      );
      tell({ type: "finished", balanceSum: await side.finish() });
      break;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.disconnect?.();

/** The parent's next message; a lost parent counts as "stop". */
function nextMessage(): Promise<{ type: string }> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      process.off("disconnect", onDisconnect);
      resolve(m as { type: string });
    };
    const onDisconnect = () => {
      process.off("message", onMessage);
      resolve({ type: "stop" });
    };
    process.once("message", onMessage);
    process.once("disconnect", onDisconnect);
  });
}
