/**
 * `npm run bench [-- --quick]`: hongbao's throughput figures, each as a ratio against a
 * baseline measured in the same run.
 *
 *  1. durable transfers/s through Engine + SqliteStore, against raw better-sqlite3 running the
 *     store's own statements for the same rows, in transactions of the size the engine reaches;
 *  2. transfers/s over HTTP (the real server, POST /v1/transfers), against a bare node:http
 *     server answering a fixed small JSON body, under the same autocannon load;
 *  3. durable grabs/s of lucky packets (100 shares, groups of 1 000), engine vs raw SQLite;
 *  4. grabs/s over HTTP (POST /v1/red-packets/:id/grab, every request a new (user, packet)
 *     pair), against the bare server;
 *  5. durable campaign claims/s by distinct users, engine vs raw SQLite;
 *  6. claims/s over HTTP (POST /v1/campaigns/:id/claim, every request a new user; only 200s
 *     count, admission control may shed with 503), against the bare server.
 *
 * The machine is shared and its noise changes by the second, so the two sides of each
 * comparison are alive together, each in its own process, and take turns in short slices;
 * a figure is the sum of a side's slices. The load generator has its own process too.
 * Every database is a fresh file in the temp folder; traffic is loopback only and bounded.
 *
 * Options: --quick (smoke run), --only transfer,grab,claim (some figures only), --ladder
 * [grab|claim] (where the HTTP gap goes, instead of the figures), --profile DIR (CPU profiles
 * of the measured slices, for profile-summary.js), --connections N, --inflight N,
 * --http-rounds N, --engine-slices N, --verbose. See BENCHMARKS.md.
 */
import { availableParallelism, cpus } from "node:os";
import { resolve } from "node:path";
import type { Slice } from "./engine-bench.js";
import type { BenchUser, Target } from "./http-target.js";
import { type Child, fmtInt, forkChild, PROFILE_ENV, table } from "./lib.js";
import type { LoadArm, LoadInit, LoadLatency, LoadSlice, SupplyReport } from "./load.js";
import { WORKLOADS, type WorkloadName } from "./workloads.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const verbose = argv.includes("--verbose");
function option(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}
const onlyIndex = argv.indexOf("--only");
const only = new Set(
  onlyIndex >= 0 ? (argv[onlyIndex + 1] ?? "").split(",").filter((w) => w !== "") : [...WORKLOADS],
) as Set<WorkloadName>;
for (const w of only) if (!WORKLOADS.includes(w)) throw new Error(`--only takes ${WORKLOADS.join(",")}, not ${w}`);

interface EngineConfig {
  readonly slices: number;
  /** Commands per slice: both sides do the same work, so their files grow alike. */
  readonly sliceCommands: number;
  readonly warmupCommands: number;
  readonly users: number;
  readonly inflight: number;
}

const inflight = option("inflight", 2000);
const engineSlices = option("engine-slices", quick ? 3 : 8);
const config = {
  engine: {
    transfer: {
      slices: engineSlices,
      sliceCommands: option("engine-slice-transfers", quick ? 8000 : 12_000),
      warmupCommands: quick ? 10_000 : 20_000,
      users: option("engine-users", 5000),
      inflight,
    },
    grab: {
      slices: engineSlices,
      sliceCommands: option("engine-slice-grabs", quick ? 6000 : 12_000),
      warmupCommands: quick ? 6000 : 20_000,
      users: 5000,
      inflight,
    },
    claim: {
      slices: engineSlices,
      sliceCommands: option("engine-slice-claims", quick ? 8000 : 20_000),
      warmupCommands: quick ? 8000 : 20_000,
      users: 0,
      inflight,
    },
  } satisfies Record<WorkloadName, EngineConfig>,
  http: {
    rounds: option("http-rounds", quick ? 2 : 4),
    sliceSeconds: option("http-slice-seconds", quick ? 1 : 2),
    warmupSeconds: quick ? 0.5 : 1,
    users: option("http-users", 2000),
    connections: option("connections", 100),
    perConnection: 100,
  },
};

/**
 * `--profile DIR`: the engine-bench and http-target children write V8 CPU profiles of their
 * measured slices there (read them with dist/bench/profile-summary.js). The profiler slows
 * what it watches: figures of a profiled run are for diagnosis only.
 */
const profileIndex = argv.indexOf("--profile");
const profileEnv: Record<string, string> =
  profileIndex >= 0 ? { [PROFILE_ENV]: resolve(argv[profileIndex + 1] ?? "profiles") } : {};

const TARGETS: Record<WorkloadName, { readonly engine: number; readonly http: number }> = {
  transfer: { engine: 0.5, http: 0.6 },
  grab: { engine: 0.5, http: 0.6 },
  claim: { engine: 0.5, http: 0.7 },
};
const began = performance.now();

function log(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------- 1, 3, 5. engine vs raw SQLite

interface EngineFigures {
  readonly workload: WorkloadName;
  readonly engine: Slice[];
  readonly raw: Slice[];
  /** engine / raw of each adjacent pair of slices: the spread of the figure. */
  readonly pairRatios: number[];
}

async function engineSection(workload: WorkloadName, cfg: EngineConfig): Promise<EngineFigures> {
  const { users, inflight, slices, sliceCommands, warmupCommands } = cfg;
  const engineChild = forkChild("engine-bench", ["engine", String(users), "1", workload], profileEnv);
  const rawChild = forkChild("engine-bench", ["raw", String(users), "1", workload], profileEnv);
  const children = [engineChild, rawChild];
  try {
    await Promise.all(children.map((c) => c.next("ready", 120_000)));
    const slice = async (child: Child, transfers: number, size: number, measure: boolean) => {
      child.send({ type: "slice", transfers, size, measure });
      return child.next<Slice>("slice", 120_000);
    };
    const engine: Slice[] = [];
    const raw: Slice[] = [];
    const pairRatios: number[] = [];
    // Raw transactions take the batch size the engine has reached so far.
    let batch = Math.max(1, Math.round(meanBatch([await slice(engineChild, warmupCommands, inflight, false)])));
    await slice(rawChild, warmupCommands, batch, false);
    for (let i = 0; i < slices; i++) {
      let e: Slice;
      let r: Slice;
      if (i % 2 === 0) {
        e = await slice(engineChild, sliceCommands, inflight, true);
        batch = Math.max(1, Math.round(meanBatch([...engine, e])));
        r = await slice(rawChild, sliceCommands, batch, true);
      } else {
        r = await slice(rawChild, sliceCommands, batch, true);
        e = await slice(engineChild, sliceCommands, inflight, true);
        batch = Math.max(1, Math.round(meanBatch([...engine, e])));
      }
      engine.push(e);
      raw.push(r);
      pairRatios.push(e.transfers / e.seconds / (r.transfers / r.seconds));
      if (verbose) {
        log(
          `${workload} slice ${i + 1}: engine ${fmtInt(e.transfers / e.seconds)}/s (CPU ${((1e6 * e.cpuSeconds) / e.transfers).toFixed(1)} µs/op), ` +
            `raw ${fmtInt(r.transfers / r.seconds)}/s (CPU ${((1e6 * r.cpuSeconds) / r.transfers).toFixed(1)} µs/op)`,
        );
      }
    }
    for (const [name, child] of [
      ["engine", engineChild],
      ["raw", rawChild],
    ] as const) {
      child.send({ type: "finish" });
      const { balanceSum } = await child.next<{ balanceSum: number }>("finished", 60_000);
      if (balanceSum !== 0) throw new Error(`${workload} ${name}: balances sum to ${balanceSum}, not 0`);
    }
    const failures = engine.flatMap((s) => Object.entries(s.failures));
    if (failures.length > 0) log(`${workload}: engine refusals: ${JSON.stringify(failures)}`);
    const f = { workload, engine, raw, pairRatios };
    log(
      `${workload}: engine ${fmtInt(rate(engine))}/s, raw ${fmtInt(rate(raw))}/s, ratio ${(rate(engine) / rate(raw)).toFixed(2)} ` +
        `(slice pairs ${Math.min(...pairRatios).toFixed(2)}…${Math.max(...pairRatios).toFixed(2)}), batch ${meanBatch(engine).toFixed(0)}`,
    );
    return f;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

function meanBatch(slices: readonly Slice[]): number {
  const batches = sum(slices.map((s) => s.batches));
  return batches === 0 ? 1 : sum(slices.map((s) => s.transfers)) / batches;
}

function rate(slices: readonly Slice[]): number {
  return sum(slices.map((s) => s.transfers)) / sum(slices.map((s) => s.seconds));
}

// ---------------------------------------------------------------- 2, 4, 6. HTTP arms

interface Arm {
  readonly name: string;
  readonly target: Target;
  readonly what: string;
  /** What the requests do (default transfer). */
  readonly kind?: WorkloadName;
  /** Grab and claim arms: each request used once (the real server) or looped over (bare). */
  readonly consumes?: boolean;
  /** Grab and claim arms: the arm whose server the requests are made on. */
  readonly supplyOf?: string;
}

interface ServerSlice {
  readonly cpuSeconds: number;
  readonly seconds: number;
  readonly commands: number;
  readonly batches: number;
  readonly batchSeconds: number;
}

interface ArmFigures {
  readonly arm: Arm;
  readonly load: LoadSlice[];
  readonly server: ServerSlice[];
  readonly latency: LoadLatency;
  /** Consuming arms: the single-use requests made and handed out. */
  readonly supply: SupplyReport | undefined;
}

const okStatusOf = (kind: WorkloadName) => (kind === "transfer" ? 201 : 200);

/**
 * Starts every target the arms need (all alive together), then lets the arms take turns in
 * slices of load: each round runs every group in turn, and the arms of a group one after
 * the other, their order turning each round, so a figure's two sides are always close in time.
 */
async function httpSection(groups: readonly (readonly Arm[])[], rounds: number): Promise<ArmFigures[]> {
  const arms = groups.flat();
  const { users: userCount, connections, perConnection, sliceSeconds, warmupSeconds } = config.http;
  const targets = new Map<Target, { child: Child; url: string; users: BenchUser[]; adminToken: string }>();
  let loader: Child | undefined;
  try {
    let users: BenchUser[] = [];
    // hongbao first: its users' tokens make the requests every transfer arm sends.
    const wanted = [...new Set(arms.map((a) => a.target))].sort(
      (a, b) => Number(b === "hongbao") - Number(a === "hongbao"),
    );
    const starting = wanted.map((target) => {
      const child = forkChild("http-target", [target, String(userCount)], profileEnv);
      targets.set(target, { child, url: "", users: [], adminToken: "" });
      return { target, child };
    });
    for (const { target, child } of starting) {
      const ready = await child.next<{ url: string; users: BenchUser[]; adminToken: string }>("ready", 120_000);
      targets.set(target, { child, url: ready.url, users: ready.users, adminToken: ready.adminToken });
      if (users.length === 0 && ready.users.length > 0) users = ready.users;
    }
    if (verbose) log(`HTTP targets ready: ${wanted.join(", ")}`);
    if (arms.some((a) => (a.kind ?? "transfer") === "transfer") && users.length < 2) {
      throw new Error("no users to build requests from");
    }
    loader = forkChild("load", [], verbose ? { HONGBAO_BENCH_VERBOSE: "1" } : {});
    const init: LoadInit = {
      connections,
      perConnection,
      seed: 1000,
      warmupSeconds,
      arms: arms.map((a): LoadArm => {
        const target = targets.get(a.target) as { url: string; users: BenchUser[]; adminToken: string };
        const kind = a.kind ?? "transfer";
        const owner = arms.find((o) => o.name === (a.supplyOf ?? a.name)) ?? a;
        // A target without users of its own (bare, fastify) gets the same requests as hongbao.
        return {
          name: a.name,
          url: target.url,
          kind,
          okStatus: okStatusOf(kind),
          users: kind !== "transfer" ? [] : target.users.length > 0 ? target.users : users,
          consumes: a.consumes ?? false,
          supplyOf: owner.name,
          adminToken: (targets.get(owner.target) as { adminToken: string }).adminToken,
        };
      }),
    };
    loader.send({ type: "init", ...init });
    await loader.next("ready", 300_000);
    if (verbose) log("loader ready (single-use requests for the warm-up made)");

    const figures = new Map(
      arms.map((a) => [a.name, { arm: a, load: [] as LoadSlice[], server: [] as ServerSlice[] }]),
    );
    const runSlice = async (arm: Arm, seconds: number, record: boolean) => {
      const target = (targets.get(arm.target) as { child: Child }).child;
      const l = loader as Child;
      const t0 = performance.now();
      // Untimed and outside the server's CPU window: fresh single-use requests (users, packets) for this slice.
      l.send({ type: "prepare", arm: arm.name, seconds });
      await l.next("prepared", 300_000);
      if (record) {
        target.send({ type: "mark" });
        await target.next("marked", 30_000);
      }
      l.send({ type: "slice", arm: arm.name, seconds, record });
      const t1 = performance.now();
      const load = await l.next<LoadSlice>("slice", (seconds + 60) * 1000);
      if (verbose) {
        log(
          `${arm.name} ${record ? "" : "warm-up "}slice: prepare ${(t1 - t0).toFixed(0)} ms, load ${(performance.now() - t1).toFixed(0)} ms, ` +
            `${fmtInt(load.ok / load.seconds)} ${okStatusOf(arm.kind ?? "transfer")}/s`,
        );
      }
      if (!record) return;
      target.send({ type: "report" });
      const server = await target.next<ServerSlice>("cpu", 30_000);
      const f = figures.get(arm.name) as { load: LoadSlice[]; server: ServerSlice[] };
      f.load.push(load);
      f.server.push(server);
    };
    for (const arm of arms) await runSlice(arm, warmupSeconds, false);
    for (let round = 0; round < rounds; round++) {
      for (const group of groups) {
        // The order turns each round, so no arm always follows the same one.
        for (let i = 0; i < group.length; i++) {
          await runSlice(group[(i + round) % group.length] as Arm, sliceSeconds, true);
        }
      }
    }
    const result: ArmFigures[] = [];
    for (const arm of arms) {
      loader.send({ type: "latency", arm: arm.name });
      const latency = await loader.next<LoadLatency>("latency", 30_000);
      let supply: SupplyReport | undefined;
      if (arm.consumes === true) {
        loader.send({ type: "supply", arm: arm.name });
        supply = await loader.next<SupplyReport>("supply", 30_000);
      }
      const f = figures.get(arm.name) as { arm: Arm; load: LoadSlice[]; server: ServerSlice[] };
      result.push({ ...f, latency, supply });
      const a = summarize(result.at(-1) as ArmFigures);
      log(
        `${arm.name.padEnd(16)} ${fmtInt(a.rate)} ${okStatusOf(arm.kind ?? "transfer")}/s, p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, ` +
          `[${Object.entries(a.statusCodes)
            .map(([code, n]) => `${code}×${n}`)
            .join(
              " ",
            )}${a.errors > 0 ? ` errors×${a.errors}` : ""}${a.timeouts > 0 ? ` timeouts×${a.timeouts}` : ""}] ` +
          `server CPU ${a.serverCpu.toFixed(2)} s/s = ${a.cpuPerAnswer.toFixed(0)} µs/answer, loader ${a.loaderCpu.toFixed(2)} s/s` +
          (a.batch > 0 ? `, engine batch ${a.batch.toFixed(0)} in ${a.batchMs.toFixed(2)} ms` : "") +
          (supply !== undefined
            ? `; supply: ${fmtInt(supply.made)} made, ${fmtInt(supply.handedOut)} handed out, set-up ${supply.setupSeconds.toFixed(1)} s` +
              (supply.wrapped > 0 ? `, ${supply.wrapped} connections ran out of fresh requests` : "")
            : ""),
      );
    }
    loader.send({ type: "stop" });
    for (const [target, { child }] of targets) {
      const stopped = child.next<{ balanceSum?: number; error?: string }>("stopped", 60_000);
      child.send({ type: "stop" });
      const summary = await stopped;
      if (summary.error !== undefined) throw new Error(`${target}: ${summary.error}`);
      if (summary.balanceSum !== undefined && summary.balanceSum !== 0) {
        throw new Error(`${target}: balances sum to ${summary.balanceSum}, not 0`);
      }
    }
    return result;
  } finally {
    await loader?.stop();
    await Promise.all([...targets.values()].map((t) => t.child.stop()));
  }
}

type ArmSummary = ReturnType<typeof summarize>;

function summarize(f: ArmFigures) {
  const seconds = sum(f.load.map((s) => s.seconds));
  const ok = sum(f.load.map((s) => s.ok));
  const responses = sum(f.load.map((s) => s.responses));
  const errors = sum(f.load.map((s) => s.errors));
  const timeouts = sum(f.load.map((s) => s.timeouts));
  const statusCodes: Record<string, number> = {};
  for (const s of f.load)
    for (const [code, n] of Object.entries(s.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const serverCpuSeconds = sum(f.server.map((s) => s.cpuSeconds));
  const batches = sum(f.server.map((s) => s.batches));
  const all = Math.max(1, responses + errors + timeouts);
  return {
    /** Successful answers (201 transfers, 200 grabs or claims) per second. */
    rate: ok / seconds,
    ok,
    statusCodes,
    errors,
    timeouts,
    /** Share of answers that were not a success, counting socket errors and timeouts. */
    other: (responses - ok + errors + timeouts) / all,
    /** Share of answers that were 503 (shed). */
    shed: (statusCodes["503"] ?? 0) / all,
    serverCpu: serverCpuSeconds / sum(f.server.map((s) => s.seconds)),
    cpuPerAnswer: (1e6 * serverCpuSeconds) / Math.max(1, ok),
    loaderCpu: sum(f.load.map((s) => s.loaderCpuSeconds)) / seconds,
    batch: batches === 0 ? 0 : sum(f.server.map((s) => s.commands)) / batches,
    batchMs: batches === 0 ? 0 : (1000 * sum(f.server.map((s) => s.batchSeconds))) / batches,
  };
}

// ---------------------------------------------------------------- report

const ms = (v: number) => v.toFixed(2);
const pct = (v: number) => `${(100 * v).toFixed(v < 0.001 && v > 0 ? 3 : 2)}%`;
const verdict = (ratio: number, target: number) => (ratio >= target ? "met" : "MISSED");

function header(kind: string): string {
  return (
    `hongbao bench (${kind}) — ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}, ` +
    `${((performance.now() - began) / 1000).toFixed(0)} s`
  );
}

const NOUN: Record<WorkloadName, string> = { transfer: "transfers", grab: "grabs", claim: "claims" };
const FIGURE: Record<WorkloadName, { engine: number; http: number }> = {
  transfer: { engine: 1, http: 2 },
  grab: { engine: 3, http: 4 },
  claim: { engine: 5, http: 6 },
};
const ROUTE: Record<WorkloadName, string> = {
  transfer: "POST /v1/transfers",
  grab: "POST /v1/red-packets/:id/grab",
  claim: "POST /v1/campaigns/:id/claim",
};

interface HttpFigures {
  readonly kind: WorkloadName;
  readonly hongbao: ArmSummary;
  readonly bare: ArmSummary;
  readonly hongbaoLat: LoadLatency;
  readonly bareLat: LoadLatency;
  readonly supply: SupplyReport | undefined;
}

function armsOf(kind: WorkloadName): Arm[] {
  if (kind === "transfer") {
    return [
      { name: "hongbao", target: "hongbao", what: "" },
      { name: "bare", target: "bare", what: "" },
    ];
  }
  return [
    {
      name: `hongbao-${kind}`,
      target: kind === "grab" ? "hongbao-grab" : "hongbao-claim",
      what: "",
      kind,
      consumes: true,
    },
    { name: `bare-${kind}`, target: "bare", what: "", kind, supplyOf: `hongbao-${kind}` },
  ];
}

/** Figures 2, 4 and 6 in one section: the servers and the loader alive together, each figure's arms side by side. */
async function httpFigures(kinds: readonly WorkloadName[]): Promise<Map<WorkloadName, HttpFigures>> {
  const groups = kinds.map(armsOf);
  const h = await httpSection(groups, config.http.rounds);
  const byName = new Map(h.map((f) => [f.arm.name, f]));
  const result = new Map<WorkloadName, HttpFigures>();
  kinds.forEach((kind, i) => {
    const [hongbao, bare] = (groups[i] as Arm[]).map((a) => byName.get(a.name) as ArmFigures);
    result.set(kind, {
      kind,
      hongbao: summarize(hongbao as ArmFigures),
      bare: summarize(bare as ArmFigures),
      hongbaoLat: (hongbao as ArmFigures).latency,
      bareLat: (bare as ArmFigures).latency,
      supply: (hongbao as ArmFigures).supply,
    });
  });
  return result;
}

async function main(): Promise<void> {
  const { http: hc } = config;
  const ec = config.engine;
  log(
    `${quick ? "quick" : "full"} run (${[...only].join(", ")}); engine ${engineSlices} slices per side of ` +
      `${[...only].map((w) => `${fmtInt(ec[w].sliceCommands)} ${NOUN[w]}`).join(" / ")}, ${inflight} in flight; ` +
      `HTTP ${hc.rounds} rounds of ${hc.sliceSeconds} s slices per arm, ${hc.connections} connections`,
  );
  const kinds = WORKLOADS.filter((w) => only.has(w));
  const engineFigures = new Map<WorkloadName, EngineFigures>();
  for (const workload of kinds) engineFigures.set(workload, await engineSection(workload, ec[workload]));
  const http = await httpFigures(kinds);

  const rows: string[][] = [];
  const detail: string[][] = [];
  const notes: string[] = [];
  for (const workload of WORKLOADS) {
    const e = engineFigures.get(workload);
    const h = http.get(workload);
    if (e === undefined || h === undefined) continue;
    const noun = NOUN[workload];
    const target = TARGETS[workload];
    const engineRatio = rate(e.engine) / rate(e.raw);
    const httpRatio = h.hongbao.rate / h.bare.rate;
    rows.push([
      `${FIGURE[workload].engine}. durable ${noun}/s: Engine+SqliteStore vs raw better-sqlite3`,
      fmtInt(rate(e.engine)),
      fmtInt(rate(e.raw)),
      engineRatio.toFixed(2),
      `≥ ${target.engine.toFixed(2)}`,
      verdict(engineRatio, target.engine),
    ]);
    rows.push([
      `${FIGURE[workload].http}. HTTP ${noun}/s: ${ROUTE[workload]} vs bare node:http`,
      fmtInt(h.hongbao.rate),
      fmtInt(h.bare.rate),
      httpRatio.toFixed(2),
      `≥ ${target.http.toFixed(2)}`,
      verdict(httpRatio, target.http),
    ]);
    rows.push([
      "   HTTP latency p50 / p99 (ms)",
      `${ms(h.hongbaoLat.p50)} / ${ms(h.hongbaoLat.p99)}`,
      `${ms(h.bareLat.p50)} / ${ms(h.bareLat.p99)}`,
      "",
      "",
      "",
    ]);
    rows.push([
      "   (info) server CPU per answer (µs; ratio = bare / hongbao)",
      h.hongbao.cpuPerAnswer.toFixed(1),
      h.bare.cpuPerAnswer.toFixed(1),
      (h.bare.cpuPerAnswer / h.hongbao.cpuPerAnswer).toFixed(2),
      "",
      "",
    ]);
    if (workload === "grab") {
      rows.push(["   share of grab answers that were 200 (a grab)", pct(1 - h.hongbao.other), "", "", "", ""]);
    }
    if (workload === "claim") {
      rows.push(["   share of claim answers that were 503 (shed)", pct(h.hongbao.shed), "", "", "", ""]);
      rows.push(["   share of claim answers that were 200 (claimed)", pct(1 - h.hongbao.other), "", "", "", ""]);
    }

    const engineRow = (name: string, slices: Slice[]) => [
      name,
      fmtInt(rate(slices)),
      "",
      meanBatch(slices).toFixed(0),
      (sum(slices.map((s) => s.cpuSeconds)) / sum(slices.map((s) => s.seconds))).toFixed(2),
      ((1e6 * sum(slices.map((s) => s.cpuSeconds))) / sum(slices.map((s) => s.transfers))).toFixed(1),
      "",
    ];
    const httpRow = (name: string, a: ArmSummary, l: LoadLatency) => [
      name,
      fmtInt(a.rate),
      `${ms(l.p50)} / ${ms(l.p99)}`,
      a.batch > 0 ? `${a.batch.toFixed(0)} in ${a.batchMs.toFixed(1)} ms` : "",
      a.serverCpu.toFixed(2),
      a.cpuPerAnswer.toFixed(1),
      a.loaderCpu.toFixed(2),
    ];
    detail.push(
      engineRow(`${noun}: engine (${e.engine.length} slices)`, e.engine),
      engineRow(`${noun}: raw sqlite (${e.raw.length} slices)`, e.raw),
      httpRow(`${noun}: http hongbao (${hc.rounds} slices)`, h.hongbao, h.hongbaoLat),
      httpRow(`${noun}: http bare (${hc.rounds} slices)`, h.bare, h.bareLat),
    );
    notes.push(
      `${noun}: engine/raw ratio of each slice pair: ${e.pairRatios.map((r) => r.toFixed(2)).join(" ")}` +
        (quick && workload === "transfer"
          ? " (a quick run's database is small: figure 1 reads ≈ 0.05 lower than in the full run)"
          : ""),
    );
    const failures = e.engine.flatMap((s) => Object.entries(s.failures));
    if (failures.length > 0)
      notes.push(`WARNING: ${noun}: the engine refused some commands: ${JSON.stringify(failures)}`);
    for (const [name, a] of [["hongbao", h.hongbao]] as const) {
      // Shed claims (503) are an expected answer of admission control; anything else is worth a warning.
      const unexpected = workload === "claim" ? a.other - a.shed : a.other;
      if (unexpected > 0.01) {
        notes.push(
          `WARNING: ${noun}: ${pct(unexpected)} of ${name} answers were neither ${okStatusOf(workload)} nor expected: ` +
            `${JSON.stringify(a.statusCodes)}, errors ${a.errors}, timeouts ${a.timeouts}`,
        );
      }
    }
    notes.push(
      `${noun}: HTTP answers other than ${okStatusOf(workload)}: hongbao ${pct(h.hongbao.other)} ${JSON.stringify(h.hongbao.statusCodes)}, ` +
        `bare ${pct(h.bare.other)}` +
        `; mean latency hongbao ${ms(h.hongbaoLat.mean)} ms, bare ${ms(h.bareLat.mean)} ms` +
        (h.supply !== undefined
          ? `; single-use requests made ${fmtInt(h.supply.made)}, handed out ${fmtInt(h.supply.handedOut)} (set-up ${h.supply.setupSeconds.toFixed(1)} s)`
          : ""),
    );
  }

  const out = [
    "",
    header(quick ? "quick" : "full"),
    "",
    table(["figure (sums over interleaved slices)", "hongbao", "baseline", "ratio", "target", ""], rows),
    "",
    table(["side", "per second", "p50 / p99 ms", "batch", "CPU s/s", "CPU µs/op", "loader CPU s/s"], detail),
    "",
    ...notes,
    "",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

// ---------------------------------------------------------------- --ladder: where the HTTP gap goes

/**
 * Each step from bare node:http to the real server, interleaved, to split the gap into its
 * causes: `--ladder` for transfers, `--ladder grab` or `--ladder claim` for the other routes.
 */
async function ladder(kind: WorkloadName): Promise<void> {
  const arms: Arm[] =
    kind === "transfer"
      ? [
          {
            name: "hongbao",
            target: "hongbao",
            what: "real server, SQLite file (WAL, synchronous=FULL)",
          },
          {
            name: "hongbao-worker",
            target: "hongbao-worker",
            what: "prototype: same commits, run durably by a worker thread",
          },
          {
            name: "hongbao-memory",
            target: "hongbao-memory",
            what: "real server, SQLite :memory:",
          },
          {
            name: "hongbao-nostore",
            target: "hongbao-nostore",
            what: "real server, store commit a no-op",
          },
          {
            name: "fastify",
            target: "fastify",
            what: "bare Fastify, one POST route, fixed answer",
          },
          { name: "bare", target: "bare", what: "bare node:http, fixed answer" },
        ]
      : (
          [
            ["", "real server, SQLite file (WAL, synchronous=FULL)"],
            ["-worker", "prototype: same commits, run durably by a worker thread"],
            ["-memory", "real server, SQLite :memory:"],
            ["-nostore", "real server, store commit a no-op"],
          ] as const
        )
          .map(
            ([suffix, what]): Arm => ({
              name: `hongbao-${kind}${suffix}`,
              target: `hongbao-${kind}${suffix}` as Target,
              what,
              kind,
              consumes: true,
            }),
          )
          .concat([
            {
              name: `bare-${kind}`,
              target: "bare",
              what: "bare node:http, fixed answer",
              kind,
              supplyOf: `hongbao-${kind}`,
            },
          ]);
  const figures = await httpSection([arms], option("http-rounds", quick ? 1 : 2));
  const bareRate = summarize(figures.at(-1) as ArmFigures).rate;
  const rows = figures.map((f) => {
    const a = summarize(f);
    return [
      `${f.arm.name}: ${f.arm.what}`,
      fmtInt(a.rate),
      (a.rate / bareRate).toFixed(2),
      `${ms(f.latency.p50)} / ${ms(f.latency.p99)}`,
      a.serverCpu.toFixed(2),
      a.cpuPerAnswer.toFixed(1),
      a.batch > 0 ? `${a.batch.toFixed(0)} in ${a.batchMs.toFixed(1)} ms` : "",
    ];
  });
  process.stdout.write(
    `\n${header(`ladder, ${ROUTE[kind]}`)}, ${config.http.connections} connections\n\n` +
      `${table(["step", `${okStatusOf(kind)}/s`, "vs bare", "p50 / p99 ms", "server CPU s/s", "CPU µs/answer", "engine batch"], rows)}\n`,
  );
}

const ladderIndex = argv.indexOf("--ladder");
const ladderKind = (argv[ladderIndex + 1] ?? "transfer") as WorkloadName;
(ladderIndex >= 0 ? ladder(WORKLOADS.includes(ladderKind) ? ladderKind : "transfer") : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
