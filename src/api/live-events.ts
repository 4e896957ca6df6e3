import type { ServerResponse } from "node:http";
import type { Result } from "../domain/errors.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { Transfer } from "../domain/transfer.js";
import type { Command } from "../engine/commands.js";
import { ApiError } from "./errors.js";
import { packetView, transferView } from "./views.js";

export interface LiveEventsOptions {
  /** Streams one user may hold open (tabs, devices); one more is refused 429. */
  readonly perUserMax?: number;
  /** Streams the server holds open at most; one more is refused 503. */
  readonly totalMax?: number;
  /** A comment line this often keeps idle streams (and the proxies in between) open. */
  readonly heartbeatMs?: number;
  /** A stream is closed after this long; the client reconnects with its current token. */
  readonly lifetimeMs?: number;
  /** Bytes a slow reader may leave unread before its stream is closed instead of buffered. */
  readonly bufferedBytesMax?: number;
}

export const DEFAULT_LIVE_EVENTS = {
  perUserMax: 3,
  totalMax: 10_000,
  heartbeatMs: 15_000,
  lifetimeMs: 30 * 60_000,
  bufferedBytesMax: 64 * 1024,
} as const satisfies Required<LiveEventsOptions>;

/** How long a client waits before it reconnects (the SSE `retry:` field), in ms. */
const RECONNECT_MS = 3_000;

interface Stream {
  readonly userId: string;
  readonly response: ServerResponse;
  readonly openedAt: number;
  /** An event was shed while this stream was open: it must reload what it shows. */
  stale: boolean;
}

export interface LiveEventsCounts {
  sent: number;
  shed: number;
  dropped: number;
}

/**
 * Server-sent events for the web app: new packets in a user's groups, grabs, incoming
 * transfers and answers to outgoing ones, deposits, published once the batch that made them is
 * durable. The lowest priority of all: while the service is crowded (`crowded()`), events
 * are shed, not queued, and a stream that missed one is told to reload (`resync`) once the
 * crowd is gone. Streams are bounded per user and in total; a reader that does not keep up
 * is closed rather than buffered.
 */
export class LiveEvents {
  readonly #options: Required<LiveEventsOptions>;
  readonly #crowded: () => boolean;
  readonly #members: (groupId: string) => ReadonlySet<string> | undefined;
  readonly #byUser = new Map<string, Set<Stream>>();
  #total = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly counts: LiveEventsCounts = { sent: 0, shed: 0, dropped: 0 };

  constructor(
    crowded: () => boolean,
    members: (groupId: string) => ReadonlySet<string> | undefined,
    options: LiveEventsOptions = {},
  ) {
    this.#options = { ...DEFAULT_LIVE_EVENTS, ...options };
    this.#crowded = crowded;
    this.#members = members;
  }

  get open(): number {
    return this.#total;
  }

  /** Whether a new stream for `userId` may open now; throws the refusal otherwise. */
  admit(userId: string): void {
    if (this.#crowded()) {
      this.counts.shed++;
      throw new ApiError("BUSY", "live updates wait while a crowd is being served; retry after the time given");
    }
    if ((this.#byUser.get(userId)?.size ?? 0) >= this.#options.perUserMax) {
      throw new ApiError("TOO_MANY_STREAMS", `at most ${this.#options.perUserMax} live streams per user`);
    }
    if (this.#total >= this.#options.totalMax) {
      throw new ApiError("BUSY", "the server holds as many live streams as it may; retry later");
    }
  }

  /** Takes over an admitted request's response as an event stream until either side closes it. */
  attach(userId: string, response: ServerResponse): void {
    // A client gone before its stream was attached would never be forgotten: its close has passed.
    if (response.destroyed || response.socket === null || response.socket.destroyed) return;
    const stream: Stream = { userId, response, openedAt: performance.now(), stale: false };
    let streams = this.#byUser.get(userId);
    if (streams === undefined) {
      streams = new Set();
      this.#byUser.set(userId, streams);
    }
    streams.add(stream);
    this.#total++;
    response.on("close", () => this.#forget(stream));
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    });
    this.#write(stream, `retry: ${RECONNECT_MS}\nevent: hello\ndata: ${JSON.stringify({ userId })}\n\n`);
    this.#heartbeat ??= setInterval(() => this.#beat(), this.#options.heartbeatMs).unref();
  }

  /** Called with each command the engine made durable, before its caller is answered. */
  committed(command: Command, result: Result<unknown>): void {
    if (this.#total === 0) return;
    for (const { users, event, data } of liveEventsOf(command, result, this.#members)) this.publish(users, event, data);
  }

  /** Sends one event to every open stream of these users; under a crowd it is shed instead. */
  publish(userIds: Iterable<string>, event: string, data: unknown): void {
    let frame: string | undefined;
    const crowded = this.#crowded();
    for (const userId of userIds) {
      const streams = this.#byUser.get(userId);
      if (streams === undefined) continue;
      for (const stream of streams) {
        if (crowded) {
          stream.stale = true;
          this.counts.shed++;
          continue;
        }
        if (stream.stale) this.#resync(stream);
        frame ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
        if (this.#write(stream, frame)) this.counts.sent++;
      }
    }
  }

  /** Ends every stream (the server is closing); clients reconnect to whichever server answers. */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const streams of this.#byUser.values()) for (const stream of streams) stream.response.end();
  }

  #beat(): void {
    const now = performance.now();
    const crowded = this.#crowded();
    for (const streams of this.#byUser.values()) {
      for (const stream of streams) {
        if (now - stream.openedAt > this.#options.lifetimeMs) {
          stream.response.end();
          continue;
        }
        if (stream.stale && !crowded) this.#resync(stream);
        else this.#write(stream, ": heartbeat\n\n");
      }
    }
  }

  #resync(stream: Stream): void {
    stream.stale = false;
    this.#write(stream, "event: resync\ndata: {}\n\n");
  }

  /** Writes a frame, or closes a stream whose reader has left too much unread. */
  #write(stream: Stream, frame: string): boolean {
    const response = stream.response;
    if (response.writableEnded || response.destroyed) return false;
    if (response.writableLength > this.#options.bufferedBytesMax) {
      this.counts.dropped++;
      response.destroy();
      return false;
    }
    response.write(frame);
    return true;
  }

  #forget(stream: Stream): void {
    const streams = this.#byUser.get(stream.userId);
    if (streams === undefined || !streams.delete(stream)) return;
    this.#total--;
    if (streams.size === 0) this.#byUser.delete(stream.userId);
    if (this.#total === 0) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
  }
}

/** One event and the users whose streams get it. */
export interface LiveEvent {
  readonly users: Iterable<string>;
  readonly event: string;
  readonly data: unknown;
}

/** The events a durable command makes, for whichever process holds the streams. */
export function liveEventsOf(
  command: Command,
  result: Result<unknown>,
  members: (groupId: string) => ReadonlySet<string> | undefined,
): LiveEvent[] {
  if (!result.ok) return [];
  const toGroup = (groupId: string | null, event: string, data: unknown): LiveEvent[] => {
    const users = groupId === null ? undefined : members(groupId);
    return users === undefined ? [] : [{ users, event, data }];
  };
  switch (command.type) {
    case "sendPacket": {
      const packet = result.value as RedPacket;
      return toGroup(packet.groupId, "packet", { packet: packetView(packet) });
    }
    case "grabPacket": {
      const { packet, grab } = result.value as { packet: RedPacket; grab: { userId: string; amount: number } };
      return toGroup(packet.groupId, "grab", {
        packetId: packet.id,
        groupId: packet.groupId,
        userId: grab.userId,
        amount: grab.amount,
        status: packet.status,
      });
    }
    case "deposit": {
      const deposit = result.value as { userId: string; amount: number; balance: number };
      return [{ users: [deposit.userId], event: "wallet", data: { amount: deposit.amount, balance: deposit.balance } }];
    }
    case "sendTransfer": {
      const transfer = result.value as Transfer;
      return [{ users: [transfer.to], event: "transfer", data: { transfer: transferView(transfer) } }];
    }
    case "answerTransfer": {
      const transfer = result.value as Transfer;
      return [{ users: [transfer.from], event: "transfer", data: { transfer: transferView(transfer) } }];
    }
    default:
      return [];
  }
}
