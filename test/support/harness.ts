import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { LightMyRequestResponse } from "fastify";
import type { AdmissionOptions } from "../../src/api/admission.js";
import type { CrowdGateOptions } from "../../src/api/crowd-gate.js";
import { createService, type RunningServer, type ServerConfig, type Service, startServer } from "../../src/server.js";
import { keyedHeaders } from "./keys.js";
import { freshPostgresUrl, queryOnce } from "./postgres.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
export const TOKEN_SECRET = "test-token-secret-that-is-at-least-32-bytes";

export interface TestUser {
  readonly userId: string;
  readonly token: string;
  readonly phone: string;
}

export interface TestApp extends Service {
  readonly dir: string;
  readonly db: string;
  /** Sends a request through the app without a socket; `token` "admin" means the admin token. */
  call(method: "GET" | "POST" | "DELETE", url: string, options?: CallOptions): Promise<LightMyRequestResponse>;
  createUser(name?: string): Promise<TestUser>;
  deposit(userId: string, amount: number): Promise<void>;
  /** The sum of every account's balance, read from the store. */
  balanceSum(): Promise<number>;
  /**
   * Rows read straight from the database behind the service, SQLite file or PostgreSQL schema
   * (\`?\` placeholders; both have the tables and a \`balances\` view of id and balance).
   */
  query<T>(sql: string, ...values: unknown[]): Promise<T[]>;
  /** Closes the service and deletes its folder. */
  dispose(): Promise<void>;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /**
   * The Idempotency-Key to send; `null` sends none. Left out, a POST that moves money gets
   * a fresh key (the contract requires one there) and every other request goes without.
   */
  readonly idempotencyKey?: string | null;
}

export { freshKey, keyedHeaders, MONEY_POSTS, movesMoney } from "./keys.js";

let phones = 0;
/** A folder handed in again (a restart) finds the PostgreSQL schema it had. */
const postgresUrlOfDir = new Map<string, string>();

export function nextPhone(): string {
  phones += 1;
  return `+86139${String(process.pid % 10000).padStart(4, "0")}${String(phones).padStart(4, "0")}`;
}

/**
 * Which store the HTTP contract suite runs on: the SQLite file (default), or with
 * HONGBAO_TEST_STORE=postgres a fresh schema on the real PostgreSQL server (npm test runs
 * these files once each way).
 */
export const TEST_STORE = process.env.HONGBAO_TEST_STORE === "postgres" ? "postgres" : "sqlite";

/** A real service on a real SQLite file in a temporary folder, or on a fresh PostgreSQL schema. */
export async function startTestApp(
  options: {
    testClock?: boolean;
    dir?: string;
    admission?: AdmissionOptions;
    gate?: CrowdGateOptions;
    signup?: boolean;
    trustProxy?: string;
    webhooks?: ServerConfig["webhooks"];
  } = {},
): Promise<TestApp> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "hongbao-test-"));
  const db = join(dir, "hongbao.db");
  let postgresUrl: string | undefined;
  if (TEST_STORE === "postgres") {
    postgresUrl = postgresUrlOfDir.get(dir) ?? (await freshPostgresUrl());
    postgresUrlOfDir.set(dir, postgresUrl);
  }
  const service = await createService({
    db,
    ...(postgresUrl === undefined ? {} : { store: postgresUrl }),
    adminToken: ADMIN_TOKEN,
    tokenSecret: TOKEN_SECRET,
    testClock: options.testClock ?? false,
    logLevel: "silent",
    ...(options.admission === undefined ? {} : { admission: options.admission }),
    ...(options.gate === undefined ? {} : { gate: options.gate }),
    ...(options.signup === undefined ? {} : { signup: options.signup }),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  const call: TestApp["call"] = (method, url, callOptions = {}) => {
    const headers = keyedHeaders(method, url, callOptions);
    if (callOptions.token !== undefined) {
      headers.authorization = `Bearer ${callOptions.token === "admin" ? ADMIN_TOKEN : callOptions.token}`;
    }
    return service.app.inject({
      method,
      url,
      headers,
      ...(callOptions.body === undefined
        ? {}
        : typeof callOptions.body === "string"
          ? { payload: callOptions.body, headers: { "content-type": "application/json", ...headers } }
          : { payload: callOptions.body as object }),
    });
  };
  return {
    ...service,
    dir,
    db,
    call,
    async createUser(name = "user") {
      const phone = nextPhone();
      const response = await call("POST", "/v1/admin/users", { token: "admin", body: { phone, name } });
      if (response.statusCode !== 201) throw new Error(`createUser: ${response.statusCode} ${response.body}`);
      const { userId, token } = response.json() as { userId: string; token: string };
      return { userId, token, phone };
    },
    async deposit(userId, amount) {
      const response = await call("POST", "/v1/admin/deposits", { token: "admin", body: { userId, amount } });
      if (response.statusCode !== 201) throw new Error(`deposit: ${response.statusCode} ${response.body}`);
    },
    balanceSum: () => service.context.store.balanceSum(),
    async query<T>(sql: string, ...values: unknown[]): Promise<T[]> {
      if (postgresUrl !== undefined) {
        let n = 0;
        return queryOnce(
          postgresUrl,
          sql.replace(/\?/g, () => `$${++n}`),
          values,
        ) as Promise<T[]>;
      }
      const file = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return file.prepare(sql).all(...values) as T[];
      } finally {
        file.close();
      }
    },
    async dispose() {
      await service.close();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ListeningApp {
  readonly server: RunningServer;
  readonly port: number;
  readonly db: string;
  /** Closes the server and deletes its folder. */
  dispose(): Promise<void>;
}

/** A real server listening on 127.0.0.1 at a port of its own, on a real SQLite file. */
export async function startListeningApp(options: { testClock?: boolean } = {}): Promise<ListeningApp> {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-listening-"));
  const db = join(dir, "hongbao.db");
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    adminToken: ADMIN_TOKEN,
    tokenSecret: TOKEN_SECRET,
    testClock: options.testClock ?? false,
    logLevel: "silent",
  });
  return {
    server,
    port: Number(new URL(server.url).port),
    db,
    async dispose() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
