/**
 * `npm run bench [-- --quick]`: hongbao's two throughput figures, each as a ratio against a
 * baseline measured in the same run.
 *
 *  1. durable transfers/s through Engine + SqliteStore, against raw better-sqlite3 inserts
 *     of the same rows in transactions of the same size the engine reaches;
 *  2. transfers/s over HTTP (the real server, POST /v1/transfers), against a bare node:http
 *     server answering a fixed small JSON body, under the same autocannon load.
 *
 * The machine is shared and its noise changes by the second, so the two sides of each
 * comparison are alive together, each in its own process, and take turns in short slices;
 * a figure is the sum of a side's slices. The load generator has its own process too.
 * Every database is a fresh file in the temp folder; traffic is loopback only and bounded.
 *
 * Options: --quick (≈20 s smoke run), --ladder (where the HTTP gap goes, instead of the
 * figures), --profile DIR (CPU profiles of the measured slices, for profile-summary.js),
 * --connections N, --inflight N, --http-rounds N, --engine-slices N. See BENCHMARKS.md.
 */
import { availableParallelism, cpus } from "node:os";
import { resolve } from "node:path";
import type { Slice } from "./engine-bench.js";
import type { BenchUser, Target } from "./http-target.js";
import { type Child, fmtInt, forkChild, PROFILE_ENV, table } from "./lib.js";
import type { LoadInit, LoadLatency, LoadSlice } from "./load.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const verbose = argv.includes("--verbose");
function option(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const config = {
  engine: {
    slices: option("engine-slices", quick ? 3 : 8),
    /** Transfers per slice: both sides do the same work, so their files grow alike. */
    sliceTransfers: option("engine-slice-transfers", quick ? 8000 : 12_000),
    warmupTransfers: quick ? 10_000 : 20_000,
    users: option("engine-users", 5000),
    inflight: option("inflight", 2000),
  },
  http: {
    rounds: option("http-rounds", quick ? 2 : 4),
    sliceSeconds: option("http-slice-seconds", quick ? 1.5 : 2),
    warmupSeconds: quick ? 0.5 : 1,
    users: option("http-users", 2000),
    connections: option("connections", 100),
    perConnection: 100,
    keyArm: !quick && !argv.includes("--no-idempotency"),
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

const ENGINE_TARGET = 0.5;
const HTTP_TARGET = 0.6;
const began = performance.now();

function log(line: string): void {
  process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------- 1. engine vs raw SQLite

interface EngineFigures {
  readonly engine: Slice[];
  readonly raw: Slice[];
  /** engine / raw of each adjacent pair of slices: the spread of the figure. */
  readonly pairRatios: number[];
}

async function engineSection(): Promise<EngineFigures> {
  const { users, inflight, slices, sliceTransfers, warmupTransfers } = config.engine;
  const engineChild = forkChild("engine-bench", ["engine", String(users), "1"], profileEnv);
  const rawChild = forkChild("engine-bench", ["raw", String(users), "1"], profileEnv);
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
    let batch = Math.max(1, Math.round(meanBatch([await slice(engineChild, warmupTransfers, inflight, false)])));
    await slice(rawChild, warmupTransfers, batch, false);
    for (let i = 0; i < slices; i++) {
      let e: Slice;
      let r: Slice;
      if (i % 2 === 0) {
        e = await slice(engineChild, sliceTransfers, inflight, true);
        batch = Math.max(1, Math.round(meanBatch([...engine, e])));
        r = await slice(rawChild, sliceTransfers, batch, true);
      } else {
        r = await slice(rawChild, sliceTransfers, batch, true);
        e = await slice(engineChild, sliceTransfers, inflight, true);
        batch = Math.max(1, Math.round(meanBatch([...engine, e])));
      }
      engine.push(e);
      raw.push(r);
      pairRatios.push(e.transfers / e.seconds / (r.transfers / r.seconds));
      if (verbose) {
        log(
          `slice ${i + 1}: engine ${fmtInt(e.transfers / e.seconds)}/s (CPU ${((1e6 * e.cpuSeconds) / e.transfers).toFixed(1)} µs/transfer), ` +
            `raw ${fmtInt(r.transfers / r.seconds)}/s (CPU ${((1e6 * r.cpuSeconds) / r.transfers).toFixed(1)} µs/transfer)`,
        );
      }
    }
    for (const [name, child] of [
      ["engine", engineChild],
      ["raw", rawChild],
    ] as const) {
      child.send({ type: "finish" });
      const { balanceSum } = await child.next<{ balanceSum: number }>("finished", 60_000);
      if (balanceSum !== 0) throw new Error(`${name}: balances sum to ${balanceSum}, not 0`);
    }
    const failures = engine.flatMap((s) => Object.entries(s.failures));
    if (failures.length > 0) log(`engine refusals: ${JSON.stringify(failures)}`);
    return { engine, raw, pairRatios };
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

// ---------------------------------------------------------------- 2. HTTP arms

interface Arm {
  readonly name: string;
  readonly target: Target;
  readonly idempotencyKeys: boolean;
  readonly what: string;
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
}

/** Starts every target the arms need, then lets the arms take turns in slices of load. */
async function httpSection(arms: readonly Arm[], rounds: number): Promise<ArmFigures[]> {
  const { users: userCount, connections, perConnection, sliceSeconds, warmupSeconds } = config.http;
  const targets = new Map<Target, { child: Child; url: string; users: BenchUser[] }>();
  let loader: Child | undefined;
  try {
    let users: BenchUser[] = [];
    // hongbao first: its users' tokens make the requests every arm sends.
    const wanted = [...new Set(arms.map((a) => a.target))].sort(
      (a, b) => Number(b === "hongbao") - Number(a === "hongbao"),
    );
    for (const target of wanted) {
      const child = forkChild("http-target", [target, String(userCount)], profileEnv);
      targets.set(target, { child, url: "", users: [] });
      const ready = await child.next<{ url: string; users: BenchUser[] }>("ready", 120_000);
      targets.set(target, { child, url: ready.url, users: ready.users });
      if (users.length === 0 && ready.users.length > 0) users = ready.users;
    }
    if (users.length < 2) throw new Error("no users to build requests from");
    loader = forkChild("load", []);
    const init: LoadInit = {
      connections,
      perConnection,
      seed: 1000,
      arms: arms.map((a) => {
        const target = targets.get(a.target) as { url: string; users: BenchUser[] };
        // A target without users of its own (bare, fastify) gets the same requests as hongbao.
        return {
          name: a.name,
          url: target.url,
          idempotencyKeys: a.idempotencyKeys,
          users: target.users.length > 0 ? target.users : users,
        };
      }),
    };
    loader.send({ type: "init", ...init });
    await loader.next("ready", 60_000);

    const figures = new Map(
      arms.map((a) => [a.name, { arm: a, load: [] as LoadSlice[], server: [] as ServerSlice[] }]),
    );
    const runSlice = async (arm: Arm, seconds: number, record: boolean) => {
      const target = (targets.get(arm.target) as { child: Child }).child;
      const l = loader as Child;
      if (record) {
        target.send({ type: "mark" });
        await target.next("marked", 30_000);
      }
      l.send({ type: "slice", arm: arm.name, seconds, record });
      const load = await l.next<LoadSlice>("slice", (seconds + 60) * 1000);
      if (!record) return;
      target.send({ type: "report" });
      const server = await target.next<ServerSlice>("cpu", 30_000);
      const f = figures.get(arm.name) as { load: LoadSlice[]; server: ServerSlice[] };
      f.load.push(load);
      f.server.push(server);
    };
    for (const arm of arms) await runSlice(arm, warmupSeconds, false);
    for (let round = 0; round < rounds; round++) {
      // The order turns each round, so no arm always follows the same one.
      for (let i = 0; i < arms.length; i++) await runSlice(arms[(i + round) % arms.length] as Arm, sliceSeconds, true);
    }
    const result: ArmFigures[] = [];
    for (const arm of arms) {
      loader.send({ type: "latency", arm: arm.name });
      const latency = await loader.next<LoadLatency>("latency", 30_000);
      const f = figures.get(arm.name) as { arm: Arm; load: LoadSlice[]; server: ServerSlice[] };
      result.push({ ...f, latency });
      const a = summarize(result.at(-1) as ArmFigures);
      log(
        `${arm.name.padEnd(16)} ${fmtInt(a.rate)} 201/s, p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, ` +
          `[${Object.entries(a.statusCodes)
            .map(([code, n]) => `${code}×${n}`)
            .join(
              " ",
            )}${a.errors > 0 ? ` errors×${a.errors}` : ""}${a.timeouts > 0 ? ` timeouts×${a.timeouts}` : ""}] ` +
          `server CPU ${a.serverCpu.toFixed(2)} s/s = ${a.cpuPerAnswer.toFixed(0)} µs/answer, loader ${a.loaderCpu.toFixed(2)} s/s` +
          (a.batch > 0 ? `, engine batch ${a.batch.toFixed(0)} in ${a.batchMs.toFixed(2)} ms` : ""),
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

function summarize(f: ArmFigures) {
  const seconds = sum(f.load.map((s) => s.seconds));
  const created = sum(f.load.map((s) => s.created));
  const responses = sum(f.load.map((s) => s.responses));
  const errors = sum(f.load.map((s) => s.errors));
  const timeouts = sum(f.load.map((s) => s.timeouts));
  const statusCodes: Record<string, number> = {};
  for (const s of f.load)
    for (const [code, n] of Object.entries(s.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const serverCpuSeconds = sum(f.server.map((s) => s.cpuSeconds));
  const batches = sum(f.server.map((s) => s.batches));
  return {
    rate: created / seconds,
    created,
    statusCodes,
    errors,
    timeouts,
    /** Share of answers that were not 201, counting socket errors and timeouts. */
    other: (responses - created + errors + timeouts) / Math.max(1, responses + errors + timeouts),
    serverCpu: serverCpuSeconds / sum(f.server.map((s) => s.seconds)),
    cpuPerAnswer: (1e6 * serverCpuSeconds) / Math.max(1, created),
    loaderCpu: sum(f.load.map((s) => s.loaderCpuSeconds)) / seconds,
    batch: batches === 0 ? 0 : sum(f.server.map((s) => s.commands)) / batches,
    batchMs: batches === 0 ? 0 : (1000 * sum(f.server.map((s) => s.batchSeconds))) / batches,
  };
}

// ---------------------------------------------------------------- report

const ms = (v: number) => v.toFixed(2);
const verdict = (ratio: number, target: number) => (ratio >= target ? "met" : "MISSED");

function header(kind: string): string {
  return (
    `hongbao bench (${kind}) — ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}, ` +
    `${((performance.now() - began) / 1000).toFixed(0)} s`
  );
}

async function main(): Promise<void> {
  const { engine: ec, http: hc } = config;
  log(
    `${quick ? "quick" : "full"} run; engine ${ec.slices} slices of ${fmtInt(ec.sliceTransfers)} transfers per side, ${ec.inflight} in flight, ` +
      `${ec.users} users; HTTP ${hc.rounds} rounds of ${hc.sliceSeconds} s slices per arm, ${hc.connections} connections, ${hc.users} users`,
  );
  const e = await engineSection();
  const engineRate = rate(e.engine);
  const rawRate = rate(e.raw);
  const engineRatio = engineRate / rawRate;
  log(
    `engine ${fmtInt(engineRate)} transfers/s, raw ${fmtInt(rawRate)} transfers/s, ratio ${engineRatio.toFixed(2)} ` +
      `(slice pairs ${Math.min(...e.pairRatios).toFixed(2)}…${Math.max(...e.pairRatios).toFixed(2)})`,
  );

  const arms: Arm[] = [
    { name: "hongbao", target: "hongbao", idempotencyKeys: false, what: "" },
    { name: "bare", target: "bare", idempotencyKeys: false, what: "" },
  ];
  if (hc.keyArm) arms.push({ name: "hongbao+key", target: "hongbao", idempotencyKeys: true, what: "" });
  const h = await httpSection(arms, hc.rounds);
  const [hongbao, bare, keyed] = h.map(summarize) as [
    ReturnType<typeof summarize>,
    ReturnType<typeof summarize>,
    ReturnType<typeof summarize> | undefined,
  ];
  const [hongbaoLat, bareLat, keyedLat] = h.map((f) => f.latency) as [
    LoadLatency,
    LoadLatency,
    LoadLatency | undefined,
  ];
  const httpRatio = hongbao.rate / bare.rate;

  const rows: string[][] = [
    [
      "1. durable transfers/s: Engine+SqliteStore vs raw better-sqlite3",
      fmtInt(engineRate),
      fmtInt(rawRate),
      engineRatio.toFixed(2),
      `≥ ${ENGINE_TARGET.toFixed(2)}`,
      verdict(engineRatio, ENGINE_TARGET),
    ],
    [
      "2. HTTP transfers/s: POST /v1/transfers vs bare node:http",
      fmtInt(hongbao.rate),
      fmtInt(bare.rate),
      httpRatio.toFixed(2),
      `≥ ${HTTP_TARGET.toFixed(2)}`,
      verdict(httpRatio, HTTP_TARGET),
    ],
    ["   HTTP latency p50 (ms)", ms(hongbaoLat.p50), ms(bareLat.p50), "", "", ""],
    ["   HTTP latency p99 (ms)", ms(hongbaoLat.p99), ms(bareLat.p99), "", "", ""],
    [
      "   (info) server CPU per answer (µs; ratio = bare / hongbao)",
      hongbao.cpuPerAnswer.toFixed(1),
      bare.cpuPerAnswer.toFixed(1),
      (bare.cpuPerAnswer / hongbao.cpuPerAnswer).toFixed(2),
      "",
      "",
    ],
  ];
  if (keyed !== undefined && keyedLat !== undefined) {
    rows.push([
      "   (info) HTTP with a unique Idempotency-Key: transfers/s",
      fmtInt(keyed.rate),
      fmtInt(bare.rate),
      (keyed.rate / bare.rate).toFixed(2),
      "",
      "",
    ]);
    rows.push([
      "   (info) …and its latency p50 / p99 (ms)",
      `${ms(keyedLat.p50)} / ${ms(keyedLat.p99)}`,
      "",
      "",
      "",
      "",
    ]);
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
  const httpRow = (name: string, a: ReturnType<typeof summarize>, l: LoadLatency) => [
    name,
    fmtInt(a.rate),
    `${ms(l.p50)} / ${ms(l.p99)}`,
    a.batch > 0 ? `${a.batch.toFixed(0)} in ${a.batchMs.toFixed(1)} ms` : "",
    a.serverCpu.toFixed(2),
    a.cpuPerAnswer.toFixed(1),
    a.loaderCpu.toFixed(2),
  ];
  const detail = [
    engineRow(`engine (${ec.slices} slices)`, e.engine),
    engineRow(`raw sqlite (${ec.slices} slices)`, e.raw),
    httpRow(`http hongbao (${hc.rounds} slices)`, hongbao, hongbaoLat),
    httpRow(`http bare (${hc.rounds} slices)`, bare, bareLat),
    ...(keyed !== undefined && keyedLat !== undefined
      ? [httpRow(`http hongbao+key (${hc.rounds} slices)`, keyed, keyedLat)]
      : []),
  ];

  const out = [
    "",
    header(quick ? "quick" : "full"),
    "",
    table(["figure (sums over interleaved slices)", "hongbao", "baseline", "ratio", "target", ""], rows),
    "",
    table(["side", "per second", "p50 / p99 ms", "batch", "CPU s/s", "CPU µs/op", "loader CPU s/s"], detail),
    "",
    `engine/raw ratio of each slice pair: ${e.pairRatios.map((r) => r.toFixed(2)).join(" ")}` +
      (quick ? " (a quick run's database is small: figure 1 reads ≈ 0.05 lower than in the full run)" : ""),
    ...[
      ["hongbao", hongbao],
      ["hongbao+key", keyed],
    ]
      .filter(([, a]) => a !== undefined && (a as ReturnType<typeof summarize>).other > 0.01)
      .map(([name, a]) => {
        const s = a as ReturnType<typeof summarize>;
        return `WARNING: ${(100 * s.other).toFixed(1)}% of ${name} answers were not 201: ${JSON.stringify(s.statusCodes)}, errors ${s.errors}, timeouts ${s.timeouts}`;
      }),
    `HTTP answers other than 201: hongbao ${(100 * hongbao.other).toFixed(2)}%, bare ${(100 * bare.other).toFixed(2)}%` +
      (keyed !== undefined ? `, hongbao+key ${(100 * keyed.other).toFixed(2)}%` : "") +
      `; mean latency hongbao ${ms(hongbaoLat.mean)} ms, bare ${ms(bareLat.mean)} ms`,
    "",
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

// ---------------------------------------------------------------- --ladder: where the HTTP gap goes

/** Each step from bare node:http to the real server, interleaved, to split the gap into its causes. */
async function ladder(): Promise<void> {
  const arms: Arm[] = [
    {
      name: "hongbao",
      target: "hongbao",
      idempotencyKeys: false,
      what: "real server, SQLite file (WAL, synchronous=FULL)",
    },
    {
      name: "hongbao-worker",
      target: "hongbao-worker",
      idempotencyKeys: false,
      what: "prototype: same commits, run durably by a worker thread",
    },
    { name: "hongbao-memory", target: "hongbao-memory", idempotencyKeys: false, what: "real server, SQLite :memory:" },
    {
      name: "hongbao-nostore",
      target: "hongbao-nostore",
      idempotencyKeys: false,
      what: "real server, store commit a no-op",
    },
    { name: "fastify", target: "fastify", idempotencyKeys: false, what: "bare Fastify, one POST route, fixed answer" },
    { name: "bare", target: "bare", idempotencyKeys: false, what: "bare node:http, fixed answer" },
  ];
  const figures = await httpSection(arms, option("http-rounds", quick ? 1 : 2));
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
    `\n${header("ladder")}, ${config.http.connections} connections\n\n` +
      `${table(["step", "201/s", "vs bare", "p50 / p99 ms", "server CPU s/s", "CPU µs/answer", "engine batch"], rows)}\n`,
  );
}

(argv.includes("--ladder") ? ladder() : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
