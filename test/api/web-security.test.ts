import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { buildApp } from "../../src/api/app.js";
import { parseCorsOrigins } from "../../src/api/web-security.js";
import { ADMIN_TOKEN, type ListeningApp, startListeningApp, startTestApp, type TestApp } from "../support/harness.js";
import { Client } from "../support/http-client.js";

const ALLOWED = "https://app.example.test";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("CORS allowlist, security headers and request ids", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ corsOrigins: [ALLOWED, "http://127.0.0.1:5173"] });
  });
  after(async () => {
    await app.dispose();
  });

  it("answers a preflight from an allowed origin, naming what a browser may send", async () => {
    const reply = await app.call("OPTIONS" as "GET", "/v1/transfers", {
      headers: {
        origin: ALLOWED,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,idempotency-key",
      },
    });
    assert.equal(reply.statusCode, 204);
    assert.equal(reply.headers["access-control-allow-origin"], ALLOWED);
    assert.match(String(reply.headers["access-control-allow-methods"]), /POST/);
    assert.match(String(reply.headers["access-control-allow-headers"]), /idempotency-key/);
    assert.equal(reply.headers["access-control-allow-credentials"], undefined);
  });

  it("lets an allowed origin read answers and the headers it needs, and no other origin", async () => {
    const allowed = await app.call("GET", "/v1/limits", { headers: { origin: ALLOWED } });
    assert.equal(allowed.statusCode, 200);
    assert.equal(allowed.headers["access-control-allow-origin"], ALLOWED);
    assert.match(String(allowed.headers["access-control-expose-headers"]), /x-request-id/);
    const other = await app.call("GET", "/v1/limits", { headers: { origin: "https://evil.example.test" } });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
    const lookalike = await app.call("GET", "/v1/limits", { headers: { origin: `${ALLOWED}.evil.test` } });
    assert.equal(lookalike.headers["access-control-allow-origin"], undefined);
  });

  it("still answers 404 for unknown paths and 405 for a wrong method (preflights aside)", async () => {
    assert.equal((await app.call("GET", "/v1/nowhere")).statusCode, 404);
    assert.equal((await app.call("GET", "/v1/transfers")).statusCode, 405);
  });

  it("puts security headers on answers and errors", async () => {
    for (const reply of [await app.call("GET", "/healthz"), await app.call("GET", "/v1/me")]) {
      assert.equal(reply.headers["x-content-type-options"], "nosniff");
      assert.equal(reply.headers["x-frame-options"], "DENY");
      assert.match(String(reply.headers["content-security-policy"]), /frame-ancestors 'none'/);
      assert.ok(reply.headers["strict-transport-security"]);
      assert.equal(reply.headers["x-powered-by"], undefined);
    }
    const docs = await app.call("GET", "/docs/");
    assert.equal(docs.statusCode, 200);
  });

  it("names every answer with a request id: the client's, the trace's, or a new one", async () => {
    const given = await app.call("GET", "/healthz", { headers: { "x-request-id": "checkout-42.a:b_c" } });
    assert.equal(given.headers["x-request-id"], "checkout-42.a:b_c");
    const traced = await app.call("GET", "/healthz", {
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    assert.equal(traced.headers["x-request-id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    for (const bad of ["x".repeat(129), "a b", "<script>", "id\u00e9"]) {
      const reply = await app.call("GET", "/healthz", { headers: { "x-request-id": bad } });
      assert.match(String(reply.headers["x-request-id"]), UUID, JSON.stringify(bad));
    }
    const zeroTrace = await app.call("GET", "/healthz", {
      headers: { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` },
    });
    assert.match(String(zeroTrace.headers["x-request-id"]), UUID);
    const error = await app.call("GET", "/v1/nowhere");
    assert.match(String(error.headers["x-request-id"]), UUID);
  });

  it("writes the request id into the request's log lines", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logged = await buildApp(app.context, { logger: pino({ level: "info" }, sink) });
    logged.get("/test/log", async (request) => {
      request.log.info("a line of this request");
      return {};
    });
    await logged.ready();
    const reply = await logged.inject({ method: "GET", url: "/test/log", headers: { "x-request-id": "req-7" } });
    assert.equal(reply.headers["x-request-id"], "req-7");
    assert.ok(lines.some((line) => line.msg === "a line of this request" && line.requestId === "req-7"));
    await logged.close();
  });

  it("refuses an allowlist entry that is not an origin", () => {
    assert.deepEqual(parseCorsOrigins(" https://a.test , http://b.test:8080 "), [
      "https://a.test",
      "http://b.test:8080",
    ]);
    assert.deepEqual(parseCorsOrigins(undefined), []);
    for (const bad of ["*", "https://a.test/", "a.test", "https://*.a.test", "ftp://a.test"]) {
      assert.throws(() => parseCorsOrigins(bad), /CORS origin/, bad);
    }
  });
});

describe("request ids on a listening server, the claim fast path included", () => {
  let app: ListeningApp;
  let client: Client;
  before(async () => {
    app = await startListeningApp({ corsOrigins: [ALLOWED] });
    client = new Client(app.port);
  });
  after(async () => {
    client?.close();
    await app?.dispose();
  });

  it("answers a claim with the id it was sent, and a browser's claim with CORS headers", async () => {
    const made = await client.send({
      method: "POST",
      path: "/v1/admin/users",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ phone: "+8613600000001", name: "a" }),
    });
    const { token } = JSON.parse(made.body) as { token: string };
    const claimPath = "/v1/campaigns/cmp_00000000000000000000/claim";
    const plain = await client.send({
      method: "POST",
      path: claimPath,
      headers: { authorization: `Bearer ${token}`, "x-request-id": "claim-1" },
    });
    assert.equal(plain.status, 404, plain.body);
    assert.equal(plain.headers["x-request-id"], "claim-1");
    const browser = await client.send({
      method: "POST",
      path: claimPath,
      headers: { authorization: `Bearer ${token}`, origin: ALLOWED },
    });
    assert.equal(browser.status, 404);
    assert.equal(browser.headers["access-control-allow-origin"], ALLOWED);
    assert.match(String(browser.headers["x-request-id"]), UUID);
  });
});
