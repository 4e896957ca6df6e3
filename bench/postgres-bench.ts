/**
 * `npm run bench:postgres`: durable transfers and campaign claims through the engine on the
 * PostgreSQL store (fenced by the writer lease, as deployed), against raw `pg` batch inserts
 * of the same rows on the same server, in the same run.
 *
 *   engine — Engine + PostgresStore on a fresh database, `size` concurrent submit() loops.
 *   raw    — a plain pg.Client on a second fresh database with the same schema writes exactly
 *            the rows of each batch the engine committed, right after that commit: one
 *            transaction per batch, one `INSERT … SELECT FROM unnest` per table
 *            (bench/pg-raw.ts), no engine, no validation, no fence, no upsert.
 * The raw write of a batch is timed apart and taken out of the engine's time, so both sides
 * are measured batch by batch at the same moment of a shared machine (slices of a side in
 * turn swung 0.3–0.9 for the same code). The ratio engine/raw is the share of PostgreSQL's
 * own write rate the writer keeps. Both connections use the server's synchronous_commit.
 *
 * Usage: node dist/bench/postgres-bench.js [--users 20000] [--slices 4] [--slice 20000] [--size 1000]
 *        [--url postgres://postgres@127.0.0.1:5432/postgres]
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import type { Batch, LedgerStore } from "../src/engine/store-port.js";
import { calendarFor } from "../src/server.js";
import { PostgresStore } from "../src/store/postgres/postgres-store.js";
import { WriterLease } from "../src/store/postgres/writer-lease.js";
import { fmtInt, median, prng, table } from "./lib.js";
import { rawBatch } from "./pg-raw.js";
import { makeWorkload, type WorkloadName } from "./workloads.js";

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "20000" },
    slices: { type: "string", default: "4" },
    slice: { type: "string", default: "20000" },
    size: { type: "string", default: "1000" },
    url: { type: "string", default: process.env.HONGBAO_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres" },
  },
});
const USERS = Number(args.users);
const SLICES = Number(args.slices);
const SLICE = Number(args.slice);
const SIZE = Number(args.size);

function databaseUrl(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: args.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Time spent in each side during a slice, in ms. */
interface Clocks {
  timing: boolean;
  commitMs: number;
  rawMs: number;
  batches: number;
  /** The store's commit time over the raw write's, per batch, by which side wrote first. */
  byOrder: { engineFirst: number[]; rawFirst: number[] };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Tables the raw side writes; a timed batch with rows anywhere else would make the comparison unequal. */
function checkComparable(batch: Batch): void {
  const others = [batch.groups, batch.packets, batch.grabs, batch.idempotency, batch.specialDays];
  if (others.some((rows) => rows.length > 0) || batch.idempotencyForgetBefore !== null) {
    throw new Error("a timed batch writes rows the raw side does not: the figures would not compare");
  }
}

/**
 * The store as the engine sees it. Right after each batch the engine committed, the raw side
 * writes the same batch to its own database (timed apart, and taken out of the engine's
 * time): both sides see the same moment of a shared machine, batch by batch.
 */
function pairedWithRaw(store: LedgerStore, raw: pg.Client, clocks: Clocks): LedgerStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "commit") {
        return async (batch: Batch) => {
          // Who goes first alternates: the second of two writes in a row found the machine
          // in another state than the first (measured both ways; BENCHMARKS.md).
          const rawFirst = clocks.batches % 2 === 1;
          let rawMs = 0;
          if (rawFirst) rawMs = await timed(() => rawBatch(raw, batch));
          const commitMs = await timed(() => target.commit(batch));
          if (!rawFirst) rawMs = await timed(() => rawBatch(raw, batch));
          if (clocks.timing) {
            checkComparable(batch);
            clocks.commitMs += commitMs;
            clocks.rawMs += rawMs;
            clocks.byOrder[rawFirst ? "rawFirst" : "engineFirst"].push(commitMs / rawMs);
          }
          clocks.batches += 1;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

interface Pair {
  readonly engine: number;
  readonly raw: number;
  readonly batches: number;
  /** Of the engine's time in the slice, the share spent waiting for the store's commit. */
  readonly commitShare: number;
  /** The store's commit time over the raw side's time for the same batches. */
  readonly commitOverRaw: number;
}

async function setting(client: pg.Client, name: string): Promise<string> {
  return (await client.query<{ value: string }>("SELECT current_setting($1) AS value", [name])).rows[0]?.value ?? "?";
}

async function measure(
  workloadName: WorkloadName,
): Promise<{ pairs: Pair[]; settings: string; byOrder: Clocks["byOrder"] }> {
  const names = [
    `hongbao_bench_engine_${randomBytes(3).toString("hex")}`,
    `hongbao_bench_raw_${randomBytes(3).toString("hex")}`,
  ];
  await onServer(async (client) => {
    for (const name of names) await client.query(`CREATE DATABASE ${name}`);
  });
  const [engineUrl, rawUrl] = names.map((name) => databaseUrl(args.url as string, name)) as [string, string];
  const store = await PostgresStore.open({ url: engineUrl });
  await (await PostgresStore.open({ url: rawUrl })).close();
  const lease = new WriterLease({ url: engineUrl });
  const raw = new pg.Client({ connectionString: rawUrl });
  await raw.connect();
  const clocks: Clocks = {
    timing: false,
    commitMs: 0,
    rawMs: 0,
    batches: 0,
    byOrder: { engineFirst: [], rawFirst: [] },
  };
  try {
    store.fenceWith(await lease.acquire(() => {}));
    // Both sides commit with the server's synchronous_commit (and fsync): shown, so nobody has to trust it.
    const engineSide = new pg.Client({ connectionString: engineUrl, application_name: "hongbao-writer" });
    await engineSide.connect();
    const settings =
      `synchronous_commit engine ${await setting(engineSide, "synchronous_commit")} / raw ${await setting(raw, "synchronous_commit")}, ` +
      `fsync ${await setting(raw, "fsync")}, wal_sync_method ${await setting(raw, "wal_sync_method")}`;
    await engineSide.end();
    const engine = new Engine({
      store: pairedWithRaw(store, raw, clocks),
      clock: systemClock,
      calendar: calendarFor(undefined),
    });
    await engine.start();
    const workload = await makeWorkload(workloadName, engine, USERS, prng(7));
    const pairs: Pair[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      // Set-up batches (users, deposits) go to both databases untimed.
      await workload.prepare(SLICE);
      let submitted = 0;
      let failed = 0;
      Object.assign(clocks, { timing: true, commitMs: 0, rawMs: 0, batches: 0 });
      const started = performance.now();
      await Promise.all(
        Array.from({ length: SIZE }, async () => {
          while (submitted < SLICE) {
            submitted += 1;
            if (!(await engine.submit(workload.next())).ok) failed += 1;
          }
        }),
      );
      clocks.timing = false;
      const engineMs = performance.now() - started - clocks.rawMs;
      if (failed > 0) throw new Error(`${failed} commands of the ${workloadName} workload failed`);
      pairs.push({
        engine: (SLICE * 1000) / engineMs,
        raw: (SLICE * 1000) / clocks.rawMs,
        batches: clocks.batches,
        commitShare: clocks.commitMs / engineMs,
        commitOverRaw: clocks.commitMs / clocks.rawMs,
      });
    }
    await engine.close();
    const sum = await store.balanceSum();
    if (sum !== 0) throw new Error(`balances sum to ${sum}`);
    return { pairs, settings, byOrder: clocks.byOrder };
  } finally {
    await raw.end();
    await lease.close();
    await store.close();
    await onServer(async (client) => {
      for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  }
}

const PGLEDGER_TRANSFERS_PER_SECOND = 10_000;
const rows: string[][] = [];
for (const workload of ["transfer", "claim"] as const) {
  const { pairs, settings, byOrder } = await measure(workload);
  if (workload === "transfer") console.error(settings);
  const engine = median(pairs.map((p) => p.engine));
  const raw = median(pairs.map((p) => p.raw));
  const ratio = median(pairs.map((p) => p.engine / p.raw));
  rows.push([
    workload,
    fmtInt(engine),
    fmtInt(raw),
    ratio.toFixed(2),
    `${((1_000_000 / engine) | 0).toString()} µs`,
    fmtInt(median(pairs.map((p) => SLICE / p.batches))),
  ]);
  console.error(`${workload}: ${pairs.map((p) => (p.engine / p.raw).toFixed(2)).join(" ")} (ratio per slice)`);
  console.error(
    `${workload}: store commit ${pairs.map((p) => `${(p.commitShare * 100).toFixed(0)}%`).join(" ")} of the engine's time; ` +
      `engine commit / raw ${pairs.map((p) => p.commitOverRaw.toFixed(2)).join(" ")}; ` +
      `per batch (median) with the engine writing first ${median(byOrder.engineFirst).toFixed(2)}, ` +
      `the raw side first ${median(byOrder.rawFirst).toFixed(2)}`,
  );
}
console.log(
  `PostgreSQL store, ${USERS} users, ${SLICES} slices of ${SLICE} commands, ${SIZE} concurrent submitters (medians)`,
);
console.log(
  table(["workload", "engine /s", "raw pg /s", "engine/raw", "writer cost per command", "commands per batch"], rows),
);
const transfers = Number((rows[0] as string[])[1]?.replace(/\D/g, ""));
console.log(
  `transfers/s per PostgreSQL primary: ${fmtInt(transfers)} (${(transfers / PGLEDGER_TRANSFERS_PER_SECOND).toFixed(2)}× pgledger's published > ${fmtInt(PGLEDGER_TRANSFERS_PER_SECOND)}/s)`,
);
