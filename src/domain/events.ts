import type { Campaign } from "./campaign.js";
import type { Fen } from "./money.js";
import type { RedPacket } from "./red-packet.js";
import type { Instant } from "./time.js";
import type { Transfer } from "./transfer.js";

/**
 * The state changes a product reacts to. A grab of a packet or a claim of a campaign is not
 * one of them: a flash crowd makes a million claims, and a product learns of them from the
 * claimant's own answer. A campaign makes at most three events in its life.
 */
export const EVENT_TYPES = [
  "packet.received",
  "packet.finished",
  "packet.refunded",
  "transfer.received",
  "transfer.accepted",
  "transfer.declined",
  "transfer.refunded",
  "transfer.cancelled",
  "loan.acknowledged",
  "campaign.started",
  "campaign.sold_out",
  "campaign.ended",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as the engine records it, before it has its place in the outbox. */
export interface DomainEvent {
  readonly type: EventType;
  /** The id of the transfer, packet or campaign the event is about. */
  readonly subject: string;
  readonly at: Instant;
  /** The users it concerns: who sees it in their own event list. None for campaign events (operator only). */
  readonly users: readonly string[];
  /** A small, bounded picture of the subject after the change (instants as epoch milliseconds). */
  readonly data: Readonly<Record<string, unknown>>;
}

/** An event with its place in the outbox: `seq` orders every event of the ledger, `id` names it. */
export interface EventRecord extends DomainEvent {
  readonly seq: number;
  readonly id: string;
}

export const EVENT_ID_PATTERN = "^evt_[0-9a-f]{20}$";

/** An event's id: its sequence number in 20 hex digits, so ids sort as events happened. */
export function eventIdOf(seq: number): string {
  return `evt_${seq.toString(16).padStart(20, "0")}`;
}

export function seqOfEventId(id: string): number | undefined {
  if (!new RegExp(EVENT_ID_PATTERN).test(id)) return undefined;
  const seq = Number.parseInt(id.slice(4), 16);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

function transferData(transfer: Transfer): Record<string, unknown> {
  return {
    id: transfer.id,
    from: transfer.from,
    to: transfer.to,
    amount: transfer.amount,
    memo: transfer.memo,
    nature: transfer.nature,
    status: transfer.status,
    createdAt: transfer.createdAt,
    refundAt: transfer.refundAt,
    answeredAt: transfer.answeredAt,
    loanAcknowledgedAt: transfer.loanAcknowledgedAt,
  };
}

/** The event a transfer's change makes, from the version before (undefined: it is new). */
export function transferEvent(before: Transfer | undefined, after: Transfer, at: Instant): DomainEvent | undefined {
  let type: EventType | undefined;
  if (before === undefined) type = after.status === "pending" ? "transfer.received" : undefined;
  else if (before.status === "pending" && after.status !== "pending") type = `transfer.${after.status}` as EventType;
  else if (before.loanAcknowledgedAt === null && after.loanAcknowledgedAt !== null) type = "loan.acknowledged";
  if (type === undefined) return undefined;
  return { type, subject: after.id, at, users: [after.from, after.to], data: transferData(after) };
}

function packetData(packet: RedPacket): Record<string, unknown> {
  let grabbed: Fen = 0;
  for (const grab of packet.grabs) grabbed += grab.amount;
  return {
    id: packet.id,
    kind: packet.kind,
    sender: packet.sender,
    amount: packet.amount,
    count: packet.count,
    groupId: packet.groupId,
    recipient: packet.recipient,
    greeting: packet.greeting,
    status: packet.status,
    grabbedCount: packet.grabs.length,
    remaining: packet.amount - grabbed,
    createdAt: packet.createdAt,
    expiresAt: packet.expiresAt,
    settledAt: packet.settledAt,
  };
}

/**
 * The event a packet's change makes: sent (to its recipient, or to every member of its
 * group), finished (its last share taken), or refunded (expired with shares left).
 */
export function packetEvent(
  wasOpen: boolean,
  after: RedPacket,
  members: ReadonlySet<string> | undefined,
  at: Instant,
): DomainEvent | undefined {
  if (!wasOpen && after.status === "active") {
    const audience = members === undefined ? [after.recipient ?? after.sender] : members;
    return {
      type: "packet.received",
      subject: after.id,
      at,
      users: unique([after.sender, ...audience]),
      data: packetData(after),
    };
  }
  if (after.status === "finished") {
    const users = unique([after.sender, ...after.grabs.map((grab) => grab.userId)]);
    return { type: "packet.finished", subject: after.id, at, users, data: packetData(after) };
  }
  if (after.status === "expired") {
    // The sender gets the rest back; a named recipient learns the packet can no longer be opened.
    const users = unique(after.recipient === null ? [after.sender] : [after.sender, after.recipient]);
    return { type: "packet.refunded", subject: after.id, at, users, data: packetData(after) };
  }
  return undefined;
}

export function campaignEvent(
  type: "campaign.started" | "campaign.sold_out" | "campaign.ended",
  campaign: Campaign,
  claimed: { readonly count: number; readonly amount: Fen },
  at: Instant,
): DomainEvent {
  return {
    type,
    subject: campaign.id,
    at,
    users: [],
    data: {
      id: campaign.id,
      name: campaign.name,
      budget: campaign.budget,
      status: campaign.status,
      startsAt: campaign.startsAt,
      endsAt: campaign.endsAt,
      claimedCount: claimed.count,
      claimedAmount: claimed.amount,
      returned: campaign.returned,
    },
  };
}

function unique(users: readonly string[]): string[] {
  return [...new Set(users)];
}
