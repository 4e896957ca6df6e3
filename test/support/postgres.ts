import { randomBytes } from "node:crypto";
import { after } from "node:test";
import pg from "pg";

/**
 * Fresh PostgreSQL databases for tests on the real server at 127.0.0.1:5432. A test file
 * (one process under node --test) gets one database with a random name, dropped when the
 * file's tests end; every store or service in it gets its own schema there, so no test
 * sees another's rows. HONGBAO_TEST_PG names another server.
 */
export const SERVER_URL = process.env.HONGBAO_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

let database: Promise<string> | undefined;
let schemas = 0;

function urlOf(name: string, searchPath?: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  if (searchPath !== undefined) url.searchParams.set("options", `-c search_path=${searchPath}`);
  return url.toString();
}

/** Counts and sums come back as numbers, as they do from SQLite. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
      ? Number
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
};

async function admin<T>(work: (client: pg.Client) => Promise<T>, url = SERVER_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, types: TYPES });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the test server; the caller drops it with dropDatabase. */
export async function createDatabase(): Promise<{ name: string; url: string }> {
  const name = `hongbao_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return { name, url: urlOf(name) };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

// Registered when the module loads, so it hooks the file's root test and runs after all of them.
after(async () => {
  const name = await database?.catch(() => undefined);
  if (name !== undefined) await dropDatabase(name);
});

function fileDatabase(): Promise<string> {
  if (database === undefined) {
    database = createDatabase().then(({ name }) => name);
  }
  return database;
}

/** A connection string to a new, empty schema in this test file's database. */
export async function freshPostgresUrl(): Promise<string> {
  const name = await fileDatabase();
  schemas += 1;
  const schema = `s${schemas}_${randomBytes(3).toString("hex")}`;
  await admin((client) => client.query(`CREATE SCHEMA ${schema}`), urlOf(name));
  return urlOf(name, schema);
}

/** Runs one query on `url` with a short-lived connection (tests read the ledger this way). */
export async function queryOnce<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  return admin(async (client) => (await client.query<T>(sql, values)).rows, url);
}
