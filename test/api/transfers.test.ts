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
    assert.deepEqual(transfer.natureHints, []);
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance, 8686);
    const accepted = await app.call("POST", `/v1/transfers/${transfer.id}/accept`, { token: bob.token });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(accepted.json().status, "accepted");
    assert.equal((await app.call("GET", "/v1/me/wallet", { token: bob.token })).json().balance, 1314);
    assert.equal(await app.balanceSum(), 0);
  });
});
