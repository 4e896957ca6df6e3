import { ESCROW } from "./accounts.js";
import { fail, ok, type Result } from "./errors.js";
import { move, type Posting } from "./ledger.js";
import { type Fen, formatYuan } from "./money.js";
import { codePointLength, type LimitsAt } from "./rules.js";
import type { Instant } from "./time.js";

export const NATURES = ["gift", "loan", "repayment", "unspecified"] as const;
export type Nature = (typeof NATURES)[number];

export const TRANSFER_STATUSES = ["pending", "accepted", "declined", "refunded"] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export interface Transfer {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly amount: Fen;
  readonly memo: string;
  readonly nature: Nature;
  /** "YYYY-MM-DD", only for a declared loan. */
  readonly dueDate: string | null;
  readonly status: TransferStatus;
  readonly createdAt: Instant;
  /** When an unanswered transfer goes back to the sender. */
  readonly refundAt: Instant;
  readonly answeredAt: Instant | null;
}

export interface TransferRequest {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly amount: Fen;
  readonly memo: string;
  readonly nature: Nature;
  readonly dueDate: string | null;
}

/** Checks a request against the rules in force; the balance is the engine's to check. */
export function checkTransfer(request: TransferRequest, limits: LimitsAt): Result<void> {
  if (request.from === request.to) return fail("SELF_TRANSFER", "a transfer to oneself is refused");
  if (request.amount < limits.transferMin) {
    return fail("AMOUNT_BELOW_MIN", `a transfer is at least ${limits.transferMin} fen`, {
      cap: "transferMin",
      limit: limits.transferMin,
    });
  }
  if (request.amount > limits.transferMax) {
    return fail(
      "AMOUNT_ABOVE_MAX",
      `a transfer is at most ${limits.transferMax} fen (${formatYuan(limits.transferMax)} yuan)`,
      { cap: "transferMax", limit: limits.transferMax },
    );
  }
  if (codePointLength(request.memo) > limits.memoLengthMax) {
    return fail("MEMO_TOO_LONG", `a memo is at most ${limits.memoLengthMax} characters`, {
      cap: "memoLengthMax",
      limit: limits.memoLengthMax,
    });
  }
  if (request.dueDate !== null && request.nature !== "loan") {
    return fail("DUE_DATE_WITHOUT_LOAN", "a due date goes only with a transfer declared as a loan");
  }
  return ok(undefined);
}

export function sendTransfer(
  request: TransferRequest,
  at: Instant,
  limits: LimitsAt,
): Result<{ transfer: Transfer; posting: Posting }> {
  const checked = checkTransfer(request, limits);
  if (!checked.ok) return checked;
  const transfer: Transfer = {
    ...request,
    status: "pending",
    createdAt: at,
    refundAt: at + limits.transferRefundMs,
    answeredAt: null,
  };
  const posting: Posting = {
    kind: "transfer.send",
    ref: request.id,
    at,
    legs: move(request.from, ESCROW, request.amount),
  };
  return ok({ transfer, posting });
}

export type TransferAnswer = "accept" | "decline";

export function answerTransfer(
  transfer: Transfer,
  by: string,
  answer: TransferAnswer,
  at: Instant,
): Result<{ transfer: Transfer; posting: Posting }> {
  if (by !== transfer.to) return fail("NOT_RECIPIENT", "only the recipient may answer a transfer");
  if (transfer.status !== "pending") {
    return fail("TRANSFER_NOT_PENDING", `the transfer is already ${transfer.status}`, { status: transfer.status });
  }
  const accepted = answer === "accept";
  return ok({
    transfer: { ...transfer, status: accepted ? "accepted" : "declined", answeredAt: at },
    posting: {
      kind: accepted ? "transfer.accept" : "transfer.decline",
      ref: transfer.id,
      at,
      legs: move(ESCROW, accepted ? transfer.to : transfer.from, transfer.amount),
    },
  });
}

/** The refund of a transfer nobody answered in time; null while it is not due or already answered. */
export function refundTransfer(transfer: Transfer, at: Instant): { transfer: Transfer; posting: Posting } | null {
  if (transfer.status !== "pending" || at < transfer.refundAt) return null;
  return {
    transfer: { ...transfer, status: "refunded", answeredAt: at },
    posting: { kind: "transfer.refund", ref: transfer.id, at, legs: move(ESCROW, transfer.from, transfer.amount) },
  };
}
