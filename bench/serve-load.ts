/**
 * What the edges' benches share: servers started as child processes and read by their JSON
 * log lines, autocannon runs that count the load generator's own CPU, the admin calls that
 * set a run up, and the bare node:http server every figure is compared with.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { cpuSplitOf, stopServer } from "./lib.js";

/** The admin token the benches start `serve` with. */
export const ADMIN = "bench-edges-admin-token-0123456789";

interface Result {
  readonly duration: number;
  readonly statusCodeStats: Record<string, { count: number }>;
  readonly requests: { readonly total: number };
}
const autocannon = createRequire(import.meta.url)("autocannon") as (
  options: Record<string, unknown>,
) => Promise<Result>;

export interface Started {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
}

export function start(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  const lines: Record<string, unknown>[] = [];
  let partial = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    for (let i = partial.indexOf("\n"); i >= 0; i = partial.indexOf("\n")) {
      const text = partial.slice(0, i);
      partial = partial.slice(i + 1);
      try {
        lines.push(JSON.parse(text));
      } catch {
        lines.push({ text });
      }
    }
  });
  return { child, lines };
}

export async function until<T>(find: () => T | undefined, what: string, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Load {
  readonly answers: number;
  readonly perSecond: number;
  readonly statuses: Record<string, number>;
  /** CPU seconds this process (the load generator) took over the run, user and system. */
  readonly loadCpu: number;
  /** Wall seconds of the run. */
  readonly seconds: number;
}

/** `count` requests over `connections` keep-alive connections, the next request from `next`. */
export async function load(
  url: string,
  count: number,
  next: () => { method: "GET" | "POST"; path: string; headers?: Record<string, string> },
  connections: number,
): Promise<Load> {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url,
    connections,
    amount: count,
    // autocannon ends a run (and reads its duration) only at its next sample tick, every
    // second by default: 20 000 answers in 0.6 s read as 19 802/s, in 1.2 s as 9 950/s.
    sampleInt: 10,
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, ...next() }) }],
  });
  const cpuUsed = process.cpuUsage(cpuBefore);
  const statuses: Record<string, number> = {};
  for (const [code, { count: n }] of Object.entries(result.statusCodeStats)) statuses[code] = n;
  const answers = result.requests.total;
  return {
    answers,
    perSecond: answers / (result.duration || 1),
    statuses,
    loadCpu: (cpuUsed.user + cpuUsed.system) / 1e6,
    seconds: result.duration || 1,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the setup calls read a field or two of known answers
export async function json(url: string, method: string, path: string, body?: unknown, key?: string): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(key === undefined ? {} : { "idempotency-key": key }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** The bare server gets the claim's request line and a bearer token of a real token's length. */
export const BARE_REQUEST = {
  method: "POST" as const,
  path: "/v1/campaigns/cmp_00000000000000000000/claim",
  headers: { authorization: `Bearer ${"x".repeat(150)}` },
};

/** The bare server: node:http answering every request with a fixed small JSON body; says its port on stdout. */
export const BARE_SERVER = `const body = JSON.stringify({ error: { code: "SOLD_OUT", message: "the budget is spent" } });
       const s = require("node:http").createServer((q, r) => { r.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }); r.end(body); });
       s.keepAliveTimeout = 72000;
       s.listen(Number(process.env.BARE_PORT ?? 0), "127.0.0.1", () => console.log(JSON.stringify({ msg: "bare", port: s.address().port })));`;

/**
 * The same bare answer from Bun.serve, for Bun (bench/bun-floor.ts): the floor under an edge
 * whose HTTP front is Bun.serve (src/edge/bun/front.ts).
 */
export const BARE_BUN_SERVE = `const body = JSON.stringify({ error: { code: "SOLD_OUT", message: "the budget is spent" } });
       const s = Bun.serve({ hostname: "127.0.0.1", port: Number(process.env.BARE_PORT ?? 0), idleTimeout: 75,
         fetch: () => new Response(body, { headers: { "content-type": "application/json" } }) });
       console.log(JSON.stringify({ msg: "bare", port: s.port }));`;

/** A bare server's CPU an answer (user and system, from /proc) over `requests` answers, after 2 000 to warm up. */
export interface Floor {
  readonly cpuPerAnswer: number;
  readonly systemPerAnswer: number;
  readonly perSecond: number;
  /** The load generator's own CPU an answer. */
  readonly loadCpuPerAnswer: number;
}

/** Runs a bare server (`command args`, saying its port as BARE_SERVER does) and measures its floor. */
export async function floorOf(
  command: string,
  args: string[],
  requests: number,
  connections: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Floor> {
  const server = start(command, args, env);
  try {
    const line = await until(() => server.lines.find((l) => l.msg === "bare"), "bare server");
    const url = `http://127.0.0.1:${line.port}`;
    await load(url, 2_000, () => BARE_REQUEST, connections);
    const before = cpuSplitOf(server.child.pid as number);
    const measured = await load(url, requests, () => BARE_REQUEST, connections);
    const after = cpuSplitOf(server.child.pid as number);
    const cpu = after[0] + after[1] - before[0] - before[1];
    return {
      cpuPerAnswer: cpu / measured.answers,
      systemPerAnswer: (after[1] - before[1]) / measured.answers,
      perSecond: measured.perSecond,
      loadCpuPerAnswer: measured.loadCpu / measured.answers,
    };
  } finally {
    await stopServer(server.child);
  }
}

/** A campaign of 1 fen a claim open from a second before `now` for an hour; its id. */
export async function openCampaign(url: string, now: number, budget: number, key: string): Promise<string> {
  const body = {
    name: "bench",
    budget,
    amount: { fixed: 1 },
    startsAt: new Date(now - 1_000).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
  };
  return (await json(url, "POST", "/v1/admin/campaigns", body, key)).id as string;
}
