import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_RULE_SET } from "../../src/domain/calendar/index.js";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";
import { EXPECTED_BOUNDARY_ANSWERS, runBoundaries } from "../support/special-day-cases.js";

describe("special days decide the caps at the instant a command is accepted", () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  before(async () => {
    app = await startTestApp({ testClock: true });
    alice = await app.createUser();
    bob = await app.createUser();
    await app.deposit(alice.userId, 1_000_000);
  });
  after(async () => {
    await app.dispose();
  });

  it("answers the rules in force at an instant, and why", async () => {
    const qixi = (await app.call("GET", "/v1/limits?at=2021-08-14T13:14:00%2B08:00")).json();
    assert.deepEqual(qixi.specialDay, { name: "Qixi", date: "2021-08-14" });
    assert.equal(qixi.singlePacketMax, 52_000);
    assert.deepEqual(qixi.reasons, ["Qixi 2021-08-14: single packet cap 52000 fen"]);
    const utcLate = (await app.call("GET", "/v1/limits?at=2021-08-14T16:00:00Z")).json();
    assert.equal(utcLate.specialDay, null, "16:00 UTC is already 00:00 on the 15th in Shanghai");
    const utcEarly = (await app.call("GET", "/v1/limits?at=2021-08-13T16:00:00Z")).json();
    assert.equal(utcEarly.specialDay.name, "Qixi");
  });

  it("accepts 52 000 fen on the last millisecond of a special day and names the cap one millisecond later", async () => {
    const call = async (method: "GET" | "POST", path: string, token: string, body?: unknown) => {
      const response = await app.call(method, path, { token, ...(body === undefined ? {} : { body }) });
      return { status: response.statusCode, body: response.json() };
    };
    assert.deepEqual(await runBoundaries(call, alice.token, bob.userId), EXPECTED_BOUNDARY_ANSWERS);
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-15T00:00:00.000+08:00" } });
    const refused = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "single", amount: 52_000, to: bob.userId },
    });
    assert.match(refused.json().error.message, /at most 20000 fen/);
  });

  it("lists a year's special days", async () => {
    const days = (await app.call("GET", "/v1/special-days?year=2027")).json().days;
    assert.deepEqual(
      days.map((day: { date: string; name: string }) => `${day.date} ${day.name}`),
      ["2027-02-14 Valentine's Day", "2027-05-20 520", "2027-08-08 Qixi"],
    );
  });

  it("ships config/rules.json equal to the built-in rule set", () => {
    const file = JSON.parse(readFileSync(new URL("../../../config/rules.json", import.meta.url), "utf8"));
    assert.deepEqual(file, JSON.parse(JSON.stringify(DEFAULT_RULE_SET)));
  });
});

describe("operators add special days", () => {
  it("takes a new day through the admin API, applies it at once and keeps it across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-days-"));
    try {
      let app = await startTestApp({ dir });
      const rule = {
        name: "店庆",
        kind: "date",
        date: "2027-03-15",
        caps: { singlePacketMax: 30_000, transferMax: 8_000_000 },
      };
      const user = await app.createUser();
      assert.equal(
        (await app.call("POST", "/v1/admin/special-days", { token: user.token, body: rule })).statusCode,
        403,
      );
      const bad = await app.call("POST", "/v1/admin/special-days", { token: "admin", body: { ...rule, caps: {} } });
      assert.equal(bad.statusCode, 400);
      const lunarWithoutDay = await app.call("POST", "/v1/admin/special-days", {
        token: "admin",
        body: { name: "x", kind: "lunar", month: 8, caps: { shareMax: 1 } },
      });
      assert.equal(lunarWithoutDay.statusCode, 400);
      const added = await app.call("POST", "/v1/admin/special-days", { token: "admin", body: rule });
      assert.equal(added.statusCode, 201, added.body);
      const during = (await app.call("GET", "/v1/limits?at=2027-03-15T08:00:00%2B08:00")).json();
      assert.equal(during.singlePacketMax, 30_000);
      assert.equal(during.transferMax, 8_000_000);
      assert.equal(during.specialDay.name, "店庆");
      await app.dispose();
      app = await startTestApp({ dir });
      const afterRestart = (await app.call("GET", "/v1/limits?at=2027-03-15T08:00:00%2B08:00")).json();
      assert.equal(afterRestart.singlePacketMax, 30_000);
      const listed = (await app.call("GET", "/v1/special-days?year=2027"))
        .json()
        .days.map((day: { name: string }) => day.name);
      assert.ok(listed.includes("店庆"));
      await app.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
