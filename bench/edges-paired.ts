/**
 * Two builds of `serve --edges 1` compared pair by pair (`node dist/bench/edges-paired.js
 * --before DIR`): this build and the one under DIR (a worktree with its own `dist`) run side by
 * side with one bare node:http server, and the three take turns, every 20 000 sold-out answers
 * (64 connections) and every 10 000 durable claims (512 connections, a new campaign each turn),
 * the two builds' order reversed each round. On a shared machine whose load comes and goes
 * between one bench run and the next (edges-bench.ts), the pairs of a round saw the same load:
 * what they differ by is the builds'. CPU is each process's from /proc, as in edges-bench.ts.
 *
 * Usage: node dist/bench/edges-paired.js --before DIR [--rounds 10] [--users 10000] [--requests 20000] [--warm-up 3]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuOf, flag, median, stopServer } from "./lib.js";
import {
  ADMIN,
  BARE_REQUEST,
  BARE_SERVER,
  json,
  load,
  openCampaign,
  type Started,
  start,
  until,
} from "./serve-load.js";

const BEFORE = flag("before", "");
const ROUNDS = Number(flag("rounds", "10"));
const USERS = Number(flag("users", "10000"));
const REQUESTS = Number(flag("requests", "20000"));
/** Durable campaigns each build runs before round 1 (edges-bench.ts's --warm-up). */
const WARM_UPS = Number(flag("warm-up", "3"));
if (BEFORE === "") {
  process.stderr.write("usage: edges-paired --before DIR (a build of the code to compare with)\n");
  process.exit(2);
}

type Next = () => { method: "POST"; path: string; headers: Record<string, string> };

interface Served {
  readonly name: string;
  readonly server: Started;
  readonly dir: string;
  readonly url: string;
  readonly edgePid: number;
  readonly writerPid: number;
  readonly soldOut: Next;
  readonly durable: () => Promise<Next>;
}

/** `serve --edges 1` of one build, its users made, a sold-out campaign and the durable path warmed up. */
async function serve(name: string, main: string): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-edges-paired-"));
  const server = start(
    process.execPath,
    [main, "serve", "--edges", "1", "--port", "0", "--db", join(dir, "h.db"), "--log-level", "info"],
    { ...process.env, HONGBAO_ADMIN_TOKEN: ADMIN, HONGBAO_WIRE_SECRET: "edges-paired-wire-secret-0123456789" },
  );
  const edge = await until(() => server.lines.find((l) => l.msg === "edge listening"), `${name}'s edge`);
  const writer = await until(() => server.lines.find((l) => l.msg === "writer listening"), `${name}'s writer`);
  const url = `http://127.0.0.1:${(edge.address as { port: number }).port}`;
  const users: { token: string }[] = [];
  for (let made = 0; made < USERS; made += 10_000) {
    const n = Math.min(10_000, USERS - made);
    const phones = Array.from({ length: n }, (_, i) => ({
      phone: `+8613${String(made + i).padStart(9, "0")}`,
      name: "u",
    }));
    users.push(...(await json(url, "POST", "/v1/admin/users/bulk", { users: phones }, `bulk-${made}`)).users);
  }
  const now = Date.now();
  let made = 0;
  const campaign = (budget: number) => openCampaign(url, now, budget, `campaign-${made++}`);
  const claimsOf = (campaignId: string): Next => {
    let next = 0;
    return () => ({
      method: "POST",
      path: `/v1/campaigns/${campaignId}/claim`,
      headers: { authorization: `Bearer ${(users[next++ % users.length] as { token: string }).token}` },
    });
  };
  const soldOut = claimsOf(await campaign(1));
  await load(url, 4_000, soldOut, 64);
  // As in edges-bench.ts: durable campaigns warm the path up (V8 done compiling it) and have the edge meet the users.
  for (let warm = 0; warm < WARM_UPS; warm++)
    await load(url, users.length, claimsOf(await campaign(1_000_000_001)), 512);
  return {
    name,
    server,
    dir,
    url,
    edgePid: Number(edge.pid),
    writerPid: Number(writer.pid),
    soldOut,
    durable: async () => claimsOf(await campaign(1_000_000_000)),
  };
}

/** CPU µs an answer of each process over one run, and the run's statuses. */
async function measure(pids: number[], url: string, count: number, next: Next, connections: number) {
  const before = pids.map(cpuOf);
  const run = await load(url, count, next, connections);
  return { us: pids.map((pid, i) => (1e6 * (cpuOf(pid) - (before[i] as number))) / run.answers), run };
}

const bare = start(process.execPath, ["-e", BARE_SERVER], process.env);
const bareLine = await until(() => bare.lines.find((l) => l.msg === "bare"), "the bare server");
const bareUrl = `http://127.0.0.1:${bareLine.port}`;
const barePid = bare.child.pid as number;
const builds = [
  await serve("before", join(BEFORE, "dist/src/cli/main.js")),
  await serve("after", fileURLToPath(new URL("../src/cli/main.js", import.meta.url))),
];
const figures = new Map<string, number[]>();
const note = (name: string, value: number) => figures.set(name, [...(figures.get(name) ?? []), value]);
const shed: string[] = [];
try {
  await load(bareUrl, 4_000, () => BARE_REQUEST, 64);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? builds : [...builds].reverse();
    note("bare 64", (await measure([barePid], bareUrl, REQUESTS, () => BARE_REQUEST, 64)).us[0] as number);
    for (const build of order) {
      note(
        `${build.name} sold out`,
        (await measure([build.edgePid], build.url, REQUESTS, build.soldOut, 64)).us[0] as number,
      );
    }
    note("bare 512", (await measure([barePid], bareUrl, USERS, () => BARE_REQUEST, 512)).us[0] as number);
    for (const build of order) {
      const { us, run } = await measure([build.edgePid, build.writerPid], build.url, USERS, await build.durable(), 512);
      const claimed = run.statuses["200"] ?? 0;
      // Per successful durable claim, as edges-bench.ts counts it.
      note(`${build.name} durable edge`, ((us[0] as number) * run.answers) / Math.max(1, claimed));
      note(`${build.name} durable writer`, ((us[1] as number) * run.answers) / Math.max(1, claimed));
      if (claimed !== run.answers) shed.push(`round ${round}, ${build.name}: ${JSON.stringify(run.statuses)}`);
    }
    const last = (name: string) => (figures.get(name)?.at(-1) ?? Number.NaN).toFixed(1);
    process.stderr.write(
      `[edges-paired] round ${round} of ${ROUNDS}, load ${loadavg()[0]?.toFixed(1)}: bare ${last("bare 64")} / ${last("bare 512")} µs; ` +
        builds
          .map(
            (b) =>
              `${b.name}: sold out ${last(`${b.name} sold out`)}, durable ${last(`${b.name} durable edge`)} + ${last(`${b.name} durable writer`)} µs`,
          )
          .join("; ") +
        "\n",
    );
  }
} finally {
  await stopServer(bare.child);
  for (const build of builds) {
    await stopServer(build.server.child);
    rmSync(build.dir, { recursive: true, force: true });
  }
}

const of = (name: string) => figures.get(name) ?? [];
const spread = (values: number[], digits = 1) =>
  `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;
const lines: string[] = [
  `${ROUNDS} rounds, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
];
lines.push(`bare node:http µs an answer: 64 connections ${spread(of("bare 64"))}, 512 ${spread(of("bare 512"))}`);
for (const build of builds) {
  const sold = of(`${build.name} sold out`);
  const edge = of(`${build.name} durable edge`);
  const writer = of(`${build.name} durable writer`);
  lines.push(
    `${build.name}: sold out ${spread(sold)} µs, × bare ${spread(
      sold.map((v, i) => v / (of("bare 64")[i] as number)),
      2,
    )}; durable edge ${spread(edge)} + writer ${spread(writer)} µs, × bare ${spread(
      edge.map((v, i) => (v + (writer[i] as number)) / (of("bare 512")[i] as number)),
      2,
    )}`,
  );
}
for (const [what, name] of [
  ["sold out", "sold out"],
  ["durable, edge", "durable edge"],
  ["durable, writer", "durable writer"],
] as const) {
  const after = of(`after ${name}`);
  const difference = after.map((v, i) => v - (of(`before ${name}`)[i] as number));
  lines.push(
    `after − before, ${what}: ${spread(difference)} µs, after lower in ${difference.filter((d) => d < 0).length} of ${difference.length}`,
  );
}
if (shed.length > 0) lines.push(`durable runs with answers other than 200: ${shed.join("; ")}`);
process.stdout.write(`${lines.join("\n")}\n`);
