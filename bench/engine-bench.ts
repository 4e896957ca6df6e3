/**
 * One side of the durable-transfers comparison, alive for the whole section in its own
 * process on its own fresh SQLite file, measured in short slices that run.js interleaves
 * with the other side's (the machine is shared: both sides must see the same noise).
 *   engine — Engine + SqliteStore, driven by `size` concurrent submit() loops;
 *   raw    — the same rows with the same SQL, through better-sqlite3 prepared statements on a
 *            plain connection, one transaction per batch of `size` transfers (see rawSide).
 * Both start from the same state, made through the engine: `users` users, each funded.
 *
 * Usage (from run.js): node engine-bench.js <engine|raw> <users> <seed>
 * A slice is a number of transfers, not a time, so both files grow alike and every slice
 * pair compares the two sides at the same database size.
 * IPC: → "ready"; ← {type:"slice", transfers, size} → {type:"slice", ...Slice};
 *      ← "finish" → {type:"finished", balanceSum}.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeId } from "../src/domain/ids.js";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import { calendarFor } from "../src/server.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { cpuSecondsSince, prng, startProfile, tell } from "./lib.js";
import { type Op, openPlain, openRecordable, recordRuns, replayer } from "./statements.js";

export interface Slice {
  readonly transfers: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly batches: number;
  /** Other outcomes than a sent transfer, by error code (engine only; should stay empty). */
  readonly failures: Record<string, number>;
}

interface Side {
  /** `timedSeconds`: the part of the slice that counts, when not all of it does (raw). */
  slice(
    count: number,
    size: number,
  ): Promise<
    Omit<Slice, "seconds" | "cpuSeconds"> & { readonly timedSeconds?: number; readonly timedCpuSeconds?: number }
  >;
  finish(): Promise<number>;
}

const FUNDS = 1_000_000_000; // fen per user: far more than the bench can spend
const [mode, usersArg, seedArg] = process.argv.slice(2);
const userCount = Number(usersArg);
const random = prng(Number(seedArg ?? 1));

function pickPair(users: readonly string[]): [string, string] {
  const a = Math.floor(random() * users.length);
  let b = Math.floor(random() * (users.length - 1));
  if (b >= a) b += 1;
  return [users[a] as string, users[b] as string];
}

function amount(): number {
  return 1 + Math.floor(random() * 999);
}

async function setUp(path: string, observer: { batchCommitted?(n: number, s: number): void } = {}) {
  const store = new SqliteStore({ path });
  // The calendar the server runs with (special days, lunar dates): the engine as deployed.
  const engine = new Engine({ store, clock: systemClock, calendar: calendarFor(undefined), observer });
  await engine.start();
  return { store, engine, users: await createUsers(engine) };
}

/** `users` users, each funded, made through the engine (so both sides start from the same state). */
function createUsers(engine: Engine): Promise<string[]> {
  return Promise.all(
    Array.from({ length: userCount }, async (_, i) => {
      const created = await engine.submit({
        type: "createUser",
        id: makeId("user", randomBytes(10)),
        phone: `+8613${String(i).padStart(9, "0")}`,
        name: `bench ${i}`,
      });
      if (!created.ok) throw new Error(`createUser: ${created.error.message}`);
      const funded = await engine.submit({ type: "deposit", userId: created.value.id, amount: FUNDS });
      if (!funded.ok) throw new Error(`deposit: ${funded.error.message}`);
      return created.value.id;
    }),
  );
}

async function engineSide(path: string): Promise<Side> {
  let batches = 0;
  const { store, engine, users } = await setUp(path, {
    batchCommitted() {
      batches += 1;
    },
  });
  return {
    async slice(count, size) {
      const failures: Record<string, number> = {};
      let ok = 0;
      let submitted = 0;
      batches = 0;
      const lane = async () => {
        while (submitted < count) {
          submitted += 1;
          const [from, to] = pickPair(users);
          const sent = await engine.submit({
            type: "sendTransfer",
            request: { from, to, amount: amount(), memo: "", nature: "unspecified", dueDate: null },
          });
          if (sent.ok) ok += 1;
          else failures[sent.error.code] = (failures[sent.error.code] ?? 0) + 1;
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
 * the engine (untimed) applies `size` transfers while the store's statements are recorded
 * rather than run; then (timed) a separate plain connection to the same file runs exactly
 * those statements with exactly those arguments in one transaction. What the raw side
 * skips is only the engine and the store's JavaScript; SQLite's work is the same.
 */
async function rawSide(path: string): Promise<Side> {
  let batches = 0;
  const store = await openRecordable(() => new SqliteStore({ path }));
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
  const users = await createUsers(engine);
  const db = openPlain(path);
  const replay = replayer(db);
  const record = async (size: number): Promise<Op[]> => {
    const before = batches;
    const ops = await recordRuns(async () => {
      const sent = await Promise.all(
        Array.from({ length: size }, () => {
          const [from, to] = pickPair(users);
          return engine.submit({
            type: "sendTransfer",
            request: { from, to, amount: amount(), memo: "", nature: "unspecified", dueDate: null },
          });
        }),
      );
      if (sent.some((r) => !r.ok) || batches !== before + 1) {
        throw new Error("raw: the recorded batch is not one batch of sent transfers");
      }
    });
    if (ops.length === 0)
      throw new Error("raw: no statement of the store was recorded (does it still prepare its SQL with db.prepare?)");
    return ops;
  };
  return {
    async slice(count, size) {
      let transfers = 0;
      let n = 0;
      let timed = 0;
      let cpu = 0;
      while (transfers < count) {
        const ops = await record(size);
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        replay(ops);
        timed += performance.now() - started;
        cpu += cpuSecondsSince(cpuBefore);
        transfers += size;
        n += 1;
      }
      return { transfers, batches: n, failures: {}, timedSeconds: timed / 1000, timedCpuSeconds: cpu };
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
  let stopProfile: ((name: string) => Promise<void>) | undefined;
  tell({ type: "ready" });
  for (;;) {
    const message = await nextMessage();
    if (message.type === "slice") {
      const { transfers, size, measure } = message as unknown as { transfers: number; size: number; measure: boolean };
      if (measure && stopProfile === undefined) stopProfile = await startProfile();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const { timedSeconds, timedCpuSeconds, ...result } = await side.slice(transfers, size);
      const slice: Slice = {
        ...result,
        seconds: timedSeconds ?? (performance.now() - started) / 1000,
        cpuSeconds: timedCpuSeconds ?? cpuSecondsSince(cpu),
      };
      tell({ type: "slice", ...slice });
    } else if (message.type === "finish" || message.type === "stop") {
      await stopProfile?.(mode === "raw" ? "raw" : "engine");
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
