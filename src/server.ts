import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FastifyInstance } from "fastify";
import type pino from "pino";
import { type AdmissionOptions, CampaignAdmission } from "./api/admission.js";
import { buildApp } from "./api/app.js";
import type { AppContext } from "./api/context.js";
import { announcingCovers, Covers, coverTablesOf } from "./api/covers.js";
import { CrowdGate, type CrowdGateOptions } from "./api/crowd-gate.js";
import { DevCodeOutbox } from "./api/dev-codes.js";
import { type ExchangeConfig, ProductTokens } from "./api/exchange.js";
import { Identity } from "./api/identity.js";
import { LocalLine, sharesLeft } from "./api/line.js";
import { LiveEvents, type LiveEventsOptions } from "./api/live-events.js";
import { type LoginCodeRules, LoginCodes, logSender } from "./api/login-codes.js";
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from "./api/login-limits.js";
import { Metrics } from "./api/metrics.js";
import { Tokens } from "./api/tokens.js";
import { callsCapacity, loopBusy, WaitingRoom } from "./api/waiting-room.js";
import { DEFAULT_RULE_SET, SpecialDayCalendar } from "./domain/calendar/index.js";
import { joinHostPort } from "./edge/writer-client.js";
import { WriterServer, type WriterServerOptions } from "./edge/writer-server.js";
import { type Clock, systemClock, TestClock } from "./engine/clock.js";
import { Engine, type EngineObserver } from "./engine/engine.js";
import { COMMIT_WINDOW_MS_MAX } from "./engine/scheduler.js";
import type { LedgerStore } from "./engine/store-port.js";
import { type LogFormat, loggerFor } from "./logging.js";
import { announcing, identityStoreOf } from "./store/identity-port.js";
import type { WriterLease } from "./store/postgres/writer-lease.js";
import { SqliteStore } from "./store/sqlite/sqlite-store.js";
import type { TracingConfig } from "./tracing/config.js";
import { type DispatcherOptions, WebhookDispatcher } from "./webhooks/dispatcher.js";
import type { SharedRow } from "./wire/messages.js";

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  /** SQLite file; its folder also keeps the token key. ":memory:" keeps nothing. */
  readonly db: string;
  /**
   * A postgres:// connection string: the ledger lives there instead of in `db`, and this
   * process serves only while it holds the writer lease (it waits for it first).
   */
  readonly store?: string | undefined;
  /** Called once if this writer loses the lease; it must stop serving (the default logs). */
  readonly onLeaseLost?: (reason: string) => void;
  /** The admin token; when undefined, the one kept in the data folder (made on first start). */
  readonly adminToken: string | undefined;
  readonly tokenSecret: string | undefined;
  readonly testClock: boolean;
  readonly logLevel: string;
  /** "json" (default): one JSON object a line; "pretty": readable lines for development (pino-pretty). */
  readonly logFormat?: LogFormat;
  /** Tuning of campaign admission (tests and benchmarks); the defaults suit production. */
  readonly admission?: AdmissionOptions;
  /** Bounds and heartbeat of the web app's live event streams (tests); the defaults suit production. */
  readonly live?: LiveEventsOptions;
  /** Tuning of the crowd gate (tests and benchmarks). */
  readonly gate?: CrowdGateOptions;
  /** Campaign claims in their own lane and shed under overload (default); false: one FIFO, for comparison. */
  readonly isolation?: boolean;
  /** Claims that cannot be decided at once get a place in line (default, with isolation); false: 503 + Retry-After. */
  readonly waitingRoom?: boolean;
  /** A rules document (JSON, see config/rules.json); the built-in defaults without one. */
  readonly rules?: string | undefined;
  /** OTLP trace export; without it the OpenTelemetry SDK is not even loaded. */
  readonly tracing?: TracingConfig | undefined;
  /** A verified login code for a phone without a user makes its user (default off). */
  readonly signup?: boolean;
  /**
   * The proxies whose X-Forwarded-For gives the client's address (addresses or CIDRs,
   * comma-separated); without it the socket's address is the client's.
   */
  readonly trustProxy?: string | undefined;
  /** Browser origins allowed to call the API (CORS), `scheme://host[:port]`; none by default. */
  readonly corsOrigins?: readonly string[];
  /** A product whose own JWTs (checked against its JWKS) are exchanged for user tokens. */
  readonly exchange?: ExchangeConfig | undefined;
  /** Login rate limits (tests); the defaults suit production. */
  readonly loginLimits?: LoginLimits;
  /** Login code lifetimes and table bounds (tests). */
  readonly loginCodeRules?: LoginCodeRules;
  /** Webhook delivery: where endpoints may point (public addresses only by default), and tuning (tests). */
  readonly webhooks?: {
    readonly allowPrivate?: boolean;
    readonly dispatcher?: Omit<DispatcherOptions, "store" | "policy">;
  };
  /** Serve the engine to edge processes too (src/edge, docs/wire.md). */
  readonly wire?: WireConfig;
}

export interface WireConfig {
  /** A Unix socket path for edges on this machine. */
  readonly path?: string;
  /** TCP for edges on other machines; needs the secret. */
  readonly tcp?: { readonly host: string; readonly port: number };
  /**
   * HOST:PORT edges dial, published in the writer lease (PostgreSQL) for edges that find their
   * writer there; `tcp` when not given. Needed when `tcp` is a wildcard such as 0.0.0.0.
   */
  readonly advertise?: string;
  readonly secret?: string;
}

/** Where edges should dial this writer, as far as it is known before the wire listens. */
function wireAdvertised(wire: WireConfig | undefined): string | undefined {
  if (wire?.advertise !== undefined) return wire.advertise;
  if (wire?.tcp === undefined || wire.tcp.port === 0) return undefined;
  return joinHostPort(wire.tcp.host, wire.tcp.port);
}

/** The calendar of caps and special days, from the rules file when one is given. */
export function calendarFor(rulesFile: string | undefined): SpecialDayCalendar {
  if (rulesFile === undefined) return new SpecialDayCalendar(DEFAULT_RULE_SET);
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(rulesFile, "utf8"));
  } catch (error) {
    // Node leaves the path out of some read errors (EISDIR): say which file.
    if (!(error instanceof SyntaxError)) throw Object.assign(error as object, { path: rulesFile });
    throw new Error(`${rulesFile} is not JSON (${error.message})`);
  }
  const parsed = SpecialDayCalendar.fromJson(document);
  if (!parsed.ok) throw new Error(`${rulesFile}: ${parsed.error.message}`);
  return parsed.value;
}

/**
 * HONGBAO_COMMIT_WINDOW_MS: the group-commit window while the loop is busy (decision 0068), 0 to
 * COMMIT_WINDOW_MS_MAX ms; off unless set. Like HONGBAO_COMMIT_THREAD, a switch for operators who measured it.
 */
function commitWindowMs(): number {
  const text = process.env.HONGBAO_COMMIT_WINDOW_MS;
  if (text === undefined || text === "") return 0;
  const ms = /^\d{1,2}$/.test(text) ? Number(text) : Number.NaN;
  if (!(ms >= 0 && ms <= COMMIT_WINDOW_MS_MAX))
    throw new Error(`HONGBAO_COMMIT_WINDOW_MS: ${text}: a whole number of ms from 0 to ${COMMIT_WINDOW_MS_MAX}`);
  return ms;
}

/** In-flight requests get this long to finish on SIGTERM before their connections are cut. */
export const SHUTDOWN_DRAIN_MS = 10_000;

export type { LogFormat } from "./logging.js";

export interface RunningServer extends Service {
  readonly url: string;
}

/** A store that keeps the keys every writer of a deployment shares (PostgreSQL). */
interface SharedKeys {
  sharedKey(name: string, make: () => string): Promise<string>;
}

function hasSharedKeys(store: LedgerStore): store is LedgerStore & SharedKeys {
  return typeof (store as Partial<SharedKeys>).sharedKey === "function";
}

export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && /^postgres(ql)?:\/\//.test(value);
}

/**
 * The evidence signing key: kept beside the database (PKCS#8 PEM, mode 0600) so records stay
 * verifiable; in PostgreSQL, so every writer that may take over signs with the same key.
 */
async function evidenceKeyFor(
  config: Pick<ServerConfig, "db">,
  store: LedgerStore,
): Promise<AppContext["evidenceKey"]> {
  if (hasSharedKeys(store)) {
    const pem = await store.sharedKey("evidence-key", () =>
      generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
    const privateKey = createPrivateKey(pem);
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  if (config.db === ":memory:") return generateKeyPairSync("ed25519");
  const file = join(dirname(config.db), DATA_FILES.evidenceKey);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  }
  const privateKey = createPrivateKey(readFileSync(file, "utf8"));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The user-token key: from configuration, else kept beside the database so tokens outlive restarts. */
async function tokenSecretFor(
  config: Pick<ServerConfig, "db" | "tokenSecret">,
  store: LedgerStore,
): Promise<Uint8Array> {
  if (config.tokenSecret !== undefined) return Buffer.from(config.tokenSecret, "utf8");
  if (hasSharedKeys(store)) {
    return Buffer.from(await store.sharedKey("token-secret", () => randomBytes(32).toString("hex")), "hex");
  }
  if (config.db === ":memory:") return randomBytes(32);
  const file = join(dirname(config.db), DATA_FILES.tokenSecret);
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
    batchDurable: (batch) => {
      first.batchDurable?.(batch);
      second.batchDurable?.(batch);
    },
    commitFailed: (error) => {
      first.commitFailed?.(error);
      second.commitFailed?.(error);
    },
    timersFired: (kind, count) => {
      first.timersFired?.(kind, count);
      second.timersFired?.(kind, count);
    },
    committed: (command, result) => {
      first.committed?.(command, result);
      second.committed?.(command, result);
    },
  } satisfies Required<EngineObserver>;
}

/** The files the data folder keeps beside the database; `hongbao doctor` checks the same list. */
export const DATA_FILES = {
  tokenSecret: "token-secret",
  evidenceKey: "evidence-key.pem",
  adminToken: "admin-token",
} as const;

export interface AdminToken {
  readonly token: string;
  /** The file it was written to on this start (first start), to show the operator once; else undefined. */
  readonly createdIn: string | undefined;
}

/** The admin token: from configuration, else kept in the data folder (made on first start, mode 0600). */
export function adminTokenFor(config: Pick<ServerConfig, "db" | "adminToken">): AdminToken {
  if (config.adminToken !== undefined) return { token: config.adminToken, createdIn: undefined };
  if (config.db === ":memory:") return { token: randomBytes(24).toString("base64url"), createdIn: ":memory:" };
  const file = join(dirname(config.db), DATA_FILES.adminToken);
  if (existsSync(file)) {
    const token = readFileSync(file, "utf8").trim();
    if (token.length < 16) throw new Error(`${file}: an admin token is at least 16 characters`);
    return { token, createdIn: undefined };
  }
  mkdirSync(dirname(file), { recursive: true });
  const token = randomBytes(24).toString("base64url");
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, createdIn: file };
}

/** The context of the process that owns the engine: the engine itself and its login codes. */
export interface WriterContext extends AppContext {
  readonly engine: Engine;
  readonly codes: LoginCodes;
}

export interface Service {
  readonly app: FastifyInstance;
  readonly context: WriterContext;
  readonly adminToken: string;
  /** Where the admin token was made on this start (first start), else undefined. */
  readonly adminTokenCreatedIn: string | undefined;
  /** Stops taking requests, drains, commits the last batch and closes the database. */
  close(): Promise<void>;
  /** With a PostgreSQL store: the lease this writer holds, to advertise where it serves. */
  readonly lease?: WriterLease;
  /** The engine served to edges, when configured. */
  readonly wire?: WriterServer;
}

/**
 * What edges measured, as far as the writer keeps up: the lesser figure; the edges' alone while
 * the writer's loop is too idle to measure (it keeps up); NaN while the edges measured nothing
 * (the writer's figure alone says nothing of the HTTP it does not see).
 */
function keptUpWith(edges: number, writer: number): number {
  return Number.isNaN(writer) ? edges : Math.min(edges, writer);
}

/** The sum of the claims a second measured, NaN when nobody measured any. */
function capacityOf(own: number, edges: number | undefined): number {
  if (edges === undefined || Number.isNaN(edges)) return own;
  return Number.isNaN(own) ? edges : own + edges;
}

/** The rules document as parsed JSON, for edges to build the same calendar (null: the built-in one). */
function rulesDocument(file: string | undefined): unknown {
  return file === undefined ? null : JSON.parse(readFileSync(file, "utf8"));
}

async function serveWire(
  config: WireConfig,
  options: Omit<WriterServerOptions, "secret">,
  lease: WriterLease | undefined,
): Promise<WriterServer> {
  const wire = new WriterServer({ ...options, secret: config.secret });
  if (config.path !== undefined) await wire.listenUnix(config.path);
  if (config.tcp !== undefined) {
    const port = await wire.listenTcp(config.tcp.host, config.tcp.port);
    // A port the system picked is known only now; a given one went in with the lease.
    if (wireAdvertised(config) === undefined) await lease?.advertiseWire(joinHostPort(config.tcp.host, port));
    options.logger.info({ host: config.tcp.host, port, epoch: lease?.epoch }, "serving edges over TCP");
  }
  return wire;
}

/**
 * The store the config names. A PostgreSQL writer first waits for the writer lease, then
 * fences its store with the lease's epoch: it loads memory only once it may write.
 */
async function openStore(
  config: Omit<ServerConfig, "port" | "host">,
  logger: pino.Logger,
): Promise<{ store: LedgerStore; lease?: WriterLease; holdLease?: () => Promise<void> }> {
  // HONGBAO_COMMIT_THREAD=1: batches are written on a worker thread while the next is applied (decision 0059).
  const commitThread = process.env.HONGBAO_COMMIT_THREAD === "1" && config.db !== ":memory:";
  // HONGBAO_CHECKPOINT_THREAD=1: a worker thread checkpoints the WAL after commits (decision 0064).
  const checkpointThread = process.env.HONGBAO_CHECKPOINT_THREAD === "1" && config.db !== ":memory:";
  if (!isPostgresUrl(config.store))
    return { store: new SqliteStore({ path: config.db, commitThread, checkpointThread }) };
  // Loaded only when asked for: the embedded default starts without the PostgreSQL client.
  const [{ PostgresStore }, { WriterLease }] = await Promise.all([
    import("./store/postgres/postgres-store.js"),
    import("./store/postgres/writer-lease.js"),
  ]);
  const store = await PostgresStore.open({ url: config.store });
  const lease = new WriterLease({ url: config.store, shard: store.shard, wire: wireAdvertised(config.wire) });
  const holdLease = async () => {
    try {
      logger.info({ shard: store.shard }, "waiting for the writer lease");
      const onLost = config.onLeaseLost ?? ((reason: string) => logger.error({ reason }, "writer lease lost"));
      const epoch = await lease.acquire(onLost);
      store.fenceWith(epoch, (error) => lease.lose(error.message));
      logger.info({ shard: store.shard, epoch }, "holding the writer lease");
    } catch (error) {
      await lease.close(false);
      await store.close();
      throw error;
    }
  };
  return { store, lease, holdLease };
}

/** Builds the store, engine and HTTP app without listening: tests inject requests into it. */
export async function createService(config: Omit<ServerConfig, "port" | "host">): Promise<Service> {
  const logger = await loggerFor(config);
  const { token: adminToken, createdIn: adminTokenCreatedIn } = adminTokenFor(config);
  const testClock = config.testClock ? new TestClock() : undefined;
  const clock: Clock = testClock ?? systemClock;
  // Imported only when configured: a server without tracing pays nothing for it.
  const tracing =
    config.tracing === undefined ? undefined : (await import("./tracing/otel.js")).startTracing(config.tracing);
  const { store, lease, holdLease } = await openStore(config, logger);
  let engine: Engine | undefined;
  let wire: WriterServer | undefined;
  const metrics: Metrics = new Metrics(
    () => engine,
    () => gate.stats,
  );
  const observeWait = config.gate?.observeWait;
  // How long claims lately waited at the gate: what a ticket holder will wait on top of their turn.
  let gateWaitMs = 0;
  const gate = new CrowdGate({
    // No first-answer budget by default: where the loop, not the writer, is behind, a place
    // given at once costs the loop a second request when its holder comes back, and the line
    // never caught up (docs/decisions/0054-places-when-the-writer-is-behind.md).
    ...config.gate,
    observeWait: (waitedMs) => {
      gateWaitMs += (waitedMs - gateWaitMs) / 256;
      metrics.observeGateWait(waitedMs);
      observeWait?.(waitedMs);
    },
  });
  // Live events are the lowest priority: shed while the gate or claim admission is shedding anything.
  const live = new LiveEvents(
    () => gate.overloaded || admission.level < 1,
    (groupId) => engine?.groupMembers(groupId),
    config.live,
  );
  metrics.watchLive(live);
  engine = new Engine({
    store,
    clock,
    commitWindowMs: commitWindowMs(),
    calendar: calendarFor(config.rules),
    isolation: config.isolation ?? true,
    observer: alongside(
      {
        ...metrics.engineObserver,
        commitFailed: (error) => {
          metrics.engineObserver.commitFailed?.(error);
          logger.error({ err: error }, "batch commit failed; rebuilding memory from the store");
        },
        committed: (command, result) => {
          // A stream's trouble must never keep a durable batch from being answered.
          try {
            live.committed(command, result);
            wire?.committed(command, result);
          } catch (error) {
            logger.error({ err: error }, "a live event could not be published");
          }
        },
        batchDurable: (batch) => wire?.batchDurable(batch),
      },
      tracing?.engineObserver,
    ),
    onFatal: (report) => {
      // A broken invariant is a bug: say all that is known, synchronously, and stop serving.
      logger.fatal(
        { err: report.error, context: report.context, batch: report.batch, memory: report.memory },
        "engine stopped: an invariant is broken; nothing of the batch was committed or acknowledged",
      );
      logger.flush?.();
      process.exit(70);
    },
  });
  const admission = new CampaignAdmission(engine, config.admission);
  // Login codes go to the dev sender (there is no SMS sender yet): keep them readable in the web app.
  const devCodes = new DevCodeOutbox();
  const tokenSecret = await tokenSecretFor(config, store);
  const tokens = new Tokens({ secret: tokenSecret, adminToken, clock });
  // Rows written outside the engine (keys, log-outs, covers) reach every edge before their
  // write is answered, and this process's memory too when an edge wrote them (docs/edges.md).
  let identity: Identity | undefined;
  let covers: Covers | undefined;
  const shared = (change: SharedRow): Promise<void> => {
    if (change.kind === "cover") covers?.apply(change.row);
    else identity?.apply(change);
    return wire?.rowChanged(change) ?? Promise.resolve();
  };
  const identityStore = announcing(identityStoreOf(store), shared);
  const coverTables = announcingCovers(coverTablesOf(store), (row) => shared({ kind: "cover", row }));
  identity = await Identity.load(identityStore, tokens, clock);
  covers = await Covers.load(coverTables, clock);
  const writer = engine;
  let lateAtOnceSeen = 0;
  const answeredFromMemory = { count: 0 };
  const writerCalls = callsCapacity(() => wire?.claimCallsServed ?? 0);
  const room =
    (config.isolation ?? true) && (config.waitingRoom ?? true)
      ? new WaitingRoom({
          ticketKey: tokens.deriveKey("queue tickets"),
          seedKey: tokens.deriveKey("draw seeds"),
          now: () => clock.now(),
          // The writer falls behind: claims pile up in its lane. Not the queueing delay: on a
          // starved CPU every batch waits long, and a rate cut on delay alone fell to its floor
          // while the lane held a few claims. Not claims piling up at the gate either: there
          // the holders whose turn has come wait too, and a line slowed for them never caught
          // up (a million people over 10 s: not sold out in 190 s; decision 0054). With a
          // first-answer budget set, places the gate gave at once since the last look (pressure
          // is read once a window) count too (decision 0051), the edges' with the writer's own.
          pressure: () => {
            const lateAtOnce = gate.stats.lateAtOnceTotal + (wire?.edgesLoad().lateAtOnceTotal ?? 0);
            const fresh = lateAtOnce > lateAtOnceSeen;
            lateAtOnceSeen = lateAtOnce;
            return writer.laneDepth("campaign") > 5_000 || fresh;
          },
          answerDelayMs: () => gateWaitMs,
          answeredFromMemory: () => answeredFromMemory.count,
          // What the HTTP in front can answer: this process's gate; with edges, what theirs
          // measured, as far as this writer's loop keeps up with their calls (a writer's own
          // gate sees no claims; decision 0066).
          capacity: () =>
            capacityOf(
              gate.stats.claimsPerSecond,
              wire === undefined ? undefined : keptUpWith(wire.edgesLoad().claimsPerSecond, writerCalls()),
            ),
          busy: loopBusy(),
          sharesLeftOf: (campaignId) => {
            const live = writer.campaignLive(campaignId);
            return live === undefined ? undefined : sharesLeft(live.campaign.amount, live.unreserved);
          },
        })
      : undefined;
  const context: WriterContext = {
    engine,
    store,
    tokens,
    identity,
    covers,
    productTokens: config.exchange === undefined ? undefined : await ProductTokens.create(config.exchange, clock),
    line: room === undefined ? undefined : new LocalLine(engine, room),
    answeredFromMemory: room === undefined ? undefined : answeredFromMemory,
    codes: new LoginCodes(
      devCodes.keeping(logSender((phone, code) => logger.info({ phone, code }, "login code (dev sender)"))),
      clock,
      config.loginCodeRules,
      (error) => logger.error({ err: error }, "a login code could not be sent"),
    ),
    login: { signup: config.signup ?? false, limits: config.loginLimits ?? DEFAULT_LOGIN_LIMITS },
    devCodes,
    metrics,
    admission,
    live,
    gate,
    testClock,
    randomBytes,
    webhookPolicy: { allowPrivate: config.webhooks?.allowPrivate ?? false },
    evidenceKey: await evidenceKeyFor(config, store),
  };
  const dispatcher = new WebhookDispatcher({
    ...config.webhooks?.dispatcher,
    store: store.events,
    policy: context.webhookPolicy,
    onError: (error) => logger.warn({ err: error }, "webhook dispatcher: the store did not answer; retrying"),
    onAttempt: (_delivery, outcome) =>
      metrics.webhookAttempts.inc({ outcome: outcome.state === "pending" ? "retry" : outcome.state }),
    onPruned: (pruned) => {
      metrics.eventsPruned.inc(pruned.events);
      logger.debug(pruned, "outbox pruned: events past their retention, with their settled deliveries");
    },
    onPruneError: (error) =>
      logger.warn({ err: error }, "outbox prune failed; deliveries go on, and the prune is tried again later"),
  });
  const app = await buildApp(context, {
    logger,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins ?? [],
    ...(tracing === undefined ? {} : { tracing }),
  });
  // A waiting writer has built everything that does not need the ledger, its routes' schemas
  // compiled too (1.5 s of CPU on a busy two-core machine): a takeover costs only the lease,
  // the load of memory and the listen.
  await app.ready();
  await holdLease?.();
  await engine.start();
  if (engine.isolation) gate.start();
  if (config.wire !== undefined) {
    wire = await serveWire(
      config.wire,
      {
        epoch: () => lease?.epoch,
        engine,
        store,
        testClock,
        codes: context.codes,
        identity,
        identityStore,
        coverTables,
        devCodes,
        line: context.line,
        logger,
        observer: metrics.wireObserver,
        rules: rulesDocument(config.rules),
        setup: {
          tokenSecret: Buffer.from(tokenSecret).toString("hex"),
          adminToken,
          evidenceKeyPem: context.evidenceKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          signup: config.signup ?? false,
          testClock: testClock !== undefined,
          isolation: engine.isolation,
          exchange: config.exchange ?? null,
          live: config.live ?? {},
          devCodes: true,
          corsOrigins: config.corsOrigins ?? [],
          webhookAllowPrivate: config.webhooks?.allowPrivate ?? false,
          waitingRoom: room !== undefined,
        },
      },
      lease,
    );
  }
  // Beside the engine, never in its batches: a slow or dead endpoint holds only the dispatcher's slots.
  dispatcher.start();
  let closing: Promise<void> | undefined;
  return {
    app,
    context,
    adminToken,
    adminTokenCreatedIn,
    ...(lease === undefined ? {} : { lease }),
    ...(wire === undefined ? {} : { wire }),
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
        // Edges' commands under way are answered, from the last batches, before the engine stops.
        await wire?.close();
        await context.engine.close();
        await dispatcher.stop();
        await lease?.close();
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
  try {
    await service.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await service.close(); // a port in use: close the database before saying so
    throw error;
  }
  const address = service.app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const url = `http://${joinHostPort(config.host, port)}`;
  await service.lease?.advertise(url);
  service.app.log.info(
    {
      url,
      ...(service.lease === undefined ? { db: config.db } : { epoch: service.lease.epoch }),
      testClock: config.testClock,
    },
    // The writer of a supervisor's edges (its Unix socket) says so on its own port: "listening" is the
    // supervisor's, for the port clients use. A writer that takes edges only over TCP is its own server.
    config.wire?.path === undefined ? "listening" : "writer port listening",
  );
  return { ...service, url };
}
