import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { type AccountId, mayGoNegative } from "../../domain/accounts.js";
import type { Group } from "../../domain/group.js";
import type { PostingKind } from "../../domain/ledger.js";
import type { Fen } from "../../domain/money.js";
import type { RedPacket } from "../../domain/red-packet.js";
import type { Transfer } from "../../domain/transfer.js";
import type {
  Batch,
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
import { type ListQuery, Lists } from "../lists.js";
import { type CampaignRow, campaignOf, type PacketRow, packetOf, type TransferRow, transferOf } from "../rows.js";
import { batchWriter, openConnection } from "./batch-writer.js";
import { CheckpointThread } from "./checkpoint-thread.js";
import { CommitThread } from "./commit-thread.js";
import { MIGRATIONS } from "./migrations.js";
import { SqliteEvents } from "./sqlite-events.js";

export interface SqliteStoreOptions {
  /** A file path, or ":memory:" for tests that need no durability. */
  readonly path: string;
  /** Re-add every account's entries at load and compare with its balance (O(entries)). */
  readonly verifyOnLoad?: boolean;
  /**
   * Batches are written by a worker thread on its own connection while this one reads
   * (decision 0059): the engine applies the next batch while this one is written.
   */
  readonly commitThread?: boolean;
  /**
   * A worker thread checkpoints the WAL after commits, so commits never pay for it (decision
   * 0064). Off unless asked for: on two busy cores it was not faster (the decision says why);
   * a store in memory has no WAL.
   */
  readonly checkpointThread?: boolean;
}

/**
 * The embedded store: one better-sqlite3 connection in WAL mode with synchronous=FULL,
 * so a committed batch survives a crash of the process or the machine. All SQL of this
 * store lives in this file.
 */
export class SqliteStore implements LedgerStore {
  readonly #db: Database.Database;
  readonly #verifyOnLoad: boolean;
  readonly #statements;
  readonly #writeBatch: (batch: Batch) => void;
  readonly #thread: CommitThread | undefined;
  readonly #checkpoints: CheckpointThread | undefined;
  #identity: IdentityStore | undefined;
  #covers: CoverTables | undefined;
  readonly #listStatements = new Map<string, Database.Statement>();
  readonly lists = new Lists({ placeholder: () => "?", shard: undefined }, async (query) => this.#rows(query));
  /** The outbox's readers and the webhook deliveries, on this connection. */
  readonly events: SqliteEvents;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    const checkpointThread = options.path !== ":memory:" && (options.checkpointThread ?? false);
    this.#db = openConnection(options.path, { checkpointThread });
    this.#verifyOnLoad = options.verifyOnLoad ?? true;
    this.#migrate();
    const db = this.#db;
    this.#statements = {
      campaign: db.prepare("SELECT * FROM campaigns WHERE id = ?"),
      campaignTotals: db.prepare(
        "SELECT COUNT(*) AS claimedCount, COALESCE(SUM(amount), 0) AS claimedAmount FROM campaign_claims WHERE campaign_id = ?",
      ),
      group: db.prepare("SELECT id, name, owner, created_at AS createdAt FROM groups WHERE id = ?"),
      members: db.prepare("SELECT user_id FROM group_members WHERE group_id = ? ORDER BY position").pluck(),
      packet: db.prepare("SELECT * FROM red_packets WHERE id = ?"),
      grabsOf: db.prepare("SELECT user_id AS userId, amount, at FROM grabs WHERE packet_id = ? ORDER BY seq"),
      user: db.prepare("SELECT id, phone, name, created_at AS createdAt FROM users WHERE id = ?"),
      userByPhone: db.prepare("SELECT id, phone, name, created_at AS createdAt FROM users WHERE phone = ?"),
      balance: db.prepare("SELECT balance_after FROM entries WHERE account = ? ORDER BY id DESC LIMIT 1").pluck(),
      transfer: db.prepare("SELECT * FROM transfers WHERE id = ?"),
      statement: db.prepare(
        `SELECT e.id AS entryId, e.posting_id AS postingId, p.kind, p.ref, p.at, e.amount, e.balance_after AS balanceAfter
         FROM entries e JOIN postings p ON p.id = e.posting_id
         WHERE e.account = ? AND e.id < ? ORDER BY e.id DESC LIMIT ?`,
      ),
      postingsOf: db.prepare(
        `SELECT p.id, p.kind, p.ref, p.at, e.id AS entryId, e.account, e.amount, e.balance_after AS balanceAfter
         FROM postings p JOIN entries e ON e.posting_id = p.id WHERE p.ref = ? ORDER BY p.id, e.id`,
      ),
      idempotency: db.prepare(
        `SELECT scope, key, request_hash AS requestHash, outcome, created_at AS createdAt
         FROM idempotency WHERE scope = ? AND key = ?`,
      ),
      balanceSum: db.prepare("SELECT COALESCE(SUM(balance), 0) FROM balances").pluck(),
      packetsSentSince: db.prepare(
        "SELECT sender, COUNT(*) AS count, SUM(amount) AS amount FROM red_packets WHERE created_at >= ? GROUP BY sender",
      ),
    };
    this.events = new SqliteEvents(db);
    this.#writeBatch = batchWriter(db);
    // Started once the schema is migrated: the thread's connection only writes batches.
    if (options.commitThread === true) {
      if (options.path === ":memory:") throw new Error("a store in memory has no file for a commit thread");
      this.#thread = new CommitThread(options.path, checkpointThread);
    }
    if (checkpointThread) this.#checkpoints = new CheckpointThread(options.path);
  }

  #migrate(): void {
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT",
    );
    const applied = new Set(this.#db.prepare("SELECT version FROM schema_migrations").pluck().all() as number[]);
    const record = this.#db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.#db.transaction(() => {
        this.#db.exec(migration.sql);
        record.run(migration.version, migration.name, new Date().toISOString());
      })();
    }
  }

  get commitsOffLoop(): boolean {
    return this.#thread !== undefined;
  }

  async commit(batch: Batch): Promise<void> {
    if (this.#thread !== undefined) {
      const written = this.#thread.commit(batch);
      // Its own promise is returned, so the caller hears of the commit in as many ticks as without the checkpoint thread.
      written.then(
        () => this.#checkpoints?.committed(),
        () => {},
      );
      return written;
    }
    this.#writeBatch(batch);
    this.#checkpoints?.committed();
  }

  async load(): Promise<Snapshot> {
    const db = this.#db;
    const balances = new Map<AccountId, Fen>();
    for (const row of db.prepare("SELECT id, balance FROM balances").iterate() as Iterable<{
      id: string;
      balance: number;
    }>) {
      balances.set(row.id, row.balance);
    }
    if (this.#verifyOnLoad) this.#verify(balances);
    const users = db.prepare("SELECT id, phone FROM users").all() as { id: string; phone: string }[];
    // A user without entries yet has an account all the same, at 0.
    for (const user of users) if (!balances.has(user.id)) balances.set(user.id, 0);
    const pendingTransfers = (
      db.prepare("SELECT * FROM transfers WHERE status = 'pending'").all() as TransferRow[]
    ).map(transferOf);
    const members = new Map<string, string[]>();
    for (const row of db
      .prepare("SELECT group_id, user_id FROM group_members ORDER BY group_id, position")
      .iterate() as Iterable<{
      group_id: string;
      user_id: string;
    }>) {
      const list = members.get(row.group_id) ?? [];
      list.push(row.user_id);
      members.set(row.group_id, list);
    }
    const groups = (db.prepare("SELECT id, owner FROM groups").all() as { id: string; owner: string }[]).map(
      ({ id, owner }) => ({ id, owner, memberIds: members.get(id) ?? [] }),
    );
    const activePackets = (db.prepare("SELECT * FROM red_packets WHERE status = 'active'").all() as PacketRow[]).map(
      (row) => packetOf(row, this.#grabsOf(row.id)),
    );
    const nextPostingId = (db.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM postings").pluck().get() as number) ?? 1;
    const nextEntryId = (db.prepare("SELECT COALESCE(MAX(id), 0) + 1 FROM entries").pluck().get() as number) ?? 1;
    const specialDays = (db.prepare("SELECT rule FROM special_days ORDER BY id").pluck().all() as string[]).map(
      (rule) => JSON.parse(rule) as unknown,
    );
    const openCampaigns = (db.prepare("SELECT * FROM campaigns WHERE status = 'open'").all() as CampaignRow[]).map(
      (row) => {
        const claimsByUser = new Map<string, number>();
        let claimedAmount = 0;
        for (const claim of db
          .prepare("SELECT user_id, amount FROM campaign_claims WHERE campaign_id = ?")
          .iterate(row.id) as Iterable<{ user_id: string; amount: number }>) {
          claimsByUser.set(claim.user_id, (claimsByUser.get(claim.user_id) ?? 0) + 1);
          claimedAmount += claim.amount;
        }
        return { campaign: campaignOf(row), claimedAmount, claimsByUser, startAnnounced: false };
      },
    );
    const started = this.events.startedCampaigns(openCampaigns.map((open) => open.campaign.id));
    return {
      balances,
      users,
      pendingTransfers,
      groups,
      activePackets,
      openCampaigns: openCampaigns.map((open) => ({ ...open, startAnnounced: started.has(open.campaign.id) })),
      specialDays,
      nextPostingId,
      nextEntryId,
      nextEventSeq: (await this.events.lastEventSeq()) + 1,
    };
  }

  /** The read-back half of the balance check: postings balance and entries add up to balances. */
  #verify(balances: Map<AccountId, Fen>): void {
    const unbalanced = this.#db
      .prepare("SELECT posting_id FROM entries GROUP BY posting_id HAVING SUM(amount) != 0 LIMIT 1")
      .pluck()
      .get();
    if (unbalanced !== undefined)
      throw new Error(`ledger check failed: posting ${String(unbalanced)} does not balance`);
    const sums = this.#db.prepare("SELECT account, SUM(amount) AS total FROM entries GROUP BY account").all() as {
      account: string;
      total: number;
    }[];
    for (const { account, total } of sums) {
      if ((balances.get(account) ?? 0) !== total) {
        throw new Error(`ledger check failed: account ${account}'s last balance is not the sum of its entries`);
      }
    }
    let sum = 0;
    for (const [account, balance] of balances) {
      if (balance < 0 && !mayGoNegative(account))
        throw new Error(`ledger check failed: account ${account} is negative`);
      sum += balance;
    }
    if (sum !== 0) throw new Error("ledger check failed: balances do not sum to zero");
  }

  async user(id: string): Promise<UserRecord | undefined> {
    return this.#statements.user.get(id) as UserRecord | undefined;
  }

  async userByPhone(phone: string): Promise<UserRecord | undefined> {
    return this.#statements.userByPhone.get(phone) as UserRecord | undefined;
  }

  async balance(account: AccountId): Promise<Fen> {
    return (this.#statements.balance.get(account) as number | undefined) ?? 0;
  }

  async transfer(id: string): Promise<Transfer | undefined> {
    const row = this.#statements.transfer.get(id) as TransferRow | undefined;
    return row === undefined ? undefined : transferOf(row);
  }

  async statement(account: AccountId, beforeEntryId: number | null, limit: number): Promise<StatementEntry[]> {
    return this.#statements.statement.all(account, beforeEntryId ?? Number.MAX_SAFE_INTEGER, limit) as StatementEntry[];
  }

  async postingsOf(ref: string): Promise<PostingRecord[]> {
    const rows = this.#statements.postingsOf.all(ref) as {
      id: number;
      kind: PostingKind;
      ref: string;
      at: number;
      entryId: number;
      account: string;
      amount: number;
      balanceAfter: number;
    }[];
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
    const row = this.#statements.group.get(id) as Omit<Group, "memberIds"> | undefined;
    return row === undefined ? undefined : { ...row, memberIds: this.#statements.members.all(id) as string[] };
  }

  async campaign(id: string) {
    const row = this.#statements.campaign.get(id) as CampaignRow | undefined;
    if (row === undefined) return undefined;
    const totals = this.#statements.campaignTotals.get(id) as { claimedCount: number; claimedAmount: number };
    return { campaign: campaignOf(row), ...totals };
  }

  async packet(id: string): Promise<RedPacket | undefined> {
    const row = this.#statements.packet.get(id) as PacketRow | undefined;
    return row === undefined ? undefined : packetOf(row, this.#grabsOf(id));
  }

  #grabsOf(packetId: string): RedPacket["grabs"] {
    return this.#statements.grabsOf.all(packetId) as RedPacket["grabs"];
  }

  async idempotency(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.#statements.idempotency.get(scope, key) as IdempotencyRecord | undefined;
  }

  async packetsSentSince(since: number): Promise<{ sender: string; count: number; amount: Fen }[]> {
    return this.#statements.packetsSentSince.all(since) as { sender: string; count: number; amount: Fen }[];
  }

  async balanceSum(): Promise<Fen> {
    return this.#statements.balanceSum.get() as number;
  }

  /** The identity tables on this file, written on the same connection between batches. */
  identity(): IdentityStore {
    this.#identity ??= new IdentityTables(this.#runSql);
    return this.#identity;
  }

  /** The red-packet cover catalogue on this file. */
  covers(): CoverTables {
    this.#covers ??= new CoverTables(this.#runSql);
    return this.#covers;
  }

  readonly #runSql: RunSql = async (sql, values) => {
    const statement = this.#db.prepare(sql);
    if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
    statement.run(...values);
    return [];
  };

  /** Runs a list's query; its statement is prepared once per shape (a few dozen at most). */
  #rows<T>(query: ListQuery): T[] {
    let statement = this.#listStatements.get(query.sql);
    if (statement === undefined) {
      statement = this.#db.prepare(query.sql);
      this.#listStatements.set(query.sql, statement);
    }
    return statement.all(...query.params) as T[];
  }

  async ping(): Promise<void> {
    this.#db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    await this.#thread?.close();
    await this.#checkpoints?.close();
    if (this.#db.open) this.#db.close();
  }
}
