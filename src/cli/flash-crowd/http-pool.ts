/**
 * A pool of keep-alive HTTP/1.1 connections written by hand over node:net, one request in
 * flight per connection (no pipelining), for a load generator that must stay cheaper than the
 * server it measures.
 *
 * Why not fetch or http.Agent: both allocate several objects per request and cost tens of
 * microseconds each, so on one core they top out well below what a Fastify server answers,
 * and the generator, not the server, would be measured. Here a request is a few bytes copied
 * into a per-connection scratch buffer, an answer is a status, two headers and a body slice,
 * and work is named by a number (a "tag": a user index or a transfer sequence number), so no
 * object lives per request. It also gives the exact instant a request is written to its
 * connection, which is where "service latency" starts.
 *
 * It understands what the servers it talks to send: Content-Length bodies (and, to be safe,
 * chunked ones); `Connection: close` makes it reconnect.
 */
import { connect, type Socket } from "node:net";

export type FailureReason = "closed" | "timeout" | "error";

export interface PoolHandler {
  /** Writes the request for `tag` into `scratch` from offset 0 and returns its length. */
  build(tag: number, scratch: Buffer): number;
  /** An answer for `tag`: status, Retry-After in seconds (-1 when absent), body bytes. */
  answered(tag: number, status: number, retryAfterSeconds: number, body: Buffer, writtenAt: number, at: number): void;
  /** No answer for `tag`: its connection closed or failed, or it timed out. */
  failed(tag: number, reason: FailureReason, writtenAt: number, at: number): void;
}

export interface PoolStats {
  readonly size: number;
  opened: number;
  connectErrors: number;
  reconnects: number;
  closedByPeer: number;
  timeouts: number;
  firstConnectError: string | undefined;
}

/** Requests are small: a path, a Host, a bearer token (≤ 1 KiB at the server) and a short JSON body. */
export const REQUEST_BYTES_MAX = 4096;
/** An answer bigger than this is not one of ours; the connection is dropped. */
const RESPONSE_BYTES_MAX = 1024 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;
const RECONNECT_FAILURES_MAX = 20;

class Connection {
  socket: Socket | undefined;
  alive = false;
  /** The tag in flight, or -1. */
  tag = -1;
  writtenAt = 0;
  pending: Buffer | undefined;
  failuresInARow = 0;
  readonly scratch = Buffer.allocUnsafe(REQUEST_BYTES_MAX);
  constructor(readonly index: number) {}
}

interface Parsed {
  readonly consumed: number;
  readonly status: number;
  readonly retryAfter: number;
  readonly close: boolean;
  readonly body: Buffer;
}

const HEAD_END = Buffer.from("\r\n\r\n");

/** One response at the start of `data`, or undefined when more bytes are needed; throws on garbage. */
export function parseResponse(data: Buffer): Parsed | undefined {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd < 0) {
    if (data.length > 64 * 1024) throw new Error("response head too large");
    return undefined;
  }
  if (data.length < 12 || data[0] !== 0x48 /* H */) throw new Error("not an HTTP response");
  const status = (data[9] as number) * 100 + (data[10] as number) * 10 + (data[11] as number) - 111 * 48;
  if (!(status >= 100 && status <= 599)) throw new Error("bad status line");
  const head = data.toString("latin1", 0, headEnd);
  const lower = head.toLowerCase();
  const retryAfter = headerNumber(lower, "\r\nretry-after:");
  const close = /\r\nconnection:\s*close/.test(lower);
  const bodyStart = headEnd + 4;
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower))
    return parseChunked(data, bodyStart, status, retryAfter, close);
  const length = headerNumber(lower, "\r\ncontent-length:");
  const bodyLength = Math.max(0, length);
  if (bodyLength > RESPONSE_BYTES_MAX) throw new Error("response body too large");
  if (data.length < bodyStart + bodyLength) return undefined;
  return {
    consumed: bodyStart + bodyLength,
    status,
    retryAfter,
    close,
    body: data.subarray(bodyStart, bodyStart + bodyLength),
  };
}

function headerNumber(lowerHead: string, name: string): number {
  const at = lowerHead.indexOf(name);
  if (at < 0) return -1;
  let i = at + name.length;
  while (lowerHead.charCodeAt(i) === 32) i++;
  let value = 0;
  let digits = 0;
  for (let c = lowerHead.charCodeAt(i); c >= 48 && c <= 57; c = lowerHead.charCodeAt(++i)) {
    value = value * 10 + (c - 48);
    digits++;
  }
  return digits === 0 ? -1 : value;
}

function parseChunked(data: Buffer, start: number, status: number, retryAfter: number, close: boolean) {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(data.toString("latin1", at, lineEnd), 16);
    if (!Number.isFinite(size) || size < 0) throw new Error("bad chunk size");
    if (size === 0) {
      // No trailers from our servers: the last chunk is followed by one empty line.
      if (data.length < lineEnd + 4) return undefined;
      return { consumed: lineEnd + 4, status, retryAfter, close, body: Buffer.concat(parts) };
    }
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
    if (at - start > RESPONSE_BYTES_MAX) throw new Error("response body too large");
  }
}

/** A FIFO of tags in a typed array that grows by doubling. */
export class TagQueue {
  #tags: Uint32Array;
  #head = 0;
  #length = 0;

  constructor(capacity = 1024) {
    this.#tags = new Uint32Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.#length;
  }

  push(tag: number): void {
    if (this.#length === this.#tags.length) this.#grow();
    this.#tags[(this.#head + this.#length) % this.#tags.length] = tag;
    this.#length++;
  }

  /** The oldest tag; call only when length > 0. */
  shift(): number {
    const tag = this.#tags[this.#head] as number;
    this.#head = (this.#head + 1) % this.#tags.length;
    this.#length--;
    return tag;
  }

  #grow(): void {
    const tags = new Uint32Array(this.#tags.length * 2);
    for (let i = 0; i < this.#length; i++) tags[i] = this.#tags[(this.#head + i) % this.#tags.length] as number;
    this.#tags = tags;
    this.#head = 0;
  }
}

export class HttpPool {
  readonly #host: string;
  readonly #port: number;
  readonly #handler: PoolHandler;
  readonly #timeoutMs: number;
  readonly #connections: Connection[];
  readonly #idle: Connection[] = [];
  readonly #queue: TagQueue;
  #closing = false;
  #sweeper: NodeJS.Timeout | undefined;
  readonly stats: PoolStats;

  constructor(url: URL, size: number, handler: PoolHandler, options: { timeoutMs: number; queueCapacity?: number }) {
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    this.#handler = handler;
    this.#timeoutMs = options.timeoutMs;
    this.#queue = new TagQueue(options.queueCapacity ?? 1024);
    this.#connections = Array.from({ length: size }, (_, i) => new Connection(i));
    this.stats = {
      size,
      opened: 0,
      connectErrors: 0,
      reconnects: 0,
      closedByPeer: 0,
      timeouts: 0,
      firstConnectError: undefined,
    };
  }

  /** Requests waiting for a free connection. */
  get queued(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    let count = 0;
    for (const connection of this.#connections) if (connection.tag >= 0) count++;
    return count;
  }

  get alive(): number {
    let count = 0;
    for (const connection of this.#connections) if (connection.alive) count++;
    return count;
  }

  /**
   * Opens every connection, `concurrency` at a time (a burst of SYNs past the listen backlog
   * would be dropped and retried a second later). Resolves with how many are open.
   */
  async open(concurrency = 128): Promise<number> {
    let next = 0;
    const worker = async () => {
      while (next < this.#connections.length && !this.#closing) {
        const connection = this.#connections[next++] as Connection;
        const error = await this.#connect(connection);
        if (error === undefined) {
          this.stats.opened++;
          this.#becameIdle(connection);
        } else {
          this.stats.connectErrors++;
          this.stats.firstConnectError ??= error;
          // EMFILE and EADDRNOTAVAIL do not get better by trying the next thousand.
          if (/EMFILE|ENFILE|EADDRNOTAVAIL/.test(error)) next = this.#connections.length;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.#connections.length) }, worker));
    this.#sweeper = setInterval(() => this.#sweep(), 250);
    this.#sweeper.unref();
    return this.stats.opened;
  }

  /** Queues `tag`; it goes out on the next free connection (see pump). */
  enqueue(tag: number): void {
    const idle = this.#popIdle();
    if (idle !== undefined && this.#queue.length === 0) this.#send(idle, tag);
    else {
      if (idle !== undefined) this.#idle.push(idle);
      this.#queue.push(tag);
    }
  }

  /** Hands queued requests to idle connections. */
  pump(): void {
    while (this.#queue.length > 0) {
      const idle = this.#popIdle();
      if (idle === undefined) return;
      this.#send(idle, this.#queue.shift());
    }
  }

  /** Drops every queued request (each is reported failed); requests in flight go on. */
  dropQueued(): void {
    const now = performance.now();
    while (this.#queue.length > 0) this.#handler.failed(this.#queue.shift(), "closed", now, now);
  }

  /** The tags of the requests in flight now. */
  inFlightTags(): Set<number> {
    const tags = new Set<number>();
    for (const connection of this.#connections) if (connection.tag >= 0) tags.add(connection.tag);
    return tags;
  }

  /** Drops every queued request (each is reported failed) and closes all connections. */
  close(): void {
    this.#closing = true;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    const now = performance.now();
    while (this.#queue.length > 0) this.#handler.failed(this.#queue.shift(), "closed", now, now);
    for (const connection of this.#connections) {
      const tag = connection.tag;
      connection.tag = -1;
      connection.alive = false;
      connection.socket?.destroy();
      connection.socket = undefined;
      if (tag >= 0) this.#handler.failed(tag, "closed", connection.writtenAt, now);
    }
  }

  #popIdle(): Connection | undefined {
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined || (connection.alive && connection.tag < 0)) return connection;
    }
  }

  #becameIdle(connection: Connection): void {
    if (this.#queue.length > 0) this.#send(connection, this.#queue.shift());
    else this.#idle.push(connection);
  }

  #send(connection: Connection, tag: number): void {
    const length = this.#handler.build(tag, connection.scratch);
    connection.tag = tag;
    connection.writtenAt = performance.now();
    (connection.socket as Socket).write(connection.scratch.subarray(0, length));
  }

  #connect(connection: Connection): Promise<string | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: this.#host, port: this.#port });
      const timer = setTimeout(() => socket.destroy(new Error("connect timed out")), CONNECT_TIMEOUT_MS);
      const settle = (error: string | undefined) => {
        clearTimeout(timer);
        socket.removeListener("connect", onConnect);
        socket.removeListener("error", onError);
        resolve(error);
      };
      const onConnect = () => {
        socket.setNoDelay(true);
        connection.socket = socket;
        connection.alive = true;
        connection.pending = undefined;
        socket.on("data", (chunk: Buffer) => this.#onData(connection, socket, chunk));
        socket.on("error", () => {
          // "close" follows and does the bookkeeping.
        });
        socket.on("close", () => this.#onClose(connection, socket));
        settle(undefined);
      };
      const onError = (error: NodeJS.ErrnoException) => {
        socket.destroy();
        settle(error.code ?? error.message);
      };
      socket.once("connect", onConnect);
      socket.once("error", onError);
    });
  }

  #onData(connection: Connection, socket: Socket, chunk: Buffer): void {
    if (connection.socket !== socket) return;
    const data = connection.pending === undefined ? chunk : Buffer.concat([connection.pending, chunk]);
    connection.pending = undefined;
    let parsed: Parsed | undefined;
    try {
      parsed = parseResponse(data);
    } catch {
      socket.destroy();
      return;
    }
    if (parsed === undefined) {
      connection.pending = data;
      return;
    }
    if (parsed.consumed !== data.length || connection.tag < 0) {
      // One request in flight means one answer: anything more is a broken conversation.
      socket.destroy();
      return;
    }
    const tag = connection.tag;
    const writtenAt = connection.writtenAt;
    connection.tag = -1;
    const now = performance.now();
    this.#handler.answered(tag, parsed.status, parsed.retryAfter, parsed.body, writtenAt, now);
    if (parsed.close) {
      this.stats.closedByPeer++;
      socket.destroy();
      return;
    }
    if (!this.#closing) this.#becameIdle(connection);
  }

  #onClose(connection: Connection, socket: Socket): void {
    if (connection.socket !== socket) return;
    connection.socket = undefined;
    connection.alive = false;
    connection.pending = undefined;
    const tag = connection.tag;
    connection.tag = -1;
    if (tag >= 0) {
      const now = performance.now();
      const timedOut = now - connection.writtenAt >= this.#timeoutMs;
      this.#handler.failed(tag, timedOut ? "timeout" : "closed", connection.writtenAt, now);
    }
    if (!this.#closing) this.#reconnectLater(connection);
  }

  #reconnectLater(connection: Connection): void {
    if (connection.failuresInARow >= RECONNECT_FAILURES_MAX) return;
    const delayMs = Math.min(2_000, 20 * 2 ** connection.failuresInARow);
    setTimeout(async () => {
      if (this.#closing) return;
      const error = await this.#connect(connection);
      if (this.#closing) {
        connection.socket?.destroy();
        return;
      }
      if (error === undefined) {
        connection.failuresInARow = 0;
        this.stats.reconnects++;
        this.#becameIdle(connection);
      } else {
        connection.failuresInARow++;
        this.stats.connectErrors++;
        this.stats.firstConnectError ??= error;
        this.#reconnectLater(connection);
      }
    }, delayMs).unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const connection of this.#connections) {
      if (connection.tag >= 0 && now - connection.writtenAt >= this.#timeoutMs) {
        this.stats.timeouts++;
        connection.socket?.destroy();
      }
    }
  }
}
