/**
 * `hongbao serve --edges N` and `hongbao edge`: a supervisor, one writer process that owns the
 * engine and the store, and N edge processes sharing the HTTP port (node:cluster), each the
 * whole HTTP app in front of the writer (src/edge). The supervisor restarts whichever dies.
 */
import { type ChildProcess, fork } from "node:child_process";
import cluster, { type Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEdgeService, type EdgeService, stopOnSignal } from "../edge/edge-service.js";
import { joinHostPort, type WriterTarget } from "../edge/writer-client.js";
import { loggerFor } from "../logging.js";
import { isPostgresUrl } from "../server.js";
import { type BunEdges, bunExecutable, sharedPort, startBunEdges } from "./bun-edges.js";
import { CliError } from "./errors.js";
import { RestartBackoff } from "./restart-backoff.js";
import { hostPort, type ServeFlags, serve, tcpWire, WIRE_SECRET, wireSecret } from "./serve.js";

const ROLE = "HONGBAO_ROLE";
const WIRE_PATH = "HONGBAO_WIRE_PATH";
/** A process that died is started again after this long, doubling while it keeps dying, to 5 s. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5_000;
/** Edges and the writer get this long to finish in-flight work on a stop before they are killed. */
const STOP_GRACE_MS = 15_000;

/** The role this process plays in `serve --edges N`, from how the supervisor started it. */
export async function serveWithEdges(flags: ServeFlags, version: string): Promise<void> {
  if (process.env[ROLE] === "writer") return runWriter(flags, version);
  if (cluster.isWorker) return runEdgeWorker(flags);
  return supervise(flags);
}

async function runWriter(flags: ServeFlags, version: string): Promise<void> {
  const path = process.env[WIRE_PATH] as string;
  const secret = process.env[WIRE_SECRET] as string;
  // The writer's own HTTP port serves /healthz, /readyz, /metrics (and the API) to operators.
  const writerFlags = { ...flags, port: Number(process.env.HONGBAO_WRITER_PORT ?? "0") };
  // The supervisor is gone (killed): nobody restarts edges or stops this writer, so stop cleanly.
  // Listened for before the start, which can take long (a large ledger, a standby waiting for the
  // lease): a writer left behind would hold the store against the next start's writer.
  process.on("disconnect", () => process.kill(process.pid, "SIGTERM"));
  await serve(writerFlags, version, {
    wire: { path, secret, ...tcpWire(flags) },
    // A supervisor killed while this writer started is gone: the check below stops it, not an EPIPE.
    onListening: (server) => process.send?.({ listening: server.url }, undefined, {}, () => undefined),
  });
  // Gone while this writer started: its "disconnect" may have come before serve's own signal handlers.
  if (!process.connected) process.kill(process.pid, "SIGTERM");
}

async function runEdgeWorker(flags: ServeFlags): Promise<void> {
  const edge = await startEdge(
    { path: process.env[WIRE_PATH] as string },
    process.env[WIRE_SECRET] as string,
    `edge-${cluster.worker?.id ?? process.pid}`,
    flags,
  );
  stopOnSignal(edge);
}

/**
 * `hongbao edge --writer HOST:PORT`: an edge on another machine than its writer; with
 * `--store postgres://…` instead, it dials whichever writer holds the lease, and follows it.
 */
export async function runRemoteEdge(flags: ServeFlags & { writer?: string }): Promise<void> {
  const secret = wireSecret();
  if ((flags.writer === undefined) === (flags.store === undefined))
    throw new CliError("give --writer HOST:PORT or --store postgres://… (where the writer lease is), one of them");
  if (flags.store !== undefined && !isPostgresUrl(flags.store))
    throw new CliError("--store takes a postgres:// connection string: the edge reads the writer lease there");
  const target: WriterTarget =
    flags.store === undefined
      ? hostPort(flags.writer as string)
      : (await import("../edge/lease-finder.js")).leaseFinder(flags.store);
  const edge = await startEdge(target, secret, `edge-${process.pid}`, flags);
  stopOnSignal(edge);
}

async function startEdge(address: WriterTarget, secret: string, name: string, flags: ServeFlags): Promise<EdgeService> {
  const edge = await createEdgeService({
    writer: address,
    secret,
    name,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
    trustProxy: flags.trustProxy,
  });
  await edge.app.listen({ port: flags.port, host: flags.host });
  edge.app.log.info({ name, address: edge.app.server.address() }, "edge listening");
  return edge;
}

/**
 * Starts the writer, waits until it listens, then the edges; restarts any that dies while
 * serving; on SIGTERM stops the edges first (they finish their requests with the writer still
 * there), then the writer (it commits its last batch).
 */
async function supervise(flags: ServeFlags): Promise<void> {
  const logger = await loggerFor(flags);
  const secret = process.env[WIRE_SECRET] ?? randomBytes(24).toString("base64url");
  if (flags.wireListen !== undefined && process.env[WIRE_SECRET] === undefined)
    throw new CliError(`--wire-listen takes edges over TCP only with ${WIRE_SECRET} set (the same for every edge)`);
  tcpWire(flags); // said here, before a writer is started to fail on it
  const bun = flags.edgeRuntime === "bun" ? bunExecutable() : undefined;

  const path = join(tmpdir(), `hongbao-writer-${process.pid}.sock`);
  const env = { ...process.env, [WIRE_PATH]: path, [WIRE_SECRET]: secret };
  let stopping = false;
  let writer: ChildProcess | undefined;
  const writerBackoff = new RestartBackoff(RESTART_MIN_MS, RESTART_MAX_MS);
  let bunEdges: BunEdges | undefined;

  const startWriter = () =>
    new Promise<void>((resolve, reject) => {
      const child = fork(process.argv[1] as string, process.argv.slice(2), { env: { ...env, [ROLE]: "writer" } });
      writer = child;
      let listening = false;
      child.on("message", (message: { listening?: string }) => {
        if (message.listening === undefined) return;
        listening = true;
        writerBackoff.reset();
        logger.info({ pid: child.pid, url: message.listening }, "writer listening");
        resolve();
      });
      child.on("exit", (code, signal) => {
        if (stopping) return;
        if (!listening) reject(new CliError(`the writer stopped while starting (exit ${code ?? signal})`));
        logger.error({ pid: child.pid, code, signal }, "writer died; edges answer 503 until it is back");
        setTimeout(
          () => void startWriter().catch((error) => logger.error({ err: error }, "writer restart")),
          writerBackoff.take(),
        );
      });
    });

  // Heard from the first moment: a signal while the writer starts stops it too, never leaves it behind.
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: edges first, then the writer");
    const kill = setTimeout(() => {
      bunEdges?.kill();
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
      writer?.kill("SIGKILL");
    }, STOP_GRACE_MS);
    kill.unref();
    await bunEdges?.stop();
    await Promise.all(
      Object.values(cluster.workers ?? {}).map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker === undefined || worker.isDead()) return resolve();
            worker.once("exit", () => resolve());
            worker.process.kill("SIGTERM");
          }),
      ),
    );
    const child = writer;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await startWriter();
  if (bun !== undefined) {
    const port = await sharedPort(flags.port, flags.host);
    const url = `http://${joinHostPort(flags.host, port)}`;
    bunEdges = startBunEdges({
      bun,
      count: flags.edges,
      port,
      host: flags.host,
      socket: path,
      env,
      logLevel: flags.logLevel,
      trustProxy: flags.trustProxy,
      logger,
      backoff: () => new RestartBackoff(RESTART_MIN_MS, RESTART_MAX_MS),
      onAllListening: () =>
        logger.info({ url, edges: flags.edges, runtime: "bun", db: flags.db, testClock: flags.testClock }, "listening"),
    });
    logger.info({ edges: flags.edges, port, wire: path, runtime: "bun" }, "supervising a writer and its edges");
    return;
  }
  // One edge has nobody to share connections with, so it accepts them itself. Under cluster's
  // round-robin this process accepted each one and handed it over, a message each way: CPU
  // on both sides for every connection, and a crowd brings a connection a person
  // (docs/decisions/0055). Two or more edges keep round-robin, which spreads connections
  // evenly; an operator's NODE_CLUSTER_SCHED_POLICY is left as set.
  if (flags.edges === 1 && process.env.NODE_CLUSTER_SCHED_POLICY === undefined)
    cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: process.argv[1] as string, args: process.argv.slice(2) });
  const edgeBackoffs = Array.from({ length: flags.edges }, () => new RestartBackoff(RESTART_MIN_MS, RESTART_MAX_MS));
  const startEdgeWorker = (slot: number): Worker => {
    const worker = cluster.fork({ ...env, HONGBAO_EDGE_SLOT: String(slot) });
    const backoff = edgeBackoffs[slot] as RestartBackoff;
    worker.on("listening", () => backoff.reset());
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      logger.error({ slot, code, signal }, "edge died; the others keep serving; restarting it");
      setTimeout(() => startEdgeWorker(slot), backoff.take());
    });
    return worker;
  };
  // Said once, when every edge listens: the address clients use, and this pid, which a signal stops.
  let listening = 0;
  const onListening = (_worker: Worker, address: { address: string | null; port: number }) => {
    listening += 1;
    if (listening !== flags.edges) return;
    const host = address.address ?? flags.host;
    const url = `http://${joinHostPort(host, address.port)}`;
    logger.info({ url, edges: flags.edges, db: flags.db, testClock: flags.testClock }, "listening");
  };
  cluster.on("listening", onListening);
  for (let slot = 0; slot < flags.edges; slot++) startEdgeWorker(slot);
  logger.info({ edges: flags.edges, port: flags.port, wire: path }, "supervising a writer and its edges");
}
