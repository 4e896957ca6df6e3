import { ESCROW } from "./accounts.js";
import { fail, ok, type Result } from "./errors.js";
import { move, type Posting } from "./ledger.js";
import { type Fen, formatYuan } from "./money.js";
import {
  DEFAULT_NATURE_TABLES,
  declarationWarnings,
  type NatureHint,
  type NatureTables,
  natureHints,
} from "./nature-hints.js";
import { codePointLength, type LimitsAt } from "./rules.js";
import type { Instant } from "./time.js";

export const NATURES = ["gift", "loan", "repayment", "unspecified"] as const;
export type Nature = (typeof NATURES)[number];

export const TRANSFER_STATUSES = ["pending", "accepted", "declined", "refunded", "cancelled"] as const;
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
  /** The hints and warnings shown to the sender when it was sent: part of the evidence. */
  readonly natureHints: readonly NatureHint[];
  readonly warnings: readonly string[];
  /** When the recipient acknowledged a declared loan (确认借款). */
  readonly loanAcknowledgedAt: Instant | null;
}

/**
 * A transfer as sending makes it: pending, unanswered, no loan acknowledged. Every later
 * version differs in one of these (an answer, a refund, an acknowledgement), so a store can
 * tell a new transfer from a change without reading.
 */
export function isJustSent(transfer: Transfer): boolean {
  return transfer.status === "pending" && transfer.answeredAt === null && transfer.loanAcknowledgedAt === null;
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

/** What the sender is told before the money leaves: hints, and warnings where the declaration contradicts them. */
export function natureOf(
  request: Pick<TransferRequest, "amount" | "memo" | "nature" | "dueDate">,
  tables: NatureTables = DEFAULT_NATURE_TABLES,
): { natureHints: NatureHint[]; warnings: string[] } {
  const hints = natureHints(request.amount, request.memo, tables);
  const warnings = declarationWarnings(request.nature, hints);
  if (request.nature === "loan" && request.dueDate === null) {
    warnings.push("a loan without a due date is harder to prove; add one, and ask the recipient to acknowledge it");
  }
  return { natureHints: hints, warnings };
}

export function sendTransfer(
  request: TransferRequest,
  at: Instant,
  limits: LimitsAt,
  tables: NatureTables = DEFAULT_NATURE_TABLES,
): Result<{ transfer: Transfer; posting: Posting }> {
  const checked = checkTransfer(request, limits);
  if (!checked.ok) return checked;
  const transfer: Transfer = {
    ...request,
    status: "pending",
    createdAt: at,
    refundAt: at + limits.transferRefundMs,
    answeredAt: null,
    ...natureOf(request, tables),
    loanAcknowledgedAt: null,
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

/** The sender takes back a transfer nobody has answered yet: the money leaves escrow for the sender at once. */
export function cancelTransfer(
  transfer: Transfer,
  by: string,
  at: Instant,
): Result<{ transfer: Transfer; posting: Posting }> {
  if (by !== transfer.from) return fail("NOT_SENDER", "only the sender may cancel a transfer");
  if (transfer.status !== "pending") {
    return fail("TRANSFER_NOT_PENDING", `the transfer is already ${transfer.status}`, { status: transfer.status });
  }
  return ok({
    transfer: { ...transfer, status: "cancelled", answeredAt: at },
    posting: { kind: "transfer.cancel", ref: transfer.id, at, legs: move(ESCROW, transfer.from, transfer.amount) },
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

/** The recipient confirms a declared loan (确认借款); acknowledging twice keeps the first time. */
export function acknowledgeLoan(transfer: Transfer, by: string, at: Instant): Result<Transfer> {
  if (by !== transfer.to) return fail("NOT_RECIPIENT", "only the recipient may acknowledge a loan");
  if (transfer.nature !== "loan") return fail("NOT_A_LOAN", "only a transfer declared as a loan can be acknowledged");
  if (transfer.status === "declined" || transfer.status === "refunded" || transfer.status === "cancelled") {
    return fail("TRANSFER_NOT_PENDING", `the transfer was ${transfer.status}; there is no loan to acknowledge`, {
      status: transfer.status,
    });
  }
  if (transfer.loanAcknowledgedAt !== null) return ok(transfer);
  return ok({ ...transfer, loanAcknowledgedAt: at });
}
