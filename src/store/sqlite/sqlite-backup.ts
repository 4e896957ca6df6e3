import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";
import { SqliteStore } from "./sqlite-store.js";

/** The newest schema this build knows: a backup made by a newer one is not restored by it. */
export const SCHEMA_VERSION_LATEST = Math.max(...MIGRATIONS.map((migration) => migration.version));

/**
 * better-sqlite3 copies 100 pages a step by default, each step in its own read transaction,
 * and restarts the copy whenever another process writes in between: against a server that
 * commits every few milliseconds it might never finish. One step over every page reads the
 * whole file in one read transaction instead: in WAL mode that never blocks the writer, and
 * the copy is the database as of that transaction's start.
 */
const PAGES_PER_STEP_ALL = 0x7fffffff;

export interface DatabaseCopy {
  readonly schemaVersion: number;
}

/**
 * Copies a live database with SQLite's online backup API into `destination` (a new file),
 * checks the copy and leaves it as one self-contained file (rollback journal, no -wal).
 */
export async function copyDatabase(source: string, destination: string): Promise<DatabaseCopy> {
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    // This connection only reads: it must never migrate or write a file a server is serving.
    db.pragma("query_only = 1");
    await db.backup(destination, { progress: () => PAGES_PER_STEP_ALL });
  } finally {
    db.close();
  }
  const copy = new Database(destination, { fileMustExist: true });
  try {
    copy.pragma("journal_mode = DELETE");
    const integrity = copy.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") throw new Error(`the copy fails SQLite's integrity check: ${String(integrity)}`);
    return { schemaVersion: schemaVersionOf(copy) };
  } finally {
    copy.close();
  }
}

function schemaVersionOf(db: Database.Database): number {
  const known = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (known === undefined) return 0;
  return (db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").pluck().get() as number) ?? 0;
}

export interface RestoredLedger {
  readonly schemaVersion: number;
  readonly accounts: number;
  readonly postings: number;
  readonly users: number;
}

/**
 * Checks a restored file as the server would at start: SQLite's integrity check, then the
 * store's own load checks (every posting balances, every balance is the sum of its entries,
 * none below zero but funding's, all sum to zero). Migrates an older schema forward, as a
 * start would.
 */
export async function checkRestoredDatabase(path: string): Promise<RestoredLedger> {
  const raw = new Database(path, { fileMustExist: true });
  let schemaVersion: number;
  try {
    const integrity = raw.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") throw new Error(`SQLite's integrity check fails: ${String(integrity)}`);
    schemaVersion = schemaVersionOf(raw);
  } finally {
    raw.close();
  }
  if (schemaVersion < 1) throw new Error("the file holds no hongbao schema");
  const store = new SqliteStore({ path, verifyOnLoad: true });
  try {
    const snapshot = await store.load();
    return {
      schemaVersion,
      accounts: snapshot.balances.size,
      postings: snapshot.nextPostingId - 1,
      users: snapshot.users.length,
    };
  } finally {
    await store.close();
  }
}
