import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CampaignAdmission } from "../../src/api/admission.js";
import { EngineRig, holdCommits } from "../engine/support.js";
import { startTestApp, TEST_EDGES, type TestApp, type TestUser } from "../support/harness.js";

describe("campaign claims over HTTP", () => {
  let app: TestApp;
  let crowd: TestUser[];
  before(async () => {
    // A turn of a few claims may overrun 10 ms on a busy machine (more so with the PostgreSQL
    // client in the process), and a user's read within the next second is then shed: not what
    // these tests check.
    app = await startTestApp({ testClock: true, gate: { targetTurnMs: 1_000 } });
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T13:00:00+08:00" } });
    crowd = [];
    for (let i = 0; i < 6; i++) crowd.push(await app.createUser());
  });
  after(async () => {
    await app.dispose();
  });

  const create = (body: Record<string, unknown>) =>
    app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "七夕 13:14",
        budget: 3 * 1314,
        amount: { fixed: 1314 },
        startsAt: "2021-08-14T13:14:00+08:00",
        endsAt: "2021-08-14T14:14:00+08:00",
        ...body,
      },
    });
  const claim = (user: TestUser, id: string, headers: Record<string, string> = {}) =>
    app.call("POST", `/v1/campaigns/${id}/claim`, { token: user.token, headers });

  it("answers every outcome: not started, claimed, already claimed, sold out, ended", async () => {
    const created = await create({});
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id;
    assert.equal(created.json().status, "scheduled");
    const early = await claim(crowd[0] as TestUser, id);
    assert.equal(early.statusCode, 425);
    assert.equal(early.json().error.code, "NOT_STARTED");
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T13:14:00+08:00" } });
    const first = await claim(crowd[0] as TestUser, id);
    assert.deepEqual(first.json(), { campaignId: id, amount: 1314, status: "claimed" });
    const again = await claim(crowd[0] as TestUser, id);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, "ALREADY_CLAIMED");
    const rest = await Promise.all(crowd.slice(1).map((user) => claim(user, id)));
    assert.deepEqual(rest.map((answer) => answer.statusCode).sort(), [200, 200, 410, 410, 410]);
    assert.ok(
      rest.filter((answer) => answer.statusCode === 410).every((answer) => answer.json().error.code === "SOLD_OUT"),
    );
    // Users' reads are shed for a second after a slow turn of claims (by design); on a busy machine
    // the claims above can make one, so the reads wait for the gate to calm down, as a client would.
    while (app.context.gate.overloaded) await new Promise((resolve) => setTimeout(resolve, 50));
    const view = (await app.call("GET", `/v1/campaigns/${id}`, { token: crowd[0]?.token })).json();
    assert.equal(view.claimedCount, 3);
    assert.equal(view.claimedAmount, 3 * 1314);
    assert.equal(view.remainingBudget, 0);
    assert.equal(view.status, "sold_out");
    const statement = (await app.call("GET", "/v1/me/statement", { token: crowd[0]?.token })).json();
    assert.deepEqual(
      [statement.items[0].kind, statement.items[0].amount, statement.items[0].ref],
      ["campaign.claim", 1314, id],
    );
    const late = await create({ budget: 10_000, amount: { min: 1, max: 100 } });
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T14:14:00+08:00" } });
    const ended = await claim(crowd[5] as TestUser, late.json().id);
    assert.equal(ended.statusCode, 410);
    assert.equal(ended.json().error.code, "ENDED");
    const endedView = (await app.call("GET", `/v1/campaigns/${late.json().id}`, { token: "admin" })).json();
    assert.equal(endedView.status, "ended");
    assert.equal(endedView.returned, 10_000, "the unspent budget went back to funding");
    assert.equal((await app.call("GET", "/v1/admin/ledger", { token: "admin" })).json().balanceSum, 0);
  });

  it("refuses bad campaigns and bad claims with their codes", async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ budget: 0 }, 422, "AMOUNT_BELOW_MIN"],
      [{ amount: { fixed: 0 } }, 400, "VALIDATION_FAILED"],
      [{ amount: { min: 10 } }, 400, "VALIDATION_FAILED"],
      [{ amount: { min: 100, max: 10 } }, 422, "BAD_AMOUNT_RULE"],
      [{ amount: { fixed: 1314, extra: 1 } }, 400, "VALIDATION_FAILED"],
      [{ startsAt: "yesterday" }, 400, "VALIDATION_FAILED"],
      [{ endsAt: "2021-08-14T13:00:00+08:00" }, 422, "BAD_WINDOW"],
      [{ perUserLimit: 0 }, 400, "VALIDATION_FAILED"],
    ];
    for (const [body, status, code] of cases) {
      const answer = await create(body);
      assert.equal(answer.statusCode, status, `${JSON.stringify(body)}: ${answer.body}`);
      assert.equal(answer.json().error.code, code);
    }
    const user = crowd[0] as TestUser;
    assert.equal((await app.call("POST", "/v1/admin/campaigns", { token: user.token, body: {} })).statusCode, 403);
    const unknown = await claim(user, "cmp_00000000000000000000");
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, "CAMPAIGN_NOT_FOUND");
    assert.equal((await claim(user, "cmp_nope")).statusCode, 400);
    assert.equal((await app.call("POST", "/v1/campaigns/cmp_00000000000000000000/claim", {})).statusCode, 401);
  });
});

describe("admission control at small scale", () => {
  it("sheds admitted-looking claims with 503 and a jittered Retry-After when the claim lane is full, but still answers cheap outcomes", async () => {
    const app = await startTestApp({ admission: { claimQueueLengthMax: 0 } });
    try {
      const users = [await app.createUser(), await app.createUser()];
      const now = Date.now();
      const created = await app.call("POST", "/v1/admin/campaigns", {
        token: "admin",
        body: {
          name: "shed",
          budget: 1000,
          amount: { fixed: 10 },
          startsAt: new Date(now - 1000).toISOString(),
          endsAt: new Date(now + 3_600_000).toISOString(),
        },
      });
      const id = created.json().id;
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const shed = await app.call("POST", `/v1/campaigns/${id}/claim`, { token: users[0]?.token });
        assert.equal(shed.statusCode, 503);
        assert.equal(shed.json().error.code, "BUSY");
        const retryAfter = Number(shed.headers["retry-after"]);
        assert.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter}`);
        seen.add(String(retryAfter));
      }
      assert.ok(seen.size > 1, "Retry-After is jittered");
      const unknown = await app.call("POST", "/v1/campaigns/cmp_00000000000000000000/claim", {
        token: users[1]?.token,
      });
      assert.equal(unknown.statusCode, 404, "cheap answers are never shed");
      // Metrics are each process's own: with edges the 20 are counted on two of them.
      if (TEST_EDGES === 0) {
        const metrics = (await app.call("GET", "/metrics")).body;
        assert.match(metrics, /hongbao_campaign_claims_total\{outcome="shed"\} 20/);
      }
    } finally {
      await app.dispose();
    }
  });

  it("lowers the admission level while claims wait past the target delay, and raises it again after", async () => {
    const rig = await new EngineRig().start();
    try {
      const now = rig.clock.now();
      const created = await rig.engine.submit({
        type: "createCampaign",
        request: {
          name: "x",
          budget: 1_000_000,
          amount: { fixed: 1 },
          startsAt: now,
          endsAt: now + 3_600_000,
          perUserLimit: 1,
        },
      });
      assert.ok(created.ok);
      let fakeNow = 0;
      const admission = new CampaignAdmission(rig.engine, { targetDelayMs: 5, clock: () => fakeNow });
      const users: string[] = [];
      for (let i = 0; i < 200; i++) users.push(await rig.createUser());
      const held = holdCommits(rig);
      const blocker = rig.engine.submit({ type: "deposit", userId: users[199] as string, amount: 1 });
      await held.entered;
      const waiting = users
        .slice(0, 100)
        .map((userId) => rig.engine.submit({ type: "claim", campaignId: created.value.id, userId }));
      await new Promise((resolve) => setTimeout(resolve, 60));
      held.open();
      await blocker;
      await Promise.all(waiting);
      assert.ok(rig.engine.queueDelayMs("campaign") > 5, `delay ${rig.engine.queueDelayMs("campaign")} ms`);
      for (let step = 1; step <= 10; step++) {
        fakeNow = step * 100;
        admission.decide(users[100 + step] as string);
      }
      assert.ok(admission.level < 0.5, `level ${admission.level} after sustained delay`);
      assert.ok(admission.shed > 0);
      // Who is shed rotates by the hour of the engine's clock (the test clock here), not of Date.now().
      const letIn = () => users.slice(0, 100).filter((userId) => admission.decide(userId).admitted);
      const thisHour = letIn();
      rig.clock.set(now - 1);
      const hourBefore = letIn();
      rig.clock.set(now);
      assert.deepEqual(letIn(), thisHour, "the same users within the hour");
      assert.notDeepEqual(hourBefore, thisHour, "another set in another hour");
      held.restore();
      for (let i = 0; i < 30; i++) await rig.engine.submit({ type: "tick" });
      for (let step = 11; step <= 40; step++) {
        fakeNow = step * 100;
        admission.decide(users[150] as string);
      }
      assert.equal(admission.level, 1, "the level climbs back once the delay is gone");
    } finally {
      await rig.dispose();
    }
  });
});
