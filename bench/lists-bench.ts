/**
 * `npm run bench:lists`: what one page of each list costs at a million users, on both stores,
 * against a raw indexed SELECT of the same page on the same database in the same run, and the
 * query plan of each list (every list must walk an index, never scan a table or sort it).
 *
 *   data  — users (default 1 000 000), transfers between random users (1 000 000, one in ten
 *           pending), lucky packets (200 000, half of them in 5 000 groups) with two grabs
 *           each, 500 campaigns; made by SQL on the server (generate_series, a recursive CTE).
 *   list  — store.lists.<list>(…, { limit: 20 }) for random users, as the HTTP route calls it:
 *           the rows mapped to domain objects, a packet page with its grabs.
 *   raw   — the same page's rows by one prepared SELECT down the same index, not mapped.
 *
 * Usage: node dist/bench/lists-bench.js [--users 1000000] [--transfers 1000000] [--packets 200000]
 *        [--pages 2000] [--store sqlite|postgres|both] [--url postgres://postgres@127.0.0.1:5432/postgres]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import type { PageRequest } from "../src/engine/store-port.js";
import {
  campaignsQuery,
  type Dialect,
  type ListQuery,
  packetsQuery,
  transfersQuery,
  usersQuery,
} from "../src/store/lists.js";
import { PostgresStore } from "../src/store/postgres/postgres-store.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { median, prng, table } from "./lib.js";

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000000" },
    transfers: { type: "string", default: "1000000" },
    packets: { type: "string", default: "200000" },
    pages: { type: "string", default: "2000" },
    store: { type: "string", default: "both" },
    url: { type: "string", default: process.env.HONGBAO_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres" },
  },
});
const USERS = Number(args.users);
const TRANSFERS = Number(args.transfers);
const PACKETS = Number(args.packets);
const PAGES = Number(args.pages);
const GROUPS = 5_000;
const CAMPAIGNS = 500;
const T0 = Date.UTC(2026, 0, 1);
const PAGE: PageRequest = { limit: 20, startingAfter: null, endingBefore: null };
const random = prng(20260520);
const userOf = (i: number) => `usr_${i.toString(16).padStart(20, "0")}`;
const groupOf = (i: number) => `grp_${i.toString(16).padStart(20, "0")}`;
const someUser = () => userOf(1 + Math.floor(random() * USERS));

/** One list as the bench drives it: the store's call, the raw SELECT of the same page, and its query for EXPLAIN. */
interface Case {
  readonly name: string;
  /** The index the plan must name. */
  readonly index: string;
  readonly list: (who: string) => Promise<unknown>;
  readonly raw: (who: string) => Promise<unknown>;
  readonly query: (dialect: Dialect, who: string) => ListQuery;
  readonly who: () => string;
}

interface Store {
  readonly label: string;
  readonly dialect: Dialect;
  readonly cases: Case[];
  plan(query: ListQuery): Promise<string>;
  close(): Promise<void>;
}

function cases(
  store: SqliteStore | PostgresStore,
  raw: (sql: string, value: string) => Promise<unknown>,
  shard: string,
): Case[] {
  const someGroup = () => groupOf(1 + Math.floor(random() * GROUPS));
  const rawPage = (table: string, column: string, extra = "") =>
    `SELECT * FROM ${table} WHERE ${shard}${column} = $1${extra} ORDER BY id DESC LIMIT 21`;
  return [
    {
      name: "transfers, all",
      index: "transfers_from",
      list: (who) => store.lists.transfers(who, "all", PAGE),
      raw: (who) => raw(rawPage("transfers", "from_user"), who),
      query: (d, who) => transfersQuery(d, who, "all", PAGE),
      who: someUser,
    },
    {
      name: "transfers, incoming",
      index: "transfers_to",
      list: (who) => store.lists.transfers(who, "incoming", PAGE),
      raw: (who) => raw(rawPage("transfers", "to_user"), who),
      query: (d, who) => transfersQuery(d, who, "incoming", PAGE),
      who: someUser,
    },
    {
      name: "transfers, pending",
      index: "transfers_pending_from",
      list: (who) => store.lists.transfers(who, "pending", PAGE),
      raw: (who) => raw(rawPage("transfers", "from_user", " AND status = 'pending'"), who),
      query: (d, who) => transfersQuery(d, who, "pending", PAGE),
      who: someUser,
    },
    {
      name: "red packets, sent",
      index: "red_packets_sender",
      list: (who) => store.lists.packets({ by: "sender", id: who }, PAGE),
      raw: (who) => raw(rawPage("red_packets", "sender"), who),
      query: (d, who) => packetsQuery(d, { by: "sender", id: who }, PAGE),
      who: someUser,
    },
    {
      name: "red packets, received",
      index: "grabs_user",
      list: (who) => store.lists.packets({ by: "grabber", id: who }, PAGE),
      raw: (who) => raw(`SELECT * FROM grabs WHERE ${shard}user_id = $1 ORDER BY packet_id DESC LIMIT 21`, who),
      query: (d, who) => packetsQuery(d, { by: "grabber", id: who }, PAGE),
      who: someUser,
    },
    {
      name: "a group's red packets",
      index: "red_packets_group",
      list: (who) => store.lists.packets({ by: "group", id: who }, PAGE),
      raw: (who) => raw(rawPage("red_packets", "group_id"), who),
      query: (d, who) => packetsQuery(d, { by: "group", id: who }, PAGE),
      who: someGroup,
    },
    {
      name: "users, a page after one",
      index: "users_created",
      list: (who) => store.lists.users({ ...PAGE, startingAfter: who }),
      raw: (who) =>
        raw(
          `SELECT * FROM users WHERE ${shard}created_at < (SELECT created_at FROM users WHERE ${shard}id = $1) ORDER BY created_at DESC LIMIT 21`,
          who,
        ),
      query: (d, who) => usersQuery(d, { ...PAGE, startingAfter: who }),
      who: someUser,
    },
    {
      name: "campaigns",
      index: "campaigns",
      list: () => store.lists.campaigns(PAGE),
      raw: () => raw(`SELECT * FROM campaigns WHERE ${shard}id <> $1 ORDER BY id DESC LIMIT 21`, ""),
      query: (d) => campaignsQuery(d, PAGE),
      who: () => "",
    },
  ];
}

/** The rows, made by the database itself: a recursive CTE here, generate_series there. */
const SQLITE_FILL = `
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${USERS})
  INSERT INTO users (id, phone, name, created_at) SELECT printf('usr_%020x', i), printf('+86%011d', i), 'u', ${T0} + i FROM s;
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${TRANSFERS})
  INSERT INTO transfers (id, from_user, to_user, amount, memo, nature, status, created_at, refund_at)
    SELECT printf('tr_%020x', i), printf('usr_%020x', f), printf('usr_%020x', CASE WHEN t = f THEN t % ${USERS} + 1 ELSE t END),
      100, '', 'unspecified', CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'accepted' END, ${T0} + i, ${T0} + i + 86400000
    FROM (SELECT i, abs(random()) % ${USERS} + 1 AS f, abs(random()) % ${USERS} + 1 AS t FROM s);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${PACKETS})
  INSERT INTO red_packets (id, sender, kind, amount, count, group_id, greeting, shares, salt, commitment, status, created_at, expires_at)
    SELECT printf('rp_%020x', i), printf('usr_%020x', abs(random()) % ${USERS} + 1), 'lucky', 200, 2,
      CASE WHEN i % 2 = 0 THEN printf('grp_%020x', abs(random()) % ${GROUPS} + 1) END, '', '[100,100]', '', '', 'finished',
      ${T0} + i, ${T0} + i + 86400000
    FROM s;
  INSERT INTO grabs (packet_id, seq, user_id, amount, at)
    SELECT id, 0, printf('usr_%020x', u), 100, created_at FROM
      (SELECT id, created_at, abs(random()) % ${USERS} + 1 AS u FROM red_packets);
  INSERT INTO grabs (packet_id, seq, user_id, amount, at)
    SELECT g.packet_id, 1, printf('usr_%020x', CAST(substr(g.user_id, 5) AS INTEGER) % ${USERS} + 1), 100, g.at FROM grabs g;
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${CAMPAIGNS})
  INSERT INTO campaigns (id, name, budget, amount_rule, starts_at, ends_at, per_user_limit, created_at, status, returned)
    SELECT printf('cmp_%020x', i), 'c', 1000, '{"fixed":1}', ${T0}, ${T0} + 1000, 1, ${T0} + i, 'ended', 1000 FROM s;
  ANALYZE;
`;

// The second grab of a packet goes to the next user by number; hex ids sort like the numbers.
const PG_FILL = `
  INSERT INTO users (shard, id, phone, name, created_at)
    SELECT 0, 'usr_' || lpad(to_hex(i), 20, '0'), '+86' || lpad(i::text, 11, '0'), 'u', ${T0} + i FROM generate_series(1, ${USERS}) i;
  INSERT INTO transfers (shard, id, from_user, to_user, amount, memo, nature, status, created_at, refund_at, nature_hints, warnings)
    SELECT 0, 'tr_' || lpad(to_hex(i), 20, '0'), 'usr_' || lpad(to_hex(f), 20, '0'),
      'usr_' || lpad(to_hex(CASE WHEN t = f THEN t % ${USERS} + 1 ELSE t END), 20, '0'), 100, '', 'unspecified',
      CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'accepted' END, ${T0} + i, ${T0} + i + 86400000, '[]', '[]'
    FROM (SELECT i, (random() * ${USERS - 1})::int + 1 AS f, (random() * ${USERS - 1})::int + 1 AS t
          FROM generate_series(1, ${TRANSFERS}) i) s;
  INSERT INTO red_packets (shard, id, sender, kind, amount, count, group_id, greeting, shares, salt, commitment, status,
      created_at, expires_at, nature_hints, warnings)
    SELECT 0, 'rp_' || lpad(to_hex(i), 20, '0'), 'usr_' || lpad(to_hex((random() * ${USERS - 1})::int + 1), 20, '0'),
      'lucky', 200, 2, CASE WHEN i % 2 = 0 THEN 'grp_' || lpad(to_hex((random() * ${GROUPS - 1})::int + 1), 20, '0') END,
      '', '[100,100]', '', '', 'finished', ${T0} + i, ${T0} + i + 86400000, '[]', '[]'
    FROM generate_series(1, ${PACKETS}) i;
  INSERT INTO grabs (shard, packet_id, seq, user_id, amount, at)
    SELECT 0, id, k, 'usr_' || lpad(to_hex((u + k - 1) % ${USERS} + 1), 20, '0'), 100, created_at
    FROM (SELECT id, created_at, (random() * ${USERS - 1})::int + 1 AS u FROM red_packets) p, generate_series(0, 1) k;
  INSERT INTO campaigns (shard, id, name, budget, amount_rule, starts_at, ends_at, per_user_limit, created_at, status, returned)
    SELECT 0, 'cmp_' || lpad(to_hex(i), 20, '0'), 'c', 1000, '{"fixed":1}', ${T0}, ${T0} + 1000, 1, ${T0} + i, 'ended', 1000
    FROM generate_series(1, ${CAMPAIGNS}) i;
  ANALYZE;
`;

async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-lists-bench-"));
  const path = join(dir, "hongbao.db");
  const store = new SqliteStore({ path, verifyOnLoad: false });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(SQLITE_FILL);
  const statements = new Map<string, Database.Statement>();
  const raw = async (sql: string, value: string) => {
    const text = sql.replace("$1", "?");
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = db.prepare(text);
      statements.set(text, statement);
    }
    return statement.all(value);
  };
  const dialect: Dialect = { placeholder: () => "?", shard: undefined };
  return {
    label: "SQLite",
    dialect,
    cases: cases(store, raw, ""),
    async plan(query) {
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[];
      return rows.map((row) => row.detail).join("; ");
    },
    async close() {
      db.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresStore(): Promise<Store> {
  const name = `hongbao_lists_bench_${process.pid}`;
  const server = new pg.Client({ connectionString: args.url });
  await server.connect();
  await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await server.query(`CREATE DATABASE ${name}`);
  const url = new URL(args.url);
  url.pathname = `/${name}`;
  const store = await PostgresStore.open({ url: url.toString(), verifyOnLoad: false });
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(PG_FILL);
  let prepared = 0;
  const names = new Map<string, string>();
  const raw = async (sql: string, value: string) => {
    let statement = names.get(sql);
    if (statement === undefined) {
      statement = `raw${prepared++}`;
      names.set(sql, statement);
    }
    return (await client.query({ name: statement, text: sql, values: [value] })).rows;
  };
  return {
    label: "PostgreSQL",
    dialect: { placeholder: (n) => `$${n}`, shard: 0 },
    cases: cases(store, raw, "shard = 0 AND "),
    async plan(query) {
      const rows = (await client.query(`EXPLAIN ${query.sql}`, query.params)).rows as { "QUERY PLAN": string }[];
      return rows.map((row) => row["QUERY PLAN"].trim()).join("; ");
    },
    async close() {
      await client.end();
      await store.close();
      await server.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await server.end();
    },
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) * 1000;
}

/** A plan that reads a table from end to end, or sorts a whole set, is a page that grows with the table. */
function planProblem(store: string, plan: string, index: string): string | undefined {
  if (!plan.includes(index)) return `does not use ${index}`;
  if (store === "SQLite" && /SCAN (t|p|g|u|c|transfers|red_packets|grabs|users|campaigns)\b(?! USING)/.test(plan))
    return "scans a table";
  if (store === "PostgreSQL" && /Seq Scan/.test(plan)) return "scans a table";
  return undefined;
}

async function run(store: Store): Promise<string[][]> {
  const rows: string[][] = [];
  for (const each of store.cases) {
    const plan = await store.plan(each.query(store.dialect, each.who()));
    const problem = planProblem(store.label, plan, each.index);
    console.log(`${store.label} ${each.name}: ${plan}`);
    if (problem !== undefined) throw new Error(`${store.label} ${each.name}: the plan ${problem}: ${plan}`);
    for (let i = 0; i < 100; i++) {
      const who = each.who();
      await each.list(who);
      await each.raw(who);
    }
    const list: number[] = [];
    const raw: number[] = [];
    // Alternate, so both sides see the same noise of a shared machine.
    for (let i = 0; i < PAGES; i++) {
      const who = each.who();
      list.push(await timed(() => each.list(who)));
      raw.push(await timed(() => each.raw(who)));
    }
    const listUs = median(list);
    const rawUs = median(raw);
    rows.push([store.label, each.name, listUs.toFixed(0), rawUs.toFixed(0), (listUs / rawUs).toFixed(2)]);
  }
  return rows;
}

async function main(): Promise<void> {
  console.log(
    `lists bench: ${USERS} users, ${TRANSFERS} transfers, ${PACKETS} packets (${2 * PACKETS} grabs), ${PAGES} pages of 20 per list`,
  );
  const rows: string[][] = [];
  for (const make of [
    ...(args.store === "postgres" ? [] : [sqliteStore]),
    ...(args.store === "sqlite" ? [] : [postgresStore]),
  ]) {
    const started = performance.now();
    const store = await make();
    console.log(`${store.label}: data made in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    try {
      rows.push(...(await run(store)));
    } finally {
      await store.close();
    }
  }
  console.log(table(["store", "list (page of 20)", "list µs p50", "raw SELECT µs p50", "list/raw"], rows));
}

await main();
