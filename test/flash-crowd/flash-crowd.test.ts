/**
 * `hongbao flash-crowd` end to end at small scale: the CLI against a spawned server (its
 * invariants hold, the HTML report has its charts, the JSON summary adds up), a random-amount
 * campaign through the programmatic API, and the --bare baseline. No timing is asserted: this
 * must pass on a loaded two-core machine.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseResponse } from "../../src/cli/flash-crowd/http-pool.js";
import { runFlashCrowd, type Summary } from "../../src/cli/flash-crowd/index.js";
import { budgetFor, resolveOptions } from "../../src/cli/flash-crowd/options.js";
import { RetryHeap } from "../../src/cli/flash-crowd/stats.js";
import { alive } from "../process/support.js";
import { NO_BUN, TEST_BUN } from "../support/bun-edge.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "hongbao-flash-crowd-test-"));
after(() => rmSync(folder, { recursive: true, force: true }));

function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const name of Object.keys(env))
      if (name.startsWith("HONGBAO_") || name.startsWith("NODE_TEST")) delete env[name];
    const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`flash-crowd did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The numbers of a summary agree with each other, whatever the run met. */
function assertConsistent(summary: Summary): void {
  const c = summary.claims;
  const outcomes = Object.values(c.outcomes).reduce((a, b) => a + b, 0);
  assert.equal(outcomes, c.users, "every user has exactly one final outcome");
  const byKind = Object.values(c.answersByKind).reduce((a, b) => a + b, 0);
  assert.equal(byKind - (c.answersByKind.network ?? 0), c.answers, "answers by kind add up to the answers");
  assert.equal(
    Object.values(c.answersByStatus).reduce((a, b) => a + b, 0),
    c.answers,
    "answers by status add up to the answers",
  );
  assert.equal(c.requests, byKind, "every request written was answered or failed");
  assert.equal(
    c.requests,
    c.users + c.retries + (summary.waitingRoom?.returns ?? 0),
    "one request per user, plus one per retry and one per return with a ticket",
  );
  assert.equal(c.shed, c.answersByKind.busy, "shed is the busy answers");
  assert.equal(c.latency.count, c.answers, "one latency per answer");
  assert.equal(c.perUser.count, c.users - c.outcomes.unanswered, "one end-to-end latency per answered user");
  assert.ok(c.latency.p50Ms <= c.latency.p99Ms && c.latency.p99Ms <= c.latency.maxMs, "percentiles are ordered");
  let timelineAnswers = 0;
  let timelineTransfers = 0;
  for (const bucket of summary.timeline.buckets) {
    timelineAnswers += Object.values(bucket.claims).reduce((a, b) => a + b, 0);
    timelineTransfers += bucket.transfersOk + bucket.transfersFailed;
  }
  assert.equal(timelineAnswers, byKind, "the timeline holds every attempt once");
  if (summary.transfers !== null) {
    const t = summary.transfers;
    assert.equal(t.ok + t.failed + t.abandoned, t.sent, "every transfer sent was answered or failed");
    assert.equal(timelineTransfers, t.ok + t.failed, "the timeline holds every transfer once");
    assert.equal(
      t.latency.count,
      t.ok +
        t.failed -
        (t.failures["network closed"] ?? 0) -
        (t.failures["network timeout"] ?? 0) -
        (t.failures["network error"] ?? 0),
    );
  }
}

describe("hongbao flash-crowd", () => {
  it("runs a small crowd against a spawned server: invariants hold, the report has charts, the summary adds up", async () => {
    const report = join(folder, "crowd.html");
    const json = join(folder, "crowd.json");
    const { code, stdout, stderr } = await runCli(
      [
        "flash-crowd",
        ...["--users", "3000", "--shares", "300", "--connections", "200", "--burst", "2", "--start-in", "1"],
        ...["--background-tps", "50", "--report", report, "--json", json],
      ],
      90_000,
    );
    assert.equal(code, 0, `exit code\n${stdout}\n${stderr}`);
    assert.match(stdout, /invariants/);
    assert.match(stdout, /✓ ledger balanceSum == 0/);
    assert.doesNotMatch(stdout, /✗/);
    assert.match(stdout, /result {5}ok/);
    // Not a terminal: plain progress lines, no carriage returns.
    assert.doesNotMatch(stderr, /\r/);

    const summary = JSON.parse(readFileSync(json, "utf8")) as Summary;
    assert.equal(summary.ok, true);
    assert.equal(summary.mode, "hongbao");
    assert.ok(summary.invariants.length >= 6);
    for (const check of summary.invariants) assert.ok(check.ok, `${check.name}: ${check.detail}`);
    assertConsistent(summary);
    const c = summary.claims;
    // At least as many users as shares and a definite answer for everyone: the budget is spent exactly.
    assert.equal(c.outcomes.claimed, 300);
    assert.equal(c.outcomes.claimed + c.outcomes.soldOut + c.outcomes.alreadyClaimed, 3000);
    assert.equal(c.amountSum, 300 * 1314);
    assert.equal(summary.campaign?.budget, 300 * 1314);
    assert.ok(summary.transfers !== null && summary.transfers.ok > 0, "background transfers went through");
    assert.equal(summary.transfers?.failed, 0, JSON.stringify(summary.transfers?.failures));
    assert.ok(summary.server !== null && summary.server.peakRssMiB !== null && summary.server.peakRssMiB > 0);
    assert.equal(alive(summary.server.pid), false, "the spawned server is stopped");

    const html = readFileSync(report, "utf8");
    assert.match(html, /^<!doctype html>/);
    assert.ok((html.match(/<svg/g) ?? []).length >= 5, "five charts");
    assert.doesNotMatch(html, /<script|<link|src=|href=/, "self-contained: no scripts, no external assets");
  });

  it("spends a random-amount budget that does not divide evenly to the last fen (programmatic API)", async () => {
    const lines: string[] = [];
    const amount = { min: 100, max: 300 };
    const summary = await runFlashCrowd({
      users: 2_000,
      shares: 150,
      amount,
      connections: 100,
      burstSeconds: 1,
      startInSeconds: 0.5,
      progress: "off",
      print: (line) => lines.push(line),
    });
    assert.equal(summary.ok, true, lines.join("\n"));
    assertConsistent(summary);
    const budget = budgetFor(150, amount);
    assert.notEqual(budget % 200, 0, "the budget does not divide evenly by the mean");
    assert.equal(summary.campaign?.budget, budget);
    assert.ok(summary.claims.outcomes.soldOut > 0);
    assert.equal(summary.claims.amountSum, budget);
    assert.equal(summary.reportFile, null);
    assert.ok(lines.some((line) => line.includes("✓ claimedAmount equals the budget exactly")));
  });

  it("replays the same crowd against the bare baseline, which answers every request 200", async () => {
    const lines: string[] = [];
    const report = join(folder, "bare.html");
    const summary = await runFlashCrowd({
      bare: true,
      users: 3_000,
      connections: 100,
      burstSeconds: 1,
      startInSeconds: 0.5,
      backgroundTps: 20,
      reportFile: report,
      progress: "off",
      print: (line) => lines.push(line),
    });
    assert.equal(summary.ok, true, lines.join("\n"));
    assert.equal(summary.mode, "bare");
    assert.equal(summary.campaign, null);
    assert.deepEqual(summary.invariants, []);
    assertConsistent(summary);
    assert.equal(summary.claims.outcomes.claimed, 3_000);
    assert.equal(summary.claims.answersByStatus["200"], 3_000);
    assert.ok(summary.transfers !== null && summary.transfers.ok > 0 && summary.transfers.failed === 0);
    // Transfers are sent and timed on a thread of their own, and the tool reports its own load.
    assert.equal(summary.transfers.sent, summary.transfers.ok);
    assert.ok(summary.generator.transferThreadLag !== null, "the transfer thread reported its lag");
    assert.ok(summary.generator.load.cores > 0 && summary.generator.load.lagMaxMs >= summary.generator.load.lagP99Ms);
    assert.ok(lines.some((line) => line.includes("its own load: event-loop lag")));
    assert.match(readFileSync(report, "utf8"), /<svg/);
    assert.ok(lines.some((line) => line.includes("bare node:http server")));
  });

  it("passes --edges to the server it spawns, and only to it", () => {
    assert.equal(resolveOptions({ edges: "auto" }).edges, "auto");
    assert.equal(resolveOptions({ edges: "2" }).edges, "2");
    assert.equal(resolveOptions({}).edges, undefined, "left out: serve's own default");
    assert.throws(() => resolveOptions({ edges: "two" }), /--edges/);
    assert.throws(() => resolveOptions({ edges: "1", bare: true }), /--edges/);
    assert.throws(
      () => resolveOptions({ edges: "1", target: { url: "http://127.0.0.1:1", adminToken: "x" } }),
      /--edges/,
    );
    assert.equal(resolveOptions({ edges: "1", edgeRuntime: "bun" }).edgeRuntime, "bun");
    assert.throws(() => resolveOptions({ edgeRuntime: "bun" }), /--edge-runtime/, "no edges to run on Bun");
    assert.throws(() => resolveOptions({ edges: "0", edgeRuntime: "bun" }), /--edge-runtime/);
    assert.throws(() => resolveOptions({ edges: "00", edgeRuntime: "bun" }), /--edge-runtime/);
  });

  it("runs a crowd with a pre-queue through an edge on Bun (--edge-runtime bun), exact as in one process", {
    skip: NO_BUN,
  }, async () => {
    const lines: string[] = [];
    // The tool passes HONGBAO_BUN, where Bun is, to the server it spawns, and no other HONGBAO_ setting.
    const before = process.env.HONGBAO_BUN;
    process.env.HONGBAO_BUN = TEST_BUN;
    try {
      const summary = await runFlashCrowd({
        users: 1_500,
        shares: 150,
        connections: 100,
        burstSeconds: 1,
        startInSeconds: 2,
        preQueueSeconds: 1,
        edges: "1",
        edgeRuntime: "bun",
        seed: 61,
        progress: "off",
        print: (line) => lines.push(line),
      });
      assert.equal(summary.ok, true, lines.join("\n"));
      assertConsistent(summary);
      assert.equal(summary.claims.outcomes.claimed, 150);
      assert.ok(
        summary.server !== null && summary.server.processes >= 3,
        "the supervisor, its writer and its edge were summed",
      );
      assert.ok(
        lines.some((line) => line.includes("each checked: 0 told a place not drawn")),
        lines.join("\n"),
      );
    } finally {
      if (before === undefined) delete process.env.HONGBAO_BUN;
      else process.env.HONGBAO_BUN = before;
    }
  });

  it("parses whole, partial and chunked answers, and orders retries by due time", () => {
    const whole = Buffer.from("HTTP/1.1 503 Service Unavailable\r\nretry-after: 2\r\ncontent-length: 2\r\n\r\n{}");
    const parsed = parseResponse(whole);
    assert.equal(parsed?.status, 503);
    assert.equal(parsed?.retryAfter, 2);
    assert.equal(parsed?.body.toString(), "{}");
    assert.equal(parseResponse(whole.subarray(0, whole.length - 1)), undefined);
    const chunked = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\n{"a\r\n3\r\n":1\r\n1\r\n}\r\n0\r\n\r\n',
    );
    const decoded = parseResponse(chunked);
    assert.equal(decoded?.body.toString(), '{"a":1}');
    assert.equal(decoded?.close, true);
    assert.equal(decoded?.retryAfter, -1);
    assert.throws(() => parseResponse(Buffer.from("garbage\r\n\r\n")));

    const heap = new RetryHeap(100);
    const dues = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 0.5);
    for (const [user, due] of dues.entries()) heap.push(due, user);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(dues[heap.pop()] as number);
    assert.deepEqual(
      popped,
      [...dues].sort((a, b) => a - b),
    );
  });
});
