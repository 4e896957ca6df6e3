/**
 * `npm run bench:tracing [-- --rounds N --seconds S --connections C]`: what tracing costs per
 * answer, as a ratio against the same server without it, measured in the same run (Linux:
 * it reads the servers' CPU time from /proc).
 *
 * Three `hongbao serve` processes on fresh databases: one without tracing (the OpenTelemetry
 * SDK not loaded), one exporting every span over OTLP/HTTP to a receiver in this process that
 * reads and discards each export, and one sampling 1 % of traces with the standard sampler
 * variables. autocannon (in this process too) loads each in turn, the order rotating every
 * round, so all see the same noise of a shared machine; the first round warms up and is not
 * counted. Two workloads: `GET /v1/me` (the cheapest answer with a
 * token, where a span's cost is the largest share) and `POST /v1/admin/deposits` (durable,
 * one batch span per commit besides the request's span). Each side's figure is its answers
 * and the server process's CPU time (user + system, from /proc) over its slices: CPU per
 * answer holds up far better than answers/s on a machine others load too. Loopback only,
 * bounded in time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtInt, table } from "./lib.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const ADMIN_TOKEN = "bench-tracing-admin-token-0123456789";

const argv = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}
const rounds = option("rounds", 5);
const seconds = option("seconds", 2);
const connections = option("connections", 32);

interface Result {
  readonly statusCodeStats: Record<string, { count: number }>;
  readonly errors: number;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: Result) => void,
) => EventEmitter;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

/** An OTLP/HTTP receiver that reads each export whole, counts its spans roughly, and answers 200. */
function startReceiver(): Promise<{ url: string; exports: () => number; bytes: () => number; close(): void }> {
  let exports = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => {
      exports += 1;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        exports: () => exports,
        bytes: () => bytes,
        close: () => server.close(),
      }),
    ),
  );
}

interface Server {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly token: string;
  readonly to: string;
}

async function startServer(name: string, dir: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", "--db", join(dir, name, "hongbao.db")], {
    env: { ...process.env, HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const found = /"msg":"listening"/.test(buffered) ? /"url":"([^"]+)"/.exec(buffered) : null;
      if (found !== null) resolve(found[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`${name} server exited (${code}) before listening`)));
  });
  child.stdout?.resume();
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { userId: string; token: string };
  };
  const sender = await post("/v1/admin/users", { phone: "+8613800000001", name: "sender" });
  const recipient = await post("/v1/admin/users", { phone: "+8613800000002", name: "recipient" });
  return { name, url, child, token: sender.token, to: recipient.userId };
}

function workloadRequest(workload: "read" | "deposit", server: Server): Record<string, unknown> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.token}` };
  if (workload === "read") return { method: "GET", path: "/v1/me", headers };
  return {
    method: "POST",
    path: "/v1/admin/deposits",
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      "content-type": "application/json",
      "idempotency-key": "bench-[<id>]",
    },
    body: JSON.stringify({ userId: server.to, amount: 1 }),
  };
}

/** CPU seconds a process has used (user + system), from /proc: what an answer cost the server, whatever the machine's load. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) ".
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = 100;

interface Slice {
  readonly answers: number;
  readonly cpuSeconds: number;
}

async function slice(workload: "read" | "deposit", server: Server): Promise<Slice> {
  const pid = server.child.pid as number;
  const cpuBefore = cpuSecondsOf(pid);
  const answers = await load(workload, server);
  return { answers, cpuSeconds: cpuSecondsOf(pid) - cpuBefore };
}

function load(workload: "read" | "deposit", server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: server.url,
        connections,
        duration: seconds,
        sampleInt: 100,
        timeout: 10,
        idReplacement: true,
        requests: [workloadRequest(workload, server)],
      },
      (error, result) => {
        if (error !== null) return reject(error);
        let ok = 0;
        for (const [status, { count }] of Object.entries(result.statusCodeStats))
          if (status.startsWith("2")) ok += count;
        resolve(ok);
      },
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), "hongbao-bench-tracing-"));
const receiver = await startReceiver();
const servers: Server[] = [];
try {
  const off = await startServer("off", dir, {});
  servers.push(off);
  const on = await startServer("on", dir, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  servers.push(on);
  // The standard sampler variables: 1 % of traces recorded, the rest cost a non-recording span.
  const sampled = await startServer("sampled", dir, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: "0.01",
  });
  servers.push(sampled);
  const arms = [off, on, sampled];
  console.log(
    `tracing cost: ${rounds} rounds (the first a warm-up) of ${seconds} s slices per server, ${connections} connections, the order rotating`,
  );
  const rows: string[][] = [];
  for (const workload of ["read", "deposit"] as const) {
    const sum = new Map(arms.map((arm) => [arm.name, { answers: 0, cpuSeconds: 0 }]));
    const pairs = new Map(arms.map((arm) => [arm.name, [] as number[]]));
    const perAnswer = (side: Slice) => side.cpuSeconds / side.answers;
    for (let round = 0; round < rounds; round++) {
      const order = arms.map((_, i) => arms[(i + round) % arms.length] as Server);
      const got = new Map<string, Slice>();
      for (const server of order) got.set(server.name, await slice(workload, server));
      if (round === 0) continue;
      for (const arm of arms) {
        const side = got.get(arm.name) as Slice;
        const total = sum.get(arm.name) as { answers: number; cpuSeconds: number };
        total.answers += side.answers;
        total.cpuSeconds += side.cpuSeconds;
        pairs.get(arm.name)?.push(perAnswer(side) / perAnswer(got.get("off") as Slice));
      }
    }
    const measured = (rounds - 1) * seconds;
    const base = sum.get("off") as Slice;
    for (const arm of [on, sampled]) {
      const side = sum.get(arm.name) as Slice;
      const ratios = pairs.get(arm.name) as number[];
      rows.push([
        workload === "read" ? "GET /v1/me" : "POST /v1/admin/deposits",
        arm === on ? "every request" : "1 % (traceidratio)",
        `${fmtInt(base.answers / measured)} → ${fmtInt(side.answers / measured)}`,
        `${(perAnswer(base) * 1e6).toFixed(0)} → ${(perAnswer(side) * 1e6).toFixed(0)}`,
        (perAnswer(side) / perAnswer(base)).toFixed(2),
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
      ]);
    }
  }
  console.log(
    table(
      [
        "workload",
        "traced",
        "answers/s off → on",
        "server CPU µs/answer off → on",
        "CPU per answer on / off",
        "round pairs",
      ],
      rows,
    ),
  );
  console.log(`the receiver took ${receiver.exports()} exports, ${fmtInt(receiver.bytes() / 1024)} KiB`);
} finally {
  for (const server of servers) {
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    server.child.kill("SIGTERM");
    await exited;
  }
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
