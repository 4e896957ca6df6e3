import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Calendar, limitsAt, NO_SPECIAL_DAYS } from "../../src/domain/rules.js";
import { DAY_MS } from "../../src/domain/time.js";
import {
  acknowledgeLoan,
  answerTransfer,
  isJustSent,
  refundTransfer,
  sendTransfer,
  type TransferRequest,
} from "../../src/domain/transfer.js";

const A = "usr_00000000000000000001";
const B = "usr_00000000000000000002";
const T0 = Date.parse("2026-03-01T10:00:00+08:00");
const limits = limitsAt(T0, NO_SPECIAL_DAYS);
const request = (overrides: Partial<TransferRequest> = {}): TransferRequest => ({
  id: "tr_00000000000000000001",
  from: A,
  to: B,
  amount: 100,
  memo: "",
  nature: "unspecified",
  dueDate: null,
  ...overrides,
});
const codeOf = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? "ok" : result.error?.code);

describe("transfers", () => {
  it("checks amount, memo, self and due date against the rules in force", () => {
    assert.equal(codeOf(sendTransfer(request({ amount: 0 }), T0, limits)), "AMOUNT_BELOW_MIN");
    assert.equal(codeOf(sendTransfer(request({ amount: 1 }), T0, limits)), "ok");
    assert.equal(codeOf(sendTransfer(request({ amount: 5_000_000 }), T0, limits)), "ok");
    const over = sendTransfer(request({ amount: 5_000_001 }), T0, limits);
    assert.equal(codeOf(over), "AMOUNT_ABOVE_MAX");
    assert.deepEqual(over.ok ? undefined : over.error.details, { cap: "transferMax", limit: 5_000_000 });
    assert.equal(codeOf(sendTransfer(request({ to: A }), T0, limits)), "SELF_TRANSFER");
    assert.equal(codeOf(sendTransfer(request({ memo: "🧧".repeat(100) }), T0, limits)), "ok");
    assert.equal(codeOf(sendTransfer(request({ memo: "🧧".repeat(101) }), T0, limits)), "MEMO_TOO_LONG");
    assert.equal(codeOf(sendTransfer(request({ dueDate: "2027-01-01" }), T0, limits)), "DUE_DATE_WITHOUT_LOAN");
    assert.equal(codeOf(sendTransfer(request({ dueDate: "2027-01-01", nature: "loan" }), T0, limits)), "ok");
  });

  it("takes its caps from whatever calendar is plugged into the rules", () => {
    const qixi: Calendar = { specialDayAt: () => ({ name: "Qixi", date: "2026-08-19", caps: { transferMax: 100 } }) };
    const special = limitsAt(T0, qixi);
    assert.deepEqual(special.specialDay, { name: "Qixi", date: "2026-08-19" });
    assert.deepEqual(special.reasons, ["Qixi 2026-08-19: transfer cap 100 fen"]);
    assert.equal(codeOf(sendTransfer(request({ amount: 101 }), T0, special)), "AMOUNT_ABOVE_MAX");
  });

  it("puts the money in escrow until the recipient answers", () => {
    const sent = sendTransfer(request(), T0, limits);
    assert.ok(sent.ok);
    assert.deepEqual(sent.value.posting.legs, [
      { account: A, amount: -100 },
      { account: "escrow", amount: 100 },
    ]);
    assert.equal(sent.value.transfer.refundAt, T0 + DAY_MS);
    const accepted = answerTransfer(sent.value.transfer, B, "accept", T0 + 1);
    assert.ok(accepted.ok);
    assert.deepEqual(accepted.value.posting.legs, [
      { account: "escrow", amount: -100 },
      { account: B, amount: 100 },
    ]);
    const declined = answerTransfer(sent.value.transfer, B, "decline", T0 + 1);
    assert.ok(declined.ok);
    assert.equal(declined.value.posting.legs[1]?.account, A);
    assert.equal(codeOf(answerTransfer(sent.value.transfer, A, "accept", T0 + 1)), "NOT_RECIPIENT");
    assert.equal(codeOf(answerTransfer(accepted.value.transfer, B, "decline", T0 + 2)), "TRANSFER_NOT_PENDING");
  });

  it("tells a transfer as sent from every later version of it (a store inserts the one, updates the others)", () => {
    const sent = sendTransfer(request({ nature: "loan", dueDate: "2027-01-01" }), T0, limits);
    assert.ok(sent.ok);
    assert.equal(isJustSent(sent.value.transfer), true);
    const acknowledged = acknowledgeLoan(sent.value.transfer, B, T0 + 1);
    assert.ok(acknowledged.ok);
    assert.equal(acknowledged.value.status, "pending", "a loan may be acknowledged before it is answered");
    assert.equal(isJustSent(acknowledged.value), false);
    const accepted = answerTransfer(sent.value.transfer, B, "accept", T0 + 1);
    assert.ok(accepted.ok);
    assert.equal(isJustSent(accepted.value.transfer), false);
    const declined = answerTransfer(sent.value.transfer, B, "decline", T0 + 1);
    assert.ok(declined.ok);
    assert.equal(isJustSent(declined.value.transfer), false);
    const refunded = refundTransfer(sent.value.transfer, T0 + DAY_MS);
    assert.ok(refunded !== null);
    assert.equal(isJustSent(refunded.transfer), false);
  });

  it("refunds only a pending transfer whose time has come", () => {
    const sent = sendTransfer(request(), T0, limits);
    assert.ok(sent.ok);
    assert.equal(refundTransfer(sent.value.transfer, T0 + DAY_MS - 1), null);
    const refund = refundTransfer(sent.value.transfer, T0 + DAY_MS);
    assert.equal(refund?.transfer.status, "refunded");
    assert.equal(refund?.posting.legs[1]?.account, A);
    assert.equal(refundTransfer(refund?.transfer ?? sent.value.transfer, T0 + 2 * DAY_MS), null);
  });
});
