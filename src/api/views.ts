import type { Group } from "../domain/group.js";
import { type Grab, luckyKing, type RedPacket } from "../domain/red-packet.js";
import { formatInstant } from "../domain/time.js";
import type { Transfer } from "../domain/transfer.js";
import type { StatementEntry } from "../engine/store-port.js";

export function transferView(transfer: Transfer) {
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
    loanAcknowledgedAt: transfer.loanAcknowledgedAt === null ? null : formatInstant(transfer.loanAcknowledgedAt),
    natureHints: transfer.natureHints,
    warnings: transfer.warnings,
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

export function packetView(packet: RedPacket) {
  const revealed = packet.status !== "active";
  const king = luckyKing(packet);
  const grabbedAmount = packet.grabs.reduce((sum, grab) => sum + grab.amount, 0);
  return {
    id: packet.id,
    kind: packet.kind,
    sender: packet.sender,
    to: packet.recipient,
    groupId: packet.groupId,
    amount: packet.amount,
    count: packet.count,
    remaining: packet.status === "active" ? packet.count - packet.grabs.length : 0,
    remainingAmount: packet.status === "active" ? packet.amount - grabbedAmount : 0,
    status: packet.status,
    greeting: packet.greeting,
    coverId: packet.coverId ?? null,
    hasPassword: packet.passwordHash !== null,
    createdAt: formatInstant(packet.createdAt),
    expiresAt: formatInstant(packet.expiresAt),
    settledAt: packet.settledAt === null ? null : formatInstant(packet.settledAt),
    commitment: packet.commitment,
    grabs: packet.grabs.map(grabView),
    luckyKing: king === null ? null : grabView(king),
    ...(revealed ? { shares: packet.shares, salt: packet.salt } : {}),
    natureHints: packet.natureHints,
    warnings: packet.warnings,
  };
}

function grabView(grab: Grab) {
  return { userId: grab.userId, amount: grab.amount, at: formatInstant(grab.at) };
}

export function groupView(group: Group) {
  return {
    id: group.id,
    name: group.name,
    owner: group.owner,
    memberIds: group.memberIds,
    createdAt: formatInstant(group.createdAt),
  };
}
