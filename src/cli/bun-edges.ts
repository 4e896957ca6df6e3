/**
 * `hongbao serve --edges N --edge-runtime bun`: the edges are Bun processes of the edge entry
 * (dist/src/edge/main.js) with Bun.serve in front (src/edge/bun/front.ts), sharing the HTTP
 * port through SO_REUSEPORT instead of node:cluster; the writer stays on Node. The supervisor
 * restarts an edge that dies, as it does Node edges.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { CliError } from "./errors.js";
import type { RestartBackoff } from "./restart-backoff.js";

const EDGE_MAIN = fileURLToPath(new URL("../edge/main.js", import.meta.url));
/** The longest log line of an edge passed on whole; longer ones are cut (a line is one JSON record). */
const LINE_MAX = 64 * 1024;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Bun executable: HONGBAO_BUN, else `bun` on PATH; a CliError that says how when there is none. */
export function bunExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.HONGBAO_BUN;
  if (given !== undefined && given !== "") {
    if (!executable(given)) throw new CliError(`HONGBAO_BUN=${given}: not an executable file`);
    return given;
  }
  for (const folder of (env.PATH ?? "").split(delimiter)) {
    if (folder !== "" && executable(join(folder, "bun"))) return join(folder, "bun");
  }
  throw new CliError("--edge-runtime bun: no Bun found; put bun on PATH or set HONGBAO_BUN to its path");
}

/**
 * The port N edges share: a free one when the operator asked for any (0), since each Bun edge
 * listening on 0 would get a port of its own.
 */
export async function sharedPort(port: number, host: string): Promise<number> {
  if (port !== 0) return port;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(0, host, resolve));
  const { port: free } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

export interface BunEdgeOptions {
  readonly bun: string;
  readonly count: number;
  readonly port: number;
  readonly host: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logLevel: string;
  readonly trustProxy?: string | undefined;
  readonly logger: Logger;
  /** A new edge slot's wait before restarting it, as the supervisor waits for Node edges. */
  backoff(): RestartBackoff;
  /** Called once every edge has said it listens, the first time. */
  onAllListening(): void;
}

export interface BunEdges {
  /** SIGTERM to every edge; resolves when all have exited. */
  stop(): Promise<void>;
  /** SIGKILL to every edge still running. */
  kill(): void;
}

/** Starts `count` Bun edges and keeps them running until `stop`. */
export function startBunEdges(options: BunEdgeOptions): BunEdges {
  const children = new Map<number, ChildProcess>();
  const backoffs = Array.from({ length: options.count }, () => options.backoff());
  const listened = new Set<number>();
  let stopping = false;
  let announced = false;
  const args = [
    EDGE_MAIN,
    "--socket",
    options.socket,
    "--port",
    String(options.port),
    "--host",
    options.host,
    "--http",
    "serve",
    "--reuse-port",
    "--log-level",
    options.logLevel,
    ...(options.trustProxy === undefined ? [] : ["--trust-proxy", options.trustProxy]),
  ];

  const start = (slot: number) => {
    const child = spawn(options.bun, args, {
      env: { ...options.env, HONGBAO_EDGE_SLOT: String(slot) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.set(slot, child);
    let partial = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      // Passed on as it comes; read only to hear when the edge listens.
      process.stdout.write(chunk);
      partial = (partial + chunk).slice(-LINE_MAX);
      if (!partial.includes('"edge listening"')) {
        partial = partial.slice(partial.lastIndexOf("\n") + 1);
        return;
      }
      partial = "";
      (backoffs[slot] as RestartBackoff).reset();
      listened.add(slot);
      if (!announced && listened.size === options.count) {
        announced = true;
        options.onAllListening();
      }
    });
    child.on("exit", (code, signal) => {
      children.delete(slot);
      if (stopping) return;
      options.logger.error({ slot, code, signal }, "edge died; the others keep serving; restarting it");
      setTimeout(() => {
        if (!stopping) start(slot);
      }, (backoffs[slot] as RestartBackoff).take());
    });
  };
  for (let slot = 0; slot < options.count; slot++) start(slot);

  return {
    async stop() {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once("exit", () => resolve());
              child.kill("SIGTERM");
            }),
        ),
      );
    },
    kill() {
      stopping = true;
      for (const child of children.values()) child.kill("SIGKILL");
    },
  };
}
