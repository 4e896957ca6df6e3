import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, TEST_EDGES, type TestApp } from "../support/harness.js";

describe("operations endpoints", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.dispose();
  });

  it("answers health and readiness", async () => {
    assert.deepEqual((await app.call("GET", "/healthz")).json(), { status: "ok" });
    const ready = await app.call("GET", "/readyz");
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().status, "ready");
  });

  it("serves the rules in force without a token", async () => {
    const limits = (await app.call("GET", "/v1/limits?at=2026-03-01T12:00:00%2B08:00")).json();
    assert.equal(limits.at, "2026-03-01T12:00:00.000+08:00");
    assert.equal(limits.singlePacketMax, 20_000);
    assert.equal(limits.shareMax, 20_000);
    assert.equal(limits.shareCountMax, 100);
    assert.equal(limits.transferMax, 5_000_000);
    assert.equal(limits.specialDay, null);
  });

  it("documents every route in /openapi.json and serves /docs", async () => {
    const spec = (await app.call("GET", "/openapi.json")).json();
    assert.match(spec.openapi, /^3\./);
    for (const path of [
      "/v1/transfers",
      "/v1/transfers/{id}/accept",
      "/v1/admin/users",
      "/v1/me/statement",
      "/v1/auth/token",
      "/v1/limits",
    ]) {
      assert.ok(spec.paths[path], `${path} is documented`);
    }
    assert.ok(spec.components.schemas.Transfer);
    const docs = await app.call("GET", "/docs/");
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });

  it("exports request, latency and engine metrics", {
    skip:
      TEST_EDGES > 0 &&
      "metrics are each process's own: the requests are counted on two edges and the engine's in the writer",
  }, async () => {
    const alice = await app.createUser();
    await app.deposit(alice.userId, 100);
    const text = (await app.call("GET", "/metrics")).body;
    assert.match(text, /hongbao_http_requests_total\{method="POST",route="\/v1\/admin\/deposits",status="201"\} 1/);
    assert.match(
      text,
      /hongbao_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/v1\/admin\/deposits",status="201"\}/,
    );
    assert.match(text, /hongbao_engine_queue_depth\{lane="critical"\} 0/);
    assert.match(text, /hongbao_engine_queue_delay_seconds\{lane="campaign"\}/);
    assert.match(text, /hongbao_queue_wait_seconds_count\{class="critical",queue="engine"\} [1-9]/);
    assert.match(text, /hongbao_engine_batch_size_count [1-9]/);
    assert.match(text, /hongbao_engine_commit_seconds_count [1-9]/);
    assert.match(text, /hongbao_ledger_deposited_fen 100\n/);
    assert.match(text, /hongbao_ledger_escrow_fen 0\n/);
    assert.match(text, /hongbao_engine_commit_failures_total 0\n/);
  });

  it("keeps Node's process metrics under their standard names, and the prefixed ones too", async () => {
    const text = (await app.call("GET", "/metrics")).body;
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
      assert.match(text, new RegExp(`^# TYPE hongbao_${name} `, "m"), `hongbao_${name}`);
    }
  });

  it("has no clock route without --test-clock", async () => {
    const response = await app.call("POST", "/v1/admin/clock", {
      token: "admin",
      body: { now: "2030-01-01T00:00:00Z" },
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, "NOT_FOUND");
  });
});
