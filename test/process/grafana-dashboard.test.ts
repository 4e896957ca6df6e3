import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { cleanup, createUser, deposit, request, serve, tempDir } from "./support.js";

/** The dashboard, seen from dist/test/process/. */
const DASHBOARD = fileURLToPath(new URL("../../../docs/grafana/hongbao-dashboard.json", import.meta.url));

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"]);
const PROMQL_OPERATORS = new Set(["and", "or", "unless"]);

/**
 * The metric names a PromQL expression reads: what is left once label matchers, ranges,
 * strings, grouping clauses and function calls are taken out.
 */
function metricNamesOf(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\boffset\s+-?\w+/g, "")
    .replace(/\b\d[\w.]*/g, "");
  const names: string[] = [];
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const next = bare.slice((match.index ?? 0) + word.length).trimStart();
    if (next.startsWith("(")) continue; // a function
    if (PROMQL_WORDS.has(word) || PROMQL_OPERATORS.has(word)) continue;
    names.push(word);
  }
  return names;
}

/** Every metric name a /metrics page exports, histogram and summary series included. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    const typed = /^# TYPE (\S+) (\w+)$/.exec(line);
    if (typed !== null) {
      const [, name, type] = typed as unknown as [string, string, string];
      names.add(name);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
      if (type === "summary") for (const suffix of ["_sum", "_count"]) names.add(name + suffix);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample !== null) names.add(sample[1] as string);
  }
  return names;
}

interface Panel {
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string }[];
  panels?: Panel[];
}

describe("the Grafana dashboard in docs/grafana", () => {
  after(cleanup);

  it("reads metric names out of PromQL", () => {
    assert.deepEqual(
      metricNamesOf(
        'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route=~"x|y", status="5.."}[$__rate_interval])))',
      ),
      ["a_bucket"],
    );
    assert.deepEqual(metricNamesOf("rate(a_total[5m]) / on (instance) b + c offset 5m"), ["a_total", "b", "c"]);
  });

  it("is a Grafana dashboard whose every query names a metric a running hongbao exports", {
    timeout: 60_000,
  }, async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
      title: string;
      uid: string;
      schemaVersion: number;
      panels: Panel[];
      templating: { list: { name: string; query: { query: string } | string }[] };
      __inputs: { name: string; type: string; pluginId: string }[];
    };
    assert.equal(typeof dashboard.title, "string");
    assert.match(dashboard.uid, /^[A-Za-z0-9_-]{1,40}$/);
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 30);
    assert.ok(Array.isArray(dashboard.panels) && dashboard.panels.length > 0);
    assert.deepEqual(
      dashboard.__inputs.map((input) => [input.name, input.type, input.pluginId]),
      [["DS_PROMETHEUS", "datasource", "prometheus"]],
    );

    const expressions: { where: string; expr: string }[] = [];
    const ids = new Set<number>();
    const rows: string[] = [];
    for (const panel of dashboard.panels as (Panel & { id: number })[]) {
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} is unique`);
      ids.add(panel.id);
      const { h, w, x, y } = panel.gridPos;
      for (const value of [h, w, x, y]) assert.ok(Number.isInteger(value) && value >= 0, `${panel.title}: gridPos`);
      assert.ok(x + w <= 24, `${panel.title} fits the 24-column grid`);
      if (panel.type === "row") {
        rows.push(panel.title);
        continue;
      }
      assert.ok(["timeseries", "stat", "gauge", "bargauge", "table"].includes(panel.type), panel.type);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's import placeholder, filled in by Grafana
      assert.deepEqual(panel.datasource, { type: "prometheus", uid: "${DS_PROMETHEUS}" }, panel.title);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has queries`);
      for (const target of panel.targets ?? []) expressions.push({ where: panel.title, expr: target.expr });
    }
    assert.deepEqual(rows, ["The crowd", "The engine", "The ledger", "The Node process"]);
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === "string" ? variable.query : variable.query.query;
      const labelValues = /^label_values\((\w+),\s*\w+\)$/.exec(query);
      assert.ok(labelValues !== null, `variable ${variable.name}: a label_values query`);
      expressions.push({ where: `variable ${variable.name}`, expr: labelValues[1] as string });
    }

    // A real server, with a little traffic so the labelled series exist.
    const db = join(tempDir(), "hongbao.db");
    const { url } = await serve({ db });
    const alice = await createUser(url);
    await deposit(url, alice.userId, 1_000);
    const metrics = await request(url, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    const exported = exportedNames(metrics.text);

    const named = new Set<string>();
    for (const { where, expr } of expressions) {
      const names = metricNamesOf(expr);
      assert.ok(names.length > 0, `${where}: ${expr} names a metric`);
      for (const name of names) {
        assert.ok(exported.has(name), `${where}: ${name} is not on /metrics`);
        named.add(name);
      }
    }
    // Node's standard names, which stock dashboards use, are among them.
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
    ]) {
      assert.ok(named.has(name), name);
    }
  });
});
