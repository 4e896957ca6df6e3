import type { AccountId } from "../domain/accounts.js";
import { type Campaign, isSoldOut } from "../domain/campaign.js";
import { NOTHING_SENT, type SentToday } from "../domain/daily-limits.js";
import { fail, ok, type Result } from "../domain/errors.js";
import { campaignEvent, type DomainEvent, eventIdOf, packetEvent, transferEvent } from "../domain/events.js";
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
/** Ended campaigns remembered without their claim maps, so late claims are answered from memory. */
export const ENDED_CAMPAIGNS_REMEMBERED = 10_000;

/** A timer that fell due: what it is for, with the live object it acts on. */
export type DueTimer =
  | { readonly kind: "refund"; readonly transfer: Transfer }
  | { readonly kind: "expiry"; readonly packet: RedPacket }
  | { readonly kind: "campaignStart"; readonly campaign: CampaignState }
  | { readonly kind: "campaignEnd"; readonly campaign: CampaignState };

export type TimerKind = DueTimer["kind"];

// One heap holds every timer, its kind in the first character of the key: the next due
// instant of all of them is its top, so no kind can be left out of the engine's wake-up.
const TIMER_TAG: Record<TimerKind, string> = { refund: "r", expiry: "x", campaignStart: "s", campaignEnd: "e" };

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
    events: [],
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
    batch.events.length === 0 &&
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
  readonly #timers = new DueHeap();
  readonly groups = new Map<string, ReadonlySet<string>>();
  /** Packets still open; settled ones live in the store (and briefly in `settled`). */
  readonly packets = new Map<string, RedPacket>();
  /** Recently settled packets, so late grabs are answered from memory (bounded, oldest out). */
  // A RecentMap of capacity 2n remembers at least the last n.
  readonly settled = new RecentMap<string, RedPacket>(2 * SETTLED_PACKETS_REMEMBERED);
  readonly #openPacketsBySender = new Map<string, number>();
  readonly #groupsByOwner = new Map<string, number>();
  /** Campaigns open, or ended with claims still waiting for their batch. */
  readonly campaigns = new Map<string, CampaignState>();
  /** Ended campaigns without their claim maps, bounded: memory does not grow with every campaign ever run. */
  readonly endedCampaigns = new RecentMap<string, Campaign>(2 * ENDED_CAMPAIGNS_REMEMBERED);
  /** Recently settled transfers, so later answers and loan acknowledgements need no store read. */
  readonly settledTransfers = new RecentMap<string, Transfer>(2 * SETTLED_TRANSFERS_REMEMBERED);
  #nextPostingId: number;
  #nextEntryId: number;
  /**
   * Red packets each user sent, by Asia/Shanghai day, for the per-day caps. Two days at most
   * are kept (a batch can straddle midnight; a test clock can go back): memory holds a day's senders.
   */
  readonly #sentByDay = new Map<string, Map<string, SentToday>>();
  #nextEventSeq: number;

  constructor(snapshot: Snapshot) {
    this.balances = new Map(snapshot.balances);
    for (const user of snapshot.users) this.phones.set(user.phone, user.id);
    for (const transfer of snapshot.pendingTransfers) this.#trackPending(transfer);
    for (const group of snapshot.groups) this.#trackGroup(group);
    for (const open of snapshot.openCampaigns)
      this.#trackCampaign(open.campaign, open.claimedAmount, open.claimsByUser, open.startAnnounced);
    for (const packet of snapshot.activePackets) {
      this.packets.set(packet.id, packet);
      this.#arm("expiry", packet.expiresAt, packet.id);
      this.#countOpenPacket(packet.sender, 1);
    }
    this.#nextPostingId = snapshot.nextPostingId;
    this.#nextEntryId = snapshot.nextEntryId;
    this.#nextEventSeq = snapshot.nextEventSeq;
  }

  /**
   * Puts an event in the outbox of this batch: it is written in the same transaction as
   * the change it reports, or not at all, and its sequence number orders it among all.
   */
  recordEvent(event: DomainEvent, batch: Batch): void {
    const seq = this.#nextEventSeq++;
    batch.events.push({ ...event, seq, id: eventIdOf(seq) });
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
    const after = effect.value;
    // Each account once (a campaign's claims, most postings): a leg leaves the account's final balance.
    const distinct = after.size === posting.legs.length;
    const running = distinct ? undefined : new Map<AccountId, Fen>();
    const legs = posting.legs.map((leg) => {
      let balanceAfter: Fen;
      if (running === undefined) balanceAfter = after.get(leg.account) as Fen;
      else {
        balanceAfter = (running.get(leg.account) ?? this.balanceOf(leg.account)) + leg.amount;
        running.set(leg.account, balanceAfter);
      }
      // Field by field: V8 copies `{ ...leg, entryId, balanceAfter }` on a slow path, microseconds a leg.
      return { account: leg.account, amount: leg.amount, entryId: this.#nextEntryId++, balanceAfter };
    });
    for (const [account, balance] of after) this.balances.set(account, balance);
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

  putTransfer(transfer: Transfer, batch: Batch, at: Instant): void {
    const before = this.pending.get(transfer.id) ?? this.settledTransfers.get(transfer.id);
    const event = transferEvent(before, transfer, at);
    if (event !== undefined) this.recordEvent(event, batch);
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
  putPacket(packet: RedPacket, batch: Batch, grabbed: boolean, at: Instant): void {
    const wasOpen = this.packets.has(packet.id);
    const members = packet.groupId === null ? undefined : this.groups.get(packet.groupId);
    const event = packetEvent(wasOpen, packet, members, at);
    if (event !== undefined) this.recordEvent(event, batch);
    if (!wasOpen && packet.status === "active") {
      this.#arm("expiry", packet.expiresAt, packet.id);
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
    this.#trackCampaign(campaign, 0, new Map(), false);
    batch.campaigns.push(campaign);
  }

  /** campaign.started, once: its timer fires again after a restart, the event does not. */
  announceStart(open: CampaignState, at: Instant, batch: Batch): void {
    if (open.startAnnounced) return;
    open.startAnnounced = true;
    this.recordEvent(campaignEvent("campaign.started", open.campaign, claimedOf(open), at), batch);
  }

  /**
   * Counts committed claims into a campaign; campaign.sold_out when they spend what a claim
   * needs. Committed amounts only grow while a campaign is open, so this happens once.
   */
  addClaims(open: CampaignState, count: number, amount: Fen, at: Instant, batch: Batch): void {
    const wasSoldOut = isSoldOut(open.campaign, open.campaign.budget - open.claimedAmount);
    open.claimedCount += count;
    open.claimedAmount += amount;
    if (
      open.campaign.status === "open" &&
      !wasSoldOut &&
      isSoldOut(open.campaign, open.campaign.budget - open.claimedAmount)
    ) {
      this.recordEvent(campaignEvent("campaign.sold_out", open.campaign, claimedOf(open), at), batch);
    }
  }

  #trackCampaign(
    campaign: Campaign,
    claimedAmount: Fen,
    claimsByUser: ReadonlyMap<string, number>,
    startAnnounced: boolean,
  ): void {
    let claimedCount = 0;
    for (const count of claimsByUser.values()) claimedCount += count;
    if (campaign.status !== "open") {
      this.endedCampaigns.set(campaign.id, campaign);
      return;
    }
    this.campaigns.set(campaign.id, {
      campaign,
      unreserved: campaign.budget - claimedAmount,
      claimsByUser: new Map(claimsByUser),
      claimedCount,
      claimedAmount,
      waitingClaims: 0,
      startAnnounced,
    });
    this.#arm("campaignStart", campaign.startsAt, campaign.id);
    this.#arm("campaignEnd", campaign.endsAt, campaign.id);
  }

  /** Records a campaign's end; its claim maps are freed once no claim of it waits for a batch. */
  endCampaign(open: CampaignState, ended: Campaign, batch: Batch, at: Instant): void {
    open.campaign = ended;
    open.unreserved = 0;
    batch.campaigns.push(ended);
    this.recordEvent(campaignEvent("campaign.ended", ended, claimedOf(open), at), batch);
    this.forgetIfSettled(open);
  }

  /** Drops an ended campaign's claim maps when nothing more can happen to it. */
  forgetIfSettled(open: CampaignState): void {
    if (open.campaign.status === "open" || open.waitingClaims > 0) return;
    this.campaigns.delete(open.campaign.id);
    this.endedCampaigns.set(open.campaign.id, open.campaign);
  }

  /** An open or recently ended campaign, as memory knows it. */
  campaignOf(id: string): Campaign | undefined {
    return this.campaigns.get(id)?.campaign ?? this.endedCampaigns.get(id);
  }

  /** What a user put into red packets on an Asia/Shanghai day, as memory counts it. */
  sentOn(userId: string, day: string): SentToday {
    return this.#sentByDay.get(day)?.get(userId) ?? NOTHING_SENT;
  }

  countSent(userId: string, day: string, amount: Fen): void {
    let senders = this.#sentByDay.get(day);
    if (senders === undefined) {
      senders = new Map();
      this.#sentByDay.set(day, senders);
      // "YYYY-MM-DD" strings order as dates: the oldest day goes.
      while (this.#sentByDay.size > 2) this.#sentByDay.delete([...this.#sentByDay.keys()].sort()[0] as string);
    }
    const sent = senders.get(userId) ?? NOTHING_SENT;
    senders.set(userId, { count: sent.count + 1, amount: sent.amount + amount });
  }

  /** The day's counts as the store has them, after a load. */
  restoreSent(day: string, rows: readonly { sender: string; count: number; amount: Fen }[]): void {
    this.#sentByDay.clear();
    this.#sentByDay.set(day, new Map(rows.map((row) => [row.sender, { count: row.count, amount: row.amount }])));
  }

  /** The instant the next timer of any kind is due, or undefined when none is set. */
  nextDueAt(): Instant | undefined {
    return this.#timers.peekAt();
  }

  /** The next timer due by `at` whose object is still live, removed from the heap. */
  nextDueTimer(at: Instant): DueTimer | undefined {
    return this.#timers.popDue(at, (key) => this.#liveTimer(key));
  }

  #arm(kind: TimerKind, at: Instant, id: string): void {
    this.#timers.push(at, TIMER_TAG[kind] + id);
  }

  #liveTimer(key: string): DueTimer | undefined {
    const id = key.slice(1);
    switch (key[0]) {
      case TIMER_TAG.refund: {
        const transfer = this.pending.get(id);
        return transfer && { kind: "refund", transfer };
      }
      case TIMER_TAG.expiry: {
        const packet = this.packets.get(id);
        return packet && { kind: "expiry", packet };
      }
      case TIMER_TAG.campaignStart: {
        const campaign = this.campaigns.get(id);
        return campaign?.campaign.status === "open" ? { kind: "campaignStart", campaign } : undefined;
      }
      case TIMER_TAG.campaignEnd: {
        const campaign = this.campaigns.get(id);
        return campaign?.campaign.status === "open" ? { kind: "campaignEnd", campaign } : undefined;
      }
      default:
        throw new Error(`unknown timer ${key}`);
    }
  }

  /** How much memory holds, by kind: for operators and for tests that memory stays bounded. */
  sizes(): LedgerStateSizes {
    let claimMapEntries = 0;
    for (const open of this.campaigns.values()) claimMapEntries += open.claimsByUser.size;
    return {
      users: this.phones.size,
      pendingTransfers: this.pending.size,
      openPackets: this.packets.size,
      groups: this.groups.size,
      campaignsInMemory: this.campaigns.size,
      claimMapEntries,
      endedCampaignsRemembered: this.endedCampaigns.size,
      settledPacketsRemembered: this.settled.size,
      settledTransfersRemembered: this.settledTransfers.size,
      timers: this.#timers.size,
    };
  }

  #trackPending(transfer: Transfer): void {
    this.pending.set(transfer.id, transfer);
    this.#pendingByUser.set(transfer.from, this.pendingCount(transfer.from) + 1);
    this.#arm("refund", transfer.refundAt, transfer.id);
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
  /** Claims reserved and not yet posted or given back: the state stays in memory while any wait. */
  waitingClaims: number;
  /** campaign.started is in the outbox (from the store after a restart). */
  startAnnounced: boolean;
}

function claimedOf(open: CampaignState): { count: number; amount: Fen } {
  return { count: open.claimedCount, amount: open.claimedAmount };
}

export interface LedgerStateSizes {
  readonly users: number;
  readonly pendingTransfers: number;
  readonly openPackets: number;
  readonly groups: number;
  readonly campaignsInMemory: number;
  readonly claimMapEntries: number;
  readonly endedCampaignsRemembered: number;
  readonly settledPacketsRemembered: number;
  readonly settledTransfersRemembered: number;
  readonly timers: number;
}

export function userNotFound(): Result<never> {
  return fail("USER_NOT_FOUND", "no such user");
}
