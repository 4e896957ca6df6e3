import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { accountKind, ESCROW, FUNDING } from "../../src/domain/accounts.js";
import { assertBalanced, BALANCE_ABS_MAX, move, postingEffect } from "../../src/domain/ledger.js";

const ALICE = "usr_00000000000000000001";

describe("ledger postings", () => {
  it("moves money between two accounts in balanced legs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 12 }), (amount) => {
        const legs = move(ALICE, ESCROW, amount);
        assert.equal(
          legs.reduce((sum, leg) => sum + leg.amount, 0),
          0,
        );
      }),
    );
  });

  it("refuses an unbalanced or fractional posting as a programmer error", () => {
    assert.throws(() =>
      assertBalanced({
        kind: "deposit",
        ref: "x",
        at: 0,
        legs: [
          { account: FUNDING, amount: -1 },
          { account: ALICE, amount: 2 },
        ],
      }),
    );
    assert.throws(() =>
      assertBalanced({
        kind: "deposit",
        ref: "x",
        at: 0,
        legs: [
          { account: FUNDING, amount: -0.5 },
          { account: ALICE, amount: 0.5 },
        ],
      }),
    );
    assert.throws(() => assertBalanced({ kind: "deposit", ref: "x", at: 0, legs: [{ account: ALICE, amount: 0 }] }));
  });

  it("lets funding go negative but no wallet, escrow or campaign", () => {
    const balances = new Map([[ALICE, 100]]);
    const balanceOf = (account: string) => balances.get(account) ?? 0;
    const deposit = postingEffect({ kind: "deposit", ref: ALICE, at: 0, legs: move(FUNDING, ALICE, 50) }, balanceOf);
    assert.ok(deposit.ok);
    assert.equal(deposit.value.get(FUNDING), -50);
    const overdraw = postingEffect(
      { kind: "transfer.send", ref: "t", at: 0, legs: move(ALICE, ESCROW, 101) },
      balanceOf,
    );
    assert.equal(overdraw.ok ? "ok" : overdraw.error.code, "INSUFFICIENT_FUNDS");
    const exact = postingEffect({ kind: "transfer.send", ref: "t", at: 0, legs: move(ALICE, ESCROW, 100) }, balanceOf);
    assert.ok(exact.ok);
    assert.equal(exact.value.get(ALICE), 0);
    const fromEscrow = postingEffect(
      { kind: "transfer.accept", ref: "t", at: 0, legs: move(ESCROW, ALICE, 1) },
      balanceOf,
    );
    assert.equal(fromEscrow.ok ? "ok" : fromEscrow.error.code, "INSUFFICIENT_FUNDS");
  });

  it("refuses a balance past the ledger's bound", () => {
    const result = postingEffect(
      { kind: "deposit", ref: ALICE, at: 0, legs: move(FUNDING, ALICE, BALANCE_ABS_MAX + 1) },
      () => 0,
    );
    assert.equal(result.ok ? "ok" : result.error.code, "BALANCE_LIMIT");
  });

  it("names account kinds and refuses unknown accounts", () => {
    assert.equal(accountKind(FUNDING), "funding");
    assert.equal(accountKind(ESCROW), "escrow");
    assert.equal(accountKind("campaign:cmp_00000000000000000001"), "campaign");
    assert.equal(accountKind(ALICE), "user");
    assert.throws(() => accountKind("bogus"));
  });
});
