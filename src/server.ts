import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { type AdmissionOptions, CampaignAdmission } from "./api/admission.js";
import { buildApp } from "./api/app.js";
import type { AppContext } from "./api/context.js";
import { CrowdGate, type CrowdGateOptions } from "./api/crowd-gate.js";
import { DevCodeOutbox } from "./api/dev-codes.js";
import { LoginCodes, logSender } from "./api/login-codes.js";
import { Metrics } from "./api/metrics.js";
import { Tokens } from "./api/tokens.js";
import { DEFAULT_RULE_SET, SpecialDayCalendar } from "./domain/calendar/index.js";
import { type Clock, systemClock, TestClock } from "./engine/clock.js";
import { Engine, type EngineObserver } from "./engine/engine.js";
import { SqliteStore } from "./store/sqlite/sqlite-store.js";
import type { TracingConfig } from "./tracing/config.js";

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** SQLite file; its folder also keeps the token key. ":memory:" keeps nothing. */
  readonly db: string;
  readonly adminToken: string | undefined;
  readonly tokenSecret: string | undefined;
  readonly testClock: boolean;
  readonly logLevel: string;
  /** Tuning of campaign admission (tests and benchmarks); the defaults suit production. */
  readonly admission?: AdmissionOptions;
  /** Tuning of the crowd gate (tests and benchmarks). */
  readonly gate?: CrowdGateOptions;
  /** Campaign claims in their own lane and shed under overload (default); false: one FIFO, for comparison. */
  readonly isolation?: boolean;
  /** A rules document (JSON, see config/rules.json); the built-in defaults without one. */
  readonly rules?: string | undefined;
  /** OTLP trace export; without it the OpenTelemetry SDK is not even loaded. */
  readonly tracing?: TracingConfig | undefined;
}

/** The calendar of caps and special days, from the rules file when one is given. */
export function calendarFor(rulesFile: string | undefined): SpecialDayCalendar {
  if (rulesFile === undefined) return new SpecialDayCalendar(DEFAULT_RULE_SET);
  const parsed = SpecialDayCalendar.fromJson(JSON.parse(readFileSync(rulesFile, "utf8")) as unknown);
  if (!parsed.ok) throw new Error(`${rulesFile}: ${parsed.error.message}`);
  return parsed.value;
}

/** In-flight requests get this long to finish on SIGTERM before their connections are cut. */
export const SHUTDOWN_DRAIN_MS = 10_000;

export interface RunningServer extends Service {
  readonly url: string;
}

/** The evidence signing key: kept beside the database (PKCS#8 PEM, mode 0600) so records stay verifiable. */
function evidenceKeyFor(config: Pick<ServerConfig, "db">): AppContext["evidenceKey"] {
  if (config.db === ":memory:") return generateKeyPairSync("ed25519");
  const file = join(dirname(config.db), "evidence-key.pem");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  }
  const privateKey = createPrivateKey(readFileSync(file, "utf8"));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The user-token key: from configuration, else kept beside the database so tokens outlive restarts. */
function tokenSecretFor(config: Pick<ServerConfig, "db" | "tokenSecret">): Uint8Array {
  if (config.tokenSecret !== undefined) return Buffer.from(config.tokenSecret, "utf8");
  if (config.db === ":memory:") return randomBytes(32);
  const file = join(dirname(config.db), "token-secret");
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  }
  return Buffer.from(readFileSync(file, "utf8").trim(), "hex");
}

/** Both observers, or the first alone (the same object) when there is no second. */
function alongside(first: EngineObserver, second: EngineObserver | undefined): EngineObserver {
  if (second === undefined) return first;
  return {
    batchCommitted: (commands, seconds) => {
      first.batchCommitted?.(commands, seconds);
      second.batchCommitted?.(commands, seconds);
    },
    commandWaited: (lane, seconds) => {
      first.commandWaited?.(lane, seconds);
      second.commandWaited?.(lane, seconds);
    },
    commitFailed: (error) => {
      first.commitFailed?.(error);
      second.commitFailed?.(error);
    },
  };
}

export interface Service {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly adminToken: string;
  /** Stops taking requests, drains, commits the last batch and closes the database. */
  close(): Promise<void>;
}

/** Builds the store, engine and HTTP app without listening: tests inject requests into it. */
export async function createService(config: Omit<ServerConfig, "port" | "host">): Promise<Service> {
  const logger = pino({ level: config.logLevel, redact: ["req.headers.authorization", "headers.authorization"] });
  const testClock = config.testClock ? new TestClock() : undefined;
  const clock: Clock = testClock ?? systemClock;
  // Imported only when configured: a server without tracing pays nothing for it.
  const tracing =
    config.tracing === undefined ? undefined : (await import("./tracing/otel.js")).startTracing(config.tracing);
  const store = new SqliteStore({ path: config.db });
  let engine: Engine | undefined;
  const metrics: Metrics = new Metrics(
    () => engine,
    () => gate.stats,
  );
  const observeWait = config.gate?.observeWait;
  const gate = new CrowdGate({
    ...config.gate,
    observeWait: (waitedMs) => {
      metrics.observeGateWait(waitedMs);
      observeWait?.(waitedMs);
    },
  });
  engine = new Engine({
    store,
    clock,
    calendar: calendarFor(config.rules),
    isolation: config.isolation ?? true,
    observer: alongside(
      {
        ...metrics.engineObserver,
        commitFailed: (error) => {
          metrics.engineObserver.commitFailed?.(error);
          logger.error({ err: error }, "batch commit failed; rebuilding memory from the store");
        },
      },
      tracing?.engineObserver,
    ),
  });
  await engine.start();
  if (engine.isolation) gate.start();
  const generated = config.adminToken === undefined;
  const adminToken = config.adminToken ?? randomBytes(24).toString("base64url");
  if (generated) logger.warn({ adminToken }, "no HONGBAO_ADMIN_TOKEN set: generated an admin token for this run");
  // Login codes go to the dev sender (there is no SMS sender yet): keep them readable in the web app.
  const devCodes = new DevCodeOutbox();
  const context: AppContext = {
    engine,
    store,
    tokens: new Tokens({ secret: tokenSecretFor(config), adminToken, clock }),
    codes: new LoginCodes(
      devCodes.keeping(logSender((phone, code) => logger.info({ phone, code }, "login code (dev sender)"))),
      clock,
    ),
    devCodes,
    metrics,
    admission: new CampaignAdmission(engine, config.admission),
    gate,
    testClock,
    randomBytes,
    evidenceKey: evidenceKeyFor(config),
  };
  const app = await buildApp(context, { logger, ...(tracing === undefined ? {} : { tracing }) });
  let closing: Promise<void> | undefined;
  return {
    app,
    context,
    adminToken,
    close() {
      closing ??= (async () => {
        // Node closes only the connections idle when close starts; keep closing those that go
        // idle later, and cut the rest after a deadline, so a keep-alive pool cannot hold us up.
        gate.stop();
        const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
        const deadline = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_DRAIN_MS);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
          clearTimeout(deadline);
        }
        await context.engine.close();
        await store.close();
        // After the engine's last batch, so its span is exported too.
        await tracing?.shutdown();
        logger.info("closed");
      })();
      return closing;
    },
  };
}

export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const service = await createService(config);
  await service.app.listen({ port: config.port, host: config.host });
  const address = service.app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  service.app.log.info({ url, db: config.db, testClock: config.testClock }, "listening");
  return { ...service, url };
}
