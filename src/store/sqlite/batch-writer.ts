import Database from "better-sqlite3";
import type { Batch } from "../../engine/store-port.js";
import { claimTotalsOf } from "../rows.js";

/**
 * Writes the engine's batches to one SQLite connection: the same statements whether the
 * store's own connection runs them or the commit thread's (src/store/sqlite/commit-thread.ts).
 * Returns a function that writes one batch in one transaction, taking the write lock at its
 * start (BEGIN IMMEDIATE), so another connection's write waits for it rather than failing it.
 */
export function batchWriter(db: Database.Database): (batch: Batch) => void {
  const s = {
    insertUser: db.prepare("INSERT INTO users (id, phone, name, created_at) VALUES (?, ?, ?, ?)"),
    insertPosting: db.prepare("INSERT INTO postings (id, kind, ref, at) VALUES (?, ?, ?, ?)"),
    insertEntry: db.prepare(
      "INSERT INTO entries (id, posting_id, account, amount, balance_after) VALUES (?, ?, ?, ?, ?)",
    ),
    upsertTransfer: db.prepare(
      `INSERT INTO transfers (id, from_user, to_user, amount, memo, nature, due_date, status, created_at, refund_at, answered_at,
         nature_hints, warnings, loan_acknowledged_at)
       VALUES (@id, @from, @to, @amount, @memo, @nature, @dueDate, @status, @createdAt, @refundAt, @answeredAt,
         @natureHintsJson, @warningsJson, @loanAcknowledgedAt)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, answered_at = excluded.answered_at,
         loan_acknowledged_at = COALESCE(transfers.loan_acknowledged_at, excluded.loan_acknowledged_at)`,
    ),
    insertIdempotency: db.prepare(
      "INSERT INTO idempotency (scope, key, request_hash, outcome, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    insertGroup: db.prepare("INSERT INTO groups (id, name, owner, created_at) VALUES (?, ?, ?, ?)"),
    insertMember: db.prepare("INSERT INTO group_members (group_id, position, user_id) VALUES (?, ?, ?)"),
    upsertPacket: db.prepare(
      `INSERT INTO red_packets (id, sender, kind, amount, count, group_id, recipient, greeting, password_hash, shares, salt,
         commitment, status, created_at, expires_at, settled_at, nature_hints, warnings, cover_id)
       VALUES (@id, @sender, @kind, @amount, @count, @groupId, @recipient, @greeting, @passwordHash, @sharesJson, @salt,
         @commitment, @status, @createdAt, @expiresAt, @settledAt, @natureHintsJson, @warningsJson, @coverIdOrNull)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, settled_at = excluded.settled_at`,
    ),
    upsertCampaign: db.prepare(
      `INSERT INTO campaigns (id, name, budget, amount_rule, starts_at, ends_at, per_user_limit, created_at, status, returned,
         paused_at, closed_at)
       VALUES (@id, @name, @budget, @amountJson, @startsAt, @endsAt, @perUserLimit, @createdAt, @status, @returned,
         @pausedAt, @closedAt)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, returned = excluded.returned,
         paused_at = excluded.paused_at, closed_at = excluded.closed_at`,
    ),
    addClaimTotals: db.prepare(
      "UPDATE campaigns SET claimed_count = claimed_count + ?, claimed_amount = claimed_amount + ? WHERE id = ?",
    ),
    insertClaim: db.prepare(
      "INSERT INTO campaign_claims (campaign_id, user_id, n, amount, at, posting_id) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    insertSpecialDay: db.prepare("INSERT INTO special_days (rule) VALUES (?)"),
    insertGrab: db.prepare("INSERT INTO grabs (packet_id, seq, user_id, amount, at) VALUES (?, ?, ?, ?, ?)"),
    forgetIdempotency: db.prepare("DELETE FROM idempotency WHERE created_at < ?"),
    insertEvent: db.prepare("INSERT INTO events (seq, type, subject, at, data) VALUES (?, ?, ?, ?, ?)"),
    insertEventUser: db.prepare("INSERT OR IGNORE INTO event_users (user_id, seq) VALUES (?, ?)"),
  };
  const write = (batch: Batch): void => {
    for (const user of batch.users) s.insertUser.run(user.id, user.phone, user.name, user.createdAt);
    for (const posting of batch.postings) {
      s.insertPosting.run(posting.id, posting.kind, posting.ref, posting.at);
      for (const leg of posting.legs) {
        s.insertEntry.run(leg.entryId, posting.id, leg.account, leg.amount, leg.balanceAfter);
      }
    }
    for (const group of batch.groups) {
      s.insertGroup.run(group.id, group.name, group.owner, group.createdAt);
      for (const [position, userId] of group.memberIds.entries()) s.insertMember.run(group.id, position, userId);
    }
    for (const packet of batch.packets) {
      s.upsertPacket.run({
        ...packet,
        coverIdOrNull: packet.coverId ?? null,
        sharesJson: JSON.stringify(packet.shares),
        natureHintsJson: JSON.stringify(packet.natureHints),
        warningsJson: JSON.stringify(packet.warnings),
      });
    }
    for (const campaign of batch.campaigns)
      s.upsertCampaign.run({ ...campaign, amountJson: JSON.stringify(campaign.amount) });
    for (const c of batch.claims) s.insertClaim.run(c.campaignId, c.userId, c.n, c.amount, c.at, c.postingId);
    for (const total of claimTotalsOf(batch.claims)) s.addClaimTotals.run(total.count, total.amount, total.campaignId);
    for (const rule of batch.specialDays) s.insertSpecialDay.run(JSON.stringify(rule));
    for (const grab of batch.grabs) s.insertGrab.run(grab.packetId, grab.seq, grab.userId, grab.amount, grab.at);
    for (const transfer of batch.transfers) {
      s.upsertTransfer.run({
        ...transfer,
        natureHintsJson: JSON.stringify(transfer.natureHints),
        warningsJson: JSON.stringify(transfer.warnings),
      });
    }
    for (const r of batch.idempotency) {
      s.insertIdempotency.run(r.scope, r.key, r.requestHash, r.outcome, r.createdAt);
    }
    if (batch.idempotencyForgetBefore !== null) s.forgetIdempotency.run(batch.idempotencyForgetBefore);
    for (const event of batch.events) {
      s.insertEvent.run(event.seq, event.type, event.subject, event.at, JSON.stringify(event.data));
      for (const user of event.users) s.insertEventUser.run(user, event.seq);
    }
  };
  return db.transaction(write).immediate;
}

/**
 * With a checkpoint thread, a connection that writes checkpoints the WAL itself only past this
 * many pages (SQLite's default is 1 000): the bound on the file should the thread fall behind
 * or be gone, far enough that a thread keeping up leaves the commits alone (decision 0064).
 */
export const WAL_PAGES_BOUND = 8_000;

/**
 * The connection settings every connection to a store's file uses: WAL, and a commit is durable
 * when it returns. `checkpointThread`: another thread checkpoints this file, so this connection
 * does so only past WAL_PAGES_BOUND.
 */
export function openConnection(path: string, options: { checkpointThread?: boolean } = {}): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  if (options.checkpointThread === true) db.pragma(`wal_autocheckpoint = ${WAL_PAGES_BOUND}`);
  return db;
}
