import { Worker } from "node:worker_threads";

/** Slots of the shared counter: commits told so far, and whether to stop. */
const COMMITS = 0;
const STOP = 1;
/** A thread that died is started again on a later commit, at most this often. */
const RESTART_AFTER_MS = 1_000;

/**
 * Copies the WAL back into the database file on a worker thread with its own connection, so
 * the writer's connection never pays a checkpoint inside a commit (decision 0064). The writer
 * only bumps a counter in shared memory after each commit: no message, no wake-up of this
 * loop. The thread runs a PASSIVE checkpoint whenever the counter has moved, so a burst of
 * commits costs one checkpoint. Losing the thread loses nothing: the WAL holds every commit,
 * and the writer's own automatic checkpoint (at a large WAL) bounds the file meanwhile.
 */
export class CheckpointThread {
  readonly #path: string;
  readonly #shared = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  #worker: Worker | undefined;
  #diedAt = 0;
  #closing = false;

  constructor(path: string) {
    this.#path = path;
    this.#worker = this.#start();
  }

  #start(): Worker {
    const worker = new Worker(new URL("./checkpoint-thread-worker.js", import.meta.url), {
      workerData: { path: this.#path, shared: this.#shared },
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    // A thread waiting for commits keeps no process alive.
    worker.unref();
    const gone = () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#diedAt = Date.now();
    };
    worker.on("error", gone);
    worker.on("exit", gone);
    return worker;
  }

  /** After a commit: wakes the thread if it waits. */
  committed(): void {
    if (this.#closing) return;
    if (this.#worker === undefined) {
      if (Date.now() - this.#diedAt < RESTART_AFTER_MS) return;
      this.#worker = this.#start();
    }
    Atomics.add(this.#shared, COMMITS, 1);
    Atomics.notify(this.#shared, COMMITS);
  }

  /** Stops the thread after the checkpoint it is running, and waits until its connection is closed. */
  async close(): Promise<void> {
    this.#closing = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    // Held until its connection is closed: a process that ends meanwhile would cut the close short.
    worker.ref();
    Atomics.store(this.#shared, STOP, 1);
    Atomics.add(this.#shared, COMMITS, 1);
    Atomics.notify(this.#shared, COMMITS);
    await exited;
  }
}
