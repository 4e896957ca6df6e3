import { createHash, timingSafeEqual } from "node:crypto";
import { existsSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { CoverTablesPort } from "../api/covers.js";
import { ApiError } from "../api/errors.js";
import type { Line, LineClaim, LineOutcome } from "../api/line.js";
import { liveEventsOf } from "../api/live-events.js";
import type { LoginCodeBook } from "../api/login-codes.js";
import { sharedWindows } from "../api/login-limits.js";
import type { Result } from "../domain/errors.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { TestClock } from "../engine/clock.js";
import type { Command } from "../engine/commands.js";
import {
  type Answer,
  type Engine,
  EngineStoppedError,
  EngineUnavailableError,
  type Idempotency,
} from "../engine/engine.js";
import type { Batch, LedgerStore } from "../engine/store-port.js";
import type { IdentityState, IdentityStore } from "../store/identity-port.js";
import { WireConnection } from "../wire/connection.js";
import { WIRE_VERSION } from "../wire/frames.js";
import {
  asClientMessage,
  type Call,
  type EdgeSetup,
  type Fact,
  paidClaimOf,
  type Reply,
  type SharedRow,
  type WireError,
  type WriterMessage,
  type WriterStatus,
} from "../wire/messages.js";
import {
  COVER_CALLS,
  EDGE_LOAD,
  ENGINE_READS,
  EVENT_CALLS,
  GENERATIONS_PER_PART,
  IDENTITY_CALLS,
  LIST_READS,
  ROWS_APPLIED,
  STORE_READS,
} from "./forwarded.js";

/** A connection that has not said hello with the right secret this long after connecting is closed. */
export const HELLO_DEADLINE_MS = 5_000;
/** Calls one edge may have under way at the writer; past it the edge is refused, not buffered. */
export const CALLS_PER_EDGE_MAX = 50_000;
/** How often the writer's load and clock go to edges when no commit carries them. */
const STATUS_EVERY_MS = 100;
/**
 * How long a shared row's write waits for every edge to say it applied the row; an edge that
 * has not by then is cut off, and reads every shared row again when it reconnects.
 */
export const ROW_ACK_DEADLINE_MS = 10_000;
/** Snapshot facts per frame: a campaign is well under 1 KiB, so a chunk stays far below the frame bound. */
const FACTS_PER_MESSAGE = 500;

export interface WireLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface WireObserver {
  /** How long a call waited at the writer from its arrival to its reply, by op, in seconds. */
  callServed?(op: string, seconds: number): void;
  connections?(count: number): void;
}

export interface WriterServerOptions {
  readonly engine: Engine;
  readonly store: LedgerStore;
  /** Edges must say it in their hello; required to listen on TCP. */
  readonly secret: string | undefined;
  /** The rules document the calendar came from, handed to edges so they compute the same limits. */
  readonly rules: unknown;
  readonly setup: EdgeSetup;
  readonly testClock: TestClock | undefined;
  /** Login codes live with the writer, so a code asked for through one edge is checked through any. */
  readonly codes: LoginCodeBook;
  /** The identity tables as the writer writes them: each write is told to every edge before it is answered. */
  readonly identityStore?: IdentityStore;
  readonly coverTables?: CoverTablesPort;
  /** The writer's identity in memory: an edge reads it whole when it starts or reconnects. */
  readonly identity?: { state(): IdentityState };
  /** The dev sender's last codes, when login codes go to it. */
  readonly devCodes?: { last(phone: string): string | undefined };
  /** The waiting room's lines, counted here for every edge; undefined when it is off. */
  readonly line?: Line | undefined;
  readonly logger: WireLogger;
  readonly observer?: WireObserver;
  /** The writer lease's epoch while this writer holds it (PostgreSQL), told to every edge it welcomes. */
  readonly epoch?: () => number | undefined;
}

/** The answer the writer renders for an edge: the result itself, rendered again at the edge. */
interface Carried extends Answer {
  readonly result?: Result<unknown>;
}

type Op = (args: readonly unknown[]) => unknown;

/** An edge's load report older than this is not counted: the edge stopped measuring, or is gone. */
const EDGE_LOAD_FRESH_MS = 3_000;
/** Places at once one load report may add: far above what an edge gives in 250 ms. */
const LATE_GROWTH_MAX = 1_000_000;

/**
 * Serves the engine to edges (docs/wire.md): each call is one narrow engine or store method;
 * commands are answered only once their batch is durable, as over HTTP in one process. After
 * every durable batch the facts it made true go to every edge, with the writer's load.
 */
export class WriterServer {
  readonly #options: WriterServerOptions;
  readonly #servers: Server[] = [];
  readonly #peers = new Set<Peer>();
  readonly #ops: Record<string, Op>;
  readonly #secretDigest: Buffer | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closing = false;
  #rowSeq = 0;
  /** Shared rows sent and not yet applied by every edge, by seq. */
  readonly #rowWaits = new Map<number, { readonly pending: Set<Peer>; readonly done: () => void }>();
  /** Claims the edges placed at once, summed from their load reports as each total grew. */
  #edgesLateAtOnce = 0;
  #claimCallsServed = 0;

  readonly #members: (groupId: string) => ReadonlySet<string> | undefined;

  constructor(options: WriterServerOptions) {
    this.#options = options;
    this.#members = (groupId) => options.engine.groupMembers(groupId);
    this.#secretDigest = options.secret === undefined ? undefined : digest(options.secret);
    this.#ops = opsOf(options, () => this.#broadcast({ t: "status", status: this.status() }));
  }

  /** Plugs into the engine's observer: facts leave after each durable batch. */
  batchDurable(batch: Batch): void {
    if (this.#peers.size === 0) return;
    const facts = factsOf(batch, this.#options.engine);
    if (facts.length === 0) return;
    const status = this.status();
    for (const part of inFrames(facts)) this.#broadcast({ t: "facts", facts: part, status });
  }

  /** Plugs into the engine's observer: a durable command's live events go to every edge's streams. */
  committed(command: Command, result: Result<unknown>): void {
    if (this.#peers.size === 0 || !result.ok) return;
    const events = liveEventsOf(command, result, this.#members);
    // Most commands of a crowd (claims) have none: no facts array, no status, for them.
    if (events.length === 0) return;
    const facts: Fact[] = events.map(({ users, event, data }) => ({ k: "live", users: [...users], event, data }));
    this.#broadcast({ t: "facts", facts, status: this.status() });
  }

  /**
   * A shared row was written: every edge connected now applies it before this resolves, so
   * what the write's answer says (a key revoked, a user logged out) holds on every edge.
   */
  rowChanged(change: SharedRow): Promise<void> {
    const peers = [...this.#peers].filter((peer) => peer.welcomed);
    if (peers.length === 0) return Promise.resolve();
    this.#rowSeq += 1;
    const seq = this.#rowSeq;
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        for (const peer of this.#rowWaits.get(seq)?.pending ?? []) {
          peer.connection.close("a shared row was not applied in time");
        }
        done();
      }, ROW_ACK_DEADLINE_MS);
      const done = () => {
        clearTimeout(deadline);
        this.#rowWaits.delete(seq);
        resolve();
      };
      this.#rowWaits.set(seq, { pending: new Set(peers), done });
      for (const peer of peers)
        peer.connection.send({ t: "facts", facts: [{ k: "row", seq, change }], status: this.status() });
    });
  }

  /**
   * What the edges connected lately said of their HTTP load (decision 0066): the sum of the
   * claims a second their crowd gates measured (NaN while none has measured one within
   * EDGE_LOAD_FRESH_MS), and how many claims they placed at once in all, a total that only grows.
   */
  edgesLoad(): { readonly claimsPerSecond: number; readonly lateAtOnceTotal: number } {
    const now = performance.now();
    let claimsPerSecond = Number.NaN;
    for (const peer of this.#peers) {
      const measured = peer.claimsPerSecond;
      if (!peer.welcomed || !(measured > 0) || now - peer.loadAt > EDGE_LOAD_FRESH_MS) continue;
      claimsPerSecond = Number.isNaN(claimsPerSecond) ? measured : claimsPerSecond + measured;
    }
    return { claimsPerSecond, lateAtOnceTotal: this.#edgesLateAtOnce };
  }

  /**
   * @internal for Peer: an edge's load report. Its places at once are added as they grow; the
   * first total on a connection is only where growth is counted from (an edge that reconnects
   * sends the total since it started, already counted), and one report adds at most
   * LATE_GROWTH_MAX (the sum stays exact).
   */
  edgeLoad(peer: Peer, claimsPerSecond: unknown, lateAtOnceTotal: unknown): void {
    peer.claimsPerSecond =
      typeof claimsPerSecond === "number" && Number.isFinite(claimsPerSecond) ? claimsPerSecond : Number.NaN;
    peer.loadAt = performance.now();
    if (typeof lateAtOnceTotal !== "number" || !Number.isSafeInteger(lateAtOnceTotal) || lateAtOnceTotal < 0) return;
    if (peer.lateAtOnceTotal !== undefined)
      this.#edgesLateAtOnce += Math.min(LATE_GROWTH_MAX, Math.max(0, lateAtOnceTotal - peer.lateAtOnceTotal));
    peer.lateAtOnceTotal = Math.max(peer.lateAtOnceTotal ?? 0, lateAtOnceTotal);
  }

  /** @internal for the ack call and Peer: `peer` has applied every row up to `seq`, or is gone. */
  rowsApplied(peer: Peer, seq: number): void {
    for (const [waiting, wait] of [...this.#rowWaits]) {
      if (waiting > seq) continue;
      wait.pending.delete(peer);
      if (wait.pending.size === 0) wait.done();
    }
  }

  status(): WriterStatus {
    const { engine, testClock } = this.#options;
    return {
      ready: engine.ready,
      now: testClock?.now() ?? Date.now(),
      queueDepth: engine.queueDepth,
      laneDepth: { critical: engine.laneDepth("critical"), campaign: engine.laneDepth("campaign") },
      queueDelayMs: { critical: engine.queueDelayMs("critical"), campaign: engine.queueDelayMs("campaign") },
    };
  }

  async listenUnix(path: string): Promise<void> {
    if (existsSync(path)) unlinkSync(path); // a socket file left by a writer that was killed
    await this.#listen((server) => server.listen(path));
  }

  /** Listens on TCP; refuses to without a secret, since anyone who can connect could move money. */
  async listenTcp(host: string, port: number): Promise<number> {
    if (this.#secretDigest === undefined) throw new Error("the writer listens on TCP only with a shared secret");
    const server = await this.#listen((s) => s.listen(port, host));
    const address = server.address();
    return typeof address === "object" && address !== null ? address.port : port;
  }

  async #listen(start: (server: Server) => void): Promise<Server> {
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.once("listening", () => {
        server.off("error", reject);
        resolve();
      });
      start(server);
    });
    this.#servers.push(server);
    this.#heartbeat ??= setInterval(() => {
      if (this.#peers.size > 0) this.#broadcast({ t: "status", status: this.status() });
    }, STATUS_EVERY_MS).unref();
    return server;
  }

  get edges(): number {
    let count = 0;
    for (const peer of this.#peers) if (peer.welcomed) count += 1;
    return count;
  }

  #accept(socket: Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    const peer = new Peer(socket, this);
    this.#peers.add(peer);
    this.#options.observer?.connections?.(this.#peers.size);
  }

  /** @internal for Peer */
  forget(peer: Peer, reason: string): void {
    if (!this.#peers.delete(peer)) return;
    this.rowsApplied(peer, Number.POSITIVE_INFINITY);
    this.#options.observer?.connections?.(this.#peers.size);
    this.#options.logger.info({ edge: peer.name, reason }, "edge connection closed");
  }

  /** @internal for Peer */
  checkHello(secret: string, version: number): string | undefined {
    if (version !== WIRE_VERSION)
      return `wire version ${version} is not spoken here (this writer speaks ${WIRE_VERSION})`;
    if (this.#secretDigest !== undefined && !timingSafeEqual(digest(secret), this.#secretDigest)) return "wrong secret";
    if (this.#closing) return "the writer is stopping";
    return undefined;
  }

  /** @internal for Peer */
  welcome(): WriterMessage[] {
    const { engine, rules, setup } = this.#options;
    let facts: Fact[] = [];
    try {
      facts = [
        ...engine.openCampaigns().map((open) => ({ k: "campaign", ...open }) as const),
        ...engine.specialDayRules().map((rule) => ({ k: "specialDay", rule }) as const),
      ];
    } catch {
      // Memory is being rebuilt: the edge starts from no facts and asks the writer for everything.
    }
    // In chunks, so thousands of campaigns never make a frame over the bound.
    const status = this.status();
    const messages: WriterMessage[] = [
      {
        t: "welcome",
        v: WIRE_VERSION,
        status,
        snapshot: { facts: [], rules, setup },
        epoch: this.#options.epoch?.() ?? null,
      },
    ];
    for (let i = 0; i < facts.length; i += FACTS_PER_MESSAGE)
      messages.push({ t: "facts", facts: facts.slice(i, i + FACTS_PER_MESSAGE), status });
    return messages;
  }

  /** @internal for Peer */
  op(name: string): Op | undefined {
    return Object.hasOwn(this.#ops, name) ? this.#ops[name] : undefined;
  }

  /** @internal for Peer */
  logRefusal(peer: Peer, reason: string): void {
    this.#options.logger.warn({ edge: peer.name, reason }, "edge connection refused");
  }

  /** @internal for Peer */
  served(op: string, seconds: number): void {
    if (op === "line.claim" || op === "line.preQueue") this.#claimCallsServed += 1;
    this.#options.observer?.callServed?.(op, seconds);
  }

  /**
   * Claims answered since start: `line.claim` and `line.preQueue`, each one claim request an edge
   * read (a place, a return or a decision), as a single process's gate counts claims; not the
   * queue's reads (`line.look`).
   */
  get claimCallsServed(): number {
    return this.#claimCallsServed;
  }

  #broadcast(message: WriterMessage): void {
    for (const peer of this.#peers) if (peer.welcomed) peer.connection.send(message);
  }

  /**
   * Closes every edge's connection at once, answering nothing more on it: what a cut network
   * looks like to edges (fault drills). Edges reconnect; their keyed commands can be retried.
   */
  drop(reason: string): void {
    for (const peer of [...this.#peers]) peer.connection.close(reason);
  }

  /** Stops taking edges, lets calls under way get their answers, then closes every connection. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#heartbeat);
    for (const server of this.#servers) server.close();
    while ([...this.#peers].some((peer) => peer.calls > 0)) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const peer of [...this.#peers]) peer.connection.close("the writer is stopping");
  }
}

class Peer {
  readonly connection: WireConnection;
  name = "?";
  welcomed = false;
  calls = 0;
  /** The edge's last load report (EDGE_LOAD), and when it came (performance.now()). */
  claimsPerSecond = Number.NaN;
  lateAtOnceTotal: number | undefined;
  loadAt = 0;
  readonly #writer: WriterServer;
  readonly #helloDeadline: NodeJS.Timeout;

  constructor(socket: Socket, writer: WriterServer) {
    this.#writer = writer;
    this.connection = new WireConnection(
      socket,
      {
        message: (message) => this.#receive(message),
        closed: (reason) => {
          clearTimeout(this.#helloDeadline);
          writer.forget(this, reason);
        },
        // A reply too large for any frame: the call fails, its edge and every other call go on.
        oversized: (_kind, item) => {
          const [id] = item as Reply;
          return [id, false, { kind: "internal", message: "the answer is larger than a frame" }] satisfies Reply;
        },
      },
      { pauseReads: true },
    );
    this.#helloDeadline = setTimeout(() => this.#refuse("no hello in time"), HELLO_DEADLINE_MS);
  }

  #refuse(reason: string): void {
    this.#writer.logRefusal(this, reason);
    this.connection.send({ t: "refused", reason });
    this.connection.close(reason);
  }

  #receive(raw: unknown): void {
    const message = asClientMessage(raw);
    if (message === undefined) {
      this.#refuse("a message the protocol does not have");
      return;
    }
    if (message.t === "hello") {
      if (this.welcomed) {
        this.#refuse("hello twice");
        return;
      }
      this.name = message.edge.slice(0, 100);
      clearTimeout(this.#helloDeadline);
      const refusal = this.#writer.checkHello(message.secret, message.v);
      if (refusal !== undefined) {
        this.#refuse(refusal);
        return;
      }
      this.welcomed = true;
      for (const welcome of this.#writer.welcome()) this.connection.send(welcome);
      return;
    }
    if (!this.welcomed) {
      this.#refuse("a call before hello");
      return;
    }
    // Every call of the frame arrived now: one clock read serves them all.
    const arrived = performance.now();
    for (const call of message.calls) {
      if (!this.connection.open) return;
      this.#dispatch(call, arrived);
    }
  }

  #dispatch([id, name, args]: Call, arrived: number): void {
    if (name === ROWS_APPLIED) {
      const seq = args[0];
      if (typeof seq === "number") this.#writer.rowsApplied(this, seq);
      this.#reply([id, true, null]);
      return;
    }
    if (name === EDGE_LOAD) {
      this.#writer.edgeLoad(this, args[0], args[1]);
      this.#reply([id, true, null]);
      return;
    }
    const op = this.#writer.op(name);
    if (op === undefined) {
      this.#refuse(`no such call: ${name.slice(0, 100)}`);
      return;
    }
    if (this.calls >= CALLS_PER_EDGE_MAX) {
      this.#reply([id, false, { kind: "refused", message: "too many calls" }]);
      return;
    }
    this.#call(id, name, op, args, arrived);
  }

  #reply(reply: Reply): void {
    this.connection.queue("replies", reply);
  }

  #call(id: number, name: string, op: Op, args: readonly unknown[], arrived: number): void {
    this.calls += 1;
    const done = (reply: Reply) => {
      this.calls -= 1;
      this.#writer.served(name, (performance.now() - arrived) / 1000);
      this.#reply(reply);
    };
    let value: unknown;
    try {
      value = op(args);
    } catch (error) {
      done([id, false, wireErrorOf(error)]);
      return;
    }
    if (value instanceof Shaped) {
      value.promise.then(
        (resolved) => {
          let shaped: unknown;
          try {
            shaped = value.shape(resolved as never);
          } catch (error) {
            done([id, false, wireErrorOf(error)]);
            return;
          }
          done([id, true, shaped]);
        },
        (error: unknown) => done([id, false, wireErrorOf(error)]),
      );
      return;
    }
    if (!(value instanceof Promise)) {
      done([id, true, value]);
      return;
    }
    value.then(
      (resolved) => done([id, true, resolved]),
      (error: unknown) => done([id, false, wireErrorOf(error)]),
    );
  }
}

/** A value to come, put in its wire shape as it settles: one reaction a call, where `.then(shape)` adds a second. */
class Shaped {
  constructor(
    readonly promise: Promise<unknown>,
    readonly shape: (value: never) => unknown,
  ) {}
}

function wireErrorOf(error: unknown): WireError {
  if (error instanceof ApiError)
    return {
      kind: "api",
      message: error.message,
      code: error.code,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  if (error instanceof EngineUnavailableError) return { kind: "unavailable", message: error.message };
  if (error instanceof EngineStoppedError) return { kind: "stopped", message: error.message };
  return { kind: "internal", message: error instanceof Error ? error.message : String(error) };
}

function digest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

const str = (value: unknown): string => (typeof value === "string" ? value : String(value));

/** The calls an edge may make: the engine front's narrow methods and the store's reads. */
function opsOf(options: WriterServerOptions, clockSet: () => void): Record<string, Op> {
  const { engine, store, testClock, codes } = options;
  const limits = sharedWindows(codes.clock);
  const identityParts = new IdentityParts(() => {
    if (options.identity === undefined) throw new Error("this writer keeps no identity");
    return options.identity.state();
  });
  // Bound to their objects by name, only for the names an edge may call (src/edge/forwarded.ts).
  const named = (prefix: string, target: object | undefined, names: readonly string[]): Record<string, Op> => {
    const ops: Record<string, Op> = {};
    if (target === undefined) return ops;
    for (const name of names) {
      const method = (target as Record<string, (...args: unknown[]) => unknown>)[name];
      if (typeof method !== "function") continue;
      ops[`${prefix}${name}`] = async (args) => (await method.apply(target, [...args])) ?? null;
    }
    return ops;
  };
  return {
    ...named("store.", store, STORE_READS),
    ...named("store.lists.", store.lists, LIST_READS),
    ...named("store.events.", store.events, EVENT_CALLS),
    ...named("identity.", options.identityStore, IDENTITY_CALLS),
    ...named("covers.", options.coverTables, COVER_CALLS),
    ...named("", engine, ENGINE_READS),
    "devCodes.last": ([phone]) => options.devCodes?.last(str(phone)) ?? null,
    "identity.state": () => identityParts.first(),
    "identity.statePart": ([id, offset]) => identityParts.part(str(id), Number(offset)),
    "limits.incr": ([storeId, key, windowMs, cache]) =>
      limits(Number(storeId), str(key), Number(windowMs), Number(cache)),
    "codes.request": ([phone, issueFor]) =>
      codes.request(str(phone), issueFor === "user" || issueFor === "signup" ? issueFor : undefined),
    "codes.verify": ([phone, code]) => codes.verify(str(phone), str(code)),
    execute: async ([command, idempotency]) =>
      carried(await engine.execute(command as never, carry, (idempotency ?? undefined) as Idempotency | undefined)),
    ...lineOps(options.line),
    submit: ([command]) => engine.submit(command as never),
    runDueTimers: async ([now]) => {
      if (testClock !== undefined && typeof now === "number") {
        testClock.set(now);
        clockSet(); // every edge hears the new time before the edge that set it is answered
      }
      await engine.runDueTimers();
      return testClock?.now() ?? Date.now();
    },
    hasUser: ([userId]) => engine.hasUser(str(userId)),
    userIdByPhone: ([phone]) => engine.userIdByPhone(str(phone)) ?? null,
    isGroupMember: ([groupId, userId]) => engine.isGroupMember(str(groupId), str(userId)),
    packet: ([id]) => engine.packet(str(id)),
    transfer: ([id]) => engine.transfer(str(id)),
    campaignLive: ([id]) => engine.campaignLive(str(id)) ?? null,
    claimRefusal: ([campaignId, userId]) => engine.claimRefusal(str(campaignId), str(userId)) ?? null,
  };
}

const carry = (result: Result<unknown>): Carried => ({ status: 0, body: "", result });

/** An answer for the edge to render: the result, or an answer stored whole by an older version as it was rendered then. */
function carried(answer: Carried) {
  return answer.result === undefined
    ? { answer: { status: answer.status, body: answer.body }, replayed: answer.replayed === true }
    : { result: answer.result, replayed: answer.replayed === true };
}

/** The waiting room's calls: one line per campaign, whichever edge a claim came through. */
function lineOps(line: Line | undefined): Record<string, Op> {
  if (line === undefined) return {};
  const ticketOf = (value: unknown) => (typeof value === "string" ? value : undefined);
  // Field by field, in carried()'s order (the same bytes): a spread of a fresh object is V8's slow path.
  const sent = (outcome: LineOutcome) => {
    if (outcome.kind !== "decided") return outcome;
    const answer = outcome.answer as Carried;
    const replayed = answer.replayed === true;
    const paid = paidClaimOf(outcome.outcome, answer.result, replayed);
    if (paid !== undefined) return paid;
    return answer.result === undefined
      ? { kind: "decided", outcome: outcome.outcome, answer: { status: answer.status, body: answer.body }, replayed }
      : { kind: "decided", outcome: outcome.outcome, result: answer.result, replayed };
  };
  return {
    "line.preQueue": ([campaignId, startsAt, userId, ticket]) =>
      line.preQueue(str(campaignId), Number(startsAt), str(userId), ticketOf(ticket)),
    "line.claim": ([campaignId, userId, ticket, admitted, late, idempotency]) => {
      const request: LineClaim = {
        campaignId: str(campaignId),
        userId: str(userId),
        ticket: ticketOf(ticket),
        admitted: typeof admitted === "boolean" ? admitted : undefined,
        late: late === true,
        idempotency: (idempotency ?? undefined) as Idempotency | undefined,
      };
      const outcome = line.claim(request, carry);
      return outcome instanceof Promise ? new Shaped(outcome, sent) : sent(outcome);
    },
    "line.look": ([campaignId, userId, ticket]) => line.look(str(campaignId), str(userId), str(ticket)),
    "line.draw": ([campaignId, startsAt]) => line.draw({ id: str(campaignId), startsAt: Number(startsAt) }),
  };
}

/** How long the rest of an identity state read in parts is kept for the edge reading it. */
const IDENTITY_PARTS_KEPT_MS = 60_000;
/** Identity states being read in parts at once, at most (an edge each, while it starts). */
const IDENTITY_READS_MAX = 64;

/**
 * The identity state for edges, in parts no frame is too small for: the first reply has the
 * keys and the first token generations; the rest stay here, by id, until read or expired.
 */
class IdentityParts {
  readonly #state: () => IdentityState;
  readonly #kept = new Map<string, { generations: IdentityState["tokenGenerations"]; timer: NodeJS.Timeout }>();
  #next = 0;

  constructor(state: () => IdentityState) {
    this.#state = state;
  }

  first(): IdentityState & { readonly more: string | null } {
    const state = this.#state();
    const generations = state.tokenGenerations;
    if (generations.length <= GENERATIONS_PER_PART) return { ...state, more: null };
    if (this.#kept.size >= IDENTITY_READS_MAX)
      throw new ApiError("BUSY", "too many identity reads at once; retry shortly");
    this.#next += 1;
    const id = String(this.#next);
    const timer = setTimeout(() => this.#kept.delete(id), IDENTITY_PARTS_KEPT_MS).unref();
    this.#kept.set(id, { generations, timer });
    return { ...state, tokenGenerations: generations.slice(0, GENERATIONS_PER_PART), more: id };
  }

  part(id: string, offset: number): { tokenGenerations: IdentityState["tokenGenerations"]; done: boolean } {
    const kept = this.#kept.get(id);
    if (kept === undefined) throw new ApiError("BUSY", "the identity read expired; start again");
    const tokenGenerations = kept.generations.slice(offset, offset + GENERATIONS_PER_PART);
    const done = offset + GENERATIONS_PER_PART >= kept.generations.length;
    if (done) {
      clearTimeout(kept.timer);
      this.#kept.delete(id);
    }
    return { tokenGenerations, done };
  }
}

/** The facts a durable batch made true: campaigns as they now are, who claimed, special days. */
function factsOf(batch: Batch, engine: Engine): Fact[] {
  const facts: Fact[] = [];
  const byCampaign = new Map<string, { users: string[]; amount: number }>();
  for (const claim of batch.claims) {
    const entry = byCampaign.get(claim.campaignId) ?? { users: [], amount: 0 };
    entry.users.push(claim.userId);
    entry.amount += claim.amount;
    byCampaign.set(claim.campaignId, entry);
  }
  for (const campaign of batch.campaigns) {
    const live = engine.campaignLive(campaign.id);
    // The claims of this batch are counted in memory already; they are sent as their own fact below.
    const ofThisBatch = byCampaign.get(campaign.id)?.amount ?? 0;
    facts.push({ k: "campaign", campaign, claimedAmount: (live?.claimedAmount ?? 0) - ofThisBatch });
  }
  for (const [c, { users, amount }] of byCampaign) facts.push({ k: "claims", c, users, amount });
  for (const rule of batch.specialDays) facts.push({ k: "specialDay", rule });
  for (const group of batch.groups) facts.push({ k: "group", id: group.id, members: group.memberIds });
  // A packet is in the batch when it is sent and when it settles; its grabs in between come as their own facts.
  const withPacket = new Set<string>();
  for (const packet of batch.packets) {
    withPacket.add(packet.id);
    facts.push(packetFact(packet));
  }
  const grabsOf = new Map<string, string[]>();
  for (const grab of batch.grabs) {
    if (withPacket.has(grab.packetId)) continue;
    const users = grabsOf.get(grab.packetId) ?? [];
    users.push(grab.userId);
    grabsOf.set(grab.packetId, users);
  }
  for (const [p, users] of grabsOf) facts.push({ k: "grabs", p, users });
  return facts;
}

/** A packet as an edge's view needs it: who may open it, whether it is settled, who grabbed. */
export function packetFact(packet: RedPacket): Fact {
  return {
    k: "packet",
    id: packet.id,
    status: packet.status,
    expiresAt: packet.expiresAt,
    recipient: packet.recipient,
    groupId: packet.groupId,
    grabbers: packet.grabs.map((grab) => grab.userId),
  };
}

/** Bytes of facts one message carries at most, by a generous estimate: far below the frame bound. */
const FACT_BYTES_PER_MESSAGE = 256 * 1024;

/** A batch's facts in messages no frame is too small for (a batch of groups alone can hold millions of ids). */
export function inFrames(facts: readonly Fact[]): Fact[][] {
  const parts: Fact[][] = [];
  let part: Fact[] = [];
  let bytes = 0;
  for (const fact of facts) {
    const size = estimatedBytes(fact);
    if (part.length > 0 && bytes + size > FACT_BYTES_PER_MESSAGE) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(fact);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/** Ids are at most 64 characters; a campaign or a rule is well under 4 KiB. */
function estimatedBytes(fact: Fact): number {
  const ids =
    fact.k === "claims" || fact.k === "grabs" || fact.k === "live"
      ? fact.users.length
      : fact.k === "group"
        ? fact.members.length
        : fact.k === "packet"
          ? fact.grabbers.length
          : 0;
  return 4_096 + ids * 72;
}
