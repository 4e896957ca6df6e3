import type { AccountId } from "../domain/accounts.js";
import type { Campaign } from "../domain/campaign.js";
import type { EventRecord } from "../domain/events.js";
import type { Group } from "../domain/group.js";
import type { Leg, PostingKind } from "../domain/ledger.js";
import type { Fen } from "../domain/money.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { Instant } from "../domain/time.js";
import type { Transfer } from "../domain/transfer.js";
import type { EventStore } from "../webhooks/event-store.js";

/**
 * The port the engine owns and every store implements (src/store/sqlite, later
 * src/store/postgres). The engine is the only writer: it hands over one batch at a time
 * and waits until the batch is durable before it answers anybody in it.
 */
export interface UserRecord {
  readonly id: string;
  readonly phone: string;
  readonly name: string;
  readonly createdAt: Instant;
}

/** A posting with the ids the engine gave it and every leg's balance after it. */
export interface PostingRecord {
  readonly id: number;
  readonly kind: PostingKind;
  readonly ref: string;
  readonly at: Instant;
  readonly legs: readonly (Leg & { readonly entryId: number; readonly balanceAfter: Fen })[];
}

/**
 * What a command with an idempotency key came to, kept so a retry gets the same answer.
 * `outcome` is JSON: `{"result": …}`, the command's result, from which the answer is
 * rendered again on every replay; rows written before views ran after the commit hold
 * `{"answer": {"status", "body"}}` instead.
 */
export interface IdempotencyRecord {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
  readonly outcome: string;
  readonly createdAt: Instant;
}

export interface Batch {
  readonly users: UserRecord[];
  readonly postings: PostingRecord[];
  /** New and changed transfers; the last version of each in the batch wins. */
  readonly transfers: Transfer[];
  readonly groups: Group[];
  /** New and changed packets (the grabs are written from `grabs`). */
  readonly packets: RedPacket[];
  readonly grabs: GrabRecord[];
  readonly idempotency: IdempotencyRecord[];
  /** New and changed campaigns. */
  readonly campaigns: Campaign[];
  readonly claims: ClaimRecord[];
  /** Special days an operator added, as validated rule documents. */
  readonly specialDays: unknown[];
  /** The outbox: events of the changes above, in the order they happened. */
  readonly events: EventRecord[];
  /** Forget idempotency keys created before this instant. */
  readonly idempotencyForgetBefore: Instant | null;
}

export interface GrabRecord {
  readonly packetId: string;
  /** 0-based position in the grab order; the share it took is shares[seq]. */
  readonly seq: number;
  readonly userId: string;
  readonly amount: Fen;
  readonly at: Instant;
}

export interface ClaimRecord {
  readonly campaignId: string;
  readonly userId: string;
  /** 1 for a user's first claim of the campaign, 2 for the second … up to the per-user limit. */
  readonly n: number;
  readonly amount: Fen;
  readonly at: Instant;
  readonly postingId: number;
}

/** A campaign as memory needs it: the campaign, and who has claimed how often. */
export interface CampaignSnapshot {
  readonly campaign: Campaign;
  readonly claimedAmount: Fen;
  readonly claimsByUser: ReadonlyMap<string, number>;
  /** Its campaign.started event is in the outbox. */
  readonly startAnnounced: boolean;
}

/** What the engine needs in memory to validate commands after a restart. */
export interface Snapshot {
  readonly balances: Map<AccountId, Fen>;
  readonly users: readonly Pick<UserRecord, "id" | "phone">[];
  readonly pendingTransfers: readonly Transfer[];
  readonly groups: readonly Pick<Group, "id" | "owner" | "memberIds">[];
  /** Packets still open, with their grabs. */
  readonly activePackets: readonly RedPacket[];
  /** Campaigns still open, with their claims so far. */
  readonly openCampaigns: readonly CampaignSnapshot[];
  /** Operators' special days, oldest first, to lay over the rule set. */
  readonly specialDays: readonly unknown[];
  readonly nextPostingId: number;
  readonly nextEntryId: number;
  readonly nextEventSeq: number;
}

export interface StatementEntry {
  readonly entryId: number;
  readonly postingId: number;
  readonly kind: PostingKind;
  readonly ref: string;
  readonly at: Instant;
  readonly amount: Fen;
  readonly balanceAfter: Fen;
}

/**
 * A page of a list, Stripe-style: at most `limit` items newest first, after the item
 * `startingAfter` (older ones) or before `endingBefore` (newer ones), never both.
 */
export interface PageRequest {
  readonly limit: number;
  readonly startingAfter: string | null;
  readonly endingBefore: string | null;
}

export interface Page<T> {
  /** Newest first. */
  readonly items: T[];
  /** More items follow in the direction the page was read. */
  readonly hasMore: boolean;
}

export type TransferFilter = "all" | "incoming" | "outgoing" | "pending";

/** Packets a user sent, packets a user grabbed a share of, or a group's packets. */
export type PacketList =
  | { readonly by: "sender"; readonly id: string }
  | { readonly by: "grabber"; readonly id: string }
  | { readonly by: "group"; readonly id: string };

export interface StoreLists {
  /** A user's transfers, sent and received, or one side, or those still waiting for an answer. */
  transfers(userId: string, filter: TransferFilter, page: PageRequest): Promise<Page<Transfer>>;
  /** Packets with their grabs in order. */
  packets(list: PacketList, page: PageRequest): Promise<Page<RedPacket>>;
  /** Campaigns with their committed claim totals. */
  campaigns(page: PageRequest): Promise<Page<{ campaign: Campaign; claimedAmount: Fen; claimedCount: number }>>;
  /** Users, newest first by creation. */
  users(page: PageRequest): Promise<Page<UserRecord>>;
}

export interface LedgerStore {
  /** The outbox's readers and the webhook deliveries (src/webhooks/event-store.ts). */
  readonly events: EventStore;
  /** Reads the state the engine rebuilds memory from, checking the ledger as it goes. */
  load(): Promise<Snapshot>;
  /** Writes one batch atomically and durably; a failure leaves nothing of it behind. */
  commit(batch: Batch): Promise<void>;
  /**
   * Commits run off the event loop (a worker thread): the engine then applies the next batch
   * while one commits (decision 0059). Absent or false: nothing would overlap, one at a time.
   */
  readonly commitsOffLoop?: boolean;
  user(id: string): Promise<UserRecord | undefined>;
  userByPhone(phone: string): Promise<UserRecord | undefined>;
  balance(account: AccountId): Promise<Fen>;
  transfer(id: string): Promise<Transfer | undefined>;
  /** Entries of one account, newest first, with ids below `beforeEntryId`. */
  statement(account: AccountId, beforeEntryId: number | null, limit: number): Promise<StatementEntry[]>;
  postingsOf(ref: string): Promise<PostingRecord[]>;
  group(id: string): Promise<Group | undefined>;
  campaign(id: string): Promise<{ campaign: Campaign; claimedAmount: Fen; claimedCount: number } | undefined>;
  /** A packet with its grabs in order. */
  packet(id: string): Promise<RedPacket | undefined>;
  idempotency(scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Pages of the lists readers browse (src/store/lists.ts serves both stores). */
  readonly lists: StoreLists;
  /** Red packets sent since an instant, per sender: how memory learns today's counts for the per-day caps. */
  packetsSentSince(since: Instant): Promise<{ sender: string; count: number; amount: Fen }[]>;
  /** The sum of every account's balance; zero in a sound ledger. */
  balanceSum(): Promise<Fen>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
