import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { ADMIN_TOKEN, startTestApp, type TestApp, type TestUser } from "../support/harness.js";

/**
 * Idempotency-Key over HTTP: the same key and body answer the first answer again (status and
 * body), once, however many arrive together; another body is 409; keys belong to their caller;
 * answers outlive a restart.
 */

interface Keyed {
  readonly token: string;
  readonly key?: string;
  /** An object is sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
}

function post(app: TestApp, url: string, { token, key, body }: Keyed): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${token === "admin" ? ADMIN_TOKEN : token}` };
  if (key !== undefined) headers["idempotency-key"] = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  return app.app.inject({
    method: "POST",
    url,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

async function balance(app: TestApp, user: TestUser): Promise<number> {
  const response = await app.call("GET", "/v1/me/wallet", { token: user.token });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().balance;
}

async function statementKinds(app: TestApp, user: TestUser): Promise<string[]> {
  return (await app.context.store.statement(user.userId, null, 10_000)).map((entry) => entry.kind);
}

/** Rows in the transfers table sent by a user, read straight from the database. */
function transfersFrom(app: TestApp, user: TestUser): Promise<{ id: string; status: string }[]> {
  return app.query("SELECT id, status FROM transfers WHERE from_user = ? ORDER BY id", user.userId);
}

function assertSameAnswers(responses: readonly LightMyRequestResponse[]): void {
  const first = responses[0] as LightMyRequestResponse;
  for (const [i, response] of responses.entries()) {
    assert.equal(response.statusCode, first.statusCode, `response ${i}: ${response.body}`);
    assert.equal(response.body, first.body, `response ${i}`);
    assert.match(String(response.headers["content-type"]), /^application\/json/);
  }
}

function errorCode(response: LightMyRequestResponse): string {
  return response.json().error.code;
}

describe("Idempotency-Key", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.dispose();
  });

  it("50 concurrent transfers with one key and one body: one transfer, one posting, one answer for all", async () => {
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    await app.deposit(alice.userId, 100_000);
    const body = { to: bob.userId, amount: 1314, memo: "七夕快乐" };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(app, "/v1/transfers", { token: alice.token, key: "qixi-1314", body })),
    );
    assertSameAnswers(responses);
    const first = responses[0] as LightMyRequestResponse;
    assert.equal(first.statusCode, 201, first.body);
    const transfer = first.json();
    assert.match(transfer.id, /^tr_[0-9a-f]{20}$/);
    assert.equal(transfer.amount, 1314);

    assert.deepEqual(await transfersFrom(app, alice), [{ id: transfer.id, status: "pending" }]);
    assert.equal((await app.context.store.postingsOf(transfer.id)).length, 1);
    assert.deepEqual(await statementKinds(app, alice), ["transfer.send", "deposit"]);
    assert.equal(await balance(app, alice), 100_000 - 1314);
    assert.equal(await app.balanceSum(), 0);

    // A late retry, after the first is durable, is answered from the store: still the same.
    const late = await post(app, "/v1/transfers", { token: alice.token, key: "qixi-1314", body });
    assertSameAnswers([first, late]);
    assert.deepEqual((await transfersFrom(app, alice)).length, 1);
    assert.equal(await balance(app, alice), 100_000 - 1314);
  });

  it("the same key with another body is 409 IDEMPOTENCY_KEY_REUSED and moves nothing", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    const carol = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const first = await post(app, "/v1/transfers", {
      token: alice.token,
      key: "reuse-me",
      body: { to: bob.userId, amount: 100 },
    });
    assert.equal(first.statusCode, 201, first.body);
    const others = [
      { to: bob.userId, amount: 101 },
      { to: carol.userId, amount: 100 },
      { to: bob.userId, amount: 100, memo: "借你的" },
      { to: bob.userId, amount: 100, nature: "gift" },
    ];
    for (const body of others) {
      const reused = await post(app, "/v1/transfers", { token: alice.token, key: "reuse-me", body });
      assert.equal(reused.statusCode, 409, reused.body);
      assert.equal(errorCode(reused), "IDEMPOTENCY_KEY_REUSED");
    }
    // The same key on another route is another request too.
    const elsewhere = await post(app, `/v1/transfers/${first.json().id}/decline`, {
      token: alice.token,
      key: "reuse-me",
    });
    assert.equal(elsewhere.statusCode, 409, elsewhere.body);
    assert.equal(errorCode(elsewhere), "IDEMPOTENCY_KEY_REUSED");
    // And the first answer is still what the first body gets.
    assertSameAnswers([
      first,
      await post(app, "/v1/transfers", { token: alice.token, key: "reuse-me", body: { to: bob.userId, amount: 100 } }),
    ]);
    assert.equal((await transfersFrom(app, alice)).length, 1);
    assert.equal(await balance(app, alice), 9_900);
  });

  it("two bodies racing on one key: one wins and is answered to its senders, the other gets 409", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const bodyA = { to: bob.userId, amount: 111 };
    const bodyB = { to: bob.userId, amount: 222 };
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(app, "/v1/transfers", { token: alice.token, key: "race", body: i % 2 === 0 ? bodyA : bodyB }),
      ),
    );
    const created = responses.filter((r) => r.statusCode === 201);
    const refused = responses.filter((r) => r.statusCode !== 201);
    assert.ok(created.length >= 1, "one body wins");
    assertSameAnswers(created);
    const won = (created[0] as LightMyRequestResponse).json().amount as number;
    for (const r of refused) {
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(errorCode(r), "IDEMPOTENCY_KEY_REUSED");
    }
    assert.equal(created.length, 20, "every sender of the winning body gets the answer");
    assert.equal((await transfersFrom(app, alice)).length, 1);
    assert.equal(await balance(app, alice), 10_000 - won);
  });

  it("keys belong to their caller: two users may use the same key, even with the same body", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    const carol = await app.createUser();
    await app.deposit(alice.userId, 5_000);
    await app.deposit(bob.userId, 5_000);
    const body = { to: carol.userId, amount: 520 };
    const [fromAlice, fromBob] = await Promise.all([
      post(app, "/v1/transfers", { token: alice.token, key: "shared-key", body }),
      post(app, "/v1/transfers", { token: bob.token, key: "shared-key", body }),
    ]);
    assert.equal(fromAlice?.statusCode, 201, fromAlice?.body);
    assert.equal(fromBob?.statusCode, 201, fromBob?.body);
    assert.equal(fromAlice?.json().from, alice.userId);
    assert.equal(fromBob?.json().from, bob.userId);
    assert.notEqual(fromAlice?.json().id, fromBob?.json().id);
    assert.equal(await balance(app, alice), 4_480);
    assert.equal(await balance(app, bob), 4_480);
    // Another body under bob's key is refused for bob only; alice's key is untouched.
    const bobReuse = await post(app, "/v1/transfers", {
      token: bob.token,
      key: "shared-key",
      body: { to: carol.userId, amount: 1 },
    });
    assert.equal(bobReuse.statusCode, 409);
    assertSameAnswers([
      fromAlice as LightMyRequestResponse,
      await post(app, "/v1/transfers", { token: alice.token, key: "shared-key", body }),
    ]);
    // The admin's keys are the admin's: the same key string deposits for the admin.
    const deposit = await post(app, "/v1/admin/deposits", {
      token: "admin",
      key: "shared-key",
      body: { userId: carol.userId, amount: 1_000 },
    });
    assert.equal(deposit.statusCode, 201, deposit.body);
    assert.equal(await balance(app, carol), 1_000);
    // Carol has never used the key: her accept with it runs.
    const accepted = await post(app, `/v1/transfers/${fromAlice?.json().id}/accept`, {
      token: carol.token,
      key: "shared-key",
    });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal(await balance(app, carol), 1_520);
    assert.equal(await app.balanceSum(), 0);
  });

  it("50 concurrent accepts with one key: one accept posting, one answer for all, replayed later", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const sent = await post(app, "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 2_000 } });
    assert.equal(sent.statusCode, 201, sent.body);
    const id = sent.json().id as string;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(app, `/v1/transfers/${id}/accept`, { token: bob.token, key: "take-it" })),
    );
    assertSameAnswers(responses);
    const first = responses[0] as LightMyRequestResponse;
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().status, "accepted");
    assert.deepEqual(
      (await app.context.store.postingsOf(id)).map((p) => p.kind),
      ["transfer.send", "transfer.accept"],
    );
    assert.equal(await balance(app, bob), 2_000);
    assert.deepEqual(await statementKinds(app, bob), ["transfer.accept"]);

    // The transfer is no longer pending, yet the same key still gets the first answer.
    assertSameAnswers([first, await post(app, `/v1/transfers/${id}/accept`, { token: bob.token, key: "take-it" })]);
    // A new key, or none, gets the truth of now.
    for (const key of ["another-key", undefined]) {
      const again = await post(app, `/v1/transfers/${id}/accept`, {
        token: bob.token,
        ...(key === undefined ? {} : { key }),
      });
      assert.equal(again.statusCode, 409, again.body);
      assert.equal(errorCode(again), "TRANSFER_NOT_PENDING");
    }
    // The key answers accept of this transfer only: decline, or another transfer, is another request.
    const decline = await post(app, `/v1/transfers/${id}/decline`, { token: bob.token, key: "take-it" });
    assert.equal(decline.statusCode, 409);
    assert.equal(errorCode(decline), "IDEMPOTENCY_KEY_REUSED");
    assert.equal(await balance(app, bob), 2_000);
    assert.equal(await app.balanceSum(), 0);
  });

  it("50 concurrent accepts without a key: exactly one is accepted, the rest are 409", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const id = (
      await post(app, "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 3_000 } })
    ).json().id;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(app, `/v1/transfers/${id}/accept`, { token: bob.token })),
    );
    assert.equal(responses.filter((r) => r.statusCode === 200).length, 1);
    for (const r of responses.filter((x) => x.statusCode !== 200)) {
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(errorCode(r), "TRANSFER_NOT_PENDING");
    }
    assert.equal(await balance(app, bob), 3_000);
    assert.equal(await app.balanceSum(), 0);
  });

  it("50 concurrent admin deposits with one key: one deposit; another body is 409", async () => {
    const carol = await app.createUser();
    const body = { userId: carol.userId, amount: 5_000 };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(app, "/v1/admin/deposits", { token: "admin", key: "topup-1", body })),
    );
    assertSameAnswers(responses);
    const first = responses[0] as LightMyRequestResponse;
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual(first.json(), { userId: carol.userId, amount: 5_000, balance: 5_000 });
    assert.equal(await balance(app, carol), 5_000);
    assert.deepEqual(await statementKinds(app, carol), ["deposit"]);

    const reused = await post(app, "/v1/admin/deposits", {
      token: "admin",
      key: "topup-1",
      body: { userId: carol.userId, amount: 5_001 },
    });
    assert.equal(reused.statusCode, 409);
    assert.equal(errorCode(reused), "IDEMPOTENCY_KEY_REUSED");
    // A later deposit under a new key moves the balance; the old key still answers its first answer.
    assert.equal(
      (await post(app, "/v1/admin/deposits", { token: "admin", key: "topup-2", body })).json().balance,
      10_000,
    );
    assertSameAnswers([first, await post(app, "/v1/admin/deposits", { token: "admin", key: "topup-1", body })]);
    assert.equal(await balance(app, carol), 10_000);
    assert.equal(await app.balanceSum(), 0);
  });

  it("creating a user with a key twice creates one user and answers the same token", async () => {
    const body = { phone: "+8613800138000", name: "dora" };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post(app, "/v1/admin/users", { token: "admin", key: "new-dora", body })),
    );
    assertSameAnswers(responses);
    const first = responses[0] as LightMyRequestResponse;
    assert.equal(first.statusCode, 201, first.body);
    assert.equal((await app.context.store.userByPhone(body.phone))?.id, first.json().userId);
    const again = await post(app, "/v1/admin/users", { token: "admin", body });
    assert.equal(again.statusCode, 409);
    assert.equal(errorCode(again), "PHONE_TAKEN");
  });

  it("a stored error answer is answered again for its key, even once it would succeed", async () => {
    const alice = await app.createUser();
    const carol = await app.createUser();
    const body = { to: alice.userId, amount: 500 };
    const poor = await post(app, "/v1/transfers", { token: carol.token, key: "too-early", body });
    assert.equal(poor.statusCode, 422, poor.body);
    assert.equal(errorCode(poor), "INSUFFICIENT_FUNDS");
    await app.deposit(carol.userId, 1_000);
    const retries = await Promise.all(
      Array.from({ length: 10 }, () => post(app, "/v1/transfers", { token: carol.token, key: "too-early", body })),
    );
    assertSameAnswers([poor, ...retries]);
    assert.equal(await balance(app, carol), 1_000);
    assert.equal((await transfersFrom(app, carol)).length, 0);
    // Another body under the key is still 409, and a new key sends.
    const reused = await post(app, "/v1/transfers", {
      token: carol.token,
      key: "too-early",
      body: { to: alice.userId, amount: 400 },
    });
    assert.equal(errorCode(reused), "IDEMPOTENCY_KEY_REUSED");
    const sent = await post(app, "/v1/transfers", { token: carol.token, key: "later", body });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal(await balance(app, carol), 500);

    // Same for a rule broken (above the cap): the 422 is the key's answer.
    const tooMuch = { to: alice.userId, amount: 5_000_001 };
    const capped = await post(app, "/v1/transfers", { token: carol.token, key: "above-cap", body: tooMuch });
    assert.equal(errorCode(capped), "AMOUNT_ABOVE_MAX");
    assertSameAnswers([
      capped,
      await post(app, "/v1/transfers", { token: carol.token, key: "above-cap", body: tooMuch }),
    ]);
  });

  it("a key first answered with a refusal of an accept is not free for another request", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const id = (await post(app, "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 700 } })).json()
      .id;
    // Alice may not accept her own transfer: that is the first answer for her key.
    const refused = await post(app, `/v1/transfers/${id}/accept`, { token: alice.token, key: "alice-k" });
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(errorCode(refused), "NOT_RECIPIENT");
    assertSameAnswers([refused, await post(app, `/v1/transfers/${id}/accept`, { token: alice.token, key: "alice-k" })]);
    // The same key with another request must be 409, not run.
    const other = await post(app, "/v1/transfers", {
      token: alice.token,
      key: "alice-k",
      body: { to: bob.userId, amount: 1 },
    });
    assert.equal(other.statusCode, 409, `same key, another request: ${other.statusCode} ${other.body}`);
    assert.equal(errorCode(other), "IDEMPOTENCY_KEY_REUSED");
    assert.equal(await balance(app, alice), 9_300);
  });

  it("body key order and whitespace do not matter", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const texts = [
      `{"to":"${bob.userId}","amount":999,"memo":"送你","nature":"gift"}`,
      `{"nature":"gift","memo":"送你","amount":999,"to":"${bob.userId}"}`,
      `{ "amount" : 999 ,\n "to" : "${bob.userId}", "nature":"gift", "memo":"\\u9001\\u4f60" }`,
    ];
    const responses = [];
    for (const text of texts)
      responses.push(await post(app, "/v1/transfers", { token: alice.token, key: "order", body: text }));
    assertSameAnswers(responses);
    assert.equal(responses[0]?.statusCode, 201, responses[0]?.body);
    assert.equal((await transfersFrom(app, alice)).length, 1);
    assert.equal(await balance(app, alice), 9_001);
  });
});

describe("Idempotency-Key across a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "hongbao-idem-restart-"));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a replay after a restart on the same database with the first answer", async () => {
    const first = await startTestApp({ dir });
    let alice: TestUser;
    let bob: TestUser;
    let sent: LightMyRequestResponse;
    let accepted: LightMyRequestResponse;
    let deposit: LightMyRequestResponse;
    let refused: LightMyRequestResponse;
    const transferBody = () => ({ to: bob.userId, amount: 5_20, memo: "520" });
    try {
      alice = await first.createUser("alice");
      bob = await first.createUser("bob");
      deposit = await post(first, "/v1/admin/deposits", {
        token: "admin",
        key: "restart-deposit",
        body: { userId: alice.userId, amount: 10_000 },
      });
      assert.equal(deposit.statusCode, 201, deposit.body);
      sent = await post(first, "/v1/transfers", { token: alice.token, key: "restart-send", body: transferBody() });
      assert.equal(sent.statusCode, 201, sent.body);
      accepted = await post(first, `/v1/transfers/${sent.json().id}/accept`, {
        token: bob.token,
        key: "restart-accept",
      });
      assert.equal(accepted.statusCode, 200, accepted.body);
      refused = await post(first, "/v1/transfers", {
        token: bob.token,
        key: "restart-refused",
        body: { to: alice.userId, amount: 9_999 },
      });
      assert.equal(errorCode(refused), "INSUFFICIENT_FUNDS");
    } finally {
      await first.dispose();
    }

    const second = await startTestApp({ dir });
    try {
      const replays = await Promise.all([
        post(second, "/v1/admin/deposits", {
          token: "admin",
          key: "restart-deposit",
          body: { userId: alice.userId, amount: 10_000 },
        }),
        post(second, "/v1/transfers", { token: alice.token, key: "restart-send", body: transferBody() }),
        post(second, `/v1/transfers/${sent.json().id}/accept`, { token: bob.token, key: "restart-accept" }),
        post(second, "/v1/transfers", {
          token: bob.token,
          key: "restart-refused",
          body: { to: alice.userId, amount: 9_999 },
        }),
      ]);
      assertSameAnswers([deposit, replays[0] as LightMyRequestResponse]);
      assertSameAnswers([sent, replays[1] as LightMyRequestResponse]);
      assertSameAnswers([accepted, replays[2] as LightMyRequestResponse]);
      assertSameAnswers([refused, replays[3] as LightMyRequestResponse]);
      const reused = await post(second, "/v1/transfers", {
        token: alice.token,
        key: "restart-send",
        body: { to: bob.userId, amount: 1 },
      });
      assert.equal(reused.statusCode, 409);
      assert.equal(errorCode(reused), "IDEMPOTENCY_KEY_REUSED");
      assert.equal(await balance(second, alice), 10_000 - 520);
      assert.equal(await balance(second, bob), 520);
      assert.equal((await transfersFrom(second, alice)).length, 1);
      assert.equal(await second.balanceSum(), 0);
    } finally {
      await second.dispose();
    }
  });
});

describe("Idempotency-Key retention", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ testClock: true });
  });
  after(async () => {
    await app.dispose();
  });

  it("keeps a key's answer for at least 24 h by the clock", async () => {
    const clock = app.context.testClock;
    assert.ok(clock !== undefined);
    const start = Date.parse("2026-05-20T09:00:00+08:00");
    clock.set(start);
    const carol = await app.createUser();
    const body = { userId: carol.userId, amount: 1_000 };
    const first = await post(app, "/v1/admin/deposits", { token: "admin", key: "keep-me", body });
    assert.equal(first.statusCode, 201, first.body);
    for (const hours of [1, 12, 24, 25]) {
      clock.set(start + hours * 3_600_000);
      // Other work runs batches in which old keys are forgotten.
      await app.deposit(carol.userId, 1);
      assertSameAnswers([first, await post(app, "/v1/admin/deposits", { token: "admin", key: "keep-me", body })]);
    }
    assert.equal(await balance(app, carol), 1_004);
  });
});
