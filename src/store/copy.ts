import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { Snapshot } from "../engine/store-port.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";

/**
 * `hongbao store copy`: moves a deployment from its SQLite file to an empty PostgreSQL
 * database. The columns of both schemas have the same names and the same numbers (fen,
 * milliseconds), so a row goes over as it is, with the shard it belongs to (0) in front.
 */
interface TableCopy {
  readonly table: string;
  /** Columns and their PostgreSQL types, in order. */
  readonly columns: readonly (readonly [string, string])[];
  readonly orderBy: string;
  /** Without the shard column (global tables). */
  readonly global?: boolean;
}

const TABLES: readonly TableCopy[] = [
  {
    table: "users",
    columns: [
      ["id", "text"],
      ["phone", "text"],
      ["name", "text"],
      ["created_at", "bigint"],
    ],
    orderBy: "id",
  },
  {
    table: "postings",
    columns: [
      ["id", "bigint"],
      ["kind", "text"],
      ["ref", "text"],
      ["at", "bigint"],
    ],
    orderBy: "id",
  },
  {
    table: "entries",
    columns: [
      ["id", "bigint"],
      ["posting_id", "bigint"],
      ["account", "text"],
      ["amount", "bigint"],
      ["balance_after", "bigint"],
    ],
    orderBy: "id",
  },
  {
    table: "transfers",
    columns: [
      ["id", "text"],
      ["from_user", "text"],
      ["to_user", "text"],
      ["amount", "bigint"],
      ["memo", "text"],
      ["nature", "text"],
      ["due_date", "text"],
      ["status", "text"],
      ["created_at", "bigint"],
      ["refund_at", "bigint"],
      ["answered_at", "bigint"],
      ["nature_hints", "text"],
      ["warnings", "text"],
      ["loan_acknowledged_at", "bigint"],
    ],
    orderBy: "id",
  },
  {
    table: "idempotency",
    columns: [
      ["scope", "text"],
      ["key", "text"],
      ["request_hash", "text"],
      ["outcome", "text"],
      ["created_at", "bigint"],
    ],
    orderBy: "scope, key",
  },
  {
    table: "groups",
    columns: [
      ["id", "text"],
      ["name", "text"],
      ["owner", "text"],
      ["created_at", "bigint"],
    ],
    orderBy: "id",
  },
  {
    table: "group_members",
    columns: [
      ["group_id", "text"],
      ["position", "integer"],
      ["user_id", "text"],
    ],
    orderBy: "group_id, position",
  },
  {
    table: "red_packets",
    columns: [
      ["id", "text"],
      ["sender", "text"],
      ["kind", "text"],
      ["amount", "bigint"],
      ["count", "integer"],
      ["group_id", "text"],
      ["recipient", "text"],
      ["greeting", "text"],
      ["cover_id", "text"],
      ["password_hash", "text"],
      ["shares", "text"],
      ["salt", "text"],
      ["commitment", "text"],
      ["status", "text"],
      ["created_at", "bigint"],
      ["expires_at", "bigint"],
      ["settled_at", "bigint"],
      ["nature_hints", "text"],
      ["warnings", "text"],
    ],
    orderBy: "id",
  },
  {
    table: "grabs",
    columns: [
      ["packet_id", "text"],
      ["seq", "integer"],
      ["user_id", "text"],
      ["amount", "bigint"],
      ["at", "bigint"],
    ],
    orderBy: "packet_id, seq",
  },
  {
    table: "campaigns",
    columns: [
      ["id", "text"],
      ["name", "text"],
      ["budget", "bigint"],
      ["amount_rule", "text"],
      ["starts_at", "bigint"],
      ["ends_at", "bigint"],
      ["per_user_limit", "integer"],
      ["created_at", "bigint"],
      ["status", "text"],
      ["returned", "bigint"],
      ["paused_at", "bigint"],
      ["closed_at", "bigint"],
      ["claimed_count", "bigint"],
      ["claimed_amount", "bigint"],
    ],
    orderBy: "id",
  },
  {
    table: "campaign_claims",
    columns: [
      ["campaign_id", "text"],
      ["user_id", "text"],
      ["n", "integer"],
      ["amount", "bigint"],
      ["at", "bigint"],
      ["posting_id", "bigint"],
    ],
    orderBy: "campaign_id, user_id, n",
  },
  { table: "special_days", columns: [["rule", "text"]], orderBy: "id", global: true },
  // Identity and covers (migration 10) belong to the deployment, not a shard.
  {
    table: "api_keys",
    columns: [
      ["id", "text"],
      ["name", "text"],
      ["scopes", "text"],
      ["secret_hash", "text"],
      ["previous_hash", "text"],
      ["previous_until", "bigint"],
      ["created_at", "bigint"],
      ["rotated_at", "bigint"],
      ["revoked_at", "bigint"],
    ],
    orderBy: "id",
    global: true,
  },
  {
    table: "signing_keys",
    columns: [
      ["kid", "text"],
      ["secret", "text"],
      ["created_at", "bigint"],
      ["retired_at", "bigint"],
    ],
    orderBy: "kid",
    global: true,
  },
  {
    table: "token_generations",
    columns: [
      ["user_id", "text"],
      ["generation", "integer"],
    ],
    orderBy: "user_id",
    global: true,
  },
  {
    table: "external_subjects",
    columns: [
      ["issuer", "text"],
      ["subject", "text"],
      ["user_id", "text"],
      ["linked_at", "bigint"],
    ],
    orderBy: "issuer, subject",
    global: true,
  },
  {
    table: "covers",
    columns: [
      ["id", "text"],
      ["name", "text"],
      ["media_type", "text"],
      ["width", "integer"],
      ["height", "integer"],
      ["image", "bytea"],
      ["etag", "text"],
      ["created_at", "bigint"],
    ],
    orderBy: "id",
    global: true,
  },
  {
    table: "events",
    columns: [
      ["seq", "bigint"],
      ["type", "text"],
      ["subject", "text"],
      ["at", "bigint"],
      ["data", "text"],
    ],
    orderBy: "seq",
  },
  {
    table: "event_users",
    columns: [
      ["user_id", "text"],
      ["seq", "bigint"],
    ],
    orderBy: "user_id, seq",
  },
  {
    table: "webhook_endpoints",
    columns: [
      ["id", "text"],
      ["url", "text"],
      ["event_types", "text"],
      ["secret", "text"],
      ["previous_secret", "text"],
      ["previous_secret_until", "bigint"],
      ["created_at", "bigint"],
      ["after_seq", "bigint"],
    ],
    orderBy: "id",
    global: true,
  },
  {
    table: "webhook_deliveries",
    columns: [
      ["endpoint_id", "text"],
      ["seq", "bigint"],
      ["event_type", "text"],
      ["state", "text"],
      ["attempts", "integer"],
      ["next_attempt_at", "bigint"],
      ["first_attempt_at", "bigint"],
      ["last_attempt_at", "bigint"],
      ["last_status", "integer"],
      ["last_error", "text"],
      ["delivered_at", "bigint"],
    ],
    orderBy: "endpoint_id, seq",
  },
  { table: "webhook_cursor", columns: [["seq", "bigint"]], orderBy: "id" },
];

/** Rows sent in one statement: big enough to cost few round trips, small enough to bound memory. */
const ROWS_PER_INSERT = 10_000;

export interface CopyReport {
  readonly rows: Record<string, number>;
  readonly users: number;
  readonly accounts: number;
  readonly balanceSum: number;
  readonly seconds: { readonly checkSource: number; readonly copy: number; readonly checkTarget: number };
}

export class CopyRefused extends Error {}

/**
 * Copies every row of the SQLite file at `from` into the empty PostgreSQL database at `to`, in
 * one transaction, after checking the source's ledger; then loads the target with the same
 * checks and compares the two. The writer of `from` must be stopped first: rows it commits
 * during the copy are not in the copy's snapshot.
 */
export async function copySqliteToPostgres(from: string, to: string, log: (line: string) => void): Promise<CopyReport> {
  if (!existsSync(from)) throw new CopyRefused(`${from}: no such SQLite file`);
  const t0 = performance.now();
  const source = openSource(from);
  let sourceSnapshot: Snapshot;
  try {
    sourceSnapshot = await source.load();
  } finally {
    await source.close();
  }
  log(`source checked: ${sourceSnapshot.users.length} users, postings balance, balances sum to 0`);
  const t1 = performance.now();
  const target = await PostgresStore.open({ url: to });
  await target.close();
  const rows = await copyRows(from, to, log);
  const t2 = performance.now();
  const copied = await PostgresStore.open({ url: to });
  let targetSnapshot: Snapshot;
  let balanceSum: number;
  try {
    targetSnapshot = await copied.load();
    balanceSum = await copied.balanceSum();
  } finally {
    await copied.close();
  }
  compareSnapshots(sourceSnapshot, targetSnapshot);
  const t3 = performance.now();
  return {
    rows,
    users: targetSnapshot.users.length,
    accounts: targetSnapshot.balances.size,
    balanceSum,
    seconds: { checkSource: (t1 - t0) / 1000, copy: (t2 - t1) / 1000, checkTarget: (t3 - t2) / 1000 },
  };
}

/** The source store; a file SQLite cannot open (a folder, not a database) is a refusal naming it. */
function openSource(from: string): SqliteStore {
  try {
    return new SqliteStore({ path: from });
  } catch (error) {
    throw new CopyRefused(`${from}: not a SQLite database SQLite can open (${(error as Error).message})`);
  }
}

async function copyRows(from: string, to: string, log: (line: string) => void): Promise<Record<string, number>> {
  const sqlite = new Database(from, { readonly: true, fileMustExist: true });
  const client = new pg.Client({ connectionString: to, application_name: "hongbao-store-copy" });
  await client.connect();
  const rows: Record<string, number> = {};
  try {
    // One read transaction: every table from the same instant of the file.
    sqlite.exec("BEGIN");
    await client.query("BEGIN");
    await refuseNonEmpty(client);
    for (const spec of TABLES) {
      rows[spec.table] = await copyTable(sqlite, client, spec);
      log(`${spec.table}: ${rows[spec.table]} rows`);
    }
    await copyKeys(from, client);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    if (sqlite.inTransaction) sqlite.exec("COMMIT");
    sqlite.close();
    await client.end();
  }
  return rows;
}

async function refuseNonEmpty(client: pg.Client): Promise<void> {
  // The lock makes a writer that starts meanwhile wait for the copy, instead of racing it.
  await client.query(`LOCK TABLE ${TABLES.map((t) => t.table).join(", ")}, writer_lease IN EXCLUSIVE MODE`);
  for (const table of [...TABLES.map((t) => t.table), "service_keys"]) {
    const { rowCount } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
    if (rowCount !== 0) throw new CopyRefused(`the target is not empty (${table} has rows): refusing to copy over it`);
  }
  const lease = await client.query<{ epoch: string }>("SELECT epoch FROM writer_lease WHERE epoch > 0 LIMIT 1");
  if (lease.rowCount !== 0) throw new CopyRefused("a writer has already served from the target: refusing to copy");
}

async function copyTable(sqlite: Database.Database, client: pg.Client, spec: TableCopy): Promise<number> {
  const names = spec.columns.map(([name]) => name);
  const read = sqlite.prepare(`SELECT ${names.join(", ")} FROM ${spec.table} ORDER BY ${spec.orderBy}`).raw();
  const offset = spec.global === true ? 1 : 2;
  const arrays = spec.columns.map(([, type], i) => `$${i + offset}::${type}[]`).join(", ");
  const list = names.join(", ");
  // Global tables keep their order (special days' new identities follow the ORDER BY); the rest keep their keys.
  const insertSql = spec.global
    ? `INSERT INTO ${spec.table} (${list}) SELECT ${list} FROM unnest(${arrays}) WITH ORDINALITY AS r(${list}, n) ORDER BY n`
    : `INSERT INTO ${spec.table} (shard, ${list}) SELECT $1, * FROM unnest(${arrays})`;
  let columns: unknown[][] = names.map(() => []);
  let count = 0;
  let pending = 0;
  const flush = async () => {
    if (pending === 0) return;
    await client.query(insertSql, spec.global === true ? columns : [0, ...columns]);
    columns = names.map(() => []);
    pending = 0;
  };
  for (const row of read.iterate() as Iterable<unknown[]>) {
    for (let i = 0; i < row.length; i++) (columns[i] as unknown[]).push(row[i]);
    pending += 1;
    count += 1;
    if (pending === ROWS_PER_INSERT) await flush();
  }
  await flush();
  return count;
}

/** The token key and the evidence key kept beside the SQLite file go into the database, so tokens and records stay valid. */
async function copyKeys(from: string, client: pg.Client): Promise<void> {
  const folder = dirname(from);
  const keys: [string, string][] = [];
  const tokenSecret = join(folder, "token-secret");
  if (existsSync(tokenSecret)) keys.push(["token-secret", readFileSync(tokenSecret, "utf8").trim()]);
  const evidenceKey = join(folder, "evidence-key.pem");
  if (existsSync(evidenceKey)) keys.push(["evidence-key", readFileSync(evidenceKey, "utf8")]);
  for (const [name, value] of keys) {
    await client.query("INSERT INTO service_keys (name, value) VALUES ($1, $2)", [name, value]);
  }
}

/** The two loads must agree on everything memory is rebuilt from. */
function compareSnapshots(source: Snapshot, target: Snapshot): void {
  const differ = (what: string) => {
    throw new Error(`the copy differs from the source: ${what}`);
  };
  if (source.balances.size !== target.balances.size) differ("number of accounts");
  for (const [account, balance] of source.balances) {
    if (target.balances.get(account) !== balance) differ(`balance of ${account}`);
  }
  if (source.users.length !== target.users.length) differ("number of users");
  if (source.nextPostingId !== target.nextPostingId) differ("next posting id");
  if (source.nextEntryId !== target.nextEntryId) differ("next entry id");
  if (source.nextEventSeq !== target.nextEventSeq) differ("next event number");
  if (source.pendingTransfers.length !== target.pendingTransfers.length) differ("pending transfers");
  if (source.activePackets.length !== target.activePackets.length) differ("open packets");
  if (source.openCampaigns.length !== target.openCampaigns.length) differ("open campaigns");
  if (source.groups.length !== target.groups.length) differ("groups");
  if (JSON.stringify(source.specialDays) !== JSON.stringify(target.specialDays)) differ("special days");
}
