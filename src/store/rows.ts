import type { AmountRule, Campaign } from "../domain/campaign.js";
import type { PacketKind, PacketStatus, RedPacket } from "../domain/red-packet.js";
import type { Nature, Transfer, TransferStatus } from "../domain/transfer.js";

/**
 * The rows both stores keep, by their column names, and how each becomes its domain value:
 * the SQLite and PostgreSQL schemas name and type these columns alike (money and instants as
 * integers, lists as JSON text), so one mapping serves both adapters.
 */
export interface TransferRow {
  id: string;
  from_user: string;
  to_user: string;
  amount: number;
  memo: string;
  nature: string;
  due_date: string | null;
  status: string;
  created_at: number;
  refund_at: number;
  answered_at: number | null;
  nature_hints: string;
  warnings: string;
  loan_acknowledged_at: number | null;
}

export function transferOf(row: TransferRow): Transfer {
  return {
    id: row.id,
    from: row.from_user,
    to: row.to_user,
    amount: row.amount,
    memo: row.memo,
    nature: row.nature as Nature,
    dueDate: row.due_date,
    status: row.status as TransferStatus,
    createdAt: row.created_at,
    refundAt: row.refund_at,
    answeredAt: row.answered_at,
    natureHints: JSON.parse(row.nature_hints) as Transfer["natureHints"],
    warnings: JSON.parse(row.warnings) as string[],
    loanAcknowledgedAt: row.loan_acknowledged_at,
  };
}

export interface PacketRow {
  id: string;
  sender: string;
  kind: string;
  amount: number;
  count: number;
  group_id: string | null;
  recipient: string | null;
  greeting: string;
  cover_id: string | null;
  password_hash: string | null;
  shares: string;
  salt: string;
  commitment: string;
  status: string;
  created_at: number;
  expires_at: number;
  settled_at: number | null;
  nature_hints: string;
  warnings: string;
}

export function packetOf(row: PacketRow, grabs: RedPacket["grabs"]): RedPacket {
  return {
    id: row.id,
    sender: row.sender,
    kind: row.kind as PacketKind,
    amount: row.amount,
    count: row.count,
    groupId: row.group_id,
    recipient: row.recipient,
    greeting: row.greeting,
    coverId: row.cover_id,
    passwordHash: row.password_hash,
    shares: JSON.parse(row.shares) as number[],
    salt: row.salt,
    commitment: row.commitment,
    status: row.status as PacketStatus,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    settledAt: row.settled_at,
    grabs,
    natureHints: JSON.parse(row.nature_hints) as RedPacket["natureHints"],
    warnings: JSON.parse(row.warnings) as string[],
  };
}

export interface CampaignRow {
  id: string;
  name: string;
  budget: number;
  amount_rule: string;
  starts_at: number;
  ends_at: number;
  per_user_limit: number;
  created_at: number;
  status: string;
  returned: number;
  paused_at: number | null;
  closed_at: number | null;
  /** Committed claims, kept on the row by every batch that pays some (migration 8). */
  claimed_count?: number;
  claimed_amount?: number;
}

export function campaignOf(row: CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    budget: row.budget,
    amount: JSON.parse(row.amount_rule) as AmountRule,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    perUserLimit: row.per_user_limit,
    createdAt: row.created_at,
    status: row.status as Campaign["status"],
    returned: row.returned,
    pausedAt: row.paused_at ?? null,
    closedAt: row.closed_at ?? null,
  };
}

/**
 * A batch's claims summed per campaign: each store adds them to its campaign's row in the
 * same transaction, so a list of campaigns reads its totals without counting claims.
 */
export function claimTotalsOf(
  claims: readonly { readonly campaignId: string; readonly amount: number }[],
): { campaignId: string; count: number; amount: number }[] {
  const totals = new Map<string, { campaignId: string; count: number; amount: number }>();
  for (const claim of claims) {
    const total = totals.get(claim.campaignId) ?? { campaignId: claim.campaignId, count: 0, amount: 0 };
    total.count += 1;
    total.amount += claim.amount;
    totals.set(claim.campaignId, total);
  }
  return [...totals.values()];
}
