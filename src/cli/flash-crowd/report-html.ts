/** The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external assets). */
import type { Summary } from "./index.js";
import { latencyRows, outcomeRows } from "./report-text.js";
import { KIND_COLOR, KIND_LABEL, KINDS } from "./stats.js";
import { escapeHtml as e, type LineSeries, lineChart, stackedBars } from "./svg.js";

const n = (value: number) => Math.round(value).toLocaleString("en-US");
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));

export function htmlReport(summary: Summary): string {
  const { timeline } = summary;
  const bucketSeconds = timeline.bucketMs / 1000;
  const buckets = timeline.buckets;
  const xMin = Math.min(0, buckets[0]?.t ?? 0);
  const xMax = Math.max(summary.options.burstSeconds, (buckets.at(-1)?.t ?? 0) + bucketSeconds);
  const frame = (title: string, yLabel: string) => ({
    title,
    yLabel,
    xMin,
    xMax,
    burstSeconds: summary.options.burstSeconds,
  });
  const mid = (t: number) => t + bucketSeconds / 2;
  const charts: string[] = [];

  const kindsSeen = KINDS.filter((kind) => buckets.some((b) => b.claims[kind] > 0));
  charts.push(
    stackedBars(
      frame(`Claim answers per ${bucketSeconds} s, by outcome (every attempt)`, "answers"),
      kindsSeen.map((kind) => ({ name: KIND_LABEL[kind], color: KIND_COLOR[kind] })),
      buckets.map((b) => ({ t: b.t, values: kindsSeen.map((kind) => b.claims[kind]) })),
      bucketSeconds,
    ),
  );

  const rates: LineSeries[] = [
    {
      name: "claim answers/s",
      color: "#1d3557",
      points: buckets.map((b) => [mid(b.t), KINDS.reduce((sum, kind) => sum + b.claims[kind], 0) / bucketSeconds]),
    },
    {
      name: "claimed/s (200)",
      color: KIND_COLOR.claimed,
      points: buckets.map((b) => [mid(b.t), b.claims.claimed / bucketSeconds]),
    },
    { name: "shed/s (503)", color: "#e0a800", points: buckets.map((b) => [mid(b.t), b.claims.busy / bucketSeconds]) },
  ];
  if (summary.transfers !== null) {
    rates.push({
      name: "transfers/s",
      color: "#2a9d8f",
      points: buckets.map((b) => [mid(b.t), (b.transfersOk + b.transfersFailed) / bucketSeconds]),
    });
  }
  charts.push(lineChart(frame("Throughput", "per second"), rates));

  const pick = (get: (b: (typeof buckets)[number]) => number | null | undefined) =>
    buckets.map((b) => [mid(b.t), get(b) ?? null] as [number, number | null]);
  charts.push(
    lineChart(
      frame("Claim latency per bucket (ms, log scale)", "ms"),
      [
        { name: "p50 from write", color: "#457b9d", points: pick((b) => b.claimLatency?.p50Ms) },
        { name: "p90 from write", color: "#2a9d8f", points: pick((b) => b.claimLatency?.p90Ms) },
        { name: "p99 from write", color: "#e63946", points: pick((b) => b.claimLatency?.p99Ms) },
        { name: "max from write", color: "#999", points: pick((b) => b.claimLatency?.maxMs) },
        { name: "p99 from arrival", color: "#6a040f", dashed: true, points: pick((b) => b.claimFromArrival?.p99Ms) },
      ],
      { min: 0.1 },
    ),
  );
  if (summary.transfers !== null) {
    charts.push(
      lineChart(
        frame("Background transfer latency per bucket (ms, log scale)", "ms"),
        [
          { name: "p50", color: "#457b9d", points: pick((b) => b.transferLatency?.p50Ms) },
          { name: "p99", color: "#e63946", points: pick((b) => b.transferLatency?.p99Ms) },
          { name: "max", color: "#999", points: pick((b) => b.transferLatency?.maxMs) },
        ],
        { min: 0.1 },
      ),
    );
  }
  charts.push(
    lineChart(frame("Shed rate: 503 answers as a share of claim answers (%)", "%"), [
      {
        name: "shed %",
        color: "#e0a800",
        points: buckets.map((b) => {
          const total = KINDS.reduce((sum, kind) => sum + b.claims[kind], 0);
          return [mid(b.t), total === 0 ? null : (100 * b.claims.busy) / total];
        }),
      },
    ]),
  );

  const o = summary.options;
  const c = summary.claims;
  const rows = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `<tr><th>${e(k)}</th><td>${e(v)}</td></tr>`).join("");
  const overview: [string, string][] = [
    [
      "target",
      `${summary.mode === "bare" ? "bare node:http baseline" : "hongbao"} at ${summary.target.url} (${summary.target.kind})`,
    ],
    ["start instant", summary.startsAt],
    ["users", n(o.users)],
    ["burst", `${o.burstSeconds} s (${n(o.users / o.burstSeconds)} arrivals/s)`],
    [
      "connections",
      o.connectionsOpen === o.connections ? n(o.connections) : `${n(o.connectionsOpen)} of ${n(o.connections)}`,
    ],
    ["retries per user", String(o.retries)],
    ["background transfers", o.backgroundTps > 0 ? `${o.backgroundTps}/s` : "none"],
    ["seed", String(summary.seed)],
  ];
  if (summary.campaign !== null) {
    const amount = "fixed" in o.amount ? `${o.amount.fixed} fen` : `${o.amount.min}…${o.amount.max} fen`;
    overview.push([
      "campaign",
      `${summary.campaign.id}: ${n(o.shares)} shares of ${amount}, budget ${n(summary.campaign.budget)} fen`,
    ]);
  }
  const figures: [string, string][] = [
    ["wall time", `${summary.wallSeconds.toFixed(2)} s (first arrival → last answer)`],
    ["throughput", `${n(c.answersPerSecond)} answers/s, ${n(c.usersPerSecond)} users decided/s`],
    ["requests", `${n(c.requests)} written, ${n(c.answers)} answered, ${n(c.retries)} retries`],
    ["shed (503)", `${n(c.shed)} = ${(100 * c.shedRate).toFixed(1)} % of answers`],
    [
      "generator",
      `CPU ${summary.generator.cpuSeconds.toFixed(1)} s, peak RSS ${summary.generator.peakRssMiB.toFixed(0)} MiB; ` +
        `arrivals late by p99 ${ms(summary.generator.lateness.p99Ms)} ms; its event-loop lag p99 ` +
        `${summary.generator.load.lagP99Ms} ms, max ${summary.generator.load.lagMaxMs} ms, ${summary.generator.load.cores} cores`,
    ],
  ];
  if (summary.server !== null) {
    figures.push([
      "server",
      `peak RSS ${summary.server.peakRssMiB ?? "?"} MiB, CPU ${summary.server.cpuSecondsDuringLoad ?? "?"} s during the crowd, ` +
        `${summary.server.logMiB ?? "?"} MiB of logs`,
    ]);
  }
  if (summary.transfers !== null) {
    const t = summary.transfers;
    figures.push(["transfers", `${n(t.sent)} sent, ${n(t.ok)} ok, ${n(t.failed)} failed`]);
  }
  const outcomeTable = outcomeRows(summary)
    .filter(([label, count]) => count > 0 || label === "claimed")
    .map(
      ([label, count]) =>
        `<tr><th>${e(label)}</th><td class="num">${n(count)}</td><td class="num">${((100 * count) / Math.max(1, c.users)).toFixed(1)} %</td></tr>`,
    )
    .join("");
  const latencyTable = latencyRows(summary)
    .map(
      ([label, l]) =>
        `<tr><th>${e(label)}</th>${[l.p50Ms, l.p90Ms, l.p99Ms, l.p999Ms, l.maxMs].map((v) => `<td class="num">${ms(v)}</td>`).join("")}<td class="num">${n(l.count)}</td></tr>`,
    )
    .join("");
  const invariants =
    summary.invariants.length === 0
      ? "<p>None checked: the bare baseline has no ledger.</p>"
      : `<ul class="checks">${summary.invariants
          .map(
            (check) =>
              `<li class="${check.ok ? "ok" : "bad"}">${check.ok ? "✓" : "✗"} ${e(check.name)}: ${e(check.detail)}</li>`,
          )
          .join("")}</ul>`;
  const notes =
    summary.notes.length === 0
      ? ""
      : `<h2>Notes</h2><ul>${summary.notes.map((note) => `<li>${e(note)}</li>`).join("")}</ul>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hongbao flash crowd — ${e(summary.startsAt)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px auto;max-width:960px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #eee;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 10px;border-bottom:1px solid #f0f0f0;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{font-weight:500;color:#444}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.ok .badge,.badge.ok{background:#2a9d8f}.badge.bad{background:#d7263d}
ul.checks{list-style:none;padding:0}ul.checks li{padding:2px 0}li.ok{color:#1b7f3b}li.bad{color:#b00020;font-weight:600}
figure{margin:12px 0 20px}.legend{font-size:12px;color:#444}.legend span{margin-right:14px;white-space:nowrap}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}
</style>
</head>
<body>
<h1>Flash crowd: ${n(o.users)} users in ${o.burstSeconds} s <span class="badge ${summary.ok ? "ok" : "bad"}">${summary.ok ? "ok" : "FAILED"}</span></h1>
<p>${summary.mode === "bare" ? "Baseline against a bare node:http server that answers every request with a fixed 200: the most this machine and this generator can do." : "Against hongbao: every user claims once at an instant uniform over the burst, retries after 503 as Retry-After says, and the campaign, the users' answers and the ledger are checked afterwards."}</p>
<div class="grid">
<div><h2>Run</h2><table>${rows(overview)}</table></div>
<div><h2>Figures</h2><table>${rows(figures)}</table></div>
</div>
<div class="grid">
<div><h2>Users by final answer</h2><table>${outcomeTable}</table></div>
<div><h2>Invariants</h2>${invariants}</div>
</div>
<h2>Latency (ms)</h2>
<table><tr><th></th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>count</th></tr>${latencyTable}</table>
<p>“From write”: from the instant the request is written to its connection. “From arrival”: from the instant the user (or the retry) was due, so it adds the wait for a free connection. “Per user”: from the first arrival to the final answer, through every Retry-After.</p>
<h2>Over time (${timeline.bucketMs} ms buckets)</h2>
${charts.join("\n")}
${notes}
<p style="color:#888;font-size:12px">hongbao flash-crowd · percentiles from HdrHistogram (per bucket and overall) · ${e(new Date().toISOString())}</p>
</body>
</html>
`;
}
