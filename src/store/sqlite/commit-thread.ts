import { Worker } from "node:worker_threads";
import type { Batch } from "../../engine/store-port.js";

interface Pending {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Writes batches on a worker thread with its own connection, so the event loop applies the
 * next batch and answers the last one while SQLite writes and fsyncs this one (decision 0059).
 * Batches are written in the order given; each promise settles once its transaction is done.
 * A thread that dies fails what it held, and the next batch starts a new one.
 */
export class CommitThread {
  readonly #path: string;
  readonly #checkpointThread: boolean;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  /** Closing: the thread holds the process until it has exited, whatever it still holds. */
  #closing = false;

  /** `checkpointThread`: the thread's connection leaves checkpoints to it, as the store's does. */
  constructor(path: string, checkpointThread = false) {
    this.#path = path;
    this.#checkpointThread = checkpointThread;
    this.#worker = this.#start();
  }

  #start(): Worker {
    const worker = new Worker(new URL("./commit-thread-worker.js", import.meta.url), {
      workerData: { path: this.#path, checkpointThread: this.#checkpointThread },
      resourceLimits: { maxYoungGenerationSizeMb: 96 },
    });
    // Held only while a batch is in it: an idle thread keeps no process alive.
    worker.unref();
    worker.on("message", (message: { id: number; error?: string }) => {
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#settled(message.id);
      if (message.error === undefined) pending.resolve();
      else pending.reject(new Error(`batch commit failed: ${message.error}`));
    });
    worker.on("error", (error) => this.#failAll(worker, error));
    worker.on("exit", (code) => this.#failAll(worker, new Error(`the commit thread stopped (exit ${code})`)));
    return worker;
  }

  commit(batch: Batch): Promise<void> {
    if (this.#closing) return Promise.reject(new Error("the store is closed"));
    this.#worker ??= this.#start();
    const worker = this.#worker;
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      if (this.#pending.size === 0) worker.ref();
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, batch });
    });
  }

  #settled(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && !this.#closing) this.#worker?.unref();
  }

  #failAll(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { reject } of pending) reject(error);
  }

  /** Waits for the batches given, then closes the thread's connection. */
  async close(): Promise<void> {
    this.#closing = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.ref();
    worker.postMessage("close");
    await exited;
  }
}
