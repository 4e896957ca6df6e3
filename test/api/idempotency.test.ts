import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import {
  ADMIN_TOKEN,
  keyedHeaders,
  movesMoney,
  startTestApp,
  type TestApp,
  type TestUser,
} from "../support/harness.js";

/**
 * Idempotency-Key over HTTP: the same key and body answer the first answer again (status and
 * body), once, however many arrive together; another body is 409; keys belong to their caller;
 * answers outlive a restart.
 */

interface Keyed {
  readonly token: string;
  /** Left out: a fresh key where the route requires one (as the harness does); null: none. */
  readonly key?: string | null;
  /** An object is sent as JSON; a string is sent as it is. */
  readonly body?: unknown;
}

function post(app: TestApp, url: string, { token, key, body }: Keyed): Promise<LightMyRequestResponse> {
  const headers = keyedHeaders("POST", url, key === undefined ? {} : { idempotencyKey: key });
  headers.authorization = `Bearer ${token === "admin" ? ADMIN_TOKEN : token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return app.app.inject({
    method: "POST",
    url,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

/** From the store: a user's read could be shed while a campaign's claims have just been served. */
async function balance(app: TestApp, user: TestUser): Promise<number> {
  return app.context.store.balance(user.userId);
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

  it("a key already answered is replayed to its own body even while another body under it is being refused", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const owner = { to: bob.userId, amount: 111 };
    const other = { to: bob.userId, amount: 222 };
    const first = await post(app, "/v1/transfers", { token: alice.token, key: "owned", body: owner });
    assert.equal(first.statusCode, 201, first.body);
    for (let round = 0; round < 5; round++) {
      // The other body reaches the ledger first and is in flight while the owner's retry arrives.
      const [refused, replayed] = await Promise.all([
        post(app, "/v1/transfers", { token: alice.token, key: "owned", body: other }),
        post(app, "/v1/transfers", { token: alice.token, key: "owned", body: owner }),
      ]);
      assert.equal(refused.statusCode, 409, refused.body);
      assert.equal(errorCode(refused), "IDEMPOTENCY_KEY_REUSED");
      assertSameAnswers([first, replayed]);
    }
    assert.equal((await transfersFrom(app, alice)).length, 1);
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
    // A new key gets the truth of now; no key is refused before it is looked at.
    const again = await post(app, `/v1/transfers/${id}/accept`, { token: bob.token, key: "another-key" });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(errorCode(again), "TRANSFER_NOT_PENDING");
    const keyless = await post(app, `/v1/transfers/${id}/accept`, { token: bob.token, key: null });
    assert.equal(keyless.statusCode, 400, keyless.body);
    assert.equal(errorCode(keyless), "IDEMPOTENCY_KEY_REQUIRED");
    // The key answers accept of this transfer only: decline, or another transfer, is another request.
    const decline = await post(app, `/v1/transfers/${id}/decline`, { token: bob.token, key: "take-it" });
    assert.equal(decline.statusCode, 409);
    assert.equal(errorCode(decline), "IDEMPOTENCY_KEY_REUSED");
    assert.equal(await balance(app, bob), 2_000);
    assert.equal(await app.balanceSum(), 0);
  });

  it("50 concurrent accepts, each with its own key: exactly one is accepted, the rest are 409", async () => {
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

describe("Idempotency-Key is required where money moves", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.dispose();
  });

  /** What a keyless request could have touched: the ledger, the transfers and the stored keys. */
  async function counts(): Promise<Record<string, number>> {
    const tables = ["postings", "entries", "transfers", "red_packets", "campaigns", "idempotency"];
    const counted: Record<string, number> = {};
    for (const table of tables) {
      const rows = await app.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      counted[table] = Number(rows[0]?.n);
    }
    return counted;
  }

  it("a deposit and a transfer retried without a key are refused each time and move nothing", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const before_ = await counts();
    for (let attempt = 0; attempt < 2; attempt++) {
      const deposit = await post(app, "/v1/admin/deposits", {
        token: "admin",
        key: null,
        body: { userId: alice.userId, amount: 5_000 },
      });
      assert.equal(deposit.statusCode, 400, deposit.body);
      assert.deepEqual(deposit.json(), {
        error: {
          code: "IDEMPOTENCY_KEY_REQUIRED",
          message:
            "this request moves money: send an Idempotency-Key header (1 to 255 printable ASCII characters) and reuse it on a retry",
        },
      });
      const transfer = await post(app, "/v1/transfers", {
        token: alice.token,
        key: null,
        body: { to: bob.userId, amount: 1_314 },
      });
      assert.equal(transfer.statusCode, 400, transfer.body);
      assert.equal(errorCode(transfer), "IDEMPOTENCY_KEY_REQUIRED");
    }
    assert.deepEqual(await counts(), before_);
    assert.equal(await balance(app, alice), 10_000);
    assert.equal(await balance(app, bob), 0);
  });

  it("is checked after the token and before the body: a bad body without a key is IDEMPOTENCY_KEY_REQUIRED", async () => {
    const alice = await app.createUser();
    const noToken = await app.app.inject({ method: "POST", url: "/v1/transfers", payload: { amount: 1 } });
    assert.equal(noToken.statusCode, 401, noToken.body);
    const badBody = await post(app, "/v1/transfers", { token: alice.token, key: null, body: "{not json" });
    assert.equal(badBody.statusCode, 400, badBody.body);
    assert.equal(errorCode(badBody), "IDEMPOTENCY_KEY_REQUIRED");
  });

  it("a grab and a claim without a key still work, and a keyed grab or claim is replayed with the header", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    const carol = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const group = await app.call("POST", "/v1/groups", {
      token: alice.token,
      body: { name: "family", memberIds: [bob.userId, carol.userId] },
    });
    assert.equal(group.statusCode, 201, group.body);
    const packet = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "equal", amount: 200, count: 2, groupId: group.json().id },
    });
    assert.equal(packet.statusCode, 201, packet.body);
    const packetId = packet.json().id as string;
    const keyless = await post(app, `/v1/red-packets/${packetId}/grab`, { token: bob.token, key: null });
    assert.equal(keyless.statusCode, 200, keyless.body);
    assert.equal(keyless.headers["idempotent-replayed"], undefined);
    const keyed = await post(app, `/v1/red-packets/${packetId}/grab`, { token: carol.token, key: "grab-1" });
    assert.equal(keyed.statusCode, 200, keyed.body);
    assert.equal(keyed.headers["idempotent-replayed"], undefined);
    const grabAgain = await post(app, `/v1/red-packets/${packetId}/grab`, { token: carol.token, key: "grab-1" });
    assertSameAnswers([keyed, grabAgain]);
    assert.equal(grabAgain.headers["idempotent-replayed"], "true");

    const now = Date.now();
    const campaign = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "keys",
        budget: 100,
        amount: { fixed: 10 },
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
    });
    assert.equal(campaign.statusCode, 201, campaign.body);
    const campaignId = campaign.json().id as string;
    const claimKeyless = await post(app, `/v1/campaigns/${campaignId}/claim`, { token: bob.token, key: null });
    assert.equal(claimKeyless.statusCode, 200, claimKeyless.body);
    assert.equal(claimKeyless.headers["idempotent-replayed"], undefined);
    const claimKeyed = await post(app, `/v1/campaigns/${campaignId}/claim`, { token: carol.token, key: "claim-1" });
    assert.equal(claimKeyed.statusCode, 200, claimKeyed.body);
    assert.equal(claimKeyed.headers["idempotent-replayed"], undefined);
    const claimAgain = await post(app, `/v1/campaigns/${campaignId}/claim`, { token: carol.token, key: "claim-1" });
    assertSameAnswers([claimKeyed, claimAgain]);
    assert.equal(claimAgain.headers["idempotent-replayed"], "true");
    assert.equal(await balance(app, bob), 100 + 10);
    assert.equal(await balance(app, carol), 100 + 10);
    assert.equal(await app.balanceSum(), 0);
  });

  it("a replayed answer carries Idempotent-Replayed: true; the first answer and a 409 do not", async () => {
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 10_000);
    const body = { to: bob.userId, amount: 52 };
    // Together: one request runs the transfer, the rest share its answer while it is in flight.
    const together = await Promise.all(
      Array.from({ length: 20 }, () => post(app, "/v1/transfers", { token: alice.token, key: "replay-me", body })),
    );
    assertSameAnswers(together);
    const firsts = together.filter((r) => r.headers["idempotent-replayed"] === undefined);
    assert.equal(firsts.length, 1, "exactly one answer is the first");
    for (const r of together) assert.ok([undefined, "true"].includes(r.headers["idempotent-replayed"] as string));
    // Later, from the store.
    const stored = await post(app, "/v1/transfers", { token: alice.token, key: "replay-me", body });
    assertSameAnswers([together[0] as LightMyRequestResponse, stored]);
    assert.equal(stored.headers["idempotent-replayed"], "true");
    const reused = await post(app, "/v1/transfers", {
      token: alice.token,
      key: "replay-me",
      body: { ...body, amount: 53 },
    });
    assert.equal(errorCode(reused), "IDEMPOTENCY_KEY_REUSED");
    assert.equal(reused.headers["idempotent-replayed"], undefined);
    // A stored refusal is replayed with the header too.
    const refusedFirst = await post(app, "/v1/transfers", {
      token: bob.token,
      key: "too-poor",
      body: { to: alice.userId, amount: 1_000_000 },
    });
    assert.equal(errorCode(refusedFirst), "INSUFFICIENT_FUNDS");
    assert.equal(refusedFirst.headers["idempotent-replayed"], undefined);
    const refusedAgain = await post(app, "/v1/transfers", {
      token: bob.token,
      key: "too-poor",
      body: { to: alice.userId, amount: 1_000_000 },
    });
    assertSameAnswers([refusedFirst, refusedAgain]);
    assert.equal(refusedAgain.headers["idempotent-replayed"], "true");
    assert.equal((await transfersFrom(app, alice)).length, 1);
    assert.equal(await balance(app, alice), 10_000 - 52);
  });

  it("the OpenAPI document requires the key on exactly the POSTs that move money, optional elsewhere", async () => {
    const spec = (await app.call("GET", "/openapi.json")).json() as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
      components: { schemas: { Error: { properties: { error: { properties: { code: { enum: string[] } } } } } } };
    };
    const required: string[] = [];
    const optional: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const key = operation.parameters?.find((p) => p.in === "header" && p.name === "idempotency-key");
        if (key === undefined) continue;
        (key.required === true ? required : optional).push(`${method.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual(required.sort(), [
      "POST /v1/admin/campaigns",
      "POST /v1/admin/campaigns/{id}/close",
      "POST /v1/admin/deposits",
      "POST /v1/red-packets",
      "POST /v1/transfers",
      "POST /v1/transfers/{id}/accept",
      "POST /v1/transfers/{id}/acknowledge-loan",
      "POST /v1/transfers/{id}/cancel",
      "POST /v1/transfers/{id}/decline",
      "POST /v1/withdrawals",
    ]);
    for (const route of ["POST /v1/red-packets/{id}/grab", "POST /v1/campaigns/{id}/claim"])
      assert.ok(optional.includes(route), `${route} takes the key optionally`);
    // The harness adds keys on the same routes.
    for (const route of required) {
      const url = route.slice(5).replace("{id}", "tr_00000000000000000000");
      assert.ok(movesMoney("POST", url), `${route} is among the harness's money POSTs`);
    }
    assert.ok(spec.components.schemas.Error.properties.error.properties.code.enum.includes("IDEMPOTENCY_KEY_REQUIRED"));
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
      for (const replay of replays) assert.equal(replay.headers["idempotent-replayed"], "true");
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
