import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "../support/harness.js";

/** Withdrawals to the payout rail and a sender's take-back of a transfer, on the real store. */
describe("withdrawals and cancelled transfers over HTTP", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ testClock: true });
  });
  after(async () => {
    await app.dispose();
  });

  const wallet = async (token: string) => (await app.call("GET", "/v1/me/wallet", { token })).json().balance;
  const postings = (ref: string) => app.query<{ kind: string }>("SELECT kind FROM postings WHERE ref = ?", ref);

  it("pays a withdrawal to funding once per Idempotency-Key, and needs a key", async () => {
    const alice = await app.createUser("alice");
    await app.deposit(alice.userId, 10_000);
    const unkeyed = await app.call("POST", "/v1/withdrawals", {
      token: alice.token,
      body: { amount: 100 },
      idempotencyKey: null,
    });
    assert.equal(unkeyed.statusCode, 400);
    assert.equal(unkeyed.json().error.code, "IDEMPOTENCY_KEY_REQUIRED");
    const key = "withdraw-once";
    const first = await app.call("POST", "/v1/withdrawals", {
      token: alice.token,
      body: { amount: 2_500 },
      idempotencyKey: key,
    });
    assert.equal(first.statusCode, 201, first.body);
    const paid = first.json();
    assert.match(paid.id, /^wd_[0-9a-f]{20}$/);
    assert.equal(paid.balance, 7_500);
    assert.equal(paid.status, "paid");
    const again = await app.call("POST", "/v1/withdrawals", {
      token: alice.token,
      body: { amount: 2_500 },
      idempotencyKey: key,
    });
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers["idempotent-replayed"], "true");
    assert.equal(again.json().id, paid.id);
    assert.equal(await wallet(alice.token), 7_500, "the replay moved nothing");
    assert.deepEqual(
      (await postings(paid.id)).map((row) => row.kind),
      ["withdrawal"],
    );
    assert.equal(await app.balanceSum(), 0);
  });

  it("refuses a withdrawal the wallet cannot bear or the caps do not allow, and moves nothing", async () => {
    const bob = await app.createUser("bob");
    await app.deposit(bob.userId, 1_000);
    const tooMuch = await app.call("POST", "/v1/withdrawals", { token: bob.token, body: { amount: 1_001 } });
    assert.equal(tooMuch.statusCode, 422);
    assert.equal(tooMuch.json().error.code, "INSUFFICIENT_FUNDS");
    const zero = await app.call("POST", "/v1/withdrawals", { token: bob.token, body: { amount: 0 } });
    assert.equal(zero.statusCode, 422);
    assert.equal(zero.json().error.code, "AMOUNT_BELOW_MIN");
    await app.deposit(bob.userId, 6_000_000);
    const overCap = await app.call("POST", "/v1/withdrawals", { token: bob.token, body: { amount: 5_000_001 } });
    assert.equal(overCap.statusCode, 422);
    assert.deepEqual(overCap.json().error.details, { cap: "transferMax", limit: 5_000_000 });
    const badBody = await app.call("POST", "/v1/withdrawals", { token: bob.token, body: { amount: "10" } });
    assert.equal(badBody.statusCode, 400);
    assert.equal(await wallet(bob.token), 6_001_000);
    assert.equal(await app.balanceSum(), 0);
  });

  it("gives a cancelled transfer back to its sender at once, once; accept after it is refused", async () => {
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    await app.deposit(alice.userId, 5_000);
    const sent = (
      await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 1_314 } })
    ).json();
    assert.equal(await wallet(alice.token), 3_686);
    const byRecipient = await app.call("POST", `/v1/transfers/${sent.id}/cancel`, { token: bob.token });
    assert.equal(byRecipient.statusCode, 403);
    assert.equal(byRecipient.json().error.code, "NOT_SENDER");
    const key = "cancel-once";
    const cancelled = await app.call("POST", `/v1/transfers/${sent.id}/cancel`, {
      token: alice.token,
      idempotencyKey: key,
    });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json().status, "cancelled");
    assert.equal(await wallet(alice.token), 5_000, "the money is back at once");
    const replay = await app.call("POST", `/v1/transfers/${sent.id}/cancel`, {
      token: alice.token,
      idempotencyKey: key,
    });
    assert.equal(replay.statusCode, 200);
    assert.equal(replay.headers["idempotent-replayed"], "true");
    const twice = await app.call("POST", `/v1/transfers/${sent.id}/cancel`, { token: alice.token });
    assert.equal(twice.statusCode, 409);
    assert.deepEqual(twice.json().error.details, { status: "cancelled" });
    const accept = await app.call("POST", `/v1/transfers/${sent.id}/accept`, { token: bob.token });
    assert.equal(accept.statusCode, 409);
    assert.equal(accept.json().error.code, "TRANSFER_NOT_PENDING");
    assert.deepEqual(accept.json().error.details, { status: "cancelled" });
    assert.equal(await wallet(alice.token), 5_000);
    assert.equal(await wallet(bob.token), 0);
    assert.deepEqual((await postings(sent.id)).map((row) => row.kind).sort(), ["transfer.cancel", "transfer.send"]);
    // The refund timer finds nothing left to refund a day later.
    await app.call("POST", "/v1/admin/clock", {
      token: "admin",
      body: { now: new Date(Date.now() + 2 * 86_400_000).toISOString() },
    });
    assert.deepEqual((await postings(sent.id)).map((row) => row.kind).sort(), ["transfer.cancel", "transfer.send"]);
    assert.equal(await app.balanceSum(), 0);
  });

  it("cannot cancel an accepted transfer", async () => {
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    await app.deposit(alice.userId, 5_000);
    const sent = (
      await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 100 } })
    ).json();
    assert.equal((await app.call("POST", `/v1/transfers/${sent.id}/accept`, { token: bob.token })).statusCode, 200);
    const late = await app.call("POST", `/v1/transfers/${sent.id}/cancel`, { token: alice.token });
    assert.equal(late.statusCode, 409);
    assert.deepEqual(late.json().error.details, { status: "accepted" });
    assert.equal(await wallet(bob.token), 100);
  });
});
