import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../support/harness.js";

describe("transfers over HTTP", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ testClock: true });
  });
  after(async () => {
    await app.dispose();
  });

  it("moves money sender → escrow → recipient on accept", async () => {
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    await app.deposit(alice.userId, 10_000);
    const sent = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: bob.userId, amount: 1314, memo: "七夕快乐" },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    const transfer = sent.json();
    assert.equal(transfer.status, "pending");
    assert.equal(transfer.amount, 1314);
    assert.deepEqual(
      transfer.natureHints.map((hint: { nature: string }) => hint.nature),
      ["gift", "gift"],
      "13.14 yuan and 七夕快乐 both read as a gift",
    );
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance, 8686);
    const accepted = await app.call("POST", `/v1/transfers/${transfer.id}/accept`, { token: bob.token });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().status, "accepted");
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: bob.token })).json().balance, 1314);
    assert.equal(await app.balanceSum(), 0);
  });
});

describe("transfers and the test clock", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ testClock: true });
  });
  after(async () => {
    await app.dispose();
  });

  it("sends an unanswered transfer back at 24 h by the test clock, once", async () => {
    const start = "2026-05-20T09:00:00.000+08:00";
    assert.equal((await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: start } })).statusCode, 200);
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 5_000);
    const sent = await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 520 } });
    const transfer = sent.json();
    assert.equal(transfer.refundAt, "2026-05-21T09:00:00.000+08:00");
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-05-21T08:59:59.999+08:00" } });
    assert.equal(
      (await app.call("GET", `/v1/transfers/${transfer.id}`, { token: bob.token })).json().status,
      "pending",
    );
    const moved = await app.call("POST", "/v1/admin/clock", {
      token: "admin",
      body: { now: "2026-05-21T09:00:00.000+08:00" },
    });
    assert.equal(moved.json().now, "2026-05-21T09:00:00.000+08:00");
    const refunded = (await app.call("GET", `/v1/transfers/${transfer.id}`, { token: alice.token })).json();
    assert.equal(refunded.status, "refunded");
    assert.equal(refunded.answeredAt, "2026-05-21T09:00:00.000+08:00");
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-06-01T00:00:00+08:00" } });
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance, 5_000);
    const late = await app.call("POST", `/v1/transfers/${transfer.id}/accept`, { token: bob.token });
    assert.equal(late.statusCode, 409);
    assert.equal(late.json().error.code, "TRANSFER_NOT_PENDING");
    assert.deepEqual(late.json().error.details, { status: "refunded" });
    const kinds = (await app.call("GET", "/v1/me/statement", { token: alice.token }))
      .json()
      .items.map((item: { kind: string }) => item.kind);
    assert.deepEqual(kinds, ["transfer.refund", "transfer.send", "deposit"]);
    assert.equal(await app.balanceSum(), 0);
  });

  it("declines back to the sender and pages the statement with running balances", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 1_000);
    for (let i = 1; i <= 5; i++) {
      const sent = await app.call("POST", "/v1/transfers", {
        token: alice.token,
        body: { to: bob.userId, amount: i * 10, nature: "gift" },
      });
      assert.equal(sent.statusCode, 201);
      const declined = await app.call("POST", `/v1/transfers/${sent.json().id}/decline`, { token: bob.token });
      assert.equal(declined.json().status, "declined");
    }
    const seen: { amount: number; balance: number }[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/me/statement?limit=3${cursor === null ? "" : `&cursor=${cursor}`}`;
      const page = (await app.call("GET", url, { token: alice.token })).json();
      assert.ok(page.items.length <= 3);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.equal(seen.length, 11);
    assert.equal(seen[0]?.balance, 1_000);
    const oldestFirst = [...seen].reverse();
    let running = 0;
    for (const item of oldestFirst) {
      running += item.amount;
      assert.equal(item.balance, running);
    }
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: bob.token })).json().balance, 0);
  });
});
