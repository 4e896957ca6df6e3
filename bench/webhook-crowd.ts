/**
 * The flash crowd with and without a webhook endpoint registered for campaign events, in the
 * same run: pairs of `hongbao serve` children (the order alternating each round), the same
 * crowd and seed against each, claims per second compared. The endpoint is a receiver in
 * this process that verifies every signature and answers 200.
 *
 *   npm run build && node dist/bench/webhook-crowd.js [--rounds 3] [--users 30000] [--connections 1000] [--burst 1]
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { runFlashCrowd } from "../src/cli/flash-crowd/index.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    users: { type: "string", default: "30000" },
    connections: { type: "string", default: "1000" },
    burst: { type: "string", default: "1" },
  },
});
const rounds = Number(values.rounds);
const users = Number(values.users);
const connections = Number(values.connections);
const burstSeconds = Number(values.burst);

// The receiver runs in a process of its own, so that taking the webhooks costs the crowd's
// generator nothing: it checks each signature with the secret the endpoint was given (sent to
// it on its stdin) and answers 200, or 400 for a bad signature.
const RECEIVER = `
const { createServer } = require("node:http");
const { createHmac, timingSafeEqual } = require("node:crypto");
let secret = "";
process.stdin.setEncoding("utf8").on("data", (line) => { secret = line.trim(); });
const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk) => { body += chunk; });
  request.on("end", () => {
    const parts = Object.fromEntries(String(request.headers["hongbao-signature"]).split(",").map((p) => p.split("=")));
    const expected = createHmac("sha256", secret).update(parts.t + "." + body).digest();
    const given = Buffer.from(parts.v1 ?? "", "hex");
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    process.stdout.write(JSON.stringify({ ok, type: ok ? JSON.parse(body).type : null }) + "\\n");
    response.writeHead(ok ? 200 : 400).end();
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\\n"));
`;
const child = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["pipe", "pipe", "inherit"] });
const received: string[] = [];
let refused = 0;
const port = await new Promise<number>((resolve) => {
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    for (let newline = partial.indexOf("\n"); newline >= 0; newline = partial.indexOf("\n")) {
      const line = JSON.parse(partial.slice(0, newline)) as { port?: number; ok?: boolean; type?: string };
      partial = partial.slice(newline + 1);
      if (line.port !== undefined) resolve(line.port);
      else if (line.ok === true) received.push(line.type as string);
      else refused += 1;
    }
  });
});
const receiverUrl = `http://127.0.0.1:${port}/hooks`;

interface Run {
  readonly round: number;
  readonly webhook: boolean;
  readonly claimsPerSecond: number;
  /** The server's CPU time per user's claim, µs: steadier than wall time on a shared machine. */
  readonly cpuMicrosPerClaim: number;
  readonly wallSeconds: number;
  readonly ok: boolean;
}
const runs: Run[] = [];

const registerEndpoint = async (server: { url: string; adminToken: string }) => {
  const response = await fetch(`${server.url}/v1/admin/webhook-endpoints`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ url: receiverUrl, eventTypes: ["campaign.started", "campaign.sold_out", "campaign.ended"] }),
  });
  if (response.status !== 201) throw new Error(`endpoint: ${response.status} ${await response.text()}`);
  const { secret } = (await response.json()) as { secret: string };
  child.stdin.write(`${secret}\n`);
};

for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? [false, true] : [true, false];
  for (const webhook of order) {
    const summary = await runFlashCrowd({
      users,
      connections,
      burstSeconds,
      seed: 1000 + round,
      serveArgs: ["--webhook-allow-private"],
      ...(webhook ? { beforeSetup: registerEndpoint } : {}),
      progress: "off",
      reportFile: undefined,
      print: () => {},
    });
    const cpu = summary.server?.cpuSecondsDuringLoad ?? Number.NaN;
    const run: Run = {
      round,
      webhook,
      claimsPerSecond: summary.claims.usersPerSecond,
      cpuMicrosPerClaim: (cpu * 1e6) / users,
      wallSeconds: summary.wallSeconds,
      ok: summary.ok,
    };
    runs.push(run);
    process.stdout.write(
      `round ${round} ${webhook ? "webhook" : "no hook"}  ${run.claimsPerSecond.toFixed(0)} claims/s ` +
        `(users answered / wall ${run.wallSeconds.toFixed(2)} s), server CPU ${run.cpuMicrosPerClaim.toFixed(1)} µs a claim, ` +
        `invariants ${run.ok ? "held" : "FAILED"}\n`,
    );
  }
}
child.kill();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const pairs = (of: (run: Run) => number) => {
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const off = runs.find((run) => run.round === round && !run.webhook);
    const on = runs.find((run) => run.round === round && run.webhook);
    if (off !== undefined && on !== undefined) ratios.push(of(on) / of(off));
  }
  return ratios;
};
const throughput = pairs((run) => run.claimsPerSecond);
const cpu = pairs((run) => run.cpuMicrosPerClaim);
const best = (webhook: boolean) =>
  Math.max(...runs.filter((run) => run.webhook === webhook).map((run) => run.claimsPerSecond));
process.stdout.write(
  `\nclaims/s, with the endpoint / without, per round: ${throughput.map((r) => r.toFixed(3)).join(", ")}; median ${median(throughput).toFixed(3)}\n` +
    `best claims/s of each side: ${best(true).toFixed(0)} / ${best(false).toFixed(0)} = ${(best(true) / best(false)).toFixed(3)}\n` +
    `server CPU a claim, with / without, per round: ${cpu.map((r) => r.toFixed(3)).join(", ")}; median ${median(cpu).toFixed(3)}\n` +
    `webhooks received: ${received.join(", ") || "none"}; refused signatures: ${refused}\n`,
);
process.exit(runs.every((run) => run.ok) ? 0 : 1);
