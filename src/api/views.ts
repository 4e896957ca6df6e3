import { formatInstant } from "../domain/time.js";
import type { Transfer } from "../domain/transfer.js";
import type { StatementEntry } from "../engine/store-port.js";

export interface NatureHint {
  readonly nature: "gift" | "loan";
  readonly reason: string;
}

export function transferView(
  transfer: Transfer,
  natureHints: readonly NatureHint[] = [],
  warnings: readonly string[] = [],
) {
  return {
    id: transfer.id,
    from: transfer.from,
    to: transfer.to,
    amount: transfer.amount,
    memo: transfer.memo,
    nature: transfer.nature,
    dueDate: transfer.dueDate,
    status: transfer.status,
    createdAt: formatInstant(transfer.createdAt),
    refundAt: formatInstant(transfer.refundAt),
    answeredAt: transfer.answeredAt === null ? null : formatInstant(transfer.answeredAt),
    natureHints,
    warnings,
  };
}

export function statementItemView(entry: StatementEntry) {
  return {
    id: String(entry.entryId),
    postingId: String(entry.postingId),
    kind: entry.kind,
    ref: entry.ref,
    at: formatInstant(entry.at),
    amount: entry.amount,
    balance: entry.balanceAfter,
  };
}
