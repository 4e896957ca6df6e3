import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, startListeningApp, startTestApp, type TestApp, type TestUser } from "../support/harness.js";
import { Client } from "../support/http-client.js";

const START = "2026-02-16T20:00:00+08:00";
const END = "2026-02-17T20:00:00+08:00";

describe("campaign controls over HTTP: list, pause, resume, close early", () => {
  let app: TestApp;
  let crowd: TestUser[];
  let closedId = "";
  before(async () => {
    app = await startTestApp({ testClock: true, gate: { targetTurnMs: 1_000 } });
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: START } });
    crowd = [];
    for (let i = 0; i < 4; i++) crowd.push(await app.createUser());
  });
  after(async () => {
    await app.dispose();
  });

  const create = async (name: string, budget = 10_000) => {
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: { name, budget, amount: { fixed: 1_000 }, startsAt: START, endsAt: END },
    });
    assert.equal(created.statusCode, 201, created.body);
    return created.json().id as string;
  };
  const control = (id: string, action: string, key?: string) =>
    app.call("POST", `/v1/admin/campaigns/${id}/${action}`, {
      token: "admin",
      ...(key ? { idempotencyKey: key } : {}),
    });
  const claim = (user: TestUser, id: string) => app.call("POST", `/v1/campaigns/${id}/claim`, { token: user.token });
  const wallet = async (user: TestUser) =>
    (await app.call("GET", "/v1/me/wallet", { token: user.token })).json().balance as number;

  it("a paused campaign refuses claims with 409 CAMPAIGN_PAUSED until it resumes", async () => {
    const id = await create("pause me");
    assert.equal((await claim(crowd[0] as TestUser, id)).statusCode, 200);
    const paused = await control(id, "pause");
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json().status, "paused");
    assert.equal(paused.json().pausedAt, START.replace("+08:00", ".000+08:00"));
    const refused = await claim(crowd[1] as TestUser, id);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, "CAMPAIGN_PAUSED");
    assert.equal(refused.headers["retry-after"], undefined, "a pause is no invitation to hammer");
    assert.equal(await wallet(crowd[1] as TestUser), 0);
    const keyed = await app.call("POST", `/v1/campaigns/${id}/claim`, {
      token: (crowd[2] as TestUser).token,
      idempotencyKey: "claim-through-a-pause",
    });
    assert.equal(keyed.json().error.code, "CAMPAIGN_PAUSED");
    assert.equal((await control(id, "pause")).statusCode, 200, "pausing twice keeps the first pause");
    const resumed = await control(id, "resume");
    assert.equal(resumed.statusCode, 200);
    assert.equal(resumed.json().status, "active");
    const notPaused = await control(id, "resume");
    assert.equal(notPaused.statusCode, 409);
    assert.equal(notPaused.json().error.code, "CAMPAIGN_NOT_PAUSED");
    assert.equal((await claim(crowd[1] as TestUser, id)).statusCode, 200);
    const retried = await app.call("POST", `/v1/campaigns/${id}/claim`, {
      token: (crowd[2] as TestUser).token,
      idempotencyKey: "claim-through-a-pause",
    });
    assert.equal(retried.statusCode, 200, `a pause is not kept with the key: ${retried.body}`);
    assert.equal(await app.balanceSum(), 0);
  });

  it("a close returns the unspent budget at once, once; the campaign then refuses claims and controls", async () => {
    const id = await create("close me", 10_000);
    await claim(crowd[0] as TestUser, id);
    await claim(crowd[1] as TestUser, id);
    const funding = async () =>
      (await app.query<{ balance: number }>("SELECT balance FROM balances WHERE id = 'funding'"))[0]?.balance ?? 0;
    const before_ = await funding();
    const unkeyed = await app.call("POST", `/v1/admin/campaigns/${id}/close`, { token: "admin", idempotencyKey: null });
    assert.equal(unkeyed.statusCode, 400);
    assert.equal(unkeyed.json().error.code, "IDEMPOTENCY_KEY_REQUIRED");
    const closed = await control(id, "close", "close-once");
    assert.equal(closed.statusCode, 200, closed.body);
    const view = closed.json();
    assert.equal(view.status, "ended");
    assert.equal(view.returned, 8_000);
    assert.equal(view.claimedAmount, 2_000);
    assert.ok(view.closedAt !== null);
    assert.equal((await funding()) - before_, 8_000, "the budget is back in funding at once");
    const replay = await control(id, "close", "close-once");
    assert.equal(replay.headers["idempotent-replayed"], "true");
    assert.deepEqual(replay.json(), view);
    for (const action of ["close", "pause", "resume"]) {
      const refused = await control(id, action);
      assert.equal(refused.statusCode, 410, action);
      assert.equal(refused.json().error.code, "ENDED");
    }
    assert.equal((await claim(crowd[2] as TestUser, id)).json().error.code, "ENDED");
    const returns = await app.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM postings WHERE ref = ? AND kind = 'campaign.return'",
      id,
    );
    assert.equal(Number(returns[0]?.n), 1);
    assert.equal((await funding()) - before_, 8_000);
    closedId = id;
    assert.equal(await app.balanceSum(), 0);
  });

  it("lists the operator's campaigns newest first, page by page", async () => {
    const ids = [await create("list a"), await create("list b"), await create("list c")];
    const first = await app.call("GET", "/v1/admin/campaigns?limit=2", { token: "admin" });
    assert.equal(first.statusCode, 200, first.body);
    const page = first.json();
    assert.equal(page.object, "list");
    assert.deepEqual(
      page.data.map((c: { id: string }) => c.id),
      [ids[2], ids[1]],
    );
    assert.equal(page.hasMore, true);
    const next = (
      await app.call("GET", `/v1/admin/campaigns?limit=2&startingAfter=${ids[1]}`, { token: "admin" })
    ).json();
    assert.equal(next.data[0].id, ids[0]);
    const back = (
      await app.call("GET", `/v1/admin/campaigns?limit=1&endingBefore=${ids[0]}`, { token: "admin" })
    ).json();
    assert.deepEqual(
      back.data.map((c: { id: string }) => c.id),
      [ids[1]],
    );
    assert.equal(back.hasMore, true);
    // An ended campaign's totals come from its row, as the batches that paid its claims left them.
    const all = (await app.call("GET", "/v1/admin/campaigns?limit=100", { token: "admin" })).json();
    const closed = all.data.find((c: { id: string }) => c.id === closedId);
    assert.equal(closed.status, "ended");
    assert.equal(closed.claimedCount, 2);
    assert.equal(closed.claimedAmount, 2_000);
    assert.equal(closed.returned, 8_000);
  });
  it("controls of an unknown campaign are 404; a paused campaign that reaches its end still returns its budget", async () => {
    const unknown = await control("cmp_00000000000000000000", "pause");
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, "CAMPAIGN_NOT_FOUND");
    const id = await create("paused to the end", 5_000);
    await control(id, "pause");
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-02-17T20:00:01+08:00" } });
    const ended = (await app.call("GET", `/v1/campaigns/${id}`, { token: "admin" })).json();
    assert.equal(ended.status, "ended");
    assert.equal(ended.returned, 5_000);
    // The end the closed campaign was created with came too, and found nothing more to return.
    const returns = await app.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM postings WHERE ref = ? AND kind = 'campaign.return'",
      closedId,
    );
    assert.equal(Number(returns[0]?.n), 1);
    assert.equal(await app.balanceSum(), 0);
  });
});

describe("the claim fast path and the crowd gate learn a pause", () => {
  it("answers a claim on a real socket 409 CAMPAIGN_PAUSED while paused, and pays it after resume", async () => {
    const app = await startListeningApp({ testClock: true });
    const client = new Client(app.port);
    try {
      const post = (path: string, token: string, body?: unknown) =>
        client.send({
          method: "POST",
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...(path.includes("/admin/") ? { "idempotency-key": `k-${Math.random()}` } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      await post("/v1/admin/clock", ADMIN_TOKEN, { now: START });
      const user = JSON.parse(
        (await post("/v1/admin/users", ADMIN_TOKEN, { phone: "+8613900001314", name: "fast" })).body,
      ) as { token: string };
      const created = JSON.parse(
        (
          await post("/v1/admin/campaigns", ADMIN_TOKEN, {
            name: "fast",
            budget: 1_000,
            amount: { fixed: 100 },
            startsAt: START,
            endsAt: END,
          })
        ).body,
      ) as { id: string };
      await post(`/v1/admin/campaigns/${created.id}/pause`, ADMIN_TOKEN);
      // No body, no key: the plain claim the fast path takes.
      const refused = await post(`/v1/campaigns/${created.id}/claim`, user.token);
      assert.equal(refused.status, 409, refused.body);
      assert.equal(JSON.parse(refused.body).error.code, "CAMPAIGN_PAUSED");
      await post(`/v1/admin/campaigns/${created.id}/resume`, ADMIN_TOKEN);
      const paid = await post(`/v1/campaigns/${created.id}/claim`, user.token);
      assert.equal(paid.status, 200, paid.body);
    } finally {
      client.close();
      await app.dispose();
    }
  });
});
