/**
 * The server under HTTP load, alone in its process:
 *   hongbao         — the real server (startServer) on a fresh SQLite file, with `users` funded users;
 *   hongbao-grab    — the same server with no users: the loader makes its groups, packets and
 *   hongbao-claim     grabbers (or its campaign and claimers) through the public API;
 *   bare            — node:http answering every request with a fixed small JSON body (201 for
 *                     a transfer; 200 for a grab or a claim, with a body of the real size).
 * and, for `--ladder` (where the gap between the two goes; hongbao-grab-… and hongbao-claim-… alike):
 *   fastify         — a bare Fastify app: one POST route with a JSON body, a fixed answer;
 *   hongbao-memory  — the real server on ":memory:" SQLite: every row inserted, no disk flush;
 *   hongbao-nostore — the real server whose store commit does nothing: HTTP + auth + engine only;
 *   hongbao-worker  — a prototype of committing off the event loop: the store's commit only
 *                     records its statements, a worker thread runs them durably on its own
 *                     connection to the same file, and the engine is answered when it is done.
 * IPC: → {type:"ready", url, users?, adminToken}; on "mark" it notes its CPU clock (→ "marked"); on "report"
 * → {type:"cpu", cpuSeconds, seconds, ...}; on "stop" it closes (→ "stopped") and exits.
 * Usage (from run.js): node http-target.js <mode> <users>
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import Fastify from "fastify";
import { startServer } from "../src/server.js";
import { cpuSecondsSince, makeProfiler, tell } from "./lib.js";
import { type Op, openRecordable, recordRuns } from "./statements.js";

export interface BenchUser {
  readonly userId: string;
  readonly token: string;
}

export const TARGETS = [
  "hongbao",
  "hongbao-grab",
  "hongbao-claim",
  "bare",
  "fastify",
  "hongbao-memory",
  "hongbao-nostore",
  "hongbao-worker",
  "hongbao-grab-worker",
  "hongbao-grab-memory",
  "hongbao-grab-nostore",
  "hongbao-claim-worker",
  "hongbao-claim-memory",
  "hongbao-claim-nostore",
] as const;
export type Target = (typeof TARGETS)[number];

const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
const FUNDS = 1_000_000_000; // fen per user: far more than the bench can spend
const BARE_BODY = JSON.stringify({ id: "tr_00000000000000000000", status: "pending" });
/** The bare server's answers to a grab and a claim: 200 and a body of the real answer's size. */
const BARE_GRAB_BODY = JSON.stringify({
  packetId: "rp_00000000000000000000",
  amount: 217,
  at: "2026-08-19T13:14:00.000+08:00",
  remaining: 57,
  status: "active",
});
const BARE_CLAIM_BODY = JSON.stringify({ campaignId: "cmp_00000000000000000000", amount: 1314, status: "claimed" });
const [mode, usersArg] = process.argv.slice(2);

let close: () => Promise<Record<string, unknown>>;
/** Commands and batches the engine has committed so far (hongbao only). */
let batchTotals: () => Promise<{ commands: number; batches: number; seconds: number }> = async () => ({
  commands: 0,
  batches: 0,
  seconds: 0,
});
let url: string;
let users: BenchUser[] = [];

if (mode === "bare") {
  const server = createServer((request, response) => {
    // Read the body, as the real server does, then answer.
    request.on("data", () => {});
    request.on("end", () => {
      const url = request.url ?? "";
      const [status, body] = url.endsWith("/grab")
        ? [200, BARE_GRAB_BODY]
        : url.endsWith("/claim")
          ? [200, BARE_CLAIM_BODY]
          : [201, BARE_BODY];
      response.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  server.keepAliveTimeout = 72_000; // as Fastify sets it
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return {};
  };
} else if (mode === "fastify") {
  const app = Fastify({ logger: false });
  app.post("/v1/transfers", async (_request, reply) =>
    reply.code(201).type("application/json; charset=utf-8").send(BARE_BODY),
  );
  await app.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  close = async () => {
    await app.close();
    return {};
  };
} else {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-bench-http-"));
  const variant = /-(memory|nostore|worker)$/.exec(mode ?? "")?.[1] ?? "file";
  /** Grab and claim servers start empty: the loader makes their users, packets and campaign. */
  const empty = mode?.startsWith("hongbao-grab") === true || mode?.startsWith("hongbao-claim") === true;
  const onDisk = variant === "file" || variant === "worker";
  const db = onDisk ? join(dir, "hongbao.db") : ":memory:";
  const start = () =>
    startServer({
      port: 0,
      host: "127.0.0.1",
      db,
      adminToken: ADMIN_TOKEN,
      tokenSecret: undefined,
      testClock: false,
      logLevel: "silent",
    });
  const server = variant === "worker" ? await openRecordable(start) : await start();
  let closeWorker = async () => {};
  if (variant === "worker") closeWorker = commitInWorker(server.context.store, db);
  url = server.url;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  users = await Promise.all(
    Array.from({ length: empty ? 0 : Number(usersArg) }, async (_, i) => {
      const created = await server.app.inject({
        method: "POST",
        url: "/v1/admin/users",
        headers: admin,
        payload: { phone: `+8613${String(i).padStart(9, "0")}`, name: `bench ${i}` },
      });
      if (created.statusCode !== 201) throw new Error(`create user: ${created.statusCode} ${created.body}`);
      const { userId, token } = created.json() as BenchUser;
      const funded = await server.app.inject({
        method: "POST",
        url: "/v1/admin/deposits",
        headers: { ...admin, "idempotency-key": `bench-fund-${userId}` },
        payload: { userId, amount: FUNDS },
      });
      if (funded.statusCode !== 201) throw new Error(`deposit: ${funded.statusCode} ${funded.body}`);
      return { userId, token };
    }),
  );
  batchTotals = async () => {
    const metrics = server.context.metrics;
    const size = (await metrics.batchSize.get()).values;
    const time = (await metrics.commitSeconds.get()).values;
    const pick = (values: typeof size, name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
    return {
      commands: pick(size, "hongbao_engine_batch_size_sum"),
      batches: pick(size, "hongbao_engine_batch_size_count"),
      seconds: pick(time, "hongbao_engine_commit_seconds_sum"),
    };
  };
  if (variant === "nostore") {
    // Shadow the store's commit on this instance: the engine still builds every batch, nothing is written.
    Object.assign(server.context.store, { commit: async () => {} });
  }
  close = async () => {
    await server.close();
    await closeWorker();
    if (!onDisk) {
      rmSync(dir, { recursive: true, force: true });
      return {};
    }
    // The ledger check runs on the closed file through a fresh store.
    const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.js");
    const store = new SqliteStore({ path: join(dir, "hongbao.db"), verifyOnLoad: true });
    await store.load(); // re-adds every entry and checks each balance: throws if the ledger is off
    const balanceSum = await store.balanceSum();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    return { balanceSum, ledgerChecked: true };
  };
}

let cpu = process.cpuUsage();
let markedAt = performance.now();
let batchesAtMark = await batchTotals();
// --profile: every measured slice of this server, from its "mark" to its "report" (set-up and the other arms' turns stay out).
const profiler = await makeProfiler();
let stopping = false;
// A lost parent means nobody will ask for a clean stop: go.
process.on("disconnect", () => {
  if (!stopping) process.exit(0);
});
process.on("message", async (raw) => {
  const message = raw as { type: string };
  if (message.type === "mark") {
    await profiler.resume();
    batchesAtMark = await batchTotals();
    cpu = process.cpuUsage();
    markedAt = performance.now();
    tell({ type: "marked" });
  } else if (message.type === "report") {
    const cpuSeconds = cpuSecondsSince(cpu);
    const seconds = (performance.now() - markedAt) / 1000;
    await profiler.pause();
    const now = await batchTotals();
    const batches = now.batches - batchesAtMark.batches;
    tell({
      type: "cpu",
      cpuSeconds,
      seconds,
      commands: now.commands - batchesAtMark.commands,
      batches,
      batchSeconds: now.seconds - batchesAtMark.seconds,
    });
  } else if (message.type === "stop") {
    if (stopping) return;
    stopping = true;
    await profiler.finish(`http-${mode}`);
    void close().then(
      (summary) => {
        tell({ type: "stopped", ...summary });
        process.disconnect?.();
        setTimeout(() => process.exit(0), 2000).unref();
      },
      (error: unknown) => {
        tell({ type: "stopped", error: String(error) });
        process.disconnect?.();
        setTimeout(() => process.exit(1), 2000).unref();
      },
    );
  }
});
tell({ type: "ready", url, users, adminToken: ADMIN_TOKEN });

/**
 * Shadows `store.commit`: the store's own commit runs with its statements recorded instead
 * of executed (its BEGIN/COMMIT are then empty), and a worker thread runs them durably.
 * The engine awaits commit() as before, so nobody is answered before the batch is durable.
 */
function commitInWorker(store: object, path: string): () => Promise<void> {
  const worker = new Worker(new URL("./commit-worker.js", import.meta.url), { workerData: { path } });
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let next = 0;
  worker.on("message", (m: { id: number; error?: string }) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error === undefined) w?.resolve();
    else w?.reject(new Error(m.error));
  });
  const commit = (store as { commit(batch: unknown): Promise<void> }).commit.bind(store);
  Object.assign(store, {
    async commit(batch: unknown) {
      const ops: Op[] = await recordRuns(() => commit(batch));
      if (ops.length === 0) return;
      const id = next++;
      await new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, ops });
      });
    },
  });
  return async () => {
    worker.postMessage("close");
    await new Promise((resolve) => worker.once("exit", resolve));
  };
}
