import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The Bun executable the tests run edges on (HONGBAO_TEST_BUN), or undefined: those tests skip. */
export const TEST_BUN = process.env.HONGBAO_TEST_BUN;

/** Why Bun tests skip here, or false when they run. */
export const NO_BUN: string | false =
  TEST_BUN === undefined || TEST_BUN === ""
    ? "HONGBAO_TEST_BUN is not set (the path of a Bun executable)"
    : existsSync(TEST_BUN)
      ? false
      : `HONGBAO_TEST_BUN=${TEST_BUN} does not exist`;

const EDGE_MAIN = fileURLToPath(new URL("../../src/edge/main.js", import.meta.url));

export interface EdgeProcess {
  readonly port: number;
  readonly pid: number;
  /** Lines the edge logged that were not JSON (its runtime's warnings, a crash). */
  readonly stderr: string[];
  stop(): Promise<void>;
}

/**
 * An edge process of dist/src/edge/main.js on Bun (or Node: `runtime`), in front of the writer
 * at the Unix socket `socket`; resolves once it listens, with its port.
 */
export async function startEdgeProcess(options: {
  readonly socket: string;
  readonly secret: string;
  readonly runtime?: string;
  readonly http?: "serve" | "node";
  readonly timeoutMs?: number;
}): Promise<EdgeProcess> {
  const runtime = options.runtime ?? (TEST_BUN as string);
  const args = [EDGE_MAIN, "--socket", options.socket, "--port", "0", "--log-level", "info"];
  if (options.http !== undefined) args.push("--http", options.http);
  const child: ChildProcess = spawn(runtime, args, {
    env: { ...process.env, HONGBAO_WIRE_SECRET: options.secret },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < 200) stderr.push(chunk);
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(
      () => reject(new Error(`the edge did not listen in time: ${stderr.join("")}`)),
      options.timeoutMs ?? 30_000,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the edge exited (${code}) before listening: ${stderr.join("")}`));
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered = (buffered + chunk).slice(-65_536);
      for (;;) {
        const end = buffered.indexOf("\n");
        if (end < 0) break;
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; address?: { port?: number } };
          if (entry.msg === "edge listening" && typeof entry.address?.port === "number") {
            clearTimeout(timer);
            resolve(entry.address.port);
          }
        } catch {
          // not a log line
        }
      }
    });
  });
  return {
    port,
    pid: child.pid as number,
    stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
