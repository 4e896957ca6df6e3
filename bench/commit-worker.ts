/**
 * The writer thread of the "hongbao-worker" ladder step (a prototype of committing off the
 * event loop): it receives the statements a batch commit recorded on the main thread and
 * runs them in one durable transaction on its own connection, then acknowledges.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type Op, openPlain, replayer } from "./statements.js";

const db = openPlain((workerData as { path: string }).path);
const replay = replayer(db);
parentPort?.on("message", (message: { id: number; ops: Op[] } | "close") => {
  if (message === "close") {
    db.close();
    parentPort?.close();
    return;
  }
  try {
    replay(message.ops);
    parentPort?.postMessage({ id: message.id });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: String(error) });
  }
});
