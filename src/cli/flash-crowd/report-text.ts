/** The terminal report: a few aligned tables, then each invariant with ✓ or ✗. */
import type { Summary } from "./index.js";
import type { LatencySummary } from "./stats.js";
import type { EstimateSummary } from "./tickets.js";

const n = (value: number) => Math.round(value).toLocaleString("en-US");
const pct = (part: number, whole: number) => (whole === 0 ? "" : `${((100 * part) / whole).toFixed(1)} %`);
const fixed = (value: number, digits = 1) => value.toFixed(digits);
/** A histogram bucket's bound: negative when the figure fell past the largest one. */
const bound = (ms: number) => (ms < 0 ? `> ${-ms} ms` : `≤ ${ms} ms`);

function amountText(amount: Summary["options"]["amount"]): string {
  return "fixed" in amount ? `${amount.fixed} fen each` : `random ${amount.min}…${amount.max} fen`;
}

export function latencyRows(summary: Summary): [string, LatencySummary][] {
  const rows: [string, LatencySummary][] = [
    ["claim, from write", summary.claims.latency],
    ["claim, from arrival", summary.claims.fromArrival],
    ["claim, per user (end to end)", summary.claims.perUser],
  ];
  if (summary.transfers !== null) {
    rows.push(["transfer, from write", summary.transfers.latency]);
    rows.push(["transfer, from arrival", summary.transfers.fromArrival]);
  }
  return rows;
}

export function outcomeRows(summary: Summary): [string, number][] {
  const o = summary.claims.outcomes;
  return [
    ["claimed", o.claimed],
    ["already claimed", o.alreadyClaimed],
    ["sold out", o.soldOut],
    ["not started", o.notStarted],
    ["ended", o.ended],
    ["busy after every retry", o.busy],
    ["other HTTP answer", o.otherHttp],
    ["network error / timeout", o.network],
    ["no definite answer by the deadline", o.unanswered],
  ];
}

export function textReport(summary: Summary): string[] {
  const lines: string[] = [];
  const o = summary.options;
  const c = summary.claims;
  const target =
    summary.mode === "bare"
      ? `a bare node:http server at ${summary.target.url} (baseline: every answer a fixed 200)`
      : `hongbao at ${summary.target.url} (${summary.target.kind}${summary.target.pid === null ? "" : `, pid ${summary.target.pid}`})`;
  lines.push("");
  lines.push(`flash crowd against ${target}`);
  lines.push(
    `  ${n(o.users)} users over ${o.burstSeconds} s from ${summary.startsAt}, ${n(o.connectionsOpen)} connections` +
      (o.connectionsOpen === o.connections ? "" : ` (of ${n(o.connections)} asked)`) +
      `, retries ≤ ${o.retries}, seed ${summary.seed}`,
  );
  if (summary.campaign !== null) {
    lines.push(
      `  campaign ${summary.campaign.id}: ${n(o.shares)} shares, ${amountText(o.amount)}, budget ${n(summary.campaign.budget)} fen`,
    );
    lines.push(
      `  setup ${fixed(summary.setup.seconds)} s: ${n(o.users)} users in ${summary.setup.bulkCalls} bulk call${summary.setup.bulkCalls === 1 ? "" : "s"}` +
        (summary.setup.senders > 0 ? `, ${summary.setup.senders} transfer senders funded` : ""),
    );
  }
  if (o.backgroundTps > 0 && summary.transfers !== null) {
    lines.push(`  background: ${o.backgroundTps} transfers/s on ${summary.transfers.connections} connections`);
  }
  lines.push("");
  lines.push("users by final answer");
  for (const [label, count] of outcomeRows(summary)) {
    if (count === 0 && label !== "claimed") continue;
    lines.push(`  ${label.padEnd(28)}${n(count).padStart(12)}  ${pct(count, c.users).padStart(7)}`);
  }
  lines.push("");
  lines.push(
    `requests   ${n(c.requests)} written, ${n(c.answers)} answered; ${n(c.retries)} retries; ` +
      `shed (503) ${n(c.shed)} = ${fixed(100 * c.shedRate)} % of answers`,
  );
  lines.push(
    `statuses   ${Object.entries(c.answersByStatus)
      .map(([status, count]) => `${status}: ${n(count)}`)
      .join(", ")}`,
  );
  lines.push(`wall time  ${fixed(summary.wallSeconds, 2)} s from the first arrival to the last answer`);
  lines.push(
    `throughput ${n(c.answersPerSecond)} answers/s, ${n(c.usersPerSecond)} users decided/s ` +
      `(${n(c.users / o.burstSeconds)} users/s arriving)`,
  );
  lines.push("");
  lines.push(
    `latency (ms)${"".padEnd(22)}${["p50", "p90", "p99", "p99.9", "max"].map((h) => h.padStart(9)).join("")}${"count".padStart(12)}`,
  );
  for (const [label, l] of latencyRows(summary)) {
    lines.push(
      `  ${label.padEnd(32)}${[l.p50Ms, l.p90Ms, l.p99Ms, l.p999Ms, l.maxMs].map((v) => fixed(v, v < 10 ? 2 : 1).padStart(9)).join("")}${n(l.count).padStart(12)}`,
    );
  }
  if (summary.transfers !== null) {
    const t = summary.transfers;
    const failures = Object.entries(t.failures)
      .map(([key, count]) => `${key}: ${n(count)}`)
      .join(", ");
    lines.push(
      `transfers  ${n(t.sent)} sent, ${n(t.ok)} ok, ${n(t.failed)} failed${failures === "" ? "" : ` (${failures})`}` +
        (t.abandoned > 0 ? `, ${n(t.abandoned)} abandoned at the deadline` : ""),
    );
  }
  if (summary.waitingRoom !== null) lines.push(...waitingRoomLines(summary.waitingRoom));
  lines.push("");
  const g = summary.generator;
  lines.push(
    `generator  CPU ${fixed(g.cpuSeconds, 1)} s, peak RSS ${fixed(g.peakRssMiB, 0)} MiB; arrivals handed over late by p99 ${fixed(g.lateness.p99Ms, 1)} ms, ` +
      `max ${fixed(g.lateness.maxMs, 1)} ms; connect errors ${g.connectErrors}, reconnects ${g.reconnects}, ` +
      `closed by server ${g.closedByServer}, timeouts ${g.timeouts}` +
      (g.openFileLimit === null ? "" : `; ulimit -n ${g.openFileLimit}`),
  );
  lines.push(
    `  its own load: event-loop lag p50 ${fixed(g.load.lagP50Ms, 1)} ms, p99 ${fixed(g.load.lagP99Ms, 1)} ms, ` +
      `max ${fixed(g.load.lagMaxMs, 1)} ms; CPU ${fixed(g.load.cores, 2)} cores over the run` +
      (g.transferThreadLag === null
        ? ""
        : `; transfers sent and timed on a thread of their own (its lag p99 ${fixed(g.transferThreadLag.p99Ms, 1)} ms)`),
  );
  if (summary.server !== null) {
    const s = summary.server;
    lines.push(
      `server     pid ${s.pid}${s.processes > 1 ? ` and the ${s.processes - 1} processes it started, summed` : ""}: ` +
        `peak RSS (VmHWM) ${s.peakRssMiB === null ? "?" : `${fixed(s.peakRssMiB, 1)} MiB`}, ` +
        `CPU during the crowd ${s.cpuSecondsDuringLoad === null ? "?" : `${fixed(s.cpuSecondsDuringLoad, 1)} s`}` +
        (s.logMiB === null ? "" : `, wrote ${fixed(s.logMiB, 1)} MiB of logs`),
    );
    const b = s.breakdown;
    if (b !== null)
      lines.push(
        `  claims on the server (bucket bounds): read → answer p50 ${bound(b.claimReadToAnswerP50Ms)}, p99 ${bound(b.claimReadToAnswerP99Ms)}; ` +
          `crowd gate wait p99 ${bound(b.gateWaitP99Ms)}, claim lane p99 ${bound(b.laneWaitP99Ms)}; ` +
          `commits p99 ${bound(b.commitP99Ms)}, slowest ${bound(b.commitMaxBucketMs)}; ` +
          `event-loop lag p99 ${b.eventLoopLagP99Ms} ms, max ${b.eventLoopLagMaxMs} ms; ${n(b.lateAtOnce)} given a place at once by the gate`,
      );
  }
  for (const note of summary.notes) lines.push(`note       ${note}`);
  if (summary.invariants.length > 0) {
    lines.push("");
    lines.push("invariants");
    for (const check of summary.invariants) lines.push(`  ${check.ok ? "✓" : "✗"} ${check.name}: ${check.detail}`);
  } else if (summary.mode === "bare") {
    lines.push("");
    lines.push("invariants: none for --bare (no ledger behind it)");
  }
  if (summary.reportFile !== null) lines.push(`report     ${summary.reportFile}`);
  if (summary.jsonFile !== null) lines.push(`summary    ${summary.jsonFile}`);
  lines.push(summary.ok ? "result     ok" : "result     FAILED");
  return lines;
}

/** Per person in the waiting room: first and final answers, estimates, order, and the draw. */
function waitingRoomLines(w: NonNullable<Summary["waitingRoom"]>): string[] {
  const ms = (value: number) => fixed(value, value < 10 ? 2 : 0);
  const lines = [
    "",
    `waiting room  ${n(w.peopleWithTicket)} people given a place (${n(w.preQueued)} in the pre-queue), ${n(w.returns)} returns with a ticket`,
    "  tap: the instant the person was due to arrive (scheduled), not when the tool wrote the request",
    `  tap → first answer (result or place)  p50 ${ms(w.firstAnswer.p50Ms)} ms, p99 ${ms(w.firstAnswer.p99Ms)} ms, max ${ms(w.firstAnswer.maxMs)} ms (${n(w.firstAnswer.count)} people)`,
    `  tap → final answer                    p50 ${ms(w.finalAnswer.p50Ms)} ms, p99 ${ms(w.finalAnswer.p99Ms)} ms, max ${ms(w.finalAnswer.maxMs)} ms`,
  ];
  if (w.soldOutAtMs !== null)
    lines.push(
      `  sold out ${fixed(w.soldOutAtMs / 1000, 2)} s after the start; answered after it: final answer p99 ${ms(w.finalAfterSoldOut.p99Ms)} ms after sell-out (or after their tap, if later)`,
    );
  lines.push(
    `  estimated waits within ±20 %: ${estimateLine(w.estimates)}`,
    ...(w.preQueueEstimates.count === 0 ? [] : [`  … in the pre-queue: ${estimateLine(w.preQueueEstimates)}`]),
    `  winners not from the pre-queue, by tap: ${n(w.winOrder.winners)}; won later than someone who tapped after them by > 100 ms: ${n(w.winOrder.overtakenBy100ms)}, by > 1 s: ${n(w.winOrder.overtakenBy1s)}`,
  );
  if (w.draw !== null) {
    const d = w.draw;
    lines.push(
      d.checked
        ? `  draw: seed matches its published hash; pre-queue ${n(d.preQueueSize)}; ${n(d.winnersFromPreQueue)} winners from it, each checked: ${n(d.placeMismatches)} told a place not drawn, ${n(d.outOfDrawOrder)} won > 1 s before one drawn ahead`
        : `  draw: not checked (${d.problem})`,
    );
  }
  return lines;
}

function estimateLine(e: EstimateSummary): string {
  return `${n(e.within20Percent)} of ${n(e.count)} (${fixed(100 * e.share)} %); wait had ÷ estimate p10 ${e.ratioP10}, p50 ${e.ratioP50}, p90 ${e.ratioP90}`;
}
