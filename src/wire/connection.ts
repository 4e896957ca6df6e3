import type { Socket } from "node:net";
import { type BatchKind, encodeBatch, encodeFrame, FRAME_BYTES_MAX, FrameDecoder, FrameError } from "./frames.js";

/** Bytes waiting to be written on one connection past which its reading is paused. */
export const WRITE_PAUSE_BYTES = 4 * 1024 * 1024;
/** Bytes waiting past which the peer is too slow to keep: the connection is closed. */
export const WRITE_BYTES_MAX = 64 * 1024 * 1024;

export interface ConnectionEvents {
  message(message: unknown): void;
  /** The connection is gone; `reason` says why when we closed it. */
  closed(reason: string): void;
  /** A queued item alone is over the frame bound: what to send in its place (undefined: nothing). */
  oversized?(kind: BatchKind, item: unknown): unknown;
}

/**
 * One framed connection. A frame that is too long or cannot be decoded, or a peer that will
 * not read what it is sent, closes this connection alone with a reason; nothing is buffered
 * without a bound: while writes wait, reading pauses, so the peer's requests wait in its own
 * socket, not in our memory.
 */
export class WireConnection {
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #events: ConnectionEvents;
  #closedReason: string | undefined;
  #corked = false;
  /** Items queued this turn, all of one kind: they leave as one frame (or a few, past the bound). */
  #batch: unknown[] = [];
  #batchKind: BatchKind = "calls";

  readonly #pauseReads: boolean;
  readonly #schedule: (flush: () => void) => void;

  /**
   * `pauseReads`: the serving side stops reading while its answers wait to be written. Only
   * one side may do so, or two full buffers would wait on each other; the calling side bounds
   * its calls in flight instead (src/edge/writer-client.ts).
   * `gather`: what one frame takes. "callback" (the default): what the running callback
   * queued, sent when it returns (process.nextTick): a durable batch's replies. "loop": what
   * every callback of this turn of the event loop queued, sent once the turn's input is read
   * (setImmediate): an edge's claims arrive one socket read each, and a frame each cost a
   * write at the edge and a read and a decode at the writer.
   */
  constructor(
    socket: Socket,
    events: ConnectionEvents,
    options: { pauseReads: boolean; maxFrameBytes?: number; gather?: "callback" | "loop" },
  ) {
    this.#socket = socket;
    this.#pauseReads = options.pauseReads;
    this.#schedule = options.gather === "loop" ? setImmediate : process.nextTick;
    this.#events = events;
    this.#decoder = new FrameDecoder(options.maxFrameBytes ?? FRAME_BYTES_MAX);
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("drain", () => {
      if (this.#closedReason === undefined) socket.resume();
    });
    socket.on("error", (error) => this.close(`socket error: ${error.message}`));
    socket.on("close", () => this.#gone("the peer closed the connection"));
  }

  get open(): boolean {
    return this.#closedReason === undefined;
  }

  #receive(chunk: Buffer): void {
    if (this.#closedReason !== undefined) return;
    try {
      this.#decoder.push(chunk, (message) => {
        if (this.#closedReason === undefined) this.#events.message(message);
      });
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.close(error.message);
    }
  }

  /** Sends one message; false when the connection is closed (or closes now, its peer too slow). */
  send(message: unknown): boolean {
    if (this.#closedReason !== undefined) return false;
    // What was queued before this message leaves before it: replies before the facts that follow them.
    this.#flushBatch();
    return this.#write(encodeFrame(message));
  }

  /**
   * Queues a call or a reply: the items of one kind queued in one turn of the event loop leave
   * together in one frame when the turn ends, in order with messages sent in between.
   */
  queue(kind: BatchKind, item: unknown): boolean {
    if (this.#closedReason !== undefined) return false;
    if (this.#batch.length > 0 && kind !== this.#batchKind) this.#flushBatch();
    this.#batchKind = kind;
    this.#batch.push(item);
    this.#cork();
    return true;
  }

  #flushBatch(): void {
    if (this.#batch.length === 0) return;
    const items = this.#batch;
    const kind = this.#batchKind;
    this.#batch = [];
    const oversized = (item: unknown) => this.#events.oversized?.(kind, item);
    for (const frame of encodeBatch(kind, items, oversized)) if (!this.#write(frame)) return;
  }

  /** Frames written in one callback, or one turn of the event loop (`gather`), leave in one write. */
  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    this.#schedule(() => {
      if (this.#closedReason === undefined) this.#flushBatch();
      this.#corked = false;
      this.#socket.uncork();
    });
  }

  #write(frame: Buffer): boolean {
    if (this.#closedReason !== undefined) return false;
    if (this.#socket.writableLength + frame.length > WRITE_BYTES_MAX) {
      this.close(`the peer reads too slowly: ${this.#socket.writableLength} bytes waiting`);
      return false;
    }
    this.#cork();
    const flushed = this.#socket.write(frame);
    if (this.#pauseReads && (!flushed || this.#socket.writableLength > WRITE_PAUSE_BYTES)) this.#socket.pause();
    return true;
  }

  close(reason: string): void {
    if (this.#closedReason !== undefined) return;
    // What was sent last (a refusal saying why) still goes out; a peer that will not take it is cut.
    this.#flushBatch();
    if (this.#closedReason !== undefined) return; // the flush found the peer too slow, and closed
    this.#closedReason = reason;
    if (this.#corked) this.#socket.uncork();
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1_000).unref();
    this.#events.closed(reason);
  }

  #gone(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    this.#events.closed(reason);
  }
}
