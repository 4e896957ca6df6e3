import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SpecialDayCalendar } from "../../src/domain/calendar/special-day-calendar.js";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

const RULES = {
  ...JSON.parse(readFileSync(new URL("../../../config/rules.json", import.meta.url), "utf8")),
  features: { passwordPackets: [{ from: "2026-02-16", to: "2026-02-17" }] },
};
RULES.defaults = { ...RULES.defaults, packetsPerDayMax: 3, packetAmountPerDayMax: 1_000 };
RULES.specialDays = [
  ...RULES.specialDays,
  { name: "除夕", kind: "date", date: "2026-02-16", caps: { packetsPerDayMax: 5, packetAmountPerDayMax: 5_000 } },
];

/** Per-user caps a day and festival-only features, from the rules document, on the real store. */
describe("per-day caps and festival features over HTTP", () => {
  let dir: string;
  let rules: string;
  let app: TestApp;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hongbao-daily-"));
    rules = join(dir, "rules.json");
    writeFileSync(rules, JSON.stringify(RULES));
    app = await startTestApp({ testClock: true, rules });
  });
  after(async () => {
    await app.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const clock = (now: string) => app.call("POST", "/v1/admin/clock", { token: "admin", body: { now } });
  const send = (user: TestUser, amount: number, extra: Record<string, unknown> = {}) =>
    app.call("POST", "/v1/red-packets", {
      token: user.token,
      body: { kind: "single", amount, to: extra.to, ...extra },
    });
  const limits = async (user?: TestUser) =>
    (await app.call("GET", "/v1/limits", user === undefined ? {} : { token: user.token })).json();

  it("ships an example rules document the service reads", () => {
    const example = JSON.parse(
      readFileSync(new URL("../../../config/rules.festival-example.json", import.meta.url), "utf8"),
    );
    assert.ok(SpecialDayCalendar.fromJson(example).ok);
    assert.equal(SpecialDayCalendar.fromJson(RULES).ok, true);
  });

  it("switches a festival feature on for its dates only, and raises the day's caps on a special day", async () => {
    await clock("2026-02-16T10:00:00+08:00");
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    await app.deposit(alice.userId, 100_000);
    const during = await limits(alice);
    assert.equal(during.features.passwordPackets, true);
    assert.equal(during.packetsPerDayMax, 5);
    assert.deepEqual(during.today, {
      date: "2026-02-16",
      packetsSent: 0,
      amountSent: 0,
      packetsLeft: 5,
      amountLeft: 5_000,
    });
    const withPassword = await send(alice, 100, { to: bob.userId, password: "恭喜发财" });
    assert.equal(withPassword.statusCode, 201, withPassword.body);
    for (let i = 0; i < 4; i++) assert.equal((await send(alice, 100, { to: bob.userId })).statusCode, 201);
    const sixth = await send(alice, 100, { to: bob.userId });
    assert.equal(sixth.statusCode, 422);
    assert.deepEqual(sixth.json().error.details, { limit: "packetsPerDayMax", max: 5, used: 5 });

    await clock("2026-03-01T10:00:00+08:00");
    const after_ = await limits();
    assert.equal(after_.features.passwordPackets, false);
    assert.equal(after_.today, undefined, "without a token: the rules only");
    const refused = await send(alice, 100, { to: bob.userId, password: "恭喜发财" });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, "FEATURE_OFF");
    assert.deepEqual(refused.json().error.details, { feature: "passwordPackets" });
  });

  it("refuses the packet past a day's count or amount, naming the cap, and moves nothing; the next day starts again", async () => {
    await clock("2026-03-02T10:00:00+08:00");
    const carol = await app.createUser("carol");
    const dave = await app.createUser("dave");
    await app.deposit(carol.userId, 100_000);
    for (let i = 0; i < 3; i++) assert.equal((await send(carol, 100, { to: dave.userId })).statusCode, 201);
    const wallet = async () => (await app.call("GET", "/v1/me/wallet", { token: carol.token })).json().balance;
    const before_ = await wallet();
    const fourth = await send(carol, 100, { to: dave.userId });
    assert.equal(fourth.statusCode, 422);
    assert.equal(fourth.json().error.code, "DAILY_LIMIT_REACHED");
    assert.deepEqual(fourth.json().error.details, { limit: "packetsPerDayMax", max: 3, used: 3 });
    assert.equal(await wallet(), before_, "a refusal moves nothing");
    assert.deepEqual((await limits(carol)).today, {
      date: "2026-03-02",
      packetsSent: 3,
      amountSent: 300,
      packetsLeft: 0,
      amountLeft: 700,
    });
    await clock("2026-03-03T10:00:00+08:00");
    assert.equal((await send(carol, 800, { to: dave.userId })).statusCode, 201, "a new day, new counts");
    const over = await send(carol, 201, { to: dave.userId });
    assert.equal(over.statusCode, 422);
    assert.deepEqual(over.json().error.details, { limit: "packetAmountPerDayMax", max: 1_000, used: 800 });
    assert.equal((await send(carol, 200, { to: dave.userId })).statusCode, 201, "exactly the cap is allowed");
    assert.equal(await app.balanceSum(), 0);
  });
});

describe("per-day counts across a restart", () => {
  it("counts the day's packets from the store after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-daily-restart-"));
    const rules = join(dir, "rules.json");
    writeFileSync(rules, JSON.stringify(RULES));
    // The real clock: a restart finds the same day.
    let app = await startTestApp({ dir, rules });
    try {
      const erin = await app.createUser("erin");
      const frank = await app.createUser("frank");
      await app.deposit(erin.userId, 10_000);
      const send = () =>
        app.call("POST", "/v1/red-packets", {
          token: erin.token,
          body: { kind: "single", amount: 10, to: frank.userId },
        });
      for (let i = 0; i < 3; i++) assert.equal((await send()).statusCode, 201);
      await app.close();
      app = await startTestApp({ dir, rules });
      const fourth = await send();
      assert.equal(fourth.statusCode, 422, fourth.body);
      assert.equal(fourth.json().error.details.limit, "packetsPerDayMax");
    } finally {
      await app.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
