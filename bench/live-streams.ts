/**
 * What 200 open live event streams cost a flash crowd: the same `hongbao flash-crowd` run
 * (claims plus background transfers) against a fresh `hongbao serve`, once with 200 streams
 * of 200 users open (GET /v1/me/events, in groups that get a packet every 200 ms all along)
 * and once without them (the packets still sent). Runs alternate, pair by pair, on this noisy
 * machine; the figures are ratios with streams / without, per pair, their median and their
 * geometric mean (over an even number of pairs, each side runs first equally often).
 *
 * Run: `npm run bench:live` (HONGBAO_LIVE_BENCH_PAIRS, _USERS, _CONNECTIONS, _BURST, _TPS to size it).
 */
import { runFlashCrowd } from "../src/cli/flash-crowd/index.js";
import { processStats, spawnHongbao } from "../src/cli/flash-crowd/target.js";
import { type OpenStream, openEventStream } from "../test/support/event-stream.js";

const STREAMS = 200;
const GROUP_SIZE = 20;
const PACKET_EVERY_MS = 200;
const env = (name: string, fallback: number) => Number(process.env[`HONGBAO_LIVE_BENCH_${name}`] ?? fallback);
const PAIRS = env("PAIRS", 2);
const USERS = env("USERS", 20_000);
const CONNECTIONS = env("CONNECTIONS", 500);
const BURST_S = env("BURST", 5);
const TPS = env("TPS", 100);

interface Run {
  readonly streams: boolean;
  readonly claimsPerSecond: number;
  /** The server's CPU (user + system) per claim answer, µs: what the streams cost it, less swayed by a busy machine. */
  readonly cpuMicrosPerAnswer: number;
  readonly wallSeconds: number;
  readonly transfersP99Ms: number;
  readonly transfersFailed: number;
  readonly ok: boolean;
  /** The invariants that did not hold, and whether the run hit its deadline (a machine too busy to finish). */
  readonly broken: string;
  readonly events: number;
  readonly shed: string;
}

async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(method === "POST" ? { "idempotency-key": crypto.randomUUID() } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function once(withStreams: boolean): Promise<Run> {
  const target = await spawnHongbao();
  const streams: OpenStream[] = [];
  let sending = true;
  let events = 0;
  try {
    const base = target.url;
    const admin = target.adminToken;
    const made = await api<{ users: { userId: string; token: string }[] }>(
      base,
      admin,
      "POST",
      "/v1/admin/users/bulk",
      {
        users: Array.from({ length: STREAMS }, (_, i) => ({
          phone: `+86138${String(i).padStart(8, "0")}`,
          name: `s${i}`,
        })),
      },
    );
    const people = made.users;
    const groups: { owner: { userId: string; token: string }; id: string }[] = [];
    for (let i = 0; i < people.length; i += GROUP_SIZE) {
      const [owner, ...members] = people.slice(i, i + GROUP_SIZE);
      if (owner === undefined) continue;
      await api(base, admin, "POST", "/v1/admin/deposits", { userId: owner.userId, amount: 10_000_000 });
      const group = await api<{ id: string }>(base, owner.token, "POST", "/v1/groups", {
        name: `g${i}`,
        memberIds: members.map((member) => member.userId),
      });
      groups.push({ owner, id: group.id });
    }
    if (withStreams) {
      for (const person of people) {
        const stream = await openEventStream(`${base}/v1/me/events`, person.token);
        if (stream.status !== 200) throw new Error(`a stream did not open: ${stream.status} ${stream.body}`);
        streams.push(stream);
        void (async () => {
          try {
            for (;;) {
              await stream.next(3_600_000);
              events++;
            }
          } catch {
            // closed
          }
        })();
      }
    }
    // Packets into the groups all along, with or without streams: the same work either way.
    const sender = (async () => {
      let n = 0;
      while (sending) {
        const group = groups[n++ % groups.length];
        if (group !== undefined) {
          await api(base, group.owner.token, "POST", "/v1/red-packets", {
            kind: "lucky",
            amount: 100,
            count: 5,
            groupId: group.id,
          }).catch(() => {});
        }
        await new Promise((resolve) => setTimeout(resolve, PACKET_EVERY_MS));
      }
    })();
    const cpuBefore = target.pid === undefined ? undefined : processStats(target.pid).cpuSeconds;
    const summary = await runFlashCrowd({
      target: { url: base, adminToken: admin },
      users: USERS,
      connections: CONNECTIONS,
      burstSeconds: BURST_S,
      startInSeconds: 2,
      backgroundTps: TPS,
      progress: "off",
      reportFile: undefined,
      jsonFile: undefined,
      print: () => {},
    });
    const cpuAfter = target.pid === undefined ? undefined : processStats(target.pid).cpuSeconds;
    sending = false;
    await sender;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const shed = /hongbao_live_events_total\{outcome="shed"\} (\d+)/.exec(metrics)?.[1] ?? "0";
    return {
      streams: withStreams,
      claimsPerSecond: summary.claims.answersPerSecond,
      cpuMicrosPerAnswer:
        cpuBefore === undefined || cpuAfter === undefined
          ? Number.NaN
          : ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, summary.claims.answers),
      wallSeconds: summary.wallSeconds,
      transfersP99Ms: summary.transfers?.latency.p99Ms ?? Number.NaN,
      transfersFailed: summary.transfers?.failed ?? 0,
      ok: summary.ok,
      broken:
        summary.invariants
          .filter((check) => !check.ok)
          .map((check) => `${check.name}: ${check.detail}`)
          .join("; ") + (summary.deadlineHit ? " (deadline hit)" : ""),
      events,
      shed,
    };
  } finally {
    sending = false;
    for (const stream of streams) stream.close();
    await target.stop();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle)
    ? ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
    : (sorted[Math.floor(middle)] as number);
};
const runs: Run[] = [];
const claimRatios: number[] = [];
const p99Ratios: number[] = [];
const cpuRatios: number[] = [];
console.log(
  `live streams bench: ${PAIRS} pairs; flash crowd of ${USERS} users over ${BURST_S} s on ${CONNECTIONS} connections, ` +
    `transfers at ${TPS}/s; ${STREAMS} streams in groups of ${GROUP_SIZE}, a packet every ${PACKET_EVERY_MS} ms`,
);
for (let pair = 0; pair < PAIRS; pair++) {
  // Alternate which goes first, so a machine getting busier does not favour one side.
  const order = pair % 2 === 0 ? [false, true] : [true, false];
  const pairRuns: Run[] = [];
  for (const withStreams of order) {
    const run = await once(withStreams);
    pairRuns.push(run);
    runs.push(run);
    console.log(
      `  ${withStreams ? "with 200 streams" : "without streams "}: claims ${run.claimsPerSecond.toFixed(0)}/s, ` +
        `wall ${run.wallSeconds.toFixed(1)} s, transfers p99 ${run.transfersP99Ms.toFixed(1)} ms ` +
        `(${run.transfersFailed} failed), invariants ${run.ok ? "held" : `BROKEN: ${run.broken}`}` +
        (withStreams ? `, events received ${run.events}, shed ${run.shed}` : ""),
    );
  }
  const without = pairRuns.find((run) => !run.streams) as Run;
  const withS = pairRuns.find((run) => run.streams) as Run;
  claimRatios.push(withS.claimsPerSecond / without.claimsPerSecond);
  p99Ratios.push(withS.transfersP99Ms / without.transfersP99Ms);
  cpuRatios.push(withS.cpuMicrosPerAnswer / without.cpuMicrosPerAnswer);
  console.log(
    `  pair ${pair + 1}: claims/s with/without ${(claimRatios.at(-1) as number).toFixed(3)}, ` +
      `transfers p99 with/without ${(p99Ratios.at(-1) as number).toFixed(2)}, ` +
      `server CPU a claim answer with/without ${(cpuRatios.at(-1) as number).toFixed(3)}`,
  );
}
// Pairs alternate which side runs first; the geometric mean over an even number of pairs
// cancels a machine that gets busier (or quieter) from one run to the next.
const geometric = (values: number[]) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
console.log(
  `over ${PAIRS} pairs: claims/s with/without median ${median(claimRatios).toFixed(3)}, ` +
    `geometric mean ${geometric(claimRatios).toFixed(3)} (bar ≥ 0.95); ` +
    `transfers p99 with/without median ${median(p99Ratios).toFixed(2)}, geometric mean ${geometric(p99Ratios).toFixed(2)}; ` +
    `server CPU a claim answer with/without median ${median(cpuRatios).toFixed(3)}, geometric mean ${geometric(cpuRatios).toFixed(3)}`,
);
if (runs.some((run) => !run.ok)) process.exitCode = 1;
