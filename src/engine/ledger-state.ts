import type { AccountId } from "../domain/accounts.js";
import type { Campaign } from "../domain/campaign.js";
import { fail, ok, type Result } from "../domain/errors.js";
import type { Group } from "../domain/group.js";
import { type Posting, postingEffect } from "../domain/ledger.js";
import type { Fen } from "../domain/money.js";
import { RecentMap } from "../domain/recent-map.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { Instant } from "../domain/time.js";
import type { Transfer } from "../domain/transfer.js";
import { DueHeap } from "./due-heap.js";
import type { Batch, PostingRecord, Snapshot, UserRecord } from "./store-port.js";

/** Outgoing transfers one user may have waiting for an answer: memory per user stays bounded. */
export const PENDING_TRANSFERS_PER_USER_MAX = 1000;
export const SETTLED_PACKETS_REMEMBERED = 10_000;
/** Open packets one sender may have: packets live in memory until settled, so this bounds it per user. */
export const OPEN_PACKETS_PER_SENDER_MAX = 1000;
export const SETTLED_TRANSFERS_REMEMBERED = 10_000;

export function emptyBatch(): Batch {
  return {
    users: [],
    postings: [],
    transfers: [],
    groups: [],
    packets: [],
    grabs: [],
    specialDays: [],
    campaigns: [],
    claims: [],
    idempotency: [],
    idempotencyForgetBefore: null,
  };
}

export function isEmptyBatch(batch: Batch): boolean {
  return (
    batch.users.length === 0 &&
    batch.postings.length === 0 &&
    batch.transfers.length === 0 &&
    batch.groups.length === 0 &&
    batch.packets.length === 0 &&
    batch.specialDays.length === 0 &&
    batch.campaigns.length === 0 &&
    batch.claims.length === 0 &&
    batch.idempotency.length === 0 &&
    batch.idempotencyForgetBefore === null
  );
}

/**
 * The money state one engine owns, exact because the engine is its only writer. Every
 * change is made here and recorded in the batch that the store will make durable.
 */
export class LedgerState {
  readonly balances: Map<AccountId, Fen>;
  readonly phones = new Map<string, string>();
  readonly pending = new Map<string, Transfer>();
  readonly #pendingByUser = new Map<string, number>();
  readonly #refunds = new DueHeap();
  readonly groups = new Map<string, ReadonlySet<string>>();
  /** Packets still open; settled ones live in the store (and briefly in `settled`). */
  readonly packets = new Map<string, RedPacket>();
  /** Recently settled packets, so late grabs are answered from memory (bounded, oldest out). */
  // A RecentMap of capacity 2n remembers at least the last n.
  readonly settled = new RecentMap<string, RedPacket>(2 * SETTLED_PACKETS_REMEMBERED);
  readonly #expiries = new DueHeap();
  readonly #openPacketsBySender = new Map<string, number>();
  readonly #groupsByOwner = new Map<string, number>();
  readonly campaigns = new Map<string, CampaignState>();
  readonly #campaignEnds = new DueHeap();
  /** Recently settled transfers, so later answers and loan acknowledgements need no store read. */
  readonly settledTransfers = new RecentMap<string, Transfer>(2 * SETTLED_TRANSFERS_REMEMBERED);
  #nextPostingId: number;
  #nextEntryId: number;

  constructor(snapshot: Snapshot) {
    this.balances = new Map(snapshot.balances);
    for (const user of snapshot.users) this.phones.set(user.phone, user.id);
    for (const transfer of snapshot.pendingTransfers) this.#trackPending(transfer);
    for (const group of snapshot.groups) this.#trackGroup(group);
    for (const open of snapshot.openCampaigns)
      this.#trackCampaign(open.campaign, open.claimedAmount, open.claimsByUser);
    for (const packet of snapshot.activePackets) {
      this.packets.set(packet.id, packet);
      this.#expiries.push(packet.expiresAt, packet.id);
      this.#countOpenPacket(packet.sender, 1);
    }
    this.#nextPostingId = snapshot.nextPostingId;
    this.#nextEntryId = snapshot.nextEntryId;
  }

  hasUser(id: string): boolean {
    return id.startsWith("usr_") && this.balances.has(id);
  }

  balanceOf(account: AccountId): Fen {
    return this.balances.get(account) ?? 0;
  }

  pendingCount(userId: string): number {
    return this.#pendingByUser.get(userId) ?? 0;
  }

  addUser(user: UserRecord, batch: Batch): void {
    this.phones.set(user.phone, user.id);
    this.balances.set(user.id, 0);
    batch.users.push(user);
  }

  /** Applies a posting if every account can bear it; nothing changes when it cannot. */
  post(posting: Posting, batch: Batch): Result<PostingRecord> {
    const effect = postingEffect(posting, (account) => this.balanceOf(account));
    if (!effect.ok) return effect;
    const running = new Map<AccountId, Fen>();
    const legs = posting.legs.map((leg) => {
      const balanceAfter = (running.get(leg.account) ?? this.balanceOf(leg.account)) + leg.amount;
      running.set(leg.account, balanceAfter);
      return { ...leg, entryId: this.#nextEntryId++, balanceAfter };
    });
    for (const [account, balance] of effect.value) this.balances.set(account, balance);
    const record: PostingRecord = {
      id: this.#nextPostingId++,
      kind: posting.kind,
      ref: posting.ref,
      at: posting.at,
      legs,
    };
    batch.postings.push(record);
    return ok(record);
  }

  putTransfer(transfer: Transfer, batch: Batch): void {
    const wasPending = this.pending.has(transfer.id);
    if (transfer.status === "pending") {
      if (wasPending) this.pending.set(transfer.id, transfer);
      else this.#trackPending(transfer);
    } else {
      if (wasPending) this.#untrackPending(transfer);
      this.rememberSettledTransfer(transfer);
    }
    batch.transfers.push(transfer);
  }

  rememberSettledTransfer(transfer: Transfer): void {
    this.settledTransfers.set(transfer.id, transfer);
  }

  groupsOwnedBy(owner: string): number {
    return this.#groupsByOwner.get(owner) ?? 0;
  }

  #trackGroup(group: Pick<Group, "id" | "owner" | "memberIds">): void {
    this.groups.set(group.id, new Set(group.memberIds));
    this.#groupsByOwner.set(group.owner, this.groupsOwnedBy(group.owner) + 1);
  }

  addGroup(group: Group, batch: Batch): void {
    this.#trackGroup(group);
    batch.groups.push(group);
  }

  /** Records a packet's new state; `grabbed` is the grab that made it, if any. */
  putPacket(packet: RedPacket, batch: Batch, grabbed: boolean): void {
    const wasOpen = this.packets.has(packet.id);
    if (!wasOpen && packet.status === "active") {
      this.#expiries.push(packet.expiresAt, packet.id);
      this.#countOpenPacket(packet.sender, 1);
    }
    if (packet.status === "active") {
      this.packets.set(packet.id, packet);
    } else {
      if (wasOpen) this.#countOpenPacket(packet.sender, -1);
      this.packets.delete(packet.id);
      this.rememberSettled(packet);
    }
    // While a packet stays open its row does not change (grabs have their own rows): write it
    // when it is new and when it settles, not on every grab.
    if (!wasOpen || packet.status !== "active") batch.packets.push(packet);
    if (grabbed) {
      const seq = packet.grabs.length - 1;
      const grab = packet.grabs[seq] as RedPacket["grabs"][number];
      batch.grabs.push({ packetId: packet.id, seq, userId: grab.userId, amount: grab.amount, at: grab.at });
    }
  }

  openPacketCount(sender: string): number {
    return this.#openPacketsBySender.get(sender) ?? 0;
  }

  #countOpenPacket(sender: string, change: number): void {
    const count = this.openPacketCount(sender) + change;
    if (count > 0) this.#openPacketsBySender.set(sender, count);
    else this.#openPacketsBySender.delete(sender);
  }

  rememberSettled(packet: RedPacket): void {
    this.settled.set(packet.id, packet);
  }

  addCampaign(campaign: Campaign, batch: Batch): void {
    this.#trackCampaign(campaign, 0, new Map());
    batch.campaigns.push(campaign);
  }

  #trackCampaign(campaign: Campaign, claimedAmount: Fen, claimsByUser: ReadonlyMap<string, number>): void {
    let claimedCount = 0;
    for (const count of claimsByUser.values()) claimedCount += count;
    this.campaigns.set(campaign.id, {
      campaign,
      unreserved: campaign.status === "open" ? campaign.budget - claimedAmount : 0,
      claimsByUser: new Map(claimsByUser),
      claimedCount,
      claimedAmount,
    });
    if (campaign.status === "open") this.#campaignEnds.push(campaign.endsAt, campaign.id);
  }

  /** The next open campaign whose end is due at `at`, or undefined. */
  nextDueCampaignEnd(at: Instant): CampaignState | undefined {
    return this.#campaignEnds.popDue(at, (id) => {
      const open = this.campaigns.get(id);
      return open?.campaign.status === "open" ? open : undefined;
    });
  }

  nextCampaignEndAt(): Instant | undefined {
    return this.#campaignEnds.peekAt();
  }

  /** The next open packet whose expiry is due at `at`, or undefined. */
  nextDueExpiry(at: Instant): RedPacket | undefined {
    return this.#expiries.popDue(at, (id) => this.packets.get(id));
  }

  nextExpiryAt(): Instant | undefined {
    return this.#expiries.peekAt();
  }

  /** The next pending transfer whose refund is due at `at`, or undefined. */
  nextDueRefund(at: Instant): Transfer | undefined {
    return this.#refunds.popDue(at, (id) => this.pending.get(id));
  }

  nextRefundAt(): Instant | undefined {
    return this.#refunds.peekAt();
  }

  #trackPending(transfer: Transfer): void {
    this.pending.set(transfer.id, transfer);
    this.#pendingByUser.set(transfer.from, this.pendingCount(transfer.from) + 1);
    this.#refunds.push(transfer.refundAt, transfer.id);
  }

  #untrackPending(transfer: Transfer): void {
    this.pending.delete(transfer.id);
    const left = this.pendingCount(transfer.from) - 1;
    if (left > 0) this.#pendingByUser.set(transfer.from, left);
    else this.#pendingByUser.delete(transfer.from);
  }
}

/**
 * A campaign in memory. `unreserved` is the budget no claim has taken yet, counting claims
 * still waiting for their batch: it is what decides "sold out", exactly, without a queue.
 */
export interface CampaignState {
  campaign: Campaign;
  unreserved: Fen;
  /** Claims per user, waiting ones included: what decides "already claimed". */
  readonly claimsByUser: Map<string, number>;
  /** Committed claims only: the live counts a reader sees. */
  claimedCount: number;
  claimedAmount: Fen;
}

export function userNotFound(): Result<never> {
  return fail("USER_NOT_FOUND", "no such user");
}
