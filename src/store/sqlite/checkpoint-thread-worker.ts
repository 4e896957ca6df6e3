/**
 * The checkpoint thread's body (src/store/sqlite/checkpoint-thread.ts starts it): its own
 * connection to the store's file runs a PASSIVE checkpoint each time the shared commit counter
 * has moved, and sleeps in Atomics.wait otherwise. PASSIVE never takes the write lock and
 * never waits for readers: it copies what it can and leaves the rest to the next round.
 */
import { workerData } from "node:worker_threads";
import { openConnection } from "./batch-writer.js";

const COMMITS = 0;
const STOP = 1;
/** After a failed checkpoint (a busy lock, a full disk), the next try waits this long at least. */
const PAUSE_AFTER_FAILURE_MS = 100;

const { path, shared } = workerData as { path: string; shared: Int32Array };
const db = openConnection(path);
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let seen = Atomics.load(shared, COMMITS);
while (Atomics.load(shared, STOP) === 0) {
  Atomics.wait(shared, COMMITS, seen);
  seen = Atomics.load(shared, COMMITS);
  if (Atomics.load(shared, STOP) !== 0) break;
  try {
    checkpoint.get();
  } catch {
    // Nothing is lost by a checkpoint not done: the WAL still holds the commits.
    Atomics.wait(shared, STOP, 0, PAUSE_AFTER_FAILURE_MS);
  }
}
db.close();
