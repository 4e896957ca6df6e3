import { createHash } from "node:crypto";
import pg from "pg";
import type { AccountId } from "../../domain/accounts.js";
import type { Campaign } from "../../domain/campaign.js";
import type { Group } from "../../domain/group.js";
import type { PostingKind } from "../../domain/ledger.js";
import type { Fen } from "../../domain/money.js";
import type { RedPacket } from "../../domain/red-packet.js";
import { isJustSent, type Transfer } from "../../domain/transfer.js";
import type {
  Batch,
  CampaignSnapshot,
  IdempotencyRecord,
  LedgerStore,
  PostingRecord,
  Snapshot,
  StatementEntry,
  UserRecord,
} from "../../engine/store-port.js";
import { CoverTables } from "../cover-tables.js";
import type { IdentityStore } from "../identity-port.js";
import { IdentityTables, type RunSql } from "../identity-tables.js";
import { Lists } from "../lists.js";
import {
  type CampaignRow,
  campaignOf,
  claimTotalsOf,
  type PacketRow,
  packetOf,
  type TransferRow,
  transferOf,
} from "../rows.js";
import { MIGRATIONS } from "./migrations.js";
import { PostgresEvents } from "./postgres-events.js";
import { inTransaction } from "./transaction.js";

export interface PostgresStoreOptions {
  /** A postgres:// connection string. */
  readonly url: string;
  /** The shard this writer owns; every row it reads and writes is in it. */
  readonly shard?: number;
  /** Re-add every account's entries at load and compare with its balance (O(entries)). */
  readonly verifyOnLoad?: boolean;
  /** Connections for reads (the batch has its own). */
  readonly readConnectionsMax?: number;
}

/** A batch refused because another writer has taken the lease since this one got it. */
export class WriterFencedError extends Error {
  constructor(
    readonly heldEpoch: number,
    readonly currentEpoch: number | undefined,
  ) {
    super(`writer fenced: this writer holds epoch ${heldEpoch}, the lease is at ${String(currentEpoch)}`);
  }
}

/** A COMMIT that PostgreSQL reported after its wait for the synchronous standby was cancelled. */
export class UnreplicatedCommitError extends Error {
  constructor(notice: string) {
    super(`the batch committed on the primary but may not be on the standby (${notice}): its outcome is unknown`);
  }
}

/** The warning PostgreSQL gives when it stops waiting for the synchronous standby (syncrep.c). */
export function isUnreplicatedCommit(message: string | undefined): boolean {
  return message !== undefined && /^canceling (the )?wait for synchronous replication/i.test(message);
}

/** bigint and numeric as numbers: every amount and instant here is a safe integer (fen, ms). */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return safeInteger;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

function safeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`integer out of the safe range: ${text}`);
  return value;
}

/**
 * A session whose batch is left open (its writer paused, SIGSTOP or a long GC) is ended by
 * the server after this long: its row lock on the lease would otherwise stop a takeover.
 */
const IDLE_IN_BATCH_MS_MAX = 2_000;

/** Keeps the last of each id: a batch carries every version of a changed row, the last wins. */
function lastOfEach<T extends { readonly id: string }>(rows: readonly T[]): T[] {
  const byId = new Map<string, T>();
  for (const row of rows) byId.set(row.id, row);
  return [...byId.values()];
}

type Queryable = Pick<pg.ClientBase, "query">;

/**
 * The scale-out store: a PostgreSQL database through node-postgres. One batch is one
 * transaction on the writer's own connection, one multi-row statement per table (rows passed
 * as arrays and expanded with unnest), so a batch of two thousand commands costs a dozen
 * round trips, not thousands. With a fencing epoch set, every batch first locks the lease row
 * and checks the epoch: a writer that lost its lease commits nothing. All SQL of this store
 * lives in this file.
 */
export class PostgresStore implements LedgerStore {
  readonly #url: string;
  readonly #shard: number;
  readonly #verifyOnLoad: boolean;
  readonly #reads: pg.Pool;
  /** The outbox's readers and the webhook deliveries, on the read pool. */
  readonly events: PostgresEvents;
  #writer: pg.Client | undefined;
  #fence: { epoch: number; onFenced: (error: WriterFencedError) => void } | undefined;
  #fenced: WriterFencedError | undefined;
  #identity: IdentityStore | undefined;
  #covers: CoverTables | undefined;
  readonly lists: Lists;

  private constructor(options: PostgresStoreOptions) {
    this.#url = options.url;
    this.#shard = options.shard ?? 0;
    if (!Number.isSafeInteger(this.#shard) || this.#shard < 0) throw new Error(`not a shard number: ${this.#shard}`);
    this.#verifyOnLoad = options.verifyOnLoad ?? true;
    this.#reads = new pg.Pool({
      connectionString: options.url,
      max: options.readConnectionsMax ?? 4,
      types: TYPES,
      application_name: "hongbao-read",
    });
    // An idle connection that breaks (a server restart) is dropped from the pool; the next read reconnects.
    this.#reads.on("error", () => {});
    this.lists = new Lists(
      { placeholder: (n) => `$${n}`, shard: this.#shard },
      // Named, so each connection plans a list's few shapes once, not on every page.
      async <T>(query: { sql: string; params: unknown[] }) =>
        (await this.#reads.query({ name: statementName(query.sql), text: query.sql, values: query.params }))
          .rows as T[],
    );
    this.events = new PostgresEvents(this.#reads, this.#shard);
  }

  /** Connects and brings the schema up to date. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const store = new PostgresStore(options);
    try {
      await migrate(store.#reads);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  get shard(): number {
    return this.#shard;
  }

  /**
   * From now on every batch checks, inside its transaction, that the lease is still at
   * `epoch`; the first that finds it moved is refused, as is every batch after it.
   */
  fenceWith(epoch: number, onFenced: (error: WriterFencedError) => void = () => {}): void {
    this.#fence = { epoch, onFenced };
  }

  async #writerClient(): Promise<pg.Client> {
    if (this.#writer !== undefined) return this.#writer;
    const client = new pg.Client({
      connectionString: this.#url,
      types: TYPES,
      application_name: "hongbao-writer",
      idle_in_transaction_session_timeout: IDLE_IN_BATCH_MS_MAX,
    });
    client.on("error", () => {
      if (this.#writer === client) this.#writer = undefined;
    });
    await client.connect();
    this.#writer = client;
    return client;
  }

  async commit(batch: Batch): Promise<void> {
    if (this.#fenced !== undefined) throw this.#fenced;
    const client = await this.#writerClient();
    try {
      await this.#begin(client);
      await this.#write(client, batch);
      await this.#commitReplicated(client);
    } catch (error) {
      // A broken connection cannot roll back; the server ends its transaction when it notices.
      if (this.#writer === client) {
        await client.query("ROLLBACK").catch(() => {
          this.#writer = undefined;
          client.end().catch(() => {});
        });
      }
      throw error;
    }
  }

  /**
   * COMMIT, refusing the one success PostgreSQL reports that is not one: a commit whose wait
   * for the synchronous standby was cancelled is committed on the primary alone, and the
   * server says so only in a warning (docs/replication.md). The batch then counts as failed
   * with an unknown outcome: nobody in it is told it succeeded, and the engine reloads memory
   * from the database before it writes again.
   */
  async #commitReplicated(client: pg.Client): Promise<void> {
    let unreplicated: string | undefined;
    const onNotice = (notice: { message?: string }) => {
      if (isUnreplicatedCommit(notice.message)) unreplicated = notice.message;
    };
    client.on("notice", onNotice);
    try {
      await client.query("COMMIT");
    } finally {
      client.off("notice", onNotice);
    }
    if (unreplicated !== undefined) throw new UnreplicatedCommitError(unreplicated);
  }

  /**
   * BEGIN, and with a fence the check of the lease's epoch, in one round trip (one simple
   * query of two statements): the check costs the batch no wait of its own.
   */
  async #begin(client: pg.Client): Promise<void> {
    const fence = this.#fence;
    if (fence === undefined) {
      await client.query("BEGIN");
      return;
    }
    // FOR SHARE holds the row until COMMIT: a takeover (an UPDATE of this row) waits for this
    // batch to finish, or this batch sees the takeover's epoch. Either way a batch is durable
    // before the next writer loads, or it is not written at all. The shard is a checked
    // integer of this writer's own configuration, so it may stand in the text.
    const results = (await client.query(
      `BEGIN; SELECT epoch FROM writer_lease WHERE shard = ${this.#shard} FOR SHARE`,
    )) as unknown as pg.QueryResult<{ epoch: number }>[];
    const current = results[1]?.rows[0]?.epoch;
    if (current === fence.epoch) return;
    this.#fenced = new WriterFencedError(fence.epoch, current);
    fence.onFenced(this.#fenced);
    throw this.#fenced;
  }

  async #write(client: Queryable, batch: Batch): Promise<void> {
    const shard = this.#shard;
    if (batch.users.length > 0) {
      const u = batch.users;
      await client.query(
        `INSERT INTO users (shard, id, phone, name, created_at)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [shard, u.map((r) => r.id), u.map((r) => r.phone), u.map((r) => r.name), u.map((r) => r.createdAt)],
      );
    }
    if (batch.postings.length > 0) await this.#writePostings(client, batch.postings);
    if (batch.groups.length > 0) {
      const g = batch.groups;
      await client.query(
        `INSERT INTO groups (shard, id, name, owner, created_at)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[])`,
        [shard, g.map((r) => r.id), g.map((r) => r.name), g.map((r) => r.owner), g.map((r) => r.createdAt)],
      );
      const members = g.flatMap((group) => group.memberIds.map((userId, position) => ({ group, userId, position })));
      await client.query(
        `INSERT INTO group_members (shard, group_id, position, user_id)
         SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::text[])`,
        [shard, members.map((m) => m.group.id), members.map((m) => m.position), members.map((m) => m.userId)],
      );
    }
    if (batch.packets.length > 0) await this.#writePackets(client, lastOfEach(batch.packets));
    if (batch.campaigns.length > 0) await this.#writeCampaigns(client, lastOfEach(batch.campaigns));
    if (batch.claims.length > 0) {
      const c = batch.claims;
      await client.query(
        `INSERT INTO campaign_claims (shard, campaign_id, user_id, n, amount, at, posting_id)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::integer[], $5::bigint[], $6::bigint[], $7::bigint[])`,
        [
          shard,
          c.map((r) => r.campaignId),
          c.map((r) => r.userId),
          c.map((r) => r.n),
          c.map((r) => r.amount),
          c.map((r) => r.at),
          c.map((r) => r.postingId),
        ],
      );
    }
    if (batch.claims.length > 0) {
      const totals = claimTotalsOf(batch.claims);
      await client.query(
        `UPDATE campaigns c SET claimed_count = c.claimed_count + t.count, claimed_amount = c.claimed_amount + t.amount
         FROM unnest($2::text[], $3::integer[], $4::bigint[]) AS t(id, count, amount)
         WHERE c.shard = $1 AND c.id = t.id`,
        [shard, totals.map((t) => t.campaignId), totals.map((t) => t.count), totals.map((t) => t.amount)],
      );
    }
    if (batch.specialDays.length > 0) {
      // Identities follow the ORDER BY: the days keep the order they were added in.
      await client.query(
        "INSERT INTO special_days (rule) SELECT rule FROM unnest($1::text[]) WITH ORDINALITY AS r(rule, n) ORDER BY n",
        [batch.specialDays.map((rule) => JSON.stringify(rule))],
      );
    }
    if (batch.grabs.length > 0) {
      const g = batch.grabs;
      await client.query(
        `INSERT INTO grabs (shard, packet_id, seq, user_id, amount, at)
         SELECT $1, * FROM unnest($2::text[], $3::integer[], $4::text[], $5::bigint[], $6::bigint[])`,
        [
          shard,
          g.map((r) => r.packetId),
          g.map((r) => r.seq),
          g.map((r) => r.userId),
          g.map((r) => r.amount),
          g.map((r) => r.at),
        ],
      );
    }
    if (batch.transfers.length > 0) await this.#writeTransfers(client, batch.transfers);
    if (batch.idempotency.length > 0) {
      const k = batch.idempotency;
      await client.query(
        `INSERT INTO idempotency (shard, scope, key, request_hash, outcome, created_at)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
        [
          shard,
          k.map((r) => r.scope),
          k.map((r) => r.key),
          k.map((r) => r.requestHash),
          k.map((r) => r.outcome),
          k.map((r) => r.createdAt),
        ],
      );
    }
    if (batch.idempotencyForgetBefore !== null) {
      await client.query("DELETE FROM idempotency WHERE shard = $1 AND created_at < $2", [
        shard,
        batch.idempotencyForgetBefore,
      ]);
    }
    await this.events.write(client, batch.events);
  }

  async #writePostings(client: Queryable, postings: readonly PostingRecord[]): Promise<void> {
    await client.query(
      `INSERT INTO postings (shard, id, kind, ref, at)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[])`,
      [
        this.#shard,
        postings.map((p) => p.id),
        postings.map((p) => p.kind),
        postings.map((p) => p.ref),
        postings.map((p) => p.at),
      ],
    );
    const legs = postings.flatMap((posting) => posting.legs.map((leg) => ({ posting, leg })));
    await client.query(
      `INSERT INTO entries (shard, id, posting_id, account, amount, balance_after)
       SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[])`,
      [
        this.#shard,
        legs.map((l) => l.leg.entryId),
        legs.map((l) => l.posting.id),
        legs.map((l) => l.leg.account),
        legs.map((l) => l.leg.amount),
        legs.map((l) => l.leg.balanceAfter),
      ],
    );
  }

  async #writePackets(client: Queryable, packets: readonly RedPacket[]): Promise<void> {
    const p = packets;
    await client.query(
      `INSERT INTO red_packets (shard, id, sender, kind, amount, count, group_id, recipient, greeting, password_hash,
         shares, salt, commitment, status, created_at, expires_at, settled_at, nature_hints, warnings, cover_id)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::integer[], $7::text[], $8::text[],
         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::bigint[],
         $17::bigint[], $18::text[], $19::text[], $20::text[])
       ON CONFLICT (shard, id) DO UPDATE SET status = excluded.status, settled_at = excluded.settled_at`,
      [
        this.#shard,
        p.map((r) => r.id),
        p.map((r) => r.sender),
        p.map((r) => r.kind),
        p.map((r) => r.amount),
        p.map((r) => r.count),
        p.map((r) => r.groupId),
        p.map((r) => r.recipient),
        p.map((r) => r.greeting),
        p.map((r) => r.passwordHash),
        p.map((r) => JSON.stringify(r.shares)),
        p.map((r) => r.salt),
        p.map((r) => r.commitment),
        p.map((r) => r.status),
        p.map((r) => r.createdAt),
        p.map((r) => r.expiresAt),
        p.map((r) => r.settledAt),
        p.map((r) => JSON.stringify(r.natureHints)),
        p.map((r) => JSON.stringify(r.warnings)),
        p.map((r) => r.coverId ?? null),
      ],
    );
  }

  async #writeCampaigns(client: Queryable, campaigns: readonly Campaign[]): Promise<void> {
    const c = campaigns;
    await client.query(
      `INSERT INTO campaigns (shard, id, name, budget, amount_rule, starts_at, ends_at, per_user_limit, created_at, status, returned,
         paused_at, closed_at)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[], $8::integer[],
         $9::bigint[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[])
       ON CONFLICT (shard, id) DO UPDATE SET status = excluded.status, returned = excluded.returned,
         paused_at = excluded.paused_at, closed_at = excluded.closed_at`,
      [
        this.#shard,
        c.map((r) => r.id),
        c.map((r) => r.name),
        c.map((r) => r.budget),
        c.map((r) => JSON.stringify(r.amount)),
        c.map((r) => r.startsAt),
        c.map((r) => r.endsAt),
        c.map((r) => r.perUserLimit),
        c.map((r) => r.createdAt),
        c.map((r) => r.status),
        c.map((r) => r.returned),
        c.map((r) => r.pausedAt),
        c.map((r) => r.closedAt),
      ],
    );
  }

  /**
   * New transfers by a plain INSERT, changed ones by an UPDATE of what can change: an upsert
   * of every row (INSERT … ON CONFLICT DO UPDATE) cost the transfer batch about a tenth more
   * (docs/decisions/0044). Either statement refuses what the other would have silently
   * done: a new id already present fails the batch, as does a change to a missing row.
   */
  async #writeTransfers(client: Queryable, versions: readonly Transfer[]): Promise<void> {
    const sentNow = new Set(versions.filter(isJustSent).map((transfer) => transfer.id));
    const last = lastOfEach(versions);
    const t = last.filter((transfer) => sentNow.has(transfer.id));
    if (t.length > 0) {
      await client.query(
        `INSERT INTO transfers (shard, id, from_user, to_user, amount, memo, nature, due_date, status, created_at, refund_at,
           answered_at, nature_hints, warnings, loan_acknowledged_at)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::bigint[])`,
        [
          this.#shard,
          t.map((r) => r.id),
          t.map((r) => r.from),
          t.map((r) => r.to),
          t.map((r) => r.amount),
          t.map((r) => r.memo),
          t.map((r) => r.nature),
          t.map((r) => r.dueDate),
          t.map((r) => r.status),
          t.map((r) => r.createdAt),
          t.map((r) => r.refundAt),
          t.map((r) => r.answeredAt),
          t.map((r) => JSON.stringify(r.natureHints)),
          t.map((r) => JSON.stringify(r.warnings)),
          t.map((r) => r.loanAcknowledgedAt),
        ],
      );
    }
    const u = last.filter((transfer) => !sentNow.has(transfer.id));
    if (u.length === 0) return;
    const updated = await client.query(
      `UPDATE transfers AS t SET status = u.status, answered_at = u.answered_at,
         loan_acknowledged_at = COALESCE(t.loan_acknowledged_at, u.loan_acknowledged_at)
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u (id, status, answered_at, loan_acknowledged_at)
       WHERE t.shard = $1 AND t.id = u.id`,
      [
        this.#shard,
        u.map((r) => r.id),
        u.map((r) => r.status),
        u.map((r) => r.answeredAt),
        u.map((r) => r.loanAcknowledgedAt),
      ],
    );
    if (updated.rowCount !== u.length) {
      throw new Error(`a batch changes ${u.length} transfers, ${updated.rowCount ?? 0} of them are in the store`);
    }
  }

  /** Everything memory needs, read in one snapshot so a batch committed meanwhile is in it or not at all. */
  async load(): Promise<Snapshot> {
    const client = await this.#reads.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const snapshot = await this.#loadIn(client);
      await client.query("COMMIT");
      return snapshot;
    } finally {
      client.release();
    }
  }

  async #loadIn(client: pg.PoolClient): Promise<Snapshot> {
    const shard = [this.#shard];
    const balances = new Map<AccountId, Fen>();
    const last = await client.query<{ account: string; balance_after: number }>(
      "SELECT DISTINCT ON (account) account, balance_after FROM entries WHERE shard = $1 ORDER BY account, id DESC",
      shard,
    );
    for (const row of last.rows) balances.set(row.account, row.balance_after);
    if (this.#verifyOnLoad) await this.#verify(client, balances);
    const users = (
      await client.query<{ id: string; phone: string }>("SELECT id, phone FROM users WHERE shard = $1", shard)
    ).rows;
    for (const user of users) if (!balances.has(user.id)) balances.set(user.id, 0);
    const pendingTransfers = (
      await client.query<TransferRow>("SELECT * FROM transfers WHERE shard = $1 AND status = 'pending'", shard)
    ).rows.map(transferOf);
    const members = new Map<string, string[]>();
    for (const row of (
      await client.query<{ group_id: string; user_id: string }>(
        "SELECT group_id, user_id FROM group_members WHERE shard = $1 ORDER BY group_id, position",
        shard,
      )
    ).rows) {
      const list = members.get(row.group_id) ?? [];
      list.push(row.user_id);
      members.set(row.group_id, list);
    }
    const groups = (
      await client.query<{ id: string; owner: string }>("SELECT id, owner FROM groups WHERE shard = $1", shard)
    ).rows.map(({ id, owner }) => ({ id, owner, memberIds: members.get(id) ?? [] }));
    const activePackets = await this.#activePackets(client);
    const next = (
      await client.query<{ posting: number; entry: number }>(
        `SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM postings WHERE shard = $1) AS posting,
                (SELECT COALESCE(MAX(id), 0) + 1 FROM entries WHERE shard = $1) AS entry`,
        shard,
      )
    ).rows[0] as { posting: number; entry: number };
    const specialDays = (await client.query<{ rule: string }>("SELECT rule FROM special_days ORDER BY id")).rows.map(
      (row) => JSON.parse(row.rule) as unknown,
    );
    return {
      balances,
      users,
      pendingTransfers,
      groups,
      activePackets,
      openCampaigns: await this.#openCampaigns(client),
      specialDays,
      nextPostingId: next.posting,
      nextEntryId: next.entry,
      nextEventSeq: (await this.events.lastSeq(client)) + 1,
    };
  }

  async #activePackets(client: pg.PoolClient): Promise<RedPacket[]> {
    const shard = [this.#shard];
    const grabs = new Map<string, RedPacket["grabs"][number][]>();
    for (const row of (
      await client.query<{ packet_id: string; user_id: string; amount: number; at: number }>(
        `SELECT g.packet_id, g.user_id, g.amount, g.at FROM grabs g
         JOIN red_packets p ON p.shard = g.shard AND p.id = g.packet_id
         WHERE g.shard = $1 AND p.status = 'active' ORDER BY g.packet_id, g.seq`,
        shard,
      )
    ).rows) {
      const list = grabs.get(row.packet_id) ?? [];
      list.push({ userId: row.user_id, amount: row.amount, at: row.at });
      grabs.set(row.packet_id, list);
    }
    return (
      await client.query<PacketRow>("SELECT * FROM red_packets WHERE shard = $1 AND status = 'active'", shard)
    ).rows.map((row) => packetOf(row, grabs.get(row.id) ?? []));
  }

  async #openCampaigns(client: pg.PoolClient): Promise<CampaignSnapshot[]> {
    const shard = [this.#shard];
    const rows = (
      await client.query<CampaignRow>("SELECT * FROM campaigns WHERE shard = $1 AND status = 'open'", shard)
    ).rows;
    const claims = await client.query<{ campaign_id: string; user_id: string; claims: number; amount: number }>(
      `SELECT c.campaign_id, c.user_id, COUNT(*) AS claims, SUM(c.amount) AS amount FROM campaign_claims c
       JOIN campaigns k ON k.shard = c.shard AND k.id = c.campaign_id
       WHERE c.shard = $1 AND k.status = 'open' GROUP BY c.campaign_id, c.user_id`,
      shard,
    );
    const byCampaign = new Map<string, { claimsByUser: Map<string, number>; claimedAmount: number }>();
    for (const row of rows) byCampaign.set(row.id, { claimsByUser: new Map(), claimedAmount: 0 });
    for (const row of claims.rows) {
      const open = byCampaign.get(row.campaign_id);
      if (open === undefined) continue;
      open.claimsByUser.set(row.user_id, row.claims);
      open.claimedAmount += row.amount;
    }
    const started = await this.events.startedCampaigns(
      client,
      rows.map((row) => row.id),
    );
    return rows.map((row) => {
      const open = byCampaign.get(row.id) as { claimsByUser: Map<string, number>; claimedAmount: number };
      return {
        campaign: campaignOf(row),
        claimedAmount: open.claimedAmount,
        claimsByUser: open.claimsByUser,
        startAnnounced: started.has(row.id),
      };
    });
  }

  /**
   * The read-back half of the balance check, as the SQLite store does it: postings balance,
   * every account's last balance is the sum of its entries, balances sum to zero, and no
   * account but funding is below zero.
   */
  async #verify(client: pg.PoolClient, balances: Map<AccountId, Fen>): Promise<void> {
    const shard = [this.#shard];
    const unbalanced = await client.query<{ posting_id: number }>(
      "SELECT posting_id FROM entries WHERE shard = $1 GROUP BY posting_id HAVING SUM(amount) <> 0 LIMIT 1",
      shard,
    );
    const posting = unbalanced.rows[0]?.posting_id;
    if (posting !== undefined) throw new Error(`ledger check failed: posting ${posting} does not balance`);
    const sums = await client.query<{ account: string; total: number }>(
      "SELECT account, SUM(amount) AS total FROM entries WHERE shard = $1 GROUP BY account",
      shard,
    );
    for (const { account, total } of sums.rows) {
      if ((balances.get(account) ?? 0) !== total) {
        throw new Error(`ledger check failed: account ${account}'s last balance is not the sum of its entries`);
      }
    }
    let sum = 0;
    for (const [account, balance] of balances) {
      if (balance < 0 && account !== "funding") throw new Error(`ledger check failed: account ${account} is below 0`);
      sum += balance;
    }
    if (sum !== 0) throw new Error("ledger check failed: balances do not sum to zero");
  }

  async #one<T extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<T | undefined> {
    return (await this.#reads.query<T>(sql, values)).rows[0];
  }

  async user(id: string): Promise<UserRecord | undefined> {
    return this.#one<UserRecord>(
      `SELECT id, phone, name, created_at AS "createdAt" FROM users WHERE shard = $1 AND id = $2`,
      [this.#shard, id],
    );
  }

  async userByPhone(phone: string): Promise<UserRecord | undefined> {
    return this.#one<UserRecord>(
      `SELECT id, phone, name, created_at AS "createdAt" FROM users WHERE shard = $1 AND phone = $2`,
      [this.#shard, phone],
    );
  }

  async balance(account: AccountId): Promise<Fen> {
    const row = await this.#one<{ balance_after: number }>(
      "SELECT balance_after FROM entries WHERE shard = $1 AND account = $2 ORDER BY id DESC LIMIT 1",
      [this.#shard, account],
    );
    return row?.balance_after ?? 0;
  }

  async transfer(id: string): Promise<Transfer | undefined> {
    const row = await this.#one<TransferRow>("SELECT * FROM transfers WHERE shard = $1 AND id = $2", [this.#shard, id]);
    return row === undefined ? undefined : transferOf(row);
  }

  async statement(account: AccountId, beforeEntryId: number | null, limit: number): Promise<StatementEntry[]> {
    const { rows } = await this.#reads.query<StatementEntry>(
      `SELECT e.id AS "entryId", e.posting_id AS "postingId", p.kind, p.ref, p.at, e.amount, e.balance_after AS "balanceAfter"
       FROM entries e JOIN postings p ON p.shard = e.shard AND p.id = e.posting_id
       WHERE e.shard = $1 AND e.account = $2 AND e.id < $3 ORDER BY e.id DESC LIMIT $4`,
      [this.#shard, account, beforeEntryId ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return rows;
  }

  async postingsOf(ref: string): Promise<PostingRecord[]> {
    const { rows } = await this.#reads.query<{
      id: number;
      kind: PostingKind;
      ref: string;
      at: number;
      entryId: number;
      account: string;
      amount: number;
      balanceAfter: number;
    }>(
      `SELECT p.id, p.kind, p.ref, p.at, e.id AS "entryId", e.account, e.amount, e.balance_after AS "balanceAfter"
       FROM postings p JOIN entries e ON e.shard = p.shard AND e.posting_id = p.id
       WHERE p.shard = $1 AND p.ref = $2 ORDER BY p.id, e.id`,
      [this.#shard, ref],
    );
    const postings: PostingRecord[] = [];
    for (const row of rows) {
      let last = postings[postings.length - 1];
      if (last === undefined || last.id !== row.id) {
        last = { id: row.id, kind: row.kind, ref: row.ref, at: row.at, legs: [] };
        postings.push(last);
      }
      (last.legs as PostingRecord["legs"][number][]).push({
        entryId: row.entryId,
        account: row.account,
        amount: row.amount,
        balanceAfter: row.balanceAfter,
      });
    }
    return postings;
  }

  async group(id: string): Promise<Group | undefined> {
    const row = await this.#one<Omit<Group, "memberIds">>(
      `SELECT id, name, owner, created_at AS "createdAt" FROM groups WHERE shard = $1 AND id = $2`,
      [this.#shard, id],
    );
    if (row === undefined) return undefined;
    const { rows } = await this.#reads.query<{ user_id: string }>(
      "SELECT user_id FROM group_members WHERE shard = $1 AND group_id = $2 ORDER BY position",
      [this.#shard, id],
    );
    return { ...row, memberIds: rows.map((member) => member.user_id) };
  }

  async campaign(id: string) {
    const row = await this.#one<CampaignRow>("SELECT * FROM campaigns WHERE shard = $1 AND id = $2", [this.#shard, id]);
    if (row === undefined) return undefined;
    const totals = (await this.#one<{ claimedCount: number; claimedAmount: number }>(
      `SELECT COUNT(*) AS "claimedCount", COALESCE(SUM(amount), 0) AS "claimedAmount"
       FROM campaign_claims WHERE shard = $1 AND campaign_id = $2`,
      [this.#shard, id],
    )) as { claimedCount: number; claimedAmount: number };
    return { campaign: campaignOf(row), ...totals };
  }

  async packet(id: string): Promise<RedPacket | undefined> {
    const row = await this.#one<PacketRow>("SELECT * FROM red_packets WHERE shard = $1 AND id = $2", [this.#shard, id]);
    if (row === undefined) return undefined;
    const { rows } = await this.#reads.query<RedPacket["grabs"][number]>(
      `SELECT user_id AS "userId", amount, at FROM grabs WHERE shard = $1 AND packet_id = $2 ORDER BY seq`,
      [this.#shard, id],
    );
    return packetOf(row, rows);
  }

  async idempotency(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.#one<IdempotencyRecord>(
      `SELECT scope, key, request_hash AS "requestHash", outcome, created_at AS "createdAt"
       FROM idempotency WHERE shard = $1 AND scope = $2 AND key = $3`,
      [this.#shard, scope, key],
    );
  }

  async packetsSentSince(since: number): Promise<{ sender: string; count: number; amount: Fen }[]> {
    const { rows } = await this.#reads.query<{ sender: string; count: number; amount: Fen }>(
      `SELECT sender, COUNT(*) AS count, SUM(amount) AS amount FROM red_packets
       WHERE shard = $1 AND created_at >= $2 GROUP BY sender`,
      [this.#shard, since],
    );
    return rows;
  }

  async balanceSum(): Promise<Fen> {
    const row = await this.#one<{ sum: number }>(
      `SELECT COALESCE(SUM(balance_after), 0) AS sum FROM
         (SELECT DISTINCT ON (account) balance_after FROM entries WHERE shard = $1 ORDER BY account, id DESC) last`,
      [this.#shard],
    );
    return row?.sum ?? 0;
  }

  /**
   * A key all writers of the deployment share: the first writer to ask stores `make()`'s
   * value, every later one reads it.
   */
  async sharedKey(name: string, make: () => string): Promise<string> {
    await this.#reads.query("INSERT INTO service_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [
      name,
      make(),
    ]);
    const row = await this.#one<{ value: string }>("SELECT value FROM service_keys WHERE name = $1", [name]);
    if (row === undefined) throw new Error(`service key ${name} missing after insert`);
    return row.value;
  }

  /** The deployment's identity tables, shared by every writer. */
  identity(): IdentityStore {
    this.#identity ??= new IdentityTables(this.#runSql);
    return this.#identity;
  }

  /** The deployment's red-packet cover catalogue. */
  covers(): CoverTables {
    this.#covers ??= new CoverTables(this.#runSql);
    return this.#covers;
  }

  readonly #runSql: RunSql = async (sql, values) => {
    let n = 0;
    const numbered = sql.replace(/\?/g, () => `$${++n}`);
    return (await this.#reads.query(numbered, values as unknown[])).rows as Record<string, unknown>[];
  };

  async ping(): Promise<void> {
    await this.#reads.query("SELECT 1");
  }

  async close(): Promise<void> {
    const writer = this.#writer;
    this.#writer = undefined;
    await writer?.end().catch(() => {});
    await this.#reads.end().catch(() => {});
  }
}

function statementName(sql: string): string {
  return `list_${createHash("sha1").update(sql).digest("hex").slice(0, 16)}`;
}

/**
 * Applies the migrations not yet applied, one transaction each (a migration's concurrent
 * indexes just before its transaction), one migrating writer at a time: the lock is the
 * session's, held across them all.
 */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('hongbao schema migrations'))");
    try {
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)",
      );
      const applied = new Set(
        (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version),
      );
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const [name, on] of migration.concurrentIndexes ?? []) {
          // A build cut short leaves an invalid index under the name: built again from nothing.
          await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
          await client.query(`CREATE INDEX CONCURRENTLY ${name} ${on}`);
        }
        await inTransaction(client, async () => {
          if (migration.sql.trim() !== "") await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())", [
            migration.version,
            migration.name,
          ]);
        });
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('hongbao schema migrations'))").catch(() => {
        broken = true;
      });
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // A session that may still hold the lock is closed, not pooled: closing it lets the lock go.
    client.release(broken);
  }
}
