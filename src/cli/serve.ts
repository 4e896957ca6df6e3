/** The `hongbao serve` command's action: configuration from flags and environment, start, stop on a signal. */
import { readFileSync } from "node:fs";
import { parseCorsOrigins } from "../api/web-security.js";
import { DAY_MS } from "../domain/time.js";
import { parseHostPort } from "../edge/writer-client.js";
import { isPostgresUrl, type LogFormat, type RunningServer, startServer, type WireConfig } from "../server.js";
import { tracingConfigFrom } from "../tracing/config.js";
import { CliError, describeError } from "./errors.js";

export interface ServeFlags {
  port: number;
  host: string;
  db: string;
  testClock: boolean;
  logLevel: string;
  logFormat: LogFormat;
  rules?: string;
  isolation: boolean;
  waitingRoom: boolean;
  otlpEndpoint?: string;
  signup: boolean;
  trustProxy?: string;
  /** A product's JWKS, issuer and audience: its own tokens are exchanged for user tokens. */
  exchangeJwksUrl?: string;
  exchangeIssuer?: string;
  exchangeAudience?: string;
  /** Comma-separated browser origins allowed to call the API (CORS). */
  corsOrigins?: string;
  /** Webhook endpoints may point at loopback and private addresses. */
  webhookAllowPrivate?: boolean;
  /** Events and their settled deliveries are deleted after this many days. */
  eventRetentionDays?: number;
  /** postgres://…: the ledger in PostgreSQL; this process serves only while it holds the writer lease. */
  store?: string;
  /** Edge processes sharing the HTTP port in front of one writer; 0: one process does all. */
  edges: number;
  /** What the edges run on: Node (node:cluster, node:http) or Bun (Bun.serve, src/cli/bun-edges.ts). */
  edgeRuntime?: "node" | "bun";
  /** HOST:PORT where the writer also takes edges of other machines (needs HONGBAO_WIRE_SECRET). */
  wireListen?: string;
  /** HOST:PORT edges dial, published in the writer lease; --wire-listen's when not given. */
  wireAdvertise?: string;
}

/** HOST:PORT, for --writer, --wire-listen and --wire-advertise. */
export function hostPort(value: string): { host: string; port: number } {
  const parsed = parseHostPort(value);
  if (parsed === undefined) throw new CliError(`${value}: give HOST:PORT`);
  return parsed;
}

export const WIRE_SECRET = "HONGBAO_WIRE_SECRET";
const WILDCARD = /^(0\.0\.0\.0|::|\[::\])$/;

/** The TCP wire --wire-listen asks for, and what the writer lease tells edges to dial. */
export function tcpWire(flags: ServeFlags): Pick<WireConfig, "tcp" | "advertise"> {
  if (flags.wireListen === undefined) {
    if (flags.wireAdvertise !== undefined) throw new CliError("--wire-advertise goes with --wire-listen");
    return {};
  }
  const tcp = hostPort(flags.wireListen);
  if (flags.wireAdvertise !== undefined) {
    const advertised = hostPort(flags.wireAdvertise);
    if (advertised.port === 0 || WILDCARD.test(advertised.host))
      throw new CliError(`--wire-advertise ${flags.wireAdvertise}: an address edges can dial`);
    return { tcp, advertise: flags.wireAdvertise };
  }
  if (flags.store !== undefined && WILDCARD.test(tcp.host))
    throw new CliError(
      `--wire-listen ${flags.wireListen}: edges cannot dial a wildcard; give --wire-advertise HOST:PORT`,
    );
  return { tcp };
}

/** The secret edges must say on TCP: the same for the writer and every edge. */
export function wireSecret(): string {
  const secret = process.env[WIRE_SECRET];
  if (secret === undefined || secret.length < 16)
    throw new CliError(`${WIRE_SECRET}: the writer's secret, 16 characters or more`);
  return secret;
}

const EXIT_LEASE_LOST = 3;
/** How long a fenced writer gives its waiting clients to get their (refused) answers. */
const STEP_DOWN_DRAIN_MS = 3_000;

/**
 * Another writer holds the lease now: stop taking connections, let every waiting client have
 * its answer (its batch is refused by the fence, so the answer is a retryable 503), and exit.
 */
function stepDown(server: RunningServer | undefined, reason: string): void {
  if (server === undefined) return;
  server.app.log.error({ reason }, "writer lease lost: stepping down");
  setTimeout(() => process.exit(EXIT_LEASE_LOST), STEP_DOWN_DRAIN_MS).unref();
  server.close().finally(() => process.exit(EXIT_LEASE_LOST));
}

/**
 * HONGBAO_ADMIN_TOKEN, else the file HONGBAO_ADMIN_TOKEN_FILE names (a container secret), else
 * undefined: the server keeps one in its data folder.
 */
export function adminTokenFromEnvironment(env: NodeJS.ProcessEnv): string | undefined {
  const direct = env.HONGBAO_ADMIN_TOKEN || undefined;
  const file = env.HONGBAO_ADMIN_TOKEN_FILE || undefined;
  if (direct !== undefined && file !== undefined)
    throw new CliError("set HONGBAO_ADMIN_TOKEN or HONGBAO_ADMIN_TOKEN_FILE, not both");
  if (file === undefined) return direct;
  let token: string;
  try {
    token = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new CliError(`HONGBAO_ADMIN_TOKEN_FILE: cannot read ${describeError(error)}`);
  }
  if (token.length < 16)
    throw new CliError(`HONGBAO_ADMIN_TOKEN_FILE ${file}: an admin token is at least 16 characters`);
  return token;
}

/**
 * Serves in this one process; as the writer of `serve --edges N` (src/cli/edges.ts) it also
 * serves edges on `wire`, and says when it listens through `onListening`.
 */
export async function serve(
  flags: ServeFlags,
  version: string,
  writer?: { readonly wire: WireConfig; readonly onListening: (server: RunningServer) => void },
): Promise<void> {
  let tracing: ReturnType<typeof tracingConfigFrom>;
  try {
    tracing = tracingConfigFrom(process.env, flags.otlpEndpoint, version);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const adminToken = adminTokenFromEnvironment(process.env);
  if (adminToken !== undefined && adminToken.length < 16)
    throw new CliError("HONGBAO_ADMIN_TOKEN: an admin token is at least 16 characters");
  if (flags.store !== undefined && !isPostgresUrl(flags.store))
    throw new CliError("--store takes a postgres:// connection string (use --db for a SQLite file)");
  let corsOrigins: string[];
  try {
    corsOrigins = parseCorsOrigins(flags.corsOrigins);
  } catch (error) {
    throw new CliError(`--cors-origins: ${(error as Error).message}`);
  }
  const exchangeParts = [flags.exchangeJwksUrl, flags.exchangeIssuer, flags.exchangeAudience];
  if (exchangeParts.some((part) => part !== undefined) && exchangeParts.some((part) => part === undefined))
    throw new CliError("--exchange-jwks-url, --exchange-issuer and --exchange-audience go together");
  if (flags.exchangeJwksUrl !== undefined && !/^https?:\/\//.test(flags.exchangeJwksUrl))
    throw new CliError("--exchange-jwks-url takes an http(s):// URL");
  // One process can take edges of other machines too: they find it through the lease.
  const wire: WireConfig | undefined =
    writer?.wire ?? (flags.wireListen === undefined ? undefined : { ...tcpWire(flags), secret: wireSecret() });
  let running: RunningServer | undefined;
  let leaseLost = false;
  const server = await startServer({
    store: flags.store,
    onLeaseLost: (reason) => {
      leaseLost = true;
      stepDown(running, reason);
    },
    port: flags.port,
    host: flags.host,
    db: flags.db,
    adminToken,
    tokenSecret: process.env.HONGBAO_TOKEN_SECRET || undefined,
    testClock: flags.testClock,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
    rules: flags.rules,
    isolation: flags.isolation,
    waitingRoom: flags.waitingRoom,
    tracing,
    signup: flags.signup,
    trustProxy: flags.trustProxy,
    corsOrigins,
    exchange:
      flags.exchangeJwksUrl === undefined
        ? undefined
        : {
            jwksUrl: flags.exchangeJwksUrl,
            issuer: flags.exchangeIssuer as string,
            audience: flags.exchangeAudience as string,
          },
    ...(wire === undefined ? {} : { wire }),
    webhooks: {
      allowPrivate: flags.webhookAllowPrivate === true,
      dispatcher: flags.eventRetentionDays === undefined ? {} : { retentionMs: flags.eventRetentionDays * DAY_MS },
    },
  });
  running = server;
  writer?.onListening(server);
  if (leaseLost) stepDown(server, "the lease was lost while starting");
  // Plainly, once, outside the log: the operator needs it to do anything, and logs get shipped.
  if (server.adminTokenCreatedIn === ":memory:") {
    process.stderr.write(
      `\nhongbao: admin token for this run (the database is in memory):\n\n    ${server.adminToken}\n\n`,
    );
  } else if (server.adminTokenCreatedIn !== undefined) {
    process.stderr.write(
      `\nhongbao: first start: made an admin token and kept it in ${server.adminTokenCreatedIn} (mode 0600):\n\n` +
        `    ${server.adminToken}\n\nIt is not shown again; read it from that file when you need it.\n\n`,
    );
  }
  let stopping = false;
  const onSignal = (signal: string) => {
    // A second signal while draining is logged, not obeyed: the last batch is still being committed.
    if (stopping) return server.app.log.warn({ signal }, "already shutting down");
    stopping = true;
    server.app.log.info({ signal }, "shutting down: draining requests and committing the last batch");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
}
