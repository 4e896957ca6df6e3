import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OVERLOAD_MEMORY_MS } from "../../src/api/crowd-gate.js";
import { ROUTE_BODY_BYTES_MAX } from "../../src/edge/bun/front.js";
import { type EdgeProcess, NO_BUN, startEdgeProcess } from "../support/bun-edge.js";
import { openEventStream } from "../support/event-stream.js";
import { startTestApp, type TestApp, type TestUser, WIRE_SECRET } from "../support/harness.js";

/**
 * What a client can compare of two answers: status, the headers that carry meaning, and the
 * body, less what names the moment it was given (a place in line's ticket and wait).
 */
async function answerOf(response: Response) {
  const body = JSON.parse(await response.text()) as Record<string, unknown>;
  const timed = "ticket" in body;
  for (const name of ["ticket", "estimatedWaitSeconds", "retryAfterMs"]) delete body[name];
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    retryAfter: timed ? response.headers.get("retry-after") !== null : response.headers.get("retry-after"),
    hasRequestId: response.headers.get("x-request-id") !== null,
    body: JSON.stringify(body),
  };
}

/**
 * An edge on Bun with Bun.serve in front (src/edge/bun/front.ts) against the same writer as an
 * edge on Node with node:http: the plain claims the front answers itself give the same answers,
 * and what it passes on to the app behind keeps the contract (bounds, the client's address,
 * streams, errors).
 */
describe("the Bun front of an edge", { skip: NO_BUN }, () => {
  let app: TestApp;
  let bun: EdgeProcess;
  let node: EdgeProcess;
  let users: TestUser[];
  const bunUrl = () => `http://127.0.0.1:${bun.port}`;
  const nodeUrl = () => `http://127.0.0.1:${node.port}`;

  const createCampaign = async (budget: number, startsAt: number, endsAt: number) => {
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "front",
        budget,
        amount: { fixed: 100 },
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    return (created.json() as { id: string }).id;
  };

  /** A campaign the operator closed: ended, for the claims after. */
  const endedCampaign = async () => {
    const now = Date.now();
    const id = await createCampaign(100, now - 60_000, now + 3_600_000);
    const closed = await app.call("POST", `/v1/admin/campaigns/${id}/close`, { token: "admin" });
    assert.equal(closed.statusCode, 200, closed.body);
    return id;
  };

  const claim = (base: string, campaignId: string, token: string | undefined, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/campaigns/${campaignId}/claim`, {
      method: "POST",
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    });

  /**
   * A claim as a client makes it: given a place in line (503 with a ticket, as a loaded machine
   * may answer a fresh edge's first claims), it comes back with the ticket when told.
   */
  const decided = async (base: string, campaignId: string, token: string | undefined) => {
    let ticket: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const response = await claim(base, campaignId, token, ticket === undefined ? {} : { "queue-ticket": ticket });
      if (response.status !== 503 || attempt === 10) return answerOf(response);
      const body = JSON.parse(await response.clone().text()) as { ticket?: unknown; retryAfterMs?: unknown };
      if (typeof body.ticket !== "string") return answerOf(response);
      ticket = body.ticket;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, Number(body.retryAfterMs) || 100)));
    }
  };

  before(async () => {
    app = await startTestApp({ edges: 0, wire: true });
    const socket = join(app.dir, "writer.sock");
    [bun, node] = await Promise.all([
      startEdgeProcess({ socket, secret: WIRE_SECRET }),
      startEdgeProcess({ socket, secret: WIRE_SECRET, runtime: process.execPath, http: "node" }),
    ]);
    users = [];
    for (let i = 0; i < 6; i++) users.push(await app.createUser(`front-${i}`));
  });
  after(async () => {
    await Promise.all([bun?.stop(), node?.stop()]);
    await app?.dispose();
  });

  it("answers plain claims as the node:http edge does: claimed, already claimed, sold out, not started, ended, unknown", async () => {
    const now = Date.now();
    // Two claims' budget: one for each edge's first claim.
    const open = await createCampaign(200, now - 60_000, now + 3_600_000);
    const early = await createCampaign(200, now + 3_600_000, now + 7_200_000);
    const ended = await endedCampaign();
    const unknown = "cmp_00000000000000000000";
    const [a, b, c] = users as [TestUser, TestUser, TestUser];

    const first = [await decided(bunUrl(), open, a.token), await decided(nodeUrl(), open, b.token)];
    assert.equal(first[0]?.status, 200, first[0]?.body);
    assert.deepEqual(
      { ...first[0], body: JSON.parse(first[0]?.body ?? "{}").status },
      { ...first[1], body: "claimed" },
    );

    const pairs: [string, string | undefined][] = [
      [open, a.token], // already claimed (a claimed through Bun)
      [open, b.token], // already claimed (b claimed through Node)
      [open, c.token], // sold out
      [early, c.token], // not started
      [ended, c.token], // ended
      [unknown, c.token], // no such campaign
      [open, undefined], // sold out is the same answer for anyone, before any token check
      [early, undefined], // no token: the app behind answers 401
      [early, "not-a-token"],
    ];
    for (const [campaignId, token] of pairs) {
      const fromBun = await decided(bunUrl(), campaignId, token);
      const fromNode = await decided(nodeUrl(), campaignId, token);
      assert.deepEqual(fromBun, fromNode, `${campaignId} ${token}`);
      assert.ok(fromBun.status >= 400 && fromBun.status < 500, fromBun.body);
    }
    const metrics = await (await fetch(`${bunUrl()}/metrics`)).text();
    assert.match(metrics, /hongbao_campaign_claims_total\{outcome="sold_out"\} [1-9]/);
  });

  it("gives the request id a client sends back on a claim it answers itself", async () => {
    const ended = await endedCampaign();
    const answer = await claim(bunUrl(), ended, users[3]?.token, { "x-request-id": "front-claim-1" });
    assert.equal(answer.status, 410);
    assert.equal(answer.headers.get("x-request-id"), "front-claim-1");
  });

  it(`refuses a body over ${ROUTE_BODY_BYTES_MAX} bytes with 413 in the contract's shape, declared or chunked`, async () => {
    const big = "x".repeat(ROUTE_BODY_BYTES_MAX + 1);
    const declared = await fetch(`${bunUrl()}/v1/admin/rules`, {
      method: "POST",
      headers: { authorization: "Bearer admin", "content-type": "application/json" },
      body: big,
    });
    assert.equal(declared.status, 413);
    assert.equal(((await declared.json()) as { error: { code: string } }).error.code, "BODY_TOO_LARGE");
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let sent = 0; sent <= ROUTE_BODY_BYTES_MAX; sent += 65_536) controller.enqueue(new Uint8Array(65_536));
        controller.close();
      },
    });
    const chunked = await fetch(`${bunUrl()}/v1/admin/rules`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal(((await chunked.json()) as { error: { code: string } }).error.code, "BODY_TOO_LARGE");
  });

  it("passes a bad request's 4xx on as it is, never a 5xx", async () => {
    // A slow claim turn of the tests before (a loaded machine) has a gate shed reads for
    // OVERLOAD_MEMORY_MS: this test sends no claim, so after it both gates read as they should.
    await new Promise((resolve) => setTimeout(resolve, OVERLOAD_MEMORY_MS + 100));
    const cases: [string, string, RequestInit][] = [
      ["POST", "/v1/transfers", { body: "{not json", headers: { "content-type": "application/json" } }],
      ["POST", "/v1/transfers", { body: "hello", headers: { "content-type": "text/plain" } }],
      ["GET", "/v1/no-such-route", {}],
      ["DELETE", "/healthz", {}],
      ["GET", "/v1/me/wallet", { headers: { authorization: "Bearer nonsense" } }],
    ];
    for (const [method, path, init] of cases) {
      const fromBun = await fetch(`${bunUrl()}${path}`, { method, ...init });
      const fromNode = await fetch(`${nodeUrl()}${path}`, { method, ...init });
      const [bunBody, nodeBody] = [await fromBun.json(), await fromNode.json()];
      const said = `${method} ${path}: Bun ${fromBun.status} ${JSON.stringify(bunBody)}, Node ${fromNode.status} ${JSON.stringify(nodeBody)}`;
      assert.ok(fromBun.status >= 400 && fromBun.status < 500, said);
      assert.equal(fromBun.status, fromNode.status, said);
      assert.deepEqual(bunBody, nodeBody);
    }
  });

  it("overwrites a client's X-Hongbao-Peer: the app sees the real peer", async () => {
    // The app's rate limits key on the peer: one forged header a request must not give a fresh key each time.
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) {
      const forged = `198.51.100.${i}`;
      const answer = await fetch(`${bunUrl()}/v1/auth/otp`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hongbao-peer": forged, "x-forwarded-for": forged },
        body: JSON.stringify({ phone: `+861390000${String(i).padStart(4, "0")}` }),
      });
      await answer.arrayBuffer();
      limited = answer.status === 429;
    }
    assert.ok(limited, "forged peers each got a limit of their own");
  });

  it("streams live events through, as they happen", async () => {
    const user = users[4] as TestUser;
    let stream = await openEventStream(`${bunUrl()}/v1/me/events`, user.token);
    // Streams are shed for a moment after a slow claim turn (a loaded machine): come back when told.
    for (let attempt = 1; stream.status === 503 && attempt < 10; attempt++) {
      stream.close();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      stream = await openEventStream(`${bunUrl()}/v1/me/events`, user.token);
    }
    try {
      assert.equal(stream.status, 200, stream.body);
      assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
      assert.equal(JSON.parse((await stream.nextOf("hello")).data).userId, user.userId);
      await app.deposit(user.userId, 700);
      assert.equal(JSON.parse((await stream.nextOf("wallet")).data).amount, 700);
    } finally {
      stream.close();
    }
  });
});
