/**
 * The commit thread's body (src/store/sqlite/commit-thread.ts starts it): its own connection
 * to the store's file writes each batch it is sent, in the order sent, and says when the
 * transaction (and its fsync) is done or why it failed.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Batch } from "../../engine/store-port.js";
import { batchWriter, openConnection } from "./batch-writer.js";

const port = parentPort;
if (port === null) throw new Error("the commit thread runs as a worker thread");
const { path, checkpointThread } = workerData as { path: string; checkpointThread: boolean };
const db = openConnection(path, { checkpointThread });
const write = batchWriter(db);
port.on("message", (message: { id: number; batch: Batch } | "close") => {
  if (message === "close") {
    db.close();
    port.close();
    return;
  }
  try {
    write(message.batch);
    port.postMessage({ id: message.id });
  } catch (error) {
    port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
