/**
 * Records the SQL a SqliteStore runs when it commits a batch, so the bench can run exactly
 * those statements, with exactly those arguments, elsewhere: on a plain better-sqlite3
 * connection (the raw baseline) or in a worker thread (the off-thread commit prototype).
 * It follows the store as it changes: nothing here knows its tables or its SQL.
 */
import Database from "better-sqlite3";
import { openConnection } from "../src/store/sqlite/batch-writer.js";

/** One statement run: its SQL and the arguments it was run with. */
export type Op = [source: string, args: unknown[]];

let recording: Op[] | undefined;

/**
 * Runs `open` (which builds a store) with better-sqlite3's prepare() patched, so that every
 * statement prepared meanwhile records its run() calls instead of executing them while
 * recordRuns() is under way. Outside recordRuns() those statements behave as usual.
 */
export async function openRecordable<T>(open: () => T | Promise<T>): Promise<T> {
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function patched(this: Database.Database, source: string) {
    const statement = prepare.call(this, source) as Database.Statement;
    const run = statement.run;
    Object.assign(statement, {
      run(this: Database.Statement, ...args: unknown[]) {
        if (recording === undefined) return run.apply(this, args);
        recording.push([source, args]);
        return { changes: 1, lastInsertRowid: 0 };
      },
    });
    return statement;
  } as typeof prepare;
  try {
    return await open();
  } finally {
    Database.prototype.prepare = prepare;
  }
}

/** The statements recordable stores ran (without executing them) while `work` ran. */
export async function recordRuns(work: () => unknown): Promise<Op[]> {
  if (recording !== undefined) throw new Error("recordRuns does not nest");
  const ops: Op[] = [];
  recording = ops;
  try {
    await work();
  } finally {
    recording = undefined;
  }
  return ops;
}

/** Opens a plain connection with the store's durability settings. */
export const openPlain = openConnection;

/** A function that runs recorded statements on `db` in one transaction. */
export function replayer(db: Database.Database): (ops: Op[]) => void {
  return db.transaction(statementRunner(db));
}

/** A function that runs recorded statements on `db`, each prepared once, in whatever transaction is open. */
export function statementRunner(db: Database.Database): (ops: Op[]) => void {
  const statements = new Map<string, Database.Statement>();
  return (ops) => {
    for (const [source, args] of ops) {
      let statement = statements.get(source);
      if (statement === undefined) {
        statement = db.prepare(source);
        statements.set(source, statement);
      }
      statement.run(...args);
    }
  };
}
