/**
 * The writer fed at full rate (`npm run bench:writer-feed`): the writer process of
 * `serve --edges N`, started as its supervisor starts it, fed claims over its Unix socket by
 * this process through the edge's own WriterClient (one client a connection, like one edge
 * each), with no HTTP in front. Each claim is the call an edge makes for a claim without a key
 * (`line.claim`, admitted), by a distinct user of one campaign whose budget pays them all,
 * answered once its batch is durable. Enough claims stay in flight that the writer's group
 * commit always has the next batch waiting.
 *
 * Against it, in the same run and interleaved (the order alternates by round): raw
 * better-sqlite3 writing the same claim rows (bench/raw-claims.ts) in transactions of the
 * writer's mean batch and of its largest batch, measured in the round before when raw goes first.
 *
 * Usage: node dist/bench/writer-feed.js [--claims 20000] [--in-flight 10000] [--connections 1]
 *   [--rounds 3] [--profile DIR] [--raw no]
 * (`--profile DIR`: the writer writes a V8 CPU profile there when it stops; bench/profile-summary.ts reads it.)
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WriterClient } from "../src/edge/writer-client.js";
import { type Fact, isPaidClaim, type PaidClaim } from "../src/wire/messages.js";
import { cpuOf, cpuSecondsSince, flag, fmtInt, median, stopServer } from "./lib.js";
import { rawClaims } from "./raw-claims.js";

/** Claims a round: each by its own user, so also the users made. */
const CLAIMS = Number(flag("claims", "20000"));
/**
 * Claims in flight across the connections: far more than a batch (the scheduler lingers up to
 * 1 000 claims, takes up to 2 000), within the client's 20 000 and the claim lane's 20 000.
 */
const IN_FLIGHT = Number(flag("in-flight", "10000"));
const CONNECTIONS = Number(flag("connections", "1"));
const ROUNDS = Number(flag("rounds", "3"));
const PROFILE = flag("profile", "");
/** `--raw no`: the writer alone, for comparing two builds of it in turn (the ratio columns are then empty). */
const RAW = flag("raw", "yes") !== "no";
const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const ADMIN = "bench-writer-feed-admin-0123456789";
const SECRET = "bench-writer-feed-wire-secret-0123456789";

const log = (line: string) => process.stderr.write(`[writer-feed] ${line}\n`);

/** The writer as `serve --edges` forks it (src/cli/edges.ts), with npm start's heap flag; resolves with its HTTP url. */
function startWriter(dir: string, socket: string): { child: ChildProcess; url: Promise<string> } {
  const child = fork(MAIN, ["serve", "--edges", "1", "--port", "0", "--db", join(dir, "h.db"), "--log-level", "warn"], {
    execArgv: ["--max-semi-space-size=64", ...(PROFILE === "" ? [] : ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`])],
    env: {
      ...process.env,
      HONGBAO_ROLE: "writer",
      HONGBAO_WIRE_PATH: socket,
      HONGBAO_WIRE_SECRET: SECRET,
      HONGBAO_ADMIN_TOKEN: ADMIN,
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const url = new Promise<string>((resolve, reject) => {
    child.on("message", (message: { listening?: string }) => {
      if (message.listening !== undefined) resolve(message.listening);
    });
    child.once("exit", (code, signal) => reject(new Error(`the writer stopped (${code ?? signal})`)));
  });
  return { child, url };
}

// biome-ignore lint/suspicious/noExplicitAny: the setup calls read a field or two of known answers
async function admin(url: string, path: string, body: unknown, key: string): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function makeUsers(url: string): Promise<string[]> {
  const ids: string[] = [];
  for (let made = 0; made < CLAIMS; made += 10_000) {
    const n = Math.min(10_000, CLAIMS - made);
    const users = Array.from({ length: n }, (_, i) => ({
      phone: `+8613${String(made + i).padStart(9, "0")}`,
      name: "u",
    }));
    const bulk = await admin(url, "/v1/admin/users/bulk", { users }, `bulk-${made}`);
    ids.push(...(bulk.users as { userId: string }[]).map((user) => user.userId));
  }
  return ids;
}

/** A campaign paying one fen to each of far more users than claim it. */
async function makeCampaign(url: string, name: string): Promise<string> {
  const now = Date.now();
  const campaign = await admin(
    url,
    "/v1/admin/campaigns",
    {
      name,
      budget: 1_000_000_000,
      amount: { fixed: 1 },
      startsAt: new Date(now - 1_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    },
    `campaign-${name}`,
  );
  return campaign.id as string;
}

/** USER_HZ on Linux: /proc counts CPU time in these ticks. */
const TICKS = 100;

/** CPU seconds of each thread of a process by thread id, from /proc (a thread gone since is missing). */
function threadsCpu(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / TICKS);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

interface Fed {
  readonly perSecond: number;
  readonly writerCpuPerClaim: number;
  /** Of the writer's CPU: its main thread's, and its busiest other thread's (the commit thread, when it has one). */
  readonly mainThreadCpuPerClaim: number;
  readonly otherThreadCpuPerClaim: number;
  readonly feederCpuPerClaim: number;
  readonly batches: readonly number[];
  readonly outcomes: Record<string, number>;
}

/**
 * Every user claims once, IN_FLIGHT claims under way at all times, spread over the clients
 * round-robin. Batch sizes are read from the facts the writer sends after each durable batch:
 * one "claims" fact per campaign a batch, naming every user it paid.
 */
async function feed(
  clients: readonly WriterClient[],
  batchesOf: Map<string, number[]>,
  writerPid: number,
  campaignId: string,
  users: readonly string[],
): Promise<Fed> {
  const batches: number[] = [];
  batchesOf.set(campaignId, batches);
  const outcomes: Record<string, number> = {};
  let next = 0;
  const lane = async (client: WriterClient) => {
    while (next < users.length) {
      const userId = users[next++] as string;
      let outcome: string;
      try {
        // What an edge's claim route sends for a claim without a key, admitted (src/edge/remote-line.ts).
        const reply = (await client.call("line.claim", [campaignId, userId, null, true, false, null])) as
          | PaidClaim
          | { kind: string; outcome?: string };
        // Wire version 3 answers a paid claim as the tuple [amount, n].
        if (isPaidClaim(reply)) outcome = "claimed";
        else outcome = reply.kind === "decided" ? (reply.outcome as string) : reply.kind;
      } catch (error) {
        outcome = (error as Error).constructor.name;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  const cpuBefore = cpuOf(writerPid);
  const threadsBefore = threadsCpu(writerPid);
  const feederBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, i) => lane(clients[i % clients.length] as WriterClient)));
  const seconds = (performance.now() - started) / 1000;
  const feederCpu = cpuSecondsSince(feederBefore);
  const writerCpu = cpuOf(writerPid) - cpuBefore;
  let mainCpu = 0;
  let otherCpu = 0;
  for (const [tid, cpu] of threadsCpu(writerPid)) {
    const used = cpu - (threadsBefore.get(tid) ?? 0);
    if (tid === writerPid) mainCpu = used;
    else otherCpu = Math.max(otherCpu, used);
  }
  batchesOf.delete(campaignId);
  const claimed = outcomes.claimed ?? 0;
  if (claimed !== users.length) throw new Error(`not every claim was paid: ${JSON.stringify(outcomes)}`);
  const paid = batches.reduce((sum, n) => sum + n, 0);
  if (paid !== claimed) throw new Error(`the writer's facts name ${paid} claims, ${claimed} were answered`);
  return {
    perSecond: claimed / seconds,
    writerCpuPerClaim: writerCpu / claimed,
    mainThreadCpuPerClaim: mainCpu / claimed,
    otherThreadCpuPerClaim: otherCpu / claimed,
    feederCpuPerClaim: feederCpu / claimed,
    batches,
    outcomes,
  };
}

const mean = (values: readonly number[]) => values.reduce((sum, n) => sum + n, 0) / Math.max(1, values.length);
const us = (seconds: number) => (1e6 * seconds).toFixed(1);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

const dir = mkdtempSync(join(tmpdir(), "hongbao-writer-feed-"));
const writer = startWriter(dir, join(dir, "w.sock"));
const clients: WriterClient[] = [];
try {
  const url = await writer.url;
  const writerPid = writer.child.pid as number;
  const users = await makeUsers(url);
  const batchesOf = new Map<string, number[]>();
  // Every client hears every batch's facts, as every edge does; the first one counts them.
  const onFacts = (facts: readonly Fact[]) => {
    for (const fact of facts) if (fact.k === "claims") batchesOf.get(fact.c)?.push(fact.users.length);
  };
  for (let i = 0; i < CONNECTIONS; i++)
    clients.push(
      new WriterClient({
        address: { path: join(dir, "w.sock") },
        secret: SECRET,
        name: `feed-${i}`,
        ...(i === 0 ? { onFacts } : {}),
      }),
    );
  await Promise.all(clients.map((client) => client.ready()));
  log(`${fmtInt(users.length)} users; ${CONNECTIONS} connection(s), ${fmtInt(IN_FLIGHT)} claims in flight`);
  // Warm-up: the writer's claim path optimised, its first batches and checkpoints behind it.
  const warm = await feed(clients, batchesOf, writerPid, await makeCampaign(url, "warm-up"), users);
  log(`warm-up: ${fmtInt(warm.perSecond)}/s, batches of ${mean(warm.batches).toFixed(0)}`);

  type Raw = Awaited<ReturnType<typeof rawClaims>>;
  const rows: { fed: Fed; rawMean: Raw; rawMax: Raw }[] = [];
  let sizes = [mean(warm.batches), Math.max(...warm.batches)];
  for (let round = 1; round <= ROUNDS; round++) {
    const rawFirst = round % 2 === 0;
    const none: Raw = { perSecond: Number.NaN, cpuPerClaim: Number.NaN };
    const raws = async (at: number[]): Promise<[Raw, Raw]> =>
      RAW
        ? [await rawClaims(CLAIMS, at[0] as number, log), await rawClaims(CLAIMS, at[1] as number, log)]
        : [none, none];
    const before = rawFirst ? await raws(sizes) : undefined;
    const rawSizes = sizes;
    const fed = await feed(clients, batchesOf, writerPid, await makeCampaign(url, `round-${round}`), users);
    sizes = [mean(fed.batches), Math.max(...fed.batches)];
    const [rawMean, rawMax] = before ?? (await raws(sizes));
    const at = before === undefined ? sizes : rawSizes;
    rows.push({ fed, rawMean, rawMax });
    const sorted = [...fed.batches].sort((a, b) => a - b);
    process.stdout.write(
      `round ${round} of ${ROUNDS} (${rawFirst ? "raw first" : "writer first"}), load average ${load()}\n` +
        `  writer fed: ${fmtInt(fed.perSecond)} claims/s, writer ${us(fed.writerCpuPerClaim)} µs CPU a claim (main thread ${us(fed.mainThreadCpuPerClaim)}, busiest other ${us(fed.otherThreadCpuPerClaim)}), feeder ${us(fed.feederCpuPerClaim)} µs; ` +
        `${fed.batches.length} batches, mean ${mean(fed.batches).toFixed(0)}, median ${median(sorted).toFixed(0)}, min ${sorted[0]}, max ${sorted.at(-1)}\n` +
        `  raw SQLite, batches of ${Math.round(at[0] as number)}: ${fmtInt(rawMean.perSecond)}/s, ${us(rawMean.cpuPerClaim)} µs CPU a claim; ` +
        `of ${Math.round(at[1] as number)}: ${fmtInt(rawMax.perSecond)}/s, ${us(rawMax.cpuPerClaim)} µs\n` +
        `  writer ÷ raw: ${(fed.perSecond / rawMean.perSecond).toFixed(2)} at the mean batch, ${(fed.perSecond / rawMax.perSecond).toFixed(2)} at the largest (bar ≥ 0.6)\n`,
    );
  }
  type Row = (typeof rows)[number];
  const summaries: [string, (row: Row) => number, number][] = [
    ["writer fed, claims/s", (r) => r.fed.perSecond, 0],
    ["writer µs CPU a claim", (r) => 1e6 * r.fed.writerCpuPerClaim, 1],
    ["writer main thread µs CPU a claim", (r) => 1e6 * r.fed.mainThreadCpuPerClaim, 1],
    ["writer busiest other thread µs CPU a claim", (r) => 1e6 * r.fed.otherThreadCpuPerClaim, 1],
    ["feeder µs CPU a claim", (r) => 1e6 * r.fed.feederCpuPerClaim, 1],
    ["mean batch", (r) => mean(r.fed.batches), 0],
    ["largest batch", (r) => Math.max(...r.fed.batches), 0],
    ["raw claims/s at the mean batch", (r) => r.rawMean.perSecond, 0],
    ["raw µs CPU a claim at the mean batch", (r) => 1e6 * r.rawMean.cpuPerClaim, 1],
    ["raw claims/s at the largest batch", (r) => r.rawMax.perSecond, 0],
    ["writer ÷ raw at the mean batch", (r) => r.fed.perSecond / r.rawMean.perSecond, 2],
    ["writer ÷ raw at the largest batch", (r) => r.fed.perSecond / r.rawMax.perSecond, 2],
  ];
  process.stdout.write(`\nmedian [min–max] over ${ROUNDS} rounds, load average now ${load()}\n`);
  for (const [name, of, digits] of summaries) {
    const values = rows.map(of);
    process.stdout.write(
      `${name}: ${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]\n`,
    );
  }
} finally {
  for (const client of clients) client.close();
  await stopServer(writer.child);
  rmSync(dir, { recursive: true, force: true });
}
