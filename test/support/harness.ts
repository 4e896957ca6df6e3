import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { AdmissionOptions } from "../../src/api/admission.js";
import type { CrowdGateOptions } from "../../src/api/crowd-gate.js";
import type { ExchangeConfig } from "../../src/api/exchange.js";
import type { LiveEventsOptions } from "../../src/api/live-events.js";
import { createEdgeService, type EdgeService } from "../../src/edge/edge-service.js";
import { createService, type RunningServer, type ServerConfig, type Service, startServer } from "../../src/server.js";
import { type EdgeProcess, injectOver, NO_BUN, startEdgeProcess, TEST_BUN } from "./bun-edge.js";
import { keyedHeaders } from "./keys.js";
import { freshPostgresUrl, queryOnce } from "./postgres.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
export const TOKEN_SECRET = "test-token-secret-that-is-at-least-32-bytes";
export const WIRE_SECRET = "test-wire-secret";

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
  /** The edges requests go to with HONGBAO_TEST_EDGES; empty otherwise. */
  readonly edges: TestEdges;
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

/**
 * How many edge processes' apps the HTTP contract suite talks to: 0 (default) sends requests
 * to the one process; with HONGBAO_TEST_EDGES=2 the service is a writer serving the wire on a
 * Unix socket and requests go in turn to two edges (src/edge), each a full app of its own.
 */
export const TEST_EDGES = Number(process.env.HONGBAO_TEST_EDGES ?? "0");

/**
 * What the edges of HONGBAO_TEST_EDGES run on: in this process (node, the default), or with
 * HONGBAO_TEST_EDGE_RUNTIME=bun as Bun processes of dist/src/edge/main.js (Bun.serve in front)
 * dialling the writer's socket, requests going to them over real HTTP.
 */
export const TEST_EDGE_RUNTIME = process.env.HONGBAO_TEST_EDGE_RUNTIME === "bun" ? "bun" : "node";
const ON_BUN_EDGES = TEST_EDGE_RUNTIME === "bun" && TEST_EDGES > 0;

/**
 * A test's skip when the suite runs against Bun edges: `reason` says why it cannot run across
 * processes (it picks the client's address, moves the writer's test clock and needs the edges
 * to follow at once, or reads an edge's memory); false otherwise.
 */
export const skipOnBunEdges = (reason: string): string | false => (ON_BUN_EDGES ? `Bun edges: ${reason}` : false);

/** The edges' view of the writer, for tests that look at it; empty without HONGBAO_TEST_EDGES. */
export type TestEdges = readonly EdgeService[];

/** A real service on a real SQLite file in a temporary folder, or on a fresh PostgreSQL schema. */
export async function startTestApp(
  options: {
    testClock?: boolean;
    dir?: string;
    admission?: AdmissionOptions;
    gate?: CrowdGateOptions;
    signup?: boolean;
    trustProxy?: string;
    live?: LiveEventsOptions;
    corsOrigins?: string[];
    exchange?: ExchangeConfig;
    /** A rules document's path (config/rules.json's shape). */
    rules?: string;
    /** Edges in front of the service as a writer; HONGBAO_TEST_EDGES when left out. */
    edges?: number;
    /** Serve the wire at `dir`/writer.sock even without edges here (edges of other processes dial it). */
    wire?: boolean;
    webhooks?: ServerConfig["webhooks"];
  } = {},
): Promise<TestApp> {
  const edgeCount = options.edges ?? TEST_EDGES;
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
    ...(options.live === undefined ? {} : { live: options.live }),
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
    ...(options.exchange === undefined ? {} : { exchange: options.exchange }),
    ...(options.rules === undefined ? {} : { rules: options.rules }),
    ...(edgeCount > 0 || options.wire === true
      ? { wire: { path: join(dir, "writer.sock"), secret: WIRE_SECRET } }
      : {}),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  const edges: EdgeService[] = [];
  const edgeProcesses: EdgeProcess[] = [];
  const bunEdges = ON_BUN_EDGES && options.edges === undefined;
  try {
    if (bunEdges) {
      if (NO_BUN !== false) throw new Error(`HONGBAO_TEST_EDGE_RUNTIME=bun: ${NO_BUN}`);
      const started = await Promise.allSettled(
        Array.from({ length: edgeCount }, () =>
          startEdgeProcess({
            socket: join(dir, "writer.sock"),
            secret: WIRE_SECRET,
            runtime: TEST_BUN as string,
            ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
            tuning: { gate: options.gate, admission: options.admission },
          }),
        ),
      );
      for (const result of started) if (result.status === "fulfilled") edgeProcesses.push(result.value);
      const failed = started.find((result) => result.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    }
    for (let i = 0; i < (bunEdges ? 0 : edgeCount); i++) {
      edges.push(
        await createEdgeService({
          writer: { path: join(dir, "writer.sock") },
          secret: WIRE_SECRET,
          name: `test-edge-${i}`,
          ...(service.context.testClock === undefined ? {} : { testClock: service.context.testClock }),
          logLevel: "silent",
          ...(options.admission === undefined ? {} : { admission: options.admission }),
          ...(options.gate === undefined ? {} : { gate: options.gate }),
          ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
        }),
      );
    }
  } catch (error) {
    for (const edge of edges) await edge.close();
    for (const edge of edgeProcesses) await edge.stop();
    await service.close();
    throw error;
  }
  const agent = new Agent({ keepAlive: true });
  /** An edge process as much of a Fastify app as the tests use: inject (over HTTP), listen, its address. */
  const overHttp = (edge: EdgeProcess) =>
    ({
      inject: injectOver(edge.port, agent),
      listen: async () => `http://127.0.0.1:${edge.port}`,
      server: { address: () => ({ address: "127.0.0.1", family: "IPv4", port: edge.port }) },
    }) as unknown as FastifyInstance;
  const remoteApps = edgeProcesses.map(overHttp);
  let turn = 0;
  /** The app the next request goes to: the one process, or the edges in turn. */
  const nextApp = () => {
    if (remoteApps.length > 0) {
      turn = (turn + 1) % remoteApps.length;
      return remoteApps[turn] as FastifyInstance;
    }
    if (edges.length === 0) return service.app;
    turn = (turn + 1) % edges.length;
    return (edges[turn] as EdgeService).app;
  };
  const stopEdges = async () => {
    for (const edge of edges) await edge.close();
    await Promise.all(edgeProcesses.map((edge) => edge.stop()));
    agent.destroy();
  };
  const call: TestApp["call"] = (method, url, callOptions = {}) => {
    const headers = keyedHeaders(method, url, callOptions);
    if (callOptions.token !== undefined) {
      headers.authorization = `Bearer ${callOptions.token === "admin" ? ADMIN_TOKEN : callOptions.token}`;
    }
    return nextApp().inject({
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
    ...(edges.length === 0 ? {} : { app: (edges[0] as EdgeService).app }),
    ...(remoteApps.length === 0 ? {} : { app: remoteApps[0] as FastifyInstance }),
    edges,
    async close() {
      await stopEdges();
      await service.close();
    },
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
      await stopEdges();
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

/**
 * Event streams that end on their own within a fraction of a second: a test client that reads
 * whole answers (the fuzzing, the authorization matrix) gets a 200 with its events, not a wait.
 */
export const SHORT_LIVED_STREAMS: LiveEventsOptions = { heartbeatMs: 50, lifetimeMs: 50 };

/** A real server listening on 127.0.0.1 at a port of its own, on a real SQLite file. */
/**
 * The crowd gate of a server that tests input, not load: it sheds reads (503) for a second
 * after a turn that handled claims overran its target, 10 ms by default, which a starved
 * shared machine does now and then under one request at a time. The fuzzers and the
 * authorization matrix require no 5xx from their input, so only a turn of a second counts.
 */
export const INPUT_TESTS_GATE: CrowdGateOptions = { targetTurnMs: 1_000 };

export async function startListeningApp(
  options: { testClock?: boolean; live?: LiveEventsOptions; corsOrigins?: string[]; gate?: CrowdGateOptions } = {},
): Promise<ListeningApp> {
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
    live: options.live ?? SHORT_LIVED_STREAMS,
    ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
    ...(options.gate === undefined ? {} : { gate: options.gate }),
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
