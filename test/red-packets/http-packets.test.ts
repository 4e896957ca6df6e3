import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

const run = promisify(execFile);
const CLI = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../src/cli/main.js");

async function verifyCli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, "verify-packet", ...args]);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

describe("red packets over HTTP", () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let outsider: TestUser;
  let groupId: string;
  let openPacket: string;

  before(async () => {
    app = await startTestApp({ testClock: true });
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-03-03T10:00:00+08:00" } });
    [alice, bob, carol, outsider] = [
      await app.createUser(),
      await app.createUser(),
      await app.createUser(),
      await app.createUser(),
    ];
    await app.deposit(alice.userId, 1_000_000);
    const group = await app.call("POST", "/v1/groups", {
      token: alice.token,
      body: { name: "室友", memberIds: [bob.userId, carol.userId] },
    });
    assert.equal(group.statusCode, 201, group.body);
    groupId = group.json().id;
    const sent = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "lucky", amount: 500, count: 2, groupId },
    });
    openPacket = sent.json().id;
  });
  after(async () => {
    await app.dispose();
  });

  it("refuses bad packets and bad grabs with their codes and changes nothing", async () => {
    const exclusive = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "exclusive", amount: 100, groupId, memberId: carol.userId },
    });
    assert.equal(exclusive.statusCode, 201);
    const locked = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "lucky", amount: 300, count: 3, groupId, password: "芝麻开门" },
    });
    const snapshot = async () => ({
      alice: (await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance,
      escrow: await app.context.store.balance("escrow"),
      entries: (await app.context.store.statement(alice.userId, null, 1000)).length,
    });
    const before = await snapshot();
    const cases: [string, string, TestUser, unknown, number, string][] = [
      [
        "wrong kind",
        "/v1/red-packets",
        alice,
        { kind: "huge", amount: 100, count: 1, groupId },
        400,
        "VALIDATION_FAILED",
      ],
      ["count 0", "/v1/red-packets", alice, { kind: "lucky", amount: 100, count: 0, groupId }, 422, "BAD_SPLIT"],
      ["count 101", "/v1/red-packets", alice, { kind: "lucky", amount: 10_100, count: 101, groupId }, 422, "BAD_SPLIT"],
      [
        "share below 1 fen",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 99, count: 100, groupId },
        422,
        "AMOUNT_BELOW_MIN",
      ],
      [
        "share above the cap",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 40_001, count: 2, groupId },
        422,
        "AMOUNT_ABOVE_MAX",
      ],
      [
        "equal that does not divide",
        "/v1/red-packets",
        alice,
        { kind: "equal", amount: 100, count: 3, groupId },
        422,
        "BAD_SPLIT",
      ],
      [
        "single above 20 000 fen",
        "/v1/red-packets",
        alice,
        { kind: "single", amount: 20_001, to: bob.userId },
        422,
        "AMOUNT_ABOVE_MAX",
      ],
      [
        "single of 0 fen",
        "/v1/red-packets",
        alice,
        { kind: "single", amount: 0, to: bob.userId },
        422,
        "AMOUNT_BELOW_MIN",
      ],
      [
        "single to oneself",
        "/v1/red-packets",
        alice,
        { kind: "single", amount: 100, to: alice.userId },
        422,
        "SELF_TRANSFER",
      ],
      ["single without to", "/v1/red-packets", alice, { kind: "single", amount: 100 }, 400, "VALIDATION_FAILED"],
      [
        "group packet without group",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 100, count: 2 },
        400,
        "VALIDATION_FAILED",
      ],
      [
        "unknown group",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 100, count: 2, groupId: "grp_00000000000000000000" },
        404,
        "GROUP_NOT_FOUND",
      ],
      [
        "outsider sends to the group",
        "/v1/red-packets",
        outsider,
        { kind: "lucky", amount: 100, count: 2, groupId },
        403,
        "NOT_A_MEMBER",
      ],
      [
        "exclusive to a non-member",
        "/v1/red-packets",
        alice,
        { kind: "exclusive", amount: 100, groupId, memberId: outsider.userId },
        403,
        "NOT_A_MEMBER",
      ],
      [
        "exclusive with two shares",
        "/v1/red-packets",
        alice,
        { kind: "exclusive", amount: 100, count: 2, groupId, memberId: bob.userId },
        422,
        "BAD_SPLIT",
      ],
      [
        "fractional amount",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 100.5, count: 2, groupId },
        400,
        "VALIDATION_FAILED",
      ],
      [
        "greeting of 101 characters",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 100, count: 2, groupId, greeting: "福".repeat(101) },
        422,
        "MEMO_TOO_LONG",
      ],
      [
        "unknown field",
        "/v1/red-packets",
        alice,
        { kind: "lucky", amount: 100, count: 2, groupId, colour: "red" },
        400,
        "VALIDATION_FAILED",
      ],
      [
        "more than the wallet holds",
        "/v1/red-packets",
        bob,
        { kind: "lucky", amount: 100, count: 2, groupId },
        422,
        "INSUFFICIENT_FUNDS",
      ],
      ["non-member grab", `/v1/red-packets/${openPacket}/grab`, outsider, {}, 403, "NOT_A_MEMBER"],
      [
        "wrong password",
        `/v1/red-packets/${locked.json().id}/grab`,
        bob,
        { password: "芝麻关门" },
        403,
        "WRONG_PASSWORD",
      ],
      ["missing password", `/v1/red-packets/${locked.json().id}/grab`, bob, {}, 403, "WRONG_PASSWORD"],
      ["unknown packet", "/v1/red-packets/rp_00000000000000000000/grab", bob, {}, 404, "PACKET_NOT_FOUND"],
      ["malformed packet id", "/v1/red-packets/rp_zz/grab", bob, {}, 400, "VALIDATION_FAILED"],
      [
        "exclusive grabbed by another member",
        `/v1/red-packets/${exclusive.json().id}/grab`,
        bob,
        {},
        403,
        "NOT_FOR_YOU",
      ],
      [
        "grab with an unknown field",
        `/v1/red-packets/${openPacket}/grab`,
        bob,
        { amount: 1 },
        400,
        "VALIDATION_FAILED",
      ],
    ];
    for (const [name, url, user, body, status, code] of cases) {
      const response = await app.call("POST", url, { token: user.token, body });
      assert.equal(response.statusCode, status, `${name}: ${response.body}`);
      assert.equal(response.json().error.code, code, name);
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal(await app.balanceSum(), 0);
  });

  it("hides shares until finished, then reveals them; verify-packet checks them from a file", async () => {
    const sent = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "lucky", amount: 1314, count: 2, groupId },
    });
    const id = sent.json().id;
    assert.equal(sent.json().shares, undefined);
    assert.match(sent.json().commitment, /^[0-9a-f]{64}$/);
    await app.call("POST", `/v1/red-packets/${id}/grab`, { token: bob.token });
    const midway = (await app.call("GET", `/v1/red-packets/${id}`, { token: carol.token })).json();
    assert.equal(midway.remaining, 1);
    assert.equal(midway.shares, undefined);
    assert.equal(midway.luckyKing, null);
    await app.call("POST", `/v1/red-packets/${id}/grab`, { token: carol.token });
    const done = (await app.call("GET", `/v1/red-packets/${id}`, { token: bob.token })).json();
    assert.equal(done.status, "finished");
    assert.equal(done.shares.length, 2);
    assert.equal(done.salt.length, 64);
    assert.ok(done.luckyKing);
    assert.equal((await app.call("GET", `/v1/red-packets/${id}`, { token: outsider.token })).statusCode, 404);
    const file = join(app.dir, "packet.json");
    writeFileSync(file, JSON.stringify(done));
    const good = await verifyCli(file);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /^holds/);
    writeFileSync(file, JSON.stringify({ ...done, shares: [done.shares[0] + 1, done.shares[1] - 1] }));
    const bad = await verifyCli(file);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /DOES NOT HOLD/);
    writeFileSync(
      file,
      JSON.stringify({ ...done, salt: `${done.salt.slice(0, -1)}${done.salt.endsWith("0") ? "1" : "0"}` }),
    );
    assert.equal((await verifyCli(file)).code, 1);
  });

  it("sends a single packet that only its recipient opens, and shows packets in the statement", async () => {
    const sent = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "single", amount: 520, to: bob.userId, greeting: "我爱你" },
    });
    assert.equal(sent.statusCode, 201);
    const id = sent.json().id;
    assert.equal(
      (await app.call("POST", `/v1/red-packets/${id}/grab`, { token: carol.token })).json().error.code,
      "NOT_FOR_YOU",
    );
    const grabbed = await app.call("POST", `/v1/red-packets/${id}/grab`, { token: bob.token });
    assert.equal(grabbed.json().amount, 520);
    assert.equal(
      (await app.call("POST", `/v1/red-packets/${id}/grab`, { token: bob.token })).json().error.code,
      "ALREADY_GRABBED",
    );
    const statement = (await app.call("GET", "/v1/me/statement?limit=1", { token: bob.token })).json();
    assert.deepEqual(
      [statement.items[0].kind, statement.items[0].ref, statement.items[0].amount],
      ["packet.grab", id, 520],
    );
  });

  it("refunds a half-grabbed packet at 24 h once; a grab after that gets EXPIRED", async () => {
    const sent = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "equal", amount: 300, count: 3, groupId },
    });
    const id = sent.json().id;
    await app.call("POST", `/v1/red-packets/${id}/grab`, { token: bob.token });
    const wallet = (await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance;
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-03-04T10:00:00.000+08:00" } });
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-03-05T10:00:00.000+08:00" } });
    const view = (await app.call("GET", `/v1/red-packets/${id}`, { token: alice.token })).json();
    assert.equal(view.status, "expired");
    assert.equal(view.shares.length, 3);
    // Every packet Alice left open expired with this one: 200 back from it, 900 from the others.
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance, wallet + 200 + 900);
    const postings = await app.context.store.postingsOf(id);
    assert.deepEqual(
      postings.map((posting) => [posting.kind, posting.legs[1]?.amount]),
      [
        ["packet.send", 300],
        ["packet.grab", 100],
        ["packet.refund", 200],
      ],
    );
    const late = await app.call("POST", `/v1/red-packets/${id}/grab`, { token: carol.token });
    assert.equal(late.statusCode, 410);
    assert.equal(late.json().error.code, "EXPIRED");
    assert.equal(await app.context.store.balance("escrow"), 0);
  });
});
