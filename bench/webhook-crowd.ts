/**
 * The flash crowd with and without a webhook endpoint registered for campaign events, in the
 * same run: pairs of `hongbao serve` children (the order alternating each round), the same
 * crowd and seed against each, claims per second compared. The endpoint is a receiver in
 * this process that verifies every signature and answers 200.
 *
 *   npm run build && node dist/bench/webhook-crowd.js [--rounds 3] [--users 30000] [--connections 1000] [--burst 1]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { runFlashCrowd } from "../src/cli/flash-crowd/index.js";
import { SIGNATURE_HEADER, verifySignature } from "../src/webhooks/signature.js";

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

let secret = "";
const received: string[] = [];
let refused = 0;
const receiver = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk: string) => {
    body += chunk;
  });
  request.on("end", () => {
    const verdict = verifySignature(
      String(request.headers[SIGNATURE_HEADER]),
      body,
      secret,
      Math.floor(Date.now() / 1000),
    );
    if (!verdict.ok) refused += 1;
    else received.push((JSON.parse(body) as { type: string }).type);
    response.writeHead(verdict.ok ? 200 : 400).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

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
  secret = ((await response.json()) as { secret: string }).secret;
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
receiver.close();

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
