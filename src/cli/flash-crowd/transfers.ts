/**
 * The background transfers, sent from a worker thread of their own. On the crowd's thread a
 * transfer's answer waits for the crowd's turn of the event loop to end before it is read: at
 * 10 000 arrivals a second that turn is tens of milliseconds, and a bare server's transfers
 * read 129 ms at p99, the load tool's lag rather than any server's. In a thread of its own
 * a transfer is written on time and its answer is timed as soon as it arrives, so the figure is
 * the server's (and the machine's), and the bare server's own transfers show what is left.
 *
 * Times cross the thread boundary as ms after the start instant: each thread has its own
 * performance.now() origin.
 */
import { Worker } from "node:worker_threads";
import type { PoolStats } from "./http-pool.js";

/** What a transfer request is made of; plain data, so it can be handed to the worker. */
export interface TransferShape {
  readonly host: string;
  /** Bearer tokens of the senders, by sender index. */
  readonly tokens: readonly string[];
  /** User ids of the senders, by sender index (recipients are senders too). */
  readonly ids: readonly string[];
  readonly seed: number;
}

/** Transfers go 1 … 97 fen: no special amount (5.20, 9.99, 13.14 yuan …) ever comes up. */
export const TRANSFER_FEN_SPAN = 97;

/** Writes transfer number `n` into `scratch`; returns its length. */
export function writeTransfer(shape: TransferShape, n: number, scratch: Buffer): number {
  const senders = shape.tokens.length;
  const sender = n % senders;
  const recipient = (sender + 1 + (Math.floor(n / senders) % (senders - 1))) % senders;
  const body = `{"to":"${shape.ids[recipient] as string}","amount":${1 + ((n * 31 + shape.seed) % TRANSFER_FEN_SPAN)}}`;
  const text =
    `POST /v1/transfers HTTP/1.1\r\nHost: ${shape.host}\r\nAuthorization: Bearer ${shape.tokens[sender] as string}\r\n` +
    `Content-Type: application/json\r\nIdempotency-Key: fc-${shape.seed}-${n}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n${body}`;
  return scratch.write(text, 0, "latin1");
}

export interface TransferWorkerData {
  readonly url: string;
  readonly connections: number;
  readonly tps: number;
  readonly preRollMs: number;
  readonly timeoutMs: number;
  readonly shape: TransferShape;
}

/** One transfer's end: `status` 0 when it got no answer; times in ms after the start instant. */
export interface TransferResult {
  readonly n: number;
  readonly status: number;
  /** `status code` of a refusal, `network <reason>` of a failure, "" for a 2xx. */
  readonly failure: string;
  readonly writtenMs: number;
  readonly atMs: number;
  /** Dropped at the deadline rather than failed. */
  readonly abandoned: boolean;
}

/** The worker thread's own event-loop lag over the run, ms. */
export interface ThreadLag {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export type ToWorker =
  | { readonly type: "run"; readonly startEpochMs: number }
  | { readonly type: "stop"; readonly abandon: boolean };

export type FromWorker =
  | { readonly type: "opened"; readonly stats: PoolStats }
  | { readonly type: "results"; readonly results: TransferResult[]; readonly sent: number }
  | { readonly type: "done"; readonly stats: PoolStats; readonly sent: number; readonly lag: ThreadLag };

/** The crowd's side of the transfer thread. */
export class TransferThread {
  readonly #worker: Worker;
  readonly #onResult: (result: TransferResult) => void;
  #opened: Promise<PoolStats>;
  #finished = false;
  #stopSent = false;
  stats: PoolStats | undefined;
  sent = 0;
  lag: ThreadLag | undefined;

  constructor(data: TransferWorkerData, onResult: (result: TransferResult) => void) {
    this.#onResult = onResult;
    this.#worker = new Worker(new URL("./transfer-worker.js", import.meta.url), { workerData: data });
    this.#opened = new Promise((resolve, reject) => {
      this.#worker.once("error", reject);
      this.#worker.on("message", (message: FromWorker) => {
        if (message.type === "opened") {
          this.stats = message.stats;
          resolve(message.stats);
          return;
        }
        this.sent = message.sent;
        if (message.type === "results") for (const result of message.results) this.#onResult(result);
        else {
          this.stats = message.stats;
          this.lag = message.lag;
          this.#finished = true;
        }
      });
    });
  }

  /** Resolves with the pool's stats once every transfer connection is open (or failed to). */
  open(): Promise<PoolStats> {
    return this.#opened;
  }

  /** Starts sending: transfer `n` is due `n / tps` s after `preRollMs` before the start. */
  run(startPerf: number): void {
    this.#post({ type: "run", startEpochMs: performance.timeOrigin + startPerf });
  }

  /** No more transfers; those in flight are waited for (`abandon`: and those queued dropped). */
  stop(abandon: boolean): void {
    if (this.#stopSent && !abandon) return;
    this.#stopSent = true;
    this.#post({ type: "stop", abandon });
  }

  /** Every result has arrived on this thread. */
  get finished(): boolean {
    return this.#finished;
  }

  close(): void {
    void this.#worker.terminate();
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }
}
