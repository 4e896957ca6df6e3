/**
 * Edges and a writer (`npm run bench:edges`): CPU per answer of each server process against a
 * bare node:http server's in the same run, read from /proc/PID/stat over the same requests.
 *
 *   bare     — node:http answering every request with a fixed small JSON body.
 *   sold out — `serve --edges N`: claims of a campaign that is sold out, by users the edge
 *              has met: the edge answers them from its view; the writer should do nothing.
 *   durable  — claims by distinct users of a campaign with budget to spare: every answer is a
 *              claim made durable by the writer's batch; CPU of the edge and of the writer.
 *   raw      — raw better-sqlite3 batch inserts of the same claim rows (bench/raw-claims.ts,
 *              the batch size the writer took), against the writer's durable claims/s: what
 *              the edges here supply it; its capacity fed at full rate is bench/writer-feed.ts.
 *
 * The model: answers/s on N cores = N ÷ (CPU seconds per answer, all processes), checked
 * against the measured rate with `--edges 1` and `--edges 2` here.
 *
 * Usage: node dist/bench/edges-bench.js [--requests 20000] [--users 10000] [--connections 64]
 *   [--durable-connections 512] [--rounds 1] [--single] [--bun PATH-TO-BUN] [--bun-http serve|node]
 *   [--bun-wire socket|tcp] [--quick] [--profile DIR] [--perf FILE] [--allocations DIR] [--raw-only BATCH] [--warm-up 3]
 * (`--bun`: one more run whose edge is dist/src/edge/main.js on Bun, e.g. from `npm install bun`,
 * with Bun.serve in front (`--bun-http serve`, src/edge/bun/front.ts) or node:http on Bun (`node`);
 * `--single`: `--edges 0` too, the one process counted in the edge's column; the other flags
 * are described where they are read.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuOf, cpuSplitOf, flag, fmtInt, stopServer, table } from "./lib.js";
import { rawClaims } from "./raw-claims.js";
import {
  ADMIN,
  BARE_SERVER,
  floorOf,
  json,
  type Load,
  load as loadOf,
  openCampaign,
  type Started,
  start,
  until,
} from "./serve-load.js";

const REQUESTS = Number(flag("requests", "20000"));
const USERS = Number(flag("users", "10000"));
const CONNECTIONS = Number(flag("connections", "64"));
/**
 * Connections for the durable claims, and for the bare server it is compared with: at 64
 * connections with one request each in flight the writer's batches held about 20 claims, so
 * each claim paid a twentieth of a commit and its own wake-ups on every hop.
 */
const DURABLE_CONNECTIONS = Number(flag("durable-connections", "512"));
/** --profile DIR: every server process writes a V8 CPU profile there when it stops. */
const PROFILE = flag("profile", "");
/**
 * --perf FILE: `perf record` of the edges and the writer over the measured sold-out and durable
 * runs (on-CPU samples only). The servers then run with --perf-prof, which leaves jit-PID.dump
 * and isolate-*-v8.log files in the working directory; `perf inject --jit -i FILE.durable.writer.1
 * -o OUT` names the JIT code (jitted-*.so files there too: delete them all after). Not the
 * /tmp/perf-PID.map of --perf-basic-prof: V8 reuses the addresses of code it freed, the map
 * keeps every name an address ever had (77-124 overlapping ranges a process in one run), and
 * perf then charged a startup-only function (fast-json-stringify's validate10) with 29 % of a
 * durable edge. The dump says when each code was made, so a sample gets the code live then.
 */
const PERF = flag("perf", "");
/**
 * --warm-up N: durable campaigns run before the measured one (3). After one, V8 was still
 * compiling the writer's batch path and the edge's during the measured claims: perf saw
 * 14-20 % of the writer's CPU and 5-8 % of the edge's in its optimising compiler there, and
 * 1.6 % and 2 % after three (BENCHMARKS.md, "Durable claims, warmed up").
 */
const WARM_UPS = Number(flag("warm-up", "3"));
/**
 * --allocations DIR: each edge's allocations over the durable claims (warm-ups and the measured
 * campaign), garbage included, and its GC pauses, written to DIR when it stops
 * (bench/edge-allocations.ts; `node dist/bench/allocation-summary.js DIR/edge-PID.heapprofile
 * CLAIMS` sums them by file).
 */
const ALLOCATIONS = flag("allocations", "");
const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

const log = (line: string) => process.stderr.write(`[edges-bench] ${line}\n`);

/** `count` requests over `connections` keep-alive connections (64 by default, --connections). */
const load = (
  url: string,
  count: number,
  next: () => { method: "GET" | "POST"; path: string; headers?: Record<string, string> },
  connections = CONNECTIONS,
) => loadOf(url, count, next, connections);

// ---------------------------------------------------------------- bare
async function bare(connections: number): Promise<{ cpuPerAnswer: number; perSecond: number }> {
  const floor = await floorOf(process.execPath, ["-e", BARE_SERVER], REQUESTS, connections);
  log(
    `bare, ${connections} connections: ${fmtInt(floor.perSecond)}/s, ${(1e6 * floor.cpuPerAnswer).toFixed(1)} µs CPU an answer, ${(1e6 * floor.systemPerAnswer).toFixed(1)} of it system; load generator ${(1e6 * floor.loadCpuPerAnswer).toFixed(1)} µs an answer, ${(floor.loadCpuPerAnswer * floor.perSecond).toFixed(2)} cores`,
  );
  return floor;
}

// ---------------------------------------------------------------- edges
/**
 * Of one measured run: CPU seconds an answer of the servers and of the load generator (this
 * process), and the cores each kept busy on average (CPU seconds ÷ wall seconds).
 */
interface Share {
  readonly loadCpu: number;
  readonly serverCores: number;
  readonly loadCores: number;
}

interface EdgesFigures {
  readonly edges: number;
  readonly soldOut: Share & {
    edgeCpu: number;
    writerCpu: number;
    supervisorCpu: number;
    perSecond: number;
    statuses: Record<string, number>;
  };
  readonly durable: Share & {
    edgeCpu: number;
    writerCpu: number;
    supervisorCpu: number;
    perSecond: number;
    statuses: Record<string, number>;
    meanBatch: number;
  };
}

function shareOf(run: Load, serverCpu: number, answers: number): Share {
  return {
    loadCpu: run.loadCpu / answers,
    serverCores: serverCpu / run.seconds,
    loadCores: run.loadCpu / run.seconds,
  };
}

/** A free TCP port on loopback, for the writer's --wire-listen. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * `serve --edges count`; with `bun`, the measured edge is instead one run by Bun
 * (dist/src/edge/main.js) on the writer's Unix socket as the Node edges (or over TCP with
 * `--bun-wire tcp`, as runs before decision 0063 did), the Node edge left idle.
 */
async function edges(count: number, bun?: string): Promise<EdgesFigures> {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-edges-bench-"));
  const secret = "edges-bench-wire-secret-0123456789";
  const wirePort = bun === undefined || BUN_WIRE !== "tcp" ? undefined : await freePort();
  const server = start(
    process.execPath,
    [
      // Node refuses --cpu-prof in NODE_OPTIONS; the writer and the edges inherit it from here.
      ...(PROFILE === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`]),
      ...(PERF === "" ? [] : ["--perf-prof"]),
      ...(ALLOCATIONS === "" ? [] : ["--import", fileURLToPath(new URL("./edge-allocations.js", import.meta.url))]),
      MAIN,
      "serve",
      "--edges",
      String(count),
      "--port",
      "0",
      "--db",
      join(dir, "h.db"),
      "--log-level",
      "info",
      ...(wirePort === undefined ? [] : ["--wire-listen", `127.0.0.1:${wirePort}`]),
    ],
    {
      ...process.env,
      HONGBAO_ADMIN_TOKEN: ADMIN,
      HONGBAO_WIRE_SECRET: secret,
      ...(ALLOCATIONS === "" ? {} : { HONGBAO_BENCH_ALLOCATIONS: ALLOCATIONS }),
    },
  );
  let bunEdge: Started | undefined;
  try {
    await until(
      () =>
        server.lines.filter((l) => l.msg === (count === 0 ? "listening" : "edge listening")).length >=
        Math.max(1, count)
          ? true
          : undefined,
      "edges listening",
    );
    if (bun !== undefined) {
      bunEdge = start(
        bun,
        [
          fileURLToPath(new URL("../src/edge/main.js", import.meta.url)),
          ...(wirePort === undefined
            ? ["--socket", String(server.lines.find((l) => l.msg === "supervising a writer and its edges")?.wire)]
            : ["--writer", `127.0.0.1:${wirePort}`]),
          "--port",
          "0",
          "--http",
          BUN_HTTP,
        ],
        { ...process.env, HONGBAO_WIRE_SECRET: secret },
      );
      const started = bunEdge;
      await until(() => started.lines.find((l) => l.msg === "edge listening"), "the Bun edge");
    }
    // --edges 0: the one process is counted as the edge, and there is no writer of its own.
    const single = server.lines.find((l) => l.msg === "listening" && count === 0) as { pid: number; url: string };
    const edgeLines = (bunEdge ?? server).lines.filter((l) => l.msg === "edge listening");
    const edgePids = single === undefined ? edgeLines.map((l) => Number(l.pid)) : [Number(single.pid)];
    const writer = single ?? (server.lines.find((l) => l.msg === "writer listening") as { pid: number; url: string });
    const url =
      single?.url ?? `http://127.0.0.1:${((edgeLines[0] as Record<string, unknown>).address as { port: number }).port}`;
    const cpu = () => ({
      edges: edgePids.reduce((s, pid) => s + cpuOf(pid), 0),
      each: edgePids.map((pid) => cpuOf(pid)),
      edgesSystem: edgePids.reduce((s, pid) => s + cpuSplitOf(pid)[1], 0),
      writer: single === undefined ? cpuOf(Number(writer.pid)) : 0,
      // `serve --edges N` itself: with cluster's round-robin it accepts every connection and hands it to an edge.
      supervisor: single === undefined ? cpuOf(server.child.pid as number) : 0,
    });

    const users: { userId: string; token: string }[] = [];
    for (let made = 0; made < USERS; made += 10_000) {
      const n = Math.min(10_000, USERS - made);
      const bulk = await json(
        url,
        "POST",
        "/v1/admin/users/bulk",
        {
          users: Array.from({ length: n }, (_, i) => ({
            phone: `+8613${String(made + i).padStart(9, "0")}`,
            name: "u",
          })),
        },
        `bulk-${made}`,
      );
      users.push(...bulk.users);
    }
    const now = Date.now();
    const campaign = (budget: number) => openCampaign(url, now, budget, `campaign-${budget}`);

    // Sold out: one claim spends the budget; every user meets the edges once (warm-up), then the measured run.
    const soldOutId = await campaign(1);
    let turn = 0;
    const soldOut = () => {
      const user = users[turn++ % users.length] as { token: string };
      return {
        method: "POST" as const,
        path: `/v1/campaigns/${soldOutId}/claim`,
        headers: { authorization: `Bearer ${user.token}` },
      };
    };
    // Warm-up only: the sold-out answer comes before any token check, so no user need be met.
    await load(url, 4_000, soldOut);
    const perf = (what: string) => {
      if (PERF === "") return undefined;
      const record = (who: string, pids: number[]) =>
        spawn(
          "perf",
          ["record", "-k", "mono", "-F", "999", "-g", "-o", `${PERF}.${what}.${who}.${count}`, "-p", pids.join(",")],
          {
            stdio: "ignore",
          },
        );
      const recorders = [
        record("edges", edgePids),
        ...(single === undefined ? [record("writer", [Number(writer.pid)])] : []),
      ];
      return {
        kill: (signal: NodeJS.Signals) => {
          for (const recorder of recorders) recorder.kill(signal);
        },
      };
    };
    const perfSold = perf("sold-out");
    const before = cpu();
    const soldOutLoad = await load(url, REQUESTS, soldOut);
    const after = cpu();
    perfSold?.kill("SIGINT");
    const sold = {
      edgeCpu: (after.edges - before.edges) / soldOutLoad.answers,
      writerCpu: (after.writer - before.writer) / soldOutLoad.answers,
      supervisorCpu: (after.supervisor - before.supervisor) / soldOutLoad.answers,
      perSecond: soldOutLoad.perSecond,
      statuses: soldOutLoad.statuses,
      ...shareOf(
        soldOutLoad,
        after.edges - before.edges + after.writer - before.writer + after.supervisor - before.supervisor,
        soldOutLoad.answers,
      ),
    };
    log(
      `--edges ${count} sold out: ${fmtInt(sold.perSecond)}/s ${JSON.stringify(sold.statuses)}, edge ${(1e6 * sold.edgeCpu).toFixed(1)} µs (${((1e6 * (after.edgesSystem - before.edgesSystem)) / soldOutLoad.answers).toFixed(1)} system), writer ${(1e6 * sold.writerCpu).toFixed(1)} µs, supervisor ${(1e6 * sold.supervisorCpu).toFixed(1)} µs an answer${count > 1 ? `; each edge's share ${shares(before.each, after.each)}` : ""}`,
    );

    // Durable: each user claims once from a campaign that pays them all. Campaigns before it
    // warm up (--warm-up): the durable path's code is optimised and the edges have met the
    // users (a user an edge has not met costs one more call to the writer), as in a steady state.
    const claimsOf = (campaignId: string) => {
      let next = 0;
      return () => {
        const user = users[next++ % users.length] as { token: string };
        return {
          method: "POST" as const,
          path: `/v1/campaigns/${campaignId}/claim`,
          headers: { authorization: `Bearer ${user.token}` },
        };
      };
    };
    if (ALLOCATIONS !== "" && single === undefined && bun === undefined)
      for (const pid of edgePids) process.kill(pid, "SIGUSR2");
    for (let warm = 1; warm <= WARM_UPS; warm++)
      await load(url, users.length, claimsOf(await campaign(1_000_000_000 + warm)), DURABLE_CONNECTIONS);
    const durableRequest = claimsOf(await campaign(1_000_000_000));
    const batchBefore = await batchStats(writer.url);
    const wireBefore = single === undefined ? [await wireCalls(url), await wireCalls(writer.url)] : [];
    const perfDurable = perf("durable");
    const dBefore = cpu();
    const durableLoad = await load(url, users.length, durableRequest, DURABLE_CONNECTIONS);
    const dAfter = cpu();
    perfDurable?.kill("SIGINT");
    const batchAfter = await batchStats(writer.url);
    if (single === undefined) {
      const wireAfter = [await wireCalls(url), await wireCalls(writer.url)];
      log(
        `--edges ${count} durable, mean call times: ${meanCallMs(wireBefore[0] as Map<string, { sum: number; count: number }>, wireAfter[0] as Map<string, { sum: number; count: number }>)}; ${meanCallMs(wireBefore[1] as Map<string, { sum: number; count: number }>, wireAfter[1] as Map<string, { sum: number; count: number }>)}`,
      );
    }
    // Per successful durable claim: a shed claim (503) is not one.
    const claimed = Math.max(1, durableLoad.statuses["200"] ?? 0);
    const durable = {
      edgeCpu: (dAfter.edges - dBefore.edges) / claimed,
      writerCpu: (dAfter.writer - dBefore.writer) / claimed,
      supervisorCpu: (dAfter.supervisor - dBefore.supervisor) / claimed,
      perSecond: (durableLoad.perSecond * claimed) / Math.max(1, durableLoad.answers),
      statuses: durableLoad.statuses,
      meanBatch: (batchAfter.sum - batchBefore.sum) / Math.max(1, batchAfter.count - batchBefore.count),
      ...shareOf(
        durableLoad,
        dAfter.edges - dBefore.edges + dAfter.writer - dBefore.writer + dAfter.supervisor - dBefore.supervisor,
        claimed,
      ),
    };
    log(
      `--edges ${count} durable: ${fmtInt(durable.perSecond)}/s ${JSON.stringify(durable.statuses)}, edge ${(1e6 * durable.edgeCpu).toFixed(1)} µs, writer ${(1e6 * durable.writerCpu).toFixed(1)} µs, supervisor ${(1e6 * durable.supervisorCpu).toFixed(1)} µs an answer, batches of ${durable.meanBatch.toFixed(0)}${count > 1 ? `; each edge's share ${shares(dBefore.each, dAfter.each)}` : ""}`,
    );
    return { edges: count, soldOut: sold, durable };
  } finally {
    if (bunEdge !== undefined) await stopServer(bunEdge.child);
    await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each edge's part of the edges' CPU between two readings, in %: how evenly connections were spread. */
function shares(before: number[], after: number[]): string {
  const used = after.map((cpu, i) => cpu - (before[i] ?? 0));
  const total = used.reduce((s, cpu) => s + cpu, 0) || 1;
  return used.map((cpu) => `${Math.round((100 * cpu) / total)} %`).join(" / ");
}

/** Sums and counts of the wire's call times by side and op, from a process's /metrics. */
async function wireCalls(url: string): Promise<Map<string, { sum: number; count: number }>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const calls = new Map<string, { sum: number; count: number }>();
  for (const [, part, labels, value] of text.matchAll(/^hongbao_wire_call_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm)) {
    const key = (labels as string).replace(/"/g, "");
    const entry = calls.get(key) ?? { sum: 0, count: 0 };
    entry[part as "sum" | "count"] = Number(value);
    calls.set(key, entry);
  }
  return calls;
}

/** Mean ms of each call between two readings, for the ops that were called. */
function meanCallMs(before: Map<string, { sum: number; count: number }>, after: typeof before): string {
  const means: string[] = [];
  for (const [key, { sum, count }] of after) {
    const was = before.get(key) ?? { sum: 0, count: 0 };
    if (count - was.count < 100) continue;
    means.push(`${key} ${((1000 * (sum - was.sum)) / (count - was.count)).toFixed(1)} ms ×${count - was.count}`);
  }
  return means.join("; ");
}

async function batchStats(writerUrl: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${writerUrl}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return { sum: read("hongbao_engine_batch_size_sum"), count: read("hongbao_engine_batch_size_count") };
}

// --raw-only 48: raw SQLite's claims/s and replay CPU a claim at that batch size, and nothing else.
const RAW_ONLY = Number(flag("raw-only", "0"));
if (RAW_ONLY > 0) {
  await rawClaims(USERS, RAW_ONLY, log);
  process.exit(0);
}
const BUN = flag("bun", "");
/** --bun-http serve|node: the Bun edge's HTTP server, Bun.serve in front (default) or node:http on Bun. */
const BUN_HTTP = flag("bun-http", "serve");
if (BUN_HTTP !== "serve" && BUN_HTTP !== "node") throw new Error("--bun-http: serve or node");
/** --bun-wire socket|tcp: how the Bun edge reaches the writer, its Unix socket as the Node edges do (default) or TCP. */
const BUN_WIRE = flag("bun-wire", "socket");
if (BUN_WIRE !== "socket" && BUN_WIRE !== "tcp") throw new Error("--bun-wire: socket or tcp");
const SINGLE = process.argv.includes("--single");
// --quick: `--edges 1` alone (to profile it), no two-edge run and no raw baseline.
const QUICK = process.argv.includes("--quick");
/** --rounds N: the whole comparison N times, bare and edges interleaved; medians and ranges at the end. */
const ROUNDS = Number(flag("rounds", "1"));
const us = (seconds: number) => (1e6 * seconds).toFixed(1);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
/**
 * The model on the cores the load generator left the servers: it shares the 2 cores, so the
 * servers had at most 2 − its busy cores; measured ÷ that says how much of the rest they used.
 */
const left = (run: Share, serverCpu: number): string[] => {
  const model = (2 - run.loadCores) / serverCpu;
  return [
    us(run.loadCpu),
    `${run.serverCores.toFixed(2)} + ${run.loadCores.toFixed(2)}`,
    fmtInt(model),
    (run.serverCores / serverCpu / model).toFixed(2),
  ];
};
/** Ratios by row name across rounds, for the summary. */
const ratios = new Map<string, number[]>();
const note = (name: string, value: number) => ratios.set(name, [...(ratios.get(name) ?? []), value]);

for (let round = 1; round <= ROUNDS; round++) {
  const bareSold = await bare(CONNECTIONS);
  const bareDurable = await bare(DURABLE_CONNECTIONS);
  const alone = SINGLE ? await edges(0) : undefined;
  const one = await edges(1);
  const two = QUICK ? undefined : await edges(2);
  const onBun = BUN === "" ? undefined : await edges(1, BUN);
  const rawRun = QUICK ? undefined : await rawClaims(USERS, one.durable.meanBatch, log);
  const raw = rawRun?.perSecond ?? Number.NaN;
  const bareSoldAgain = await bare(CONNECTIONS);
  const bareDurableAgain = await bare(DURABLE_CONNECTIONS);
  const soldBare = (bareSold.cpuPerAnswer + bareSoldAgain.cpuPerAnswer) / 2;
  const durableBare = (bareDurable.cpuPerAnswer + bareDurableAgain.cpuPerAnswer) / 2;
  const rows: string[][] = [];
  for (const f of [alone, one, two, onBun].filter((run) => run !== undefined)) {
    const name = `--edges ${f.edges}${f === onBun ? ` (Bun edge, ${BUN_HTTP === "serve" ? "Bun.serve" : "node:http"})` : ""}`;
    const soldTotal = f.soldOut.edgeCpu + f.soldOut.writerCpu;
    const durableTotal = f.durable.edgeCpu + f.durable.writerCpu;
    note(`${name} sold out`, f.soldOut.edgeCpu / soldBare);
    note(`${name} durable`, durableTotal / durableBare);
    rows.push([
      `${name} sold out`,
      us(f.soldOut.edgeCpu),
      us(f.soldOut.writerCpu),
      (f.soldOut.edgeCpu / soldBare).toFixed(2),
      fmtInt(2 / soldTotal),
      fmtInt(f.soldOut.perSecond),
      us(f.soldOut.supervisorCpu),
      ...left(f.soldOut, soldTotal + f.soldOut.supervisorCpu),
      JSON.stringify(f.soldOut.statuses),
    ]);
    rows.push([
      `${name} durable`,
      us(f.durable.edgeCpu),
      us(f.durable.writerCpu),
      (durableTotal / durableBare).toFixed(2),
      fmtInt(2 / durableTotal),
      fmtInt(f.durable.perSecond),
      us(f.durable.supervisorCpu),
      ...left(f.durable, durableTotal + f.durable.supervisorCpu),
      `${JSON.stringify(f.durable.statuses)}, batches of ${f.durable.meanBatch.toFixed(0)}`,
    ]);
  }
  if (!QUICK) {
    note("writer fed by one edge ÷ raw", one.durable.perSecond / raw);
    if (two !== undefined) note("writer fed by two edges ÷ raw", two.durable.perSecond / raw);
  }
  process.stdout.write(
    `\nround ${round} of ${ROUNDS}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n` +
      `bare node:http, ${CONNECTIONS} connections: ${us(bareSold.cpuPerAnswer)} and ${us(bareSoldAgain.cpuPerAnswer)} µs CPU an answer (before, after), ${fmtInt(bareSold.perSecond)} and ${fmtInt(bareSoldAgain.perSecond)}/s\n` +
      `bare node:http, ${DURABLE_CONNECTIONS} connections: ${us(bareDurable.cpuPerAnswer)} and ${us(bareDurableAgain.cpuPerAnswer)} µs CPU an answer (before, after), ${fmtInt(bareDurable.perSecond)} and ${fmtInt(bareDurableAgain.perSecond)}/s\n\n` +
      `${table(["run", "edge µs", "writer µs", "× bare", "model /s on 2 cores", "measured /s", "supervisor µs", "load gen µs", "cores servers + load gen", "model /s on 2 − load gen", "measured ÷ it", "statuses"], rows)}\n\n` +
      `load gen: this process's CPU an answer (autocannon); model on 2 − load gen = (2 − the cores the load generator kept busy) ÷ the servers' CPU an answer (edges, writer and supervisor)\n` +
      `× bare: sold out = edge CPU ÷ bare CPU per answer, ${CONNECTIONS} connections each (bar ≤ 1.3); durable = (edge + writer) CPU ÷ bare, ${DURABLE_CONNECTIONS} connections each (bar ≤ 2.5)\n` +
      (QUICK
        ? ""
        : `raw SQLite: ${us(rawRun?.cpuPerClaim ?? 0)} µs CPU a claim (${((rawRun?.cpuPerClaim ?? 0) / durableBare).toFixed(2)} × bare)\n` +
          `writer fed by edges (--edges 1): ${fmtInt(one.durable.perSecond)} durable claims/s vs raw SQLite ${fmtInt(raw)}/s at the same batch size = ${(one.durable.perSecond / raw).toFixed(2)} (bar ≥ 0.6); --edges 2: ${two === undefined ? "-" : (two.durable.perSecond / raw).toFixed(2)}\n`),
  );
}
if (ROUNDS > 1) {
  process.stdout.write("\nmedian [min–max] over the rounds\n");
  for (const [name, values] of ratios)
    process.stdout.write(
      `${name}: ${median(values).toFixed(2)} [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]\n`,
    );
}
