import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServer } from "../../src/server.js";
import { keyedHeaders } from "../support/keys.js";

const ADMIN = "fast-path-admin-token-0123456789";

/** The claim fast path answers over a real socket exactly as the Fastify route does. */
describe("claims over a real socket (the fast path)", () => {
  let server: RunningServer;
  let dir: string;
  let users: { userId: string; token: string }[];
  let campaignId: string;

  async function call(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...keyedHeaders(method, path),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hongbao-fast-"));
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      db: join(dir, "hongbao.db"),
      adminToken: ADMIN,
      tokenSecret: "fast-path-token-secret-at-least-32-bytes",
      testClock: false,
      logLevel: "silent",
    });
    const bulk = await call("POST", "/v1/admin/users/bulk", ADMIN, {
      users: Array.from({ length: 6 }, (_, i) => ({ phone: `+8615500000${i}`, name: `u${i}` })),
    });
    users = bulk.body.users;
    const now = Date.now();
    const created = await call("POST", "/v1/admin/campaigns", ADMIN, {
      name: "fast",
      budget: 2 * 520,
      amount: { fixed: 520 },
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    });
    campaignId = created.body.id;
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers claimed, already claimed and sold out, and counts them", async () => {
    const path = `/v1/campaigns/${campaignId}/claim`;
    const first = await call("POST", path, users[0]?.token);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { campaignId, amount: 520, status: "claimed" });
    assert.equal((await call("POST", path, users[0]?.token)).body.error.code, "ALREADY_CLAIMED");
    assert.equal((await call("POST", path, users[1]?.token)).status, 200);
    const late = await call("POST", path, users[2]?.token);
    assert.equal(late.status, 410);
    assert.equal(late.body.error.code, "SOLD_OUT");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /hongbao_campaign_claims_total\{outcome="claimed"\} 2/);
    assert.match(
      metrics,
      /hongbao_http_requests_total\{method="POST",route="\/v1\/campaigns\/:id\/claim",status="410"\} 1/,
    );
  });

  it("leaves every unusual request to the full route, which answers in the same shapes", async () => {
    const path = `/v1/campaigns/${campaignId}/claim`;
    // The campaign is sold out: that answer is the same for everyone, so it needs no token.
    const soldOutNoToken = await call("POST", path, undefined);
    assert.equal(soldOutNoToken.status, 410);
    assert.equal(soldOutNoToken.body.error.code, "SOLD_OUT");
    const elsewhere = "/v1/campaigns/cmp_00000000000000000000/claim";
    const noToken = await call("POST", elsewhere, undefined);
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.error.code, "UNAUTHORIZED");
    const forged = await call("POST", elsewhere, `${users[3]?.token}x`);
    assert.equal(forged.body.error.code, "INVALID_TOKEN");
    const withBody = await call("POST", path, users[3]?.token, { extra: 1 });
    assert.equal(withBody.status, 400);
    const keyed = await call("POST", path, users[0]?.token, undefined, { "idempotency-key": "k-1" });
    assert.equal(keyed.body.error.code, "ALREADY_CLAIMED");
    const unknown = await call("POST", "/v1/campaigns/cmp_00000000000000000000/claim", users[3]?.token);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "CAMPAIGN_NOT_FOUND");
    assert.equal((await call("POST", "/v1/campaigns/cmp_short/claim", users[3]?.token)).status, 400);
    const ledger = await call("GET", "/v1/admin/ledger", ADMIN);
    assert.equal(ledger.body.balanceSum, 0);
  });
});
