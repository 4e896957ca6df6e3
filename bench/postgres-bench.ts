/**
 * `npm run bench:postgres`: durable transfers and campaign claims through the engine on the
 * PostgreSQL store (fenced by the writer lease, as deployed), against raw `pg` batch inserts
 * of the same rows on the same server, in the same run.
 *
 *   engine — Engine + PostgresStore on a fresh database, `size` concurrent submit() loops.
 *            The batches the engine commits are kept (a wrapper around the store port).
 *   raw    — a plain pg.Client on a second fresh database with the same schema writes exactly
 *            those batches' rows: one transaction per batch, one `INSERT … SELECT FROM unnest`
 *            per table, no engine, no validation, no fence.
 * Slices alternate (engine, then raw with the batches of that engine slice), so both see
 * the same noise of a shared machine. The ratio engine/raw is the share of PostgreSQL's own
 * write rate the writer keeps.
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

/** The store as the engine sees it, keeping every batch it commits for the raw side. */
function recording(store: LedgerStore, batches: Batch[]): LedgerStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "commit") {
        return async (batch: Batch) => {
          await target.commit(batch);
          batches.push(batch);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type Column = readonly [name: string, type: string, value: (row: never) => unknown];

/** Raw inserts: one statement per table and batch, the rows as one array per column. */
async function insertRows(client: pg.Client, table: string, columns: readonly Column[], rows: readonly unknown[]) {
  if (rows.length === 0) return;
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  await client.query(
    `INSERT INTO ${table} (shard, ${columns.map(([name]) => name).join(", ")}) SELECT 0, * FROM unnest(${arrays})`,
    columns.map(([, , value]) => rows.map((row) => value(row as never))),
  );
}

const json = (value: unknown) => JSON.stringify(value);

/** Writes one batch's rows as plainly as PostgreSQL allows (the workloads only insert, but campaigns and transfers may repeat). */
async function rawBatch(client: pg.Client, batch: Batch): Promise<void> {
  await client.query("BEGIN");
  await insertRows(
    client,
    "users",
    [
      ["id", "text", (u: Batch["users"][number]) => u.id],
      ["phone", "text", (u: Batch["users"][number]) => u.phone],
      ["name", "text", (u: Batch["users"][number]) => u.name],
      ["created_at", "bigint", (u: Batch["users"][number]) => u.createdAt],
    ],
    batch.users,
  );
  type P = Batch["postings"][number];
  await insertRows(
    client,
    "postings",
    [
      ["id", "bigint", (p: P) => p.id],
      ["kind", "text", (p: P) => p.kind],
      ["ref", "text", (p: P) => p.ref],
      ["at", "bigint", (p: P) => p.at],
    ],
    batch.postings,
  );
  type L = { posting: P; leg: P["legs"][number] };
  await insertRows(
    client,
    "entries",
    [
      ["id", "bigint", (l: L) => l.leg.entryId],
      ["posting_id", "bigint", (l: L) => l.posting.id],
      ["account", "text", (l: L) => l.leg.account],
      ["amount", "bigint", (l: L) => l.leg.amount],
      ["balance_after", "bigint", (l: L) => l.leg.balanceAfter],
    ],
    batch.postings.flatMap((posting) => posting.legs.map((leg) => ({ posting, leg }))),
  );
  type T = Batch["transfers"][number];
  await insertRows(
    client,
    "transfers",
    [
      ["id", "text", (t: T) => t.id],
      ["from_user", "text", (t: T) => t.from],
      ["to_user", "text", (t: T) => t.to],
      ["amount", "bigint", (t: T) => t.amount],
      ["memo", "text", (t: T) => t.memo],
      ["nature", "text", (t: T) => t.nature],
      ["due_date", "text", (t: T) => t.dueDate],
      ["status", "text", (t: T) => t.status],
      ["created_at", "bigint", (t: T) => t.createdAt],
      ["refund_at", "bigint", (t: T) => t.refundAt],
      ["answered_at", "bigint", (t: T) => t.answeredAt],
      ["nature_hints", "text", (t: T) => json(t.natureHints)],
      ["warnings", "text", (t: T) => json(t.warnings)],
      ["loan_acknowledged_at", "bigint", (t: T) => t.loanAcknowledgedAt],
    ],
    batch.transfers,
  );
  type C = Batch["campaigns"][number];
  await insertRows(
    client,
    "campaigns",
    [
      ["id", "text", (c: C) => c.id],
      ["name", "text", (c: C) => c.name],
      ["budget", "bigint", (c: C) => c.budget],
      ["amount_rule", "text", (c: C) => json(c.amount)],
      ["starts_at", "bigint", (c: C) => c.startsAt],
      ["ends_at", "bigint", (c: C) => c.endsAt],
      ["per_user_limit", "integer", (c: C) => c.perUserLimit],
      ["created_at", "bigint", (c: C) => c.createdAt],
      ["status", "text", (c: C) => c.status],
      ["returned", "bigint", (c: C) => c.returned],
    ],
    batch.campaigns,
  );
  type K = Batch["claims"][number];
  await insertRows(
    client,
    "campaign_claims",
    [
      ["campaign_id", "text", (k: K) => k.campaignId],
      ["user_id", "text", (k: K) => k.userId],
      ["n", "integer", (k: K) => k.n],
      ["amount", "bigint", (k: K) => k.amount],
      ["at", "bigint", (k: K) => k.at],
      ["posting_id", "bigint", (k: K) => k.postingId],
    ],
    batch.claims,
  );
  await client.query("COMMIT");
}

interface Pair {
  readonly engine: number;
  readonly raw: number;
  readonly batches: number;
}

async function measure(workloadName: WorkloadName): Promise<Pair[]> {
  const names = [
    `hongbao_bench_engine_${randomBytes(3).toString("hex")}`,
    `hongbao_bench_raw_${randomBytes(3).toString("hex")}`,
  ];
  await onServer(async (client) => {
    for (const name of names) await client.query(`CREATE DATABASE ${name}`);
  });
  const [engineUrl, rawUrl] = names.map((name) => databaseUrl(args.url as string, name)) as [string, string];
  const store = await PostgresStore.open({ url: engineUrl });
  (await PostgresStore.open({ url: rawUrl })).close();
  const lease = new WriterLease({ url: engineUrl });
  const raw = new pg.Client({ connectionString: rawUrl });
  await raw.connect();
  const batches: Batch[] = [];
  try {
    store.fenceWith(await lease.acquire(() => {}));
    const engine = new Engine({
      store: recording(store, batches),
      clock: systemClock,
      calendar: calendarFor(undefined),
    });
    await engine.start();
    const workload = await makeWorkload(workloadName, engine, USERS, prng(7));
    const pairs: Pair[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      await workload.prepare(SLICE);
      // Set-up batches (users, deposits) go to the raw database untimed.
      for (const batch of batches.splice(0)) await rawBatch(raw, batch);
      let submitted = 0;
      let failed = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: SIZE }, async () => {
          while (submitted < SLICE) {
            submitted += 1;
            if (!(await engine.submit(workload.next())).ok) failed += 1;
          }
        }),
      );
      const engineSeconds = (performance.now() - started) / 1000;
      if (failed > 0) throw new Error(`${failed} commands of the ${workloadName} workload failed`);
      const sliceBatches = batches.splice(0);
      const rawStarted = performance.now();
      for (const batch of sliceBatches) await rawBatch(raw, batch);
      const rawSeconds = (performance.now() - rawStarted) / 1000;
      pairs.push({ engine: SLICE / engineSeconds, raw: SLICE / rawSeconds, batches: sliceBatches.length });
    }
    await engine.close();
    const sum = await store.balanceSum();
    if (sum !== 0) throw new Error(`balances sum to ${sum}`);
    return pairs;
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
  const pairs = await measure(workload);
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
