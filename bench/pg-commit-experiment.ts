/**
 * Where the PostgreSQL store's commit time goes against the raw baseline of
 * `npm run bench:postgres`: the batches an engine commits for a workload are recorded, then
 * replayed on fresh databases of the same server, one per variant, batch by batch in turn
 * (so every variant sees the same noise), each batch timed from BEGIN to COMMIT:
 *
 *   raw            — the baseline's plain inserts (bench/pg-raw.ts)
 *   raw+fence      — the same, plus the store's fence read (SELECT … FOR SHARE of the lease row,
 *                    sent with BEGIN in one simple query, as the store does)
 *   raw+upsert     — the same, with the store's ON CONFLICT … DO UPDATE on transfers
 *   store          — PostgresStore.commit, fenced as a served writer is
 *   store-unfenced — PostgresStore.commit without the fence
 *
 * Usage: node dist/bench/pg-commit-experiment.js [transfer|claim] [batches=30] [size=1000]
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { systemClock } from "../src/engine/clock.js";
import { Engine } from "../src/engine/engine.js";
import type { Batch, LedgerStore } from "../src/engine/store-port.js";
import { calendarFor } from "../src/server.js";
import { PostgresStore } from "../src/store/postgres/postgres-store.js";
import { WriterLease } from "../src/store/postgres/writer-lease.js";
import { median, prng } from "./lib.js";
import { rawBatch } from "./pg-raw.js";
import { makeWorkload, type WorkloadName } from "./workloads.js";

const [workloadArg, batchesArg, sizeArg] = process.argv.slice(2);
const WORKLOAD = (workloadArg ?? "transfer") as WorkloadName;
const BATCHES = Number(batchesArg ?? 30);
const SIZE = Number(sizeArg ?? 1000);
const SERVER = process.env.HONGBAO_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

function urlOf(name: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A client whose statements are rewritten on the way: the raw baseline with one of the store's differences. */
function rewriting(client: pg.Client, rewrite: (sql: string) => string[]): pg.Client {
  return {
    async query(sql: string, values?: unknown[]) {
      let last: unknown;
      for (const [i, statement] of rewrite(sql).entries()) {
        last = await client.query(statement, i === 0 ? values : undefined);
      }
      return last;
    },
  } as unknown as pg.Client;
}

interface Variant {
  readonly name: string;
  readonly write: (batch: Batch) => Promise<void>;
  readonly close: () => Promise<void>;
  readonly times: number[];
}

async function rawVariant(name: string, url: string, rewrite?: (sql: string) => string[]): Promise<Variant> {
  (await PostgresStore.open({ url })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const target = rewrite === undefined ? client : rewriting(client, rewrite);
  return { name, write: (batch) => rawBatch(target, batch), close: () => client.end(), times: [] };
}

async function storeVariant(name: string, url: string, fenced: boolean): Promise<Variant> {
  const store = await PostgresStore.open({ url });
  const lease = new WriterLease({ url });
  if (fenced) store.fenceWith(await lease.acquire(() => {}));
  return {
    name,
    write: (batch) => store.commit(batch),
    close: async () => {
      await lease.close();
      await store.close();
    },
    times: [],
  };
}

const FENCE = "SELECT epoch FROM writer_lease WHERE shard = 0 FOR SHARE";
const names = ["source", "raw", "raw_fence", "raw_upsert", "store", "store_unfenced"].map(
  (n) => `hongbao_exp_${n}_${randomBytes(3).toString("hex")}`,
);
for (const name of names) await onServer(`CREATE DATABASE ${name}`);
const urls = names.map(urlOf);
try {
  // The batches: an engine on its own database, the workload's set-up first.
  const source = await PostgresStore.open({ url: urls[0] as string });
  const setUp: Batch[] = [];
  const timed: Batch[] = [];
  let sink = setUp;
  const recording = new Proxy(source, {
    get(target, property, receiver) {
      if (property === "commit")
        return async (batch: Batch) => {
          await target.commit(batch);
          sink.push(batch);
        };
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as LedgerStore;
  const engine = new Engine({ store: recording, clock: systemClock, calendar: calendarFor(undefined) });
  await engine.start();
  const workload = await makeWorkload(WORKLOAD, engine, 20_000, prng(7));
  await workload.prepare(BATCHES * SIZE);
  sink = timed;
  for (let b = 0; b < BATCHES; b++) {
    await Promise.all(Array.from({ length: SIZE }, () => engine.submit(workload.next())));
  }
  await engine.close();
  await source.close();

  const variants = [
    await rawVariant("raw", urls[1] as string),
    await rawVariant("raw+fence", urls[2] as string, (sql) => (sql === "BEGIN" ? [`BEGIN; ${FENCE}`] : [sql])),
    await rawVariant("raw+upsert", urls[3] as string, (sql) =>
      sql.startsWith("INSERT INTO transfers")
        ? [
            `${sql.replace("INSERT INTO transfers", "INSERT INTO transfers AS t")} ON CONFLICT (shard, id) DO UPDATE SET status = excluded.status, answered_at = excluded.answered_at, loan_acknowledged_at = COALESCE(t.loan_acknowledged_at, excluded.loan_acknowledged_at)`,
          ]
        : [sql],
    ),
    await storeVariant("store", urls[4] as string, true),
    await storeVariant("store-unfenced", urls[5] as string, false),
  ];
  for (const variant of variants) for (const batch of setUp) await variant.write(batch);
  for (const [i, batch] of timed.entries()) {
    // A different variant goes first each batch.
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(i + k) % variants.length] as Variant;
      const started = performance.now();
      await variant.write(batch);
      variant.times.push(performance.now() - started);
    }
  }
  const rawMs = median((variants[0] as Variant).times);
  for (const variant of variants) {
    const ms = median(variant.times);
    console.log(
      JSON.stringify({
        workload: WORKLOAD,
        variant: variant.name,
        batches: timed.length,
        rowsPerBatch: SIZE,
        medianMsPerBatch: Number(ms.toFixed(1)),
        overRaw: Number((ms / rawMs).toFixed(2)),
      }),
    );
    await variant.close();
  }
} finally {
  for (const name of names) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
