import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CrowdGateOptions } from "../../src/api/crowd-gate.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { keyedHeaders } from "../support/keys.js";

const ADMIN = "crowd-gate-admin-token-0123456789";
const USERS = 400;
const SHARES = 100;
const AMOUNT = 1314;

interface Reply {
  readonly status: number;
  readonly retryAfter: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the tests read answers' JSON by path
  readonly body: Record<string, any>;
}

/** A crowd of claims on a few keep-alive connections, against a gate tight enough to park them. */
function crowdServer(gate: CrowdGateOptions, isolation = true) {
  const state = {} as {
    server: RunningServer;
    dir: string;
    agent: Agent;
    users: { userId: string; token: string }[];
    campaignId: string;
    call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Reply>;
  };

  before(async () => {
    state.dir = mkdtempSync(join(tmpdir(), "hongbao-gate-"));
    state.server = await startServer({
      port: 0,
      host: "127.0.0.1",
      db: join(state.dir, "hongbao.db"),
      adminToken: ADMIN,
      tokenSecret: "crowd-gate-token-secret-at-least-32-bytes",
      testClock: false,
      logLevel: "silent",
      // These tests are about the gate's queue: no first-answer budget, which would answer a
      // waiting claim with a place instead (test/api/crowd-gate.test.ts tests it).
      gate: { answerWithinMs: undefined, ...gate },
      isolation,
      // These tests are about the gate; admission's shedding, which a loaded test host can
      // trigger through slow batches, is tested on its own (test/campaigns/http-campaigns.test.ts).
      admission: { targetDelayMs: 60_000 },
    });
    state.agent = new Agent({ keepAlive: true, maxSockets: 40 });
    state.call = (method, path, token, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const outgoing = request(
          `${state.server.url}${path}`,
          {
            method,
            agent: state.agent,
            headers: {
              ...keyedHeaders(method, path),
              ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
              ...(payload === undefined ? {} : { "content-type": "application/json" }),
            },
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
            incoming.on("end", () =>
              resolve({
                status: incoming.statusCode ?? 0,
                retryAfter: incoming.headers["retry-after"],
                body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
              }),
            );
          },
        );
        outgoing.on("error", reject);
        outgoing.end(payload);
      });
    const bulk = await state.call("POST", "/v1/admin/users/bulk", ADMIN, {
      users: Array.from({ length: USERS }, (_, i) => ({ phone: `+86156${String(i).padStart(8, "0")}`, name: `u${i}` })),
    });
    state.users = bulk.body.users;
    const now = Date.now();
    const created = await state.call("POST", "/v1/admin/campaigns", ADMIN, {
      name: "gated",
      budget: SHARES * AMOUNT,
      amount: { fixed: AMOUNT },
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
    });
    state.campaignId = created.body.id;
    for (const sender of state.users.slice(0, 5)) {
      const deposit = await state.call("POST", "/v1/admin/deposits", ADMIN, { userId: sender.userId, amount: 10_000 });
      assert.equal(deposit.status, 201);
    }
  });

  after(async () => {
    state.agent.destroy();
    await state.server.close();
    rmSync(state.dir, { recursive: true, force: true });
  });

  return state;
}

async function metric(server: RunningServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name} `));
  return Number(line?.split(" ")[1]);
}

describe("the crowd gate over real sockets", () => {
  const crowd = crowdServer({ budgetMax: 4, budgetMin: 1, targetTurnMs: 1 });

  it("parks claim connections, then decides every claim exactly, while transfers go through", async () => {
    const { call, users, campaignId, server } = crowd;
    const claims = users.map((user) => call("POST", `/v1/campaigns/${campaignId}/claim`, user.token));
    const transfers = users
      .slice(0, 5)
      .map((sender, i) =>
        call("POST", "/v1/transfers", sender.token, { to: users[USERS - 1 - i]?.userId, amount: 100 + i }),
      );
    const answers = await Promise.all(claims);
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 200).length, SHARES);
    assert.equal(statuses.filter((status) => status === 410).length, USERS - SHARES);
    for (const answer of answers.filter((a) => a.status === 200)) assert.equal(answer.body.amount, AMOUNT);
    for (const sent of await Promise.all(transfers)) assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.ok((await metric(server, "hongbao_crowd_parks_total")) > 0, "the gate parked some connections");
    assert.equal(await metric(server, "hongbao_crowd_waiting_claims"), 0);
    const gateWaits = await metric(server, 'hongbao_queue_wait_seconds_count{class="campaign",queue="gate"}');
    // A claim arriving once the campaign is sold out is answered before the gate, and waits for nothing.
    assert.ok(gateWaits >= SHARES && gateWaits <= USERS, `every gated claim's wait is observed: ${gateWaits}`);
    assert.ok(
      (await metric(server, 'hongbao_queue_wait_seconds_bucket{le="0.0005",class="campaign",queue="gate"}')) < USERS,
      "some claims waited",
    );
    assert.ok((await metric(server, 'hongbao_queue_wait_seconds_count{class="campaign",queue="engine"}')) >= SHARES);
    const campaign = await call("GET", `/v1/campaigns/${campaignId}`, ADMIN);
    assert.equal(campaign.body.claimedCount, SHARES);
    assert.equal(campaign.body.claimedAmount, SHARES * AMOUNT);
    const again = await call("POST", `/v1/campaigns/${campaignId}/claim`, users[0]?.token);
    assert.ok(["ALREADY_CLAIMED", "SOLD_OUT"].includes(again.body.error.code));
    assert.equal((await call("GET", "/v1/admin/ledger", ADMIN)).body.balanceSum, 0);
  });
});

describe("the crowd gate with --no-isolation", () => {
  const crowd = crowdServer({ budgetMax: 1, budgetMin: 1, targetTurnMs: 1 }, false);

  it("is not started: no claim waits, no read is shed", async () => {
    const { call, users, campaignId, server } = crowd;
    const answers = await Promise.all(
      users.map((user) => call("POST", `/v1/campaigns/${campaignId}/claim`, user.token)),
    );
    assert.equal(answers.filter((answer) => answer.status === 200).length, SHARES);
    assert.equal(answers.filter((answer) => answer.status === 410).length, USERS - SHARES);
    assert.equal(await metric(server, "hongbao_crowd_parks_total"), 0);
    assert.equal((await call("GET", "/v1/me/wallet", users[0]?.token)).status, 200);
  });
});

describe("the crowd gate and a pipelining client", () => {
  const crowd = crowdServer({ budgetMax: 1, budgetMin: 1, targetTurnMs: 1 });

  it("answers every pipelined request on a connection the gate stops and node:http may pause", async () => {
    const { server, users, campaignId } = crowd;
    const claim = (token: string | undefined) =>
      `POST /v1/campaigns/${campaignId}/claim HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`;
    const read = `GET /v1/campaigns/${campaignId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\n\r\n`;
    // Three claims, of which at least two wait at the gate (it stops reading the connection
    // at the second), and 60 reads behind them, whose answers back up behind the claims'.
    const chunks = Array.from(
      { length: 6 },
      (_, c) =>
        claim(users[c * 3]?.token) + claim(users[c * 3 + 1]?.token) + claim(users[c * 3 + 2]?.token) + read.repeat(60),
    );
    const requests = chunks.length * 63;
    const received = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
      let data = "";
      socket.on("data", (chunk: Buffer) => {
        data += chunk.toString("latin1");
        if ((data.match(/HTTP\/1\.1 /g) ?? []).length >= requests) socket.end();
      });
      socket.on("close", () => resolve(data));
      socket.on("error", () => {});
      let sent = 0;
      const next = () => {
        if (sent < chunks.length) socket.write(chunks[sent++] as string, () => setTimeout(next, 1));
      };
      next();
      setTimeout(() => socket.destroy(), 10_000);
    });
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d+)/g)].map((match) => match[1]);
    assert.equal(statuses.length, requests, "no answer lost, the connection not dropped");
    assert.equal(statuses.filter((status) => status === "200").length, 60 * 6 + 18);
    assert.ok((await metric(server, "hongbao_crowd_stops_total")) > 0, "the gate stopped reading the connection");
  });
});

describe("the crowd gate and clients that close their side after sending", () => {
  const crowd = crowdServer({ budgetMax: 1, budgetMin: 1, targetTurnMs: 1 });

  it("answers every claim, held at the gate or in a batch, before it closes the connection", async () => {
    const { server, users, campaignId, call } = crowd;
    const port = Number(new URL(server.url).port);
    // Every connection open first, then every claim sent and every sending side closed at
    // once, so that most claims wait at the gate.
    const sockets: Socket[] = users.map(() => connect(port, "127.0.0.1"));
    await Promise.all(sockets.map((socket) => once(socket, "connect")));
    // …and accepted by the server, so that their claims arrive in the same turns.
    const accepted = () =>
      new Promise<number>((resolve) => server.app.server.getConnections((_, count) => resolve(count)));
    while ((await accepted()) < USERS) await new Promise((resolve) => setTimeout(resolve, 5));
    const statuses = await Promise.all(
      sockets.map((socket, i) => {
        let data = "";
        socket.on("data", (chunk: Buffer) => {
          data += chunk.toString("latin1");
        });
        socket.on("error", () => {});
        const closed = once(socket, "close").then(() => /^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? "none");
        socket.end(
          `POST /v1/campaigns/${campaignId}/claim HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${users[i]?.token}\r\n\r\n`,
        );
        return closed;
      }),
    );
    assert.equal(statuses.filter((status) => status === "200").length, SHARES);
    assert.equal(statuses.filter((status) => status === "410").length, USERS - SHARES);
    assert.ok((await metric(server, "hongbao_crowd_parks_total")) > 0, "claims waited at the gate");
    const campaign = await call("GET", `/v1/campaigns/${campaignId}`, ADMIN);
    assert.equal(campaign.body.claimedCount, SHARES);
  });
});

describe("the crowd gate's deadline", () => {
  const crowd = crowdServer({ budgetMax: 2, budgetMin: 1, targetTurnMs: 1, waitMaxMs: 0 });

  it("answers claims that waited past it 503 with a Retry-After, and they change nothing", async () => {
    const { call, users, campaignId } = crowd;
    const answers = await Promise.all(
      users.map((user) => call("POST", `/v1/campaigns/${campaignId}/claim`, user.token)),
    );
    const busy = answers.filter((answer) => answer.status === 503);
    assert.ok(busy.length > 0, "some claims waited");
    for (const answer of busy) {
      assert.equal(answer.body.error.code, "BUSY");
      assert.match(answer.retryAfter ?? "", /^[1-9][0-9]*$/);
    }
    assert.ok(answers.every((answer) => [200, 410, 503].includes(answer.status)));
    const claimed = answers.filter((answer) => answer.status === 200).length;
    const campaign = await call("GET", `/v1/campaigns/${campaignId}`, ADMIN);
    assert.equal(campaign.body.claimedCount, claimed);
    assert.equal((await call("GET", "/v1/admin/ledger", ADMIN)).body.balanceSum, 0);
  });
});
