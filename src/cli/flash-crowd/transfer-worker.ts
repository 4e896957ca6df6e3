/** The transfer thread itself (see transfers.ts): a pool, a 1 ms timer, results in batches. */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { HttpPool } from "./http-pool.js";
import type { FromWorker, ToWorker, TransferResult, TransferWorkerData } from "./transfers.js";
import { writeTransfer } from "./transfers.js";

const TICK_MS = 1;
const REPORT_EVERY_MS = 100;
const CODE = /"code"\s*:\s*"([A-Z_]+)"/;

if (parentPort === null) throw new Error("transfer-worker.js runs as a worker thread");
const port = parentPort;
const data = workerData as TransferWorkerData;
const lag = monitorEventLoopDelay({ resolution: 5 });
let startPerf = Number.NaN;
let count = 0;
let stopping = false;
let abandoning = false;
let batch: TransferResult[] = [];
let reportedAt = 0;

const relative = (at: number) => at - startPerf;
const pool = new HttpPool(
  new URL(data.url),
  data.connections,
  {
    build: (n, scratch) => writeTransfer(data.shape, n, scratch),
    answered: (n, status, _retryAfter, body, writtenAt, at) => {
      const failure =
        status >= 200 && status < 300 ? "" : `${status} ${CODE.exec(body.toString("latin1"))?.[1] ?? ""}`.trim();
      batch.push({ n, status, failure, writtenMs: relative(writtenAt), atMs: relative(at), abandoned: false });
    },
    failed: (n, reason, writtenAt, at) =>
      batch.push({
        n,
        status: 0,
        failure: `network ${reason}`,
        writtenMs: relative(writtenAt),
        atMs: relative(at),
        abandoned: abandoning,
      }),
  },
  { timeoutMs: data.timeoutMs },
);

function post(message: FromWorker): void {
  port.postMessage(message);
}

function flush(now: number): void {
  reportedAt = now;
  if (batch.length === 0) return;
  post({ type: "results", results: batch, sent: count });
  batch = [];
}

function tick(): void {
  const now = performance.now();
  if (!stopping) {
    // Transfer n is due n / tps seconds after the transfers begin; the first at once.
    const elapsed = now - startPerf + data.preRollMs;
    const due = elapsed < 0 ? 0 : Math.floor((elapsed * data.tps) / 1000) + 1;
    while (count < due) pool.enqueue(count++);
    pool.pump();
  }
  if (now - reportedAt >= REPORT_EVERY_MS) flush(now);
  if (stopping && pool.queued === 0 && pool.inFlight === 0) {
    flush(now);
    lag.disable();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    post({
      type: "done",
      stats: pool.stats,
      sent: count,
      lag: { p50Ms: ms(lag.percentile(50)), p99Ms: ms(lag.percentile(99)), maxMs: ms(lag.max) },
    });
    pool.close();
    port.close();
    return;
  }
  setTimeout(tick, TICK_MS);
}

port.on("message", (message: ToWorker) => {
  if (message.type === "run") {
    startPerf = message.startEpochMs - performance.timeOrigin;
    lag.enable();
    setTimeout(tick, Math.max(0, startPerf - data.preRollMs - performance.now()));
    return;
  }
  stopping = true;
  if (message.abandon) {
    abandoning = true;
    pool.dropQueued();
  }
});

void pool.open().then(() => post({ type: "opened", stats: pool.stats }));
