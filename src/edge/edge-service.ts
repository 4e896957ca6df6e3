import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type AdmissionOptions, CampaignAdmission } from "../api/admission.js";
import { buildApp } from "../api/app.js";
import type { AppContext } from "../api/context.js";
import { Covers } from "../api/covers.js";
import { CrowdGate, type CrowdGateOptions } from "../api/crowd-gate.js";
import { ProductTokens } from "../api/exchange.js";
import { Identity } from "../api/identity.js";
import { LiveEvents } from "../api/live-events.js";
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from "../api/login-limits.js";
import { Metrics } from "../api/metrics.js";
import { Tokens } from "../api/tokens.js";
import { DEFAULT_RULE_SET, SpecialDayCalendar } from "../domain/calendar/index.js";
import type { Calendar } from "../domain/rules.js";
import { TestClock } from "../engine/clock.js";
import { type LogFormat, loggerFor } from "../logging.js";
import type { Fact, SharedRow, Snapshot } from "../wire/messages.js";
import { EDGE_LOAD, orUndefined, ROWS_APPLIED } from "./forwarded.js";
import { RemoteEngine } from "./remote-engine.js";
import { RemoteLine } from "./remote-line.js";
import { remoteCodes, remoteCoverTables, remoteIdentityStore, remoteStore } from "./remote-reads.js";
import { StateView } from "./view.js";
import { WriterClient, type WriterTarget } from "./writer-client.js";

export interface EdgeConfig {
  /** The writer's address, or a finder of whichever writer holds the lease. */
  readonly writer: WriterTarget;
  readonly secret: string;
  /** How the writer's log names this edge. */
  readonly name: string;
  readonly logLevel: string;
  readonly logFormat?: LogFormat | undefined;
  readonly trustProxy?: string | undefined;
  /** The app listens behind the Bun front (src/edge/bun/front.ts) on a private socket. */
  readonly behindFront?: boolean;
  readonly admission?: AdmissionOptions;
  readonly gate?: CrowdGateOptions;
  readonly loginLimits?: LoginLimits;
  /** How long to wait for the first welcome before giving up (the writer may be starting). */
  readonly connectTimeoutMs?: number;
  readonly view?: { readonly claimersMax?: number; readonly campaignsMax?: number };
  /**
   * With a writer on a test clock: the clock to use (an edge in the writer's own process, as
   * in the contract tests, shares the writer's); else the edge keeps one that follows the writer.
   */
  readonly testClock?: TestClock;
}

export interface EdgeService {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly writer: WriterClient;
  readonly view: StateView;
  readonly adminToken: string;
  close(): Promise<void>;
}

/** After a failed read of the shared rows, the next try waits this long (authentication waits meanwhile). */
const CATCH_UP_RETRY_MS = 1_000;

/** The calendar the writer's rules document and special days make. */
function calendarOf(rules: unknown, specialDays: readonly unknown[]): Calendar {
  let calendar: Calendar;
  if (rules === null || rules === undefined) calendar = new SpecialDayCalendar(DEFAULT_RULE_SET);
  else {
    const parsed = SpecialDayCalendar.fromJson(rules);
    if (!parsed.ok) throw new Error(`the writer's rules document: ${parsed.error.message}`);
    calendar = parsed.value;
  }
  for (const rule of specialDays) {
    const next = calendar.withDay?.(rule);
    if (next?.ok === true) calendar = next.value;
  }
  return calendar;
}

/**
 * An edge: the whole HTTP app (src/api/app.ts) with the engine front replaced by a client of
 * the writer. Auth, validation, idempotency headers, the crowd gate, admission and metrics run
 * here; the ledger stays with the writer. It starts once the writer has welcomed it, and keeps
 * serving (503 + Retry-After for what needs the writer) while it reconnects.
 */
export async function createEdgeService(config: EdgeConfig): Promise<EdgeService> {
  const logger = await loggerFor(config);
  const view = new StateView(config.view);
  let rules: unknown = null;
  let specialDays: unknown[] = [];
  let engine: RemoteEngine | undefined;
  let first: Snapshot | undefined;
  let testClock: TestClock | undefined;
  let metrics: Metrics | undefined;
  /** A clock of the edge's own follows the writer's; one shared with the writer needs no help. */
  const follow = (now: number) => {
    if (config.testClock === undefined) testClock?.set(now);
  };
  let identity: Identity | undefined;
  let covers: Covers | undefined;
  let live: LiveEvents | undefined;
  /** Rows heard before identity and covers were first read: applied over what was read. */
  const early: SharedRow[] = [];
  /** False from losing the writer until every shared row was read again. */
  let identityCurrent = false;
  const applyRow = (change: SharedRow) => {
    if (identity === undefined || covers === undefined) early.push(change);
    else if (change.kind === "cover") covers.apply(change.row);
    else identity.apply(change);
  };
  const learn = (facts: readonly Fact[]) => {
    view.apply(facts);
    for (const fact of facts) {
      if (fact.k === "row") {
        applyRow(fact.change);
        // The writer answers the row's write once every edge has said this.
        writer.call(ROWS_APPLIED, [fact.seq]).catch(() => undefined);
      } else if (fact.k === "live") live?.publish(fact.users, fact.event, fact.data);
    }
    const added = facts.filter((fact) => fact.k === "specialDay").map((fact) => fact.rule);
    if (added.length > 0) {
      specialDays = [...specialDays, ...added];
      if (engine !== undefined) engine.calendar = calendarOf(rules, specialDays);
    }
  };
  const writer: WriterClient = new WriterClient({
    address: config.writer,
    secret: config.secret,
    name: config.name,
    onWelcome: (snapshot, status) => {
      first ??= snapshot;
      view.reset();
      rules = snapshot.rules;
      specialDays = [];
      if (engine !== undefined) engine.calendar = calendarOf(rules, specialDays);
      learn(snapshot.facts);
      follow(status.now);
      if (identity !== undefined) void catchUp();
    },
    onFacts: learn,
    onStatus: (status) => follow(status.now),
    onState: (connected, reason) => {
      metrics?.wireConnections.set(connected ? 1 : 0);
      if (connected) logger.info({ writer: writer.writer }, "connected to the writer");
      else {
        identityCurrent = false;
        logger.warn({ reason }, "lost the writer; answering 503 until it is back");
      }
    },
    onCallDone: (op, seconds) => metrics?.observeWireCall(op, seconds),
  });
  const identityStore = remoteIdentityStore(writer);
  const coverTables = remoteCoverTables(writer);
  try {
    await writer.ready(config.connectTimeoutMs ?? 30_000);
  } catch (error) {
    writer.close();
    throw error;
  }
  /** Reads every shared row again after a reconnect: rows written meanwhile were not heard. */
  let catchUps = 0;
  const catchUp = async () => {
    // Only the read begun on the newest connection may say the rows are current.
    catchUps += 1;
    const attempt = catchUps;
    try {
      const [state, rows] = await Promise.all([identityStore.loadIdentity(), coverTables.list()]);
      identity?.absorb(state);
      for (const row of rows) covers?.apply(row);
      if (attempt === catchUps) identityCurrent = writer.connected;
    } catch (error) {
      logger.warn({ err: error }, "could not read the shared rows again; retrying");
      setTimeout(() => {
        if (attempt === catchUps && writer.connected) void catchUp();
      }, CATCH_UP_RETRY_MS).unref();
    }
  };
  const setup = (first as Snapshot).setup;
  if (setup.testClock) testClock = config.testClock ?? new TestClock(writer.status?.now ?? Date.now());
  engine = new RemoteEngine({
    writer,
    view,
    calendar: calendarOf(rules, specialDays),
    testClock,
    isolation: setup.isolation,
  });
  const clock = engine.clock;
  const gate = new CrowdGate({
    ...config.gate,
    observeWait: (waitedMs) => {
      metrics?.observeGateWait(waitedMs);
      config.gate?.observeWait?.(waitedMs);
    },
  });
  metrics = new Metrics(
    () => undefined,
    () => gate.stats,
  );
  metrics.wireConnections.set(writer.connected ? 1 : 0);
  const privateKey = createPrivateKey(setup.evidenceKeyPem);
  const tokens = new Tokens({ secret: Buffer.from(setup.tokenSecret, "hex"), adminToken: setup.adminToken, clock });
  identity = await Identity.load(identityStore, tokens, clock);
  covers = await Covers.load(coverTables, clock);
  for (const change of early.splice(0)) applyRow(change);
  identityCurrent = writer.connected;
  const admission = new CampaignAdmission(engine, config.admission);
  live = new LiveEvents(
    () => gate.overloaded || admission.level < 1,
    () => undefined, // the writer names a group's members with each event
    setup.live,
  );
  metrics.watchLive(live);
  const context: AppContext = {
    engine,
    store: remoteStore(writer),
    tokens,
    identity,
    identityCurrent: () => identityCurrent,
    covers,
    productTokens: setup.exchange === null ? undefined : await ProductTokens.create(setup.exchange, clock),
    // Places are counted at the writer, one line per campaign for every edge (docs/edges.md).
    line: setup.waitingRoom ? new RemoteLine(writer, tokens.deriveKey("draw seeds"), clock) : undefined,
    webhookPolicy: { allowPrivate: setup.webhookAllowPrivate },
    live,
    ...(setup.devCodes
      ? {
          devCodes: {
            last: async (phone: string) => orUndefined<string>(await writer.call("devCodes.last", [phone])),
          },
        }
      : {}),
    codes: remoteCodes(writer, clock),
    sharedLimits: async (store, key, windowMs, cache) =>
      (await writer.call("limits.incr", [store, key, windowMs, cache])) as { current: number; ttl: number },
    login: { signup: setup.signup, limits: config.loginLimits ?? DEFAULT_LOGIN_LIMITS },
    metrics,
    admission,
    gate,
    testClock,
    randomBytes,
    evidenceKey: { privateKey, publicKey: createPublicKey(privateKey) },
  };
  const app = await buildApp(context, {
    logger,
    trustProxy: config.trustProxy,
    corsOrigins: [...setup.corsOrigins],
    behindFront: config.behindFront === true,
  });
  if (setup.isolation) gate.start();
  const loadReports = setup.waitingRoom ? reportLoad(writer, gate) : undefined;
  let closing: Promise<void> | undefined;
  return {
    app,
    context,
    writer,
    view,
    adminToken: setup.adminToken,
    close() {
      closing ??= (async () => {
        clearInterval(loadReports);
        gate.stop();
        const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        // Only after the app: every request under way has had its writer's answer.
        writer.close();
      })();
      return closing;
    },
  };
}

/** How often an edge tells the writer its HTTP load. */
const LOAD_REPORT_EVERY_MS = 250;

/**
 * Tells the writer, every LOAD_REPORT_EVERY_MS while connected, what this edge's crowd gate
 * measured: the waiting room at the writer sees no HTTP, and without the edges' figure it
 * admitted at its starting rate (a million people through one edge: sold out in 124 s against
 * 26 s in one process; decision 0066).
 */
function reportLoad(writer: WriterClient, gate: CrowdGate): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (!writer.connected) return;
    const { claimsPerSecond, lateAtOnceTotal } = gate.stats;
    writer
      .call(EDGE_LOAD, [Number.isFinite(claimsPerSecond) ? claimsPerSecond : null, lateAtOnceTotal])
      .catch(() => undefined);
  }, LOAD_REPORT_EVERY_MS);
  timer.unref();
  return timer;
}

/** SIGTERM or SIGINT: the edge finishes its requests (their writer still answering), then exits. */
export function stopOnSignal(edge: Pick<EdgeService, "close">): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    edge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
