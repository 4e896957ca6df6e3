import { connect, type Socket } from "node:net";
import { ApiError } from "../api/errors.js";
import type { ErrorCode } from "../domain/errors.js";
import { EngineStoppedError, EngineUnavailableError } from "../engine/engine.js";
import { WireConnection } from "../wire/connection.js";
import { WIRE_VERSION } from "../wire/frames.js";
import {
  asWriterMessage,
  type Call,
  type Fact,
  isReply,
  type Reply,
  type Snapshot,
  type WireError,
  type WriterStatus,
} from "../wire/messages.js";

/** Calls under way to the writer at most; past it a call fails at once (503), never buffers. */
export const CALLS_IN_FLIGHT_MAX = 20_000;
/** A call without its reply this long fails (503): the command may still be applied; its key makes a retry safe. */
export const CALL_DEADLINE_MS = 10_000;
const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 1_000;
/** With a finder the next dial reads the lease again, so waiting longer between tries saves little. */
const RECONNECT_FOUND_MAX_MS = 200;
/** How often a connected edge reads the lease, to leave a writer another has taken over from. */
export const WATCH_EVERY_MS = 200;
const SWEEP_EVERY_MS = 100;

export type WriterAddress = { readonly path: string } | { readonly host: string; readonly port: number };

/** The writer the lease names: where it takes edges, and its epoch. */
export interface WriterLocation {
  readonly address: WriterAddress;
  readonly epoch: number;
}

/** Where the current writer is (undefined while none names itself); read before every dial and while connected. */
export interface WriterFinder {
  find(): Promise<WriterLocation | undefined>;
  close(): void;
}

/** A fixed writer, or one found through the store. */
export type WriterTarget = WriterAddress | WriterFinder;

function isFinder(target: WriterTarget): target is WriterFinder {
  return "find" in target;
}

function describeAddress(address: WriterAddress): string {
  return "path" in address ? address.path : joinHostPort(address.host, address.port);
}

/** HOST:PORT, an IPv6 host in brackets: what parseHostPort reads. */
export function joinHostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** HOST:PORT (an IPv6 host in brackets), or undefined when it is not one. */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = /^(.+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 0 && port <= 65535)) return undefined;
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port };
}

/** The writer cannot be reached, or did not answer in time: the edge answers 503 + Retry-After. */
export class WriterAwayError extends EngineUnavailableError {
  constructor(readonly reason: string) {
    super();
    this.message = `the ledger's writer is not reachable (${reason}); retry shortly`;
  }
}

export interface WriterClientOptions {
  readonly address: WriterTarget;
  readonly secret: string;
  /** How this edge names itself in the writer's log. */
  readonly name: string;
  readonly deadlineMs?: number;
  readonly inFlightMax?: number;
  readonly onWelcome?: (snapshot: Snapshot, status: WriterStatus) => void;
  readonly onFacts?: (facts: readonly Fact[]) => void;
  readonly onStatus?: (status: WriterStatus) => void;
  readonly onState?: (connected: boolean, reason: string) => void;
  /** How long a call spent on the wire and at the writer, in seconds. */
  readonly onCallDone?: (op: string, seconds: number) => void;
}

interface Pending {
  readonly op: string;
  readonly sentAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

/**
 * An edge's connection to its writer: calls by id with a deadline each, a bound on calls in
 * flight, and a reconnect that never stops. While there is no writer every call fails at once,
 * so the edge answers 503 + Retry-After instead of holding its clients.
 *
 * With a finder (the lease row in PostgreSQL) every dial goes where the lease names, and while
 * connected the lease is read every WATCH_EVERY_MS: once it names a newer epoch the connection
 * is dropped and the new holder dialled. The client remembers the highest epoch it has seen,
 * in the row or in a welcome, and never talks to a writer that says an older one.
 */
export class WriterClient {
  readonly #options: WriterClientOptions;
  readonly #pending = new Map<number, Pending>();
  #connection: WireConnection | undefined;
  #welcomed = false;
  #nextId = 1;
  #reconnectMs = RECONNECT_MIN_MS;
  #reconnect: NodeJS.Timeout | undefined;
  readonly #sweep: NodeJS.Timeout;
  #closed = false;
  #lastStatus: WriterStatus | undefined;
  readonly #finder: WriterFinder | undefined;
  readonly #watch: NodeJS.Timeout | undefined;
  #watching = false;
  /** The highest epoch seen in the lease or a welcome: no writer below it is talked to. */
  #seenEpoch = 0;
  /** The writer of the connection under way (dialled or welcomed). */
  #current: { address: WriterAddress; epoch: number | undefined } | undefined;

  constructor(options: WriterClientOptions) {
    this.#options = options;
    this.#sweep = setInterval(() => this.#expire(), SWEEP_EVERY_MS);
    this.#sweep.unref();
    if (isFinder(options.address)) {
      this.#finder = options.address;
      this.#watch = setInterval(() => void this.#checkLease(), WATCH_EVERY_MS);
      this.#watch.unref();
    }
    this.#connect();
  }

  /** The writer this edge is welcomed by: its address and, found through the lease, its epoch. */
  get writer(): { address: string; epoch: number | undefined } | undefined {
    const current = this.#current;
    if (!this.#welcomed || current === undefined) return undefined;
    return { address: describeAddress(current.address), epoch: current.epoch };
  }

  get connected(): boolean {
    return this.#welcomed;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  get status(): WriterStatus | undefined {
    return this.#welcomed ? this.#lastStatus : undefined;
  }

  /** Resolves once welcomed by the writer (or rejects after `timeoutMs`). */
  async ready(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.#welcomed) {
      if (Date.now() > until) throw new WriterAwayError("no writer answered in time");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  call(op: string, args: readonly unknown[]): Promise<unknown> {
    const connection = this.#connection;
    if (!this.#welcomed || connection === undefined) return Promise.reject(new WriterAwayError("not connected"));
    if (this.#pending.size >= (this.#options.inFlightMax ?? CALLS_IN_FLIGHT_MAX))
      return Promise.reject(new WriterAwayError("too many calls in flight"));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { op, sentAt: performance.now(), resolve, reject });
      if (!connection.queue("calls", [id, op, args] satisfies Call)) {
        this.#pending.delete(id);
        reject(new WriterAwayError("the connection closed"));
      }
    });
  }

  #connect(): void {
    if (this.#closed) return;
    const target = this.#options.address;
    if (!isFinder(target)) {
      this.#dial(target, undefined);
      return;
    }
    target.find().then(
      (location) => {
        if (this.#closed) return;
        // No holder names itself yet, or a read older than what was seen (a lagging replica).
        if (location === undefined || location.epoch < this.#seenEpoch) {
          this.#retry();
          return;
        }
        this.#seenEpoch = location.epoch;
        this.#dial(location.address, location.epoch);
      },
      () => this.#retry(),
    );
  }

  /** Reads the lease while connected; a newer epoch there ends this connection, to dial its holder. */
  async #checkLease(): Promise<void> {
    const finder = this.#finder;
    const connection = this.#connection;
    if (finder === undefined || connection === undefined || this.#watching) return;
    this.#watching = true;
    try {
      const location = await finder.find();
      if (location === undefined || location.epoch <= this.#seenEpoch) return;
      this.#seenEpoch = location.epoch;
      const epoch = this.#current?.epoch;
      if (this.#connection === connection && (epoch === undefined || epoch < location.epoch))
        connection.close(`the lease moved to epoch ${location.epoch} (${describeAddress(location.address)})`);
    } catch {
      // The store is away: keep the writer this edge has; it is fenced if it is no longer the holder.
    } finally {
      this.#watching = false;
    }
  }

  /** Dials again after a pause that doubles while no writer answers. */
  #retry(): void {
    if (this.#closed) return;
    this.#reconnect = setTimeout(() => this.#connect(), this.#reconnectMs);
    const max = this.#finder === undefined ? RECONNECT_MAX_MS : RECONNECT_FOUND_MAX_MS;
    this.#reconnectMs = Math.min(max, this.#reconnectMs * 2);
  }

  #dial(address: WriterAddress, epoch: number | undefined): void {
    this.#current = { address, epoch };
    const socket: Socket = "path" in address ? connect(address.path) : connect(address.port, address.host);
    const connection = new WireConnection(
      socket,
      {
        message: (message) => this.#receive(connection, message),
        closed: (reason) => this.#lost(connection, reason),
        // A call too large for any frame fails alone; the rest of its turn's calls go.
        oversized: (_kind, item) => {
          const [id] = item as Call;
          const pending = this.#pending.get(id);
          this.#pending.delete(id);
          pending?.reject(new Error("the call is larger than a frame"));
          return undefined;
        },
      },
      { pauseReads: false, gather: "loop" },
    );
    this.#connection = connection;
    socket.once("connect", () =>
      connection.send({ t: "hello", v: WIRE_VERSION, secret: this.#options.secret, edge: this.#options.name }),
    );
  }

  #receive(connection: WireConnection, raw: unknown): void {
    const message = asWriterMessage(raw);
    if (message === undefined) {
      connection.close("a message the protocol does not have");
      return;
    }
    switch (message.t) {
      case "welcome":
        if (message.v !== WIRE_VERSION) {
          connection.close(`the writer speaks wire version ${message.v}`);
          return;
        }
        if (this.#finder !== undefined) {
          // What counts is the epoch the writer holds, not the one the row said when it was read.
          if (typeof message.epoch !== "number" || message.epoch < this.#seenEpoch) {
            connection.close(`the writer there holds epoch ${message.epoch ?? "none"}, older than ${this.#seenEpoch}`);
            return;
          }
          this.#seenEpoch = message.epoch;
          if (this.#current !== undefined) this.#current = { ...this.#current, epoch: message.epoch };
        }
        this.#welcomed = true;
        this.#reconnectMs = RECONNECT_MIN_MS;
        this.#lastStatus = message.status;
        this.#options.onWelcome?.(message.snapshot, message.status);
        this.#options.onState?.(true, "welcomed");
        return;
      case "refused":
        connection.close(`refused by the writer: ${message.reason}`);
        return;
      case "facts":
        this.#lastStatus = message.status;
        this.#options.onFacts?.(message.facts);
        this.#options.onStatus?.(message.status);
        return;
      case "status":
        this.#lastStatus = message.status;
        this.#options.onStatus?.(message.status);
        return;
      case "replies":
        for (const reply of message.replies) {
          if (!isReply(reply)) {
            connection.close("a reply the protocol does not have");
            return;
          }
          this.#settle(reply);
        }
        return;
    }
  }

  #settle(reply: Reply): void {
    const pending = this.#pending.get(reply[0]);
    if (pending === undefined) return; // its deadline passed; the caller was answered 503
    this.#pending.delete(reply[0]);
    this.#options.onCallDone?.(pending.op, (performance.now() - pending.sentAt) / 1000);
    if (reply[1]) pending.resolve(reply[2]);
    else {
      // A fenced writer answers its batches unavailable: see at once whether another holds the lease.
      if (reply[2]?.kind === "unavailable") void this.#checkLease();
      pending.reject(errorOf(reply[2]));
    }
  }

  #lost(connection: WireConnection, reason: string): void {
    if (this.#connection !== connection) return;
    const was = this.#welcomed;
    this.#welcomed = false;
    this.#connection = undefined;
    const away = new WriterAwayError(reason);
    for (const pending of this.#pending.values()) pending.reject(away);
    this.#pending.clear();
    if (was) this.#options.onState?.(false, reason);
    this.#retry();
  }

  /** Calls past their deadline fail; Map order is send order, so the sweep stops at the first young one. */
  #expire(): void {
    const oldest = performance.now() - (this.#options.deadlineMs ?? CALL_DEADLINE_MS);
    for (const [id, pending] of this.#pending) {
      if (pending.sentAt > oldest) return;
      this.#pending.delete(id);
      pending.reject(new WriterAwayError(`no answer within ${this.#options.deadlineMs ?? CALL_DEADLINE_MS} ms`));
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    clearTimeout(this.#reconnect);
    clearInterval(this.#watch);
    this.#finder?.close();
    this.#connection?.close("the edge is stopping");
  }
}

function errorOf(error: WireError): Error {
  switch (error?.kind) {
    case "unavailable":
      return new EngineUnavailableError();
    case "stopped":
      return new EngineStoppedError(new Error(error.message));
    case "refused":
      return new WriterAwayError(error.message);
    case "api":
      return new ApiError((error.code ?? "INTERNAL") as ErrorCode, error.message, error.details);
    default:
      return new Error(`the writer failed: ${String(error?.message)}`);
  }
}
