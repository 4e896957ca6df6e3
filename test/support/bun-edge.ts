import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { type Agent, request as httpRequest } from "node:http";
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
  readonly trustProxy?: string;
  /** The crowd gate's and admission's options (HONGBAO_EDGE_TUNING). */
  readonly tuning?: { readonly gate?: object; readonly admission?: object };
  readonly timeoutMs?: number;
}): Promise<EdgeProcess> {
  const runtime = options.runtime ?? (TEST_BUN as string);
  const args = [EDGE_MAIN, "--socket", options.socket, "--port", "0", "--log-level", "info"];
  if (options.http !== undefined) args.push("--http", options.http);
  if (options.trustProxy !== undefined) args.push("--trust-proxy", options.trustProxy);
  const child: ChildProcess = spawn(runtime, args, {
    env: {
      ...process.env,
      HONGBAO_WIRE_SECRET: options.secret,
      ...(options.tuning === undefined ? {} : { HONGBAO_EDGE_TUNING: JSON.stringify(options.tuning) }),
    },
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

/** What a test passes to `inject`, of light-my-request's options: the ones the contract suite uses. */
export interface InjectOptions {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Record<string, string | string[] | undefined>;
  readonly payload?: unknown;
  readonly body?: unknown;
  readonly remoteAddress?: string;
}

/** The fields of light-my-request's response the contract suite reads. */
export interface HttpAnswer {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly payload: string;
  readonly rawPayload: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: as light-my-request's json(): tests read the fields they expect
  json(): any;
}

/**
 * `inject` over real HTTP to a listening server (an edge process): the same options and answer
 * fields the contract suite uses with Fastify's inject. An event stream is read as it comes
 * (node:http hands the body over in the chunks the server sent) and the answer is given when
 * the server ends it, as inject does; nothing waits for a whole body before the server sends it.
 */
export function injectOver(port: number, agent: Agent) {
  return (options: InjectOptions | string): Promise<HttpAnswer> => {
    const given: InjectOptions = typeof options === "string" ? { url: options } : options;
    if (given.remoteAddress !== undefined)
      return Promise.reject(new Error("inject over HTTP cannot choose the client's address (remoteAddress)"));
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(given.headers ?? {}))
      if (value !== undefined) headers[name.toLowerCase()] = value;
    const raw = given.payload ?? given.body;
    let payload: Buffer | undefined;
    if (raw !== undefined) {
      if (typeof raw === "string") payload = Buffer.from(raw);
      else if (Buffer.isBuffer(raw)) payload = raw;
      else {
        payload = Buffer.from(JSON.stringify(raw));
        headers["content-type"] ??= "application/json";
      }
      headers["content-length"] = String(payload.length);
    }
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port, method: given.method ?? "GET", path: given.url, headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const rawPayload = Buffer.concat(chunks);
            const body = rawPayload.toString("utf8");
            resolve({
              statusCode: response.statusCode ?? 0,
              statusMessage: response.statusMessage ?? "",
              headers: response.headers,
              body,
              payload: body,
              rawPayload,
              json: () => JSON.parse(body),
            });
          });
        },
      );
      request.on("error", reject);
      request.end(payload);
    });
  };
}
