/**
 * The baseline of the PostgreSQL figures: a batch's rows written as plainly as PostgreSQL
 * allows, on a plain pg.Client: one transaction, one `INSERT … SELECT FROM unnest` per table
 * (one array per column), no engine, no validation, no fence, no upsert.
 */
import type pg from "pg";
import type { Batch } from "../src/engine/store-port.js";

type Column = readonly [name: string, type: string, value: (row: never) => unknown];

/** Raw inserts: one statement per table and batch, the rows as one array per column. */
async function insertRows(client: pg.Client, table: string, columns: readonly Column[], rows: readonly unknown[]) {
  if (rows.length === 0) return;
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  await client.query(
    `INSERT INTO ${table} (shard, ${columns.map(([name]) => name).join(", ")}) SELECT 0, * FROM unnest(${arrays})`,
    columns.map(([, , value]) => rows.map((row) => value(row as never))),
  );
}

const json = (value: unknown) => JSON.stringify(value);

/** Writes one batch's rows as plainly as PostgreSQL allows (the workloads only insert, but campaigns and transfers may repeat). */
export async function rawBatch(client: pg.Client, batch: Batch): Promise<void> {
  await client.query("BEGIN");
  await insertRows(
    client,
    "users",
    [
      ["id", "text", (u: Batch["users"][number]) => u.id],
      ["phone", "text", (u: Batch["users"][number]) => u.phone],
      ["name", "text", (u: Batch["users"][number]) => u.name],
      ["created_at", "bigint", (u: Batch["users"][number]) => u.createdAt],
    ],
    batch.users,
  );
  type P = Batch["postings"][number];
  await insertRows(
    client,
    "postings",
    [
      ["id", "bigint", (p: P) => p.id],
      ["kind", "text", (p: P) => p.kind],
      ["ref", "text", (p: P) => p.ref],
      ["at", "bigint", (p: P) => p.at],
    ],
    batch.postings,
  );
  type L = { posting: P; leg: P["legs"][number] };
  await insertRows(
    client,
    "entries",
    [
      ["id", "bigint", (l: L) => l.leg.entryId],
      ["posting_id", "bigint", (l: L) => l.posting.id],
      ["account", "text", (l: L) => l.leg.account],
      ["amount", "bigint", (l: L) => l.leg.amount],
      ["balance_after", "bigint", (l: L) => l.leg.balanceAfter],
    ],
    batch.postings.flatMap((posting) => posting.legs.map((leg) => ({ posting, leg }))),
  );
  type T = Batch["transfers"][number];
  await insertRows(
    client,
    "transfers",
    [
      ["id", "text", (t: T) => t.id],
      ["from_user", "text", (t: T) => t.from],
      ["to_user", "text", (t: T) => t.to],
      ["amount", "bigint", (t: T) => t.amount],
      ["memo", "text", (t: T) => t.memo],
      ["nature", "text", (t: T) => t.nature],
      ["due_date", "text", (t: T) => t.dueDate],
      ["status", "text", (t: T) => t.status],
      ["created_at", "bigint", (t: T) => t.createdAt],
      ["refund_at", "bigint", (t: T) => t.refundAt],
      ["answered_at", "bigint", (t: T) => t.answeredAt],
      ["nature_hints", "text", (t: T) => json(t.natureHints)],
      ["warnings", "text", (t: T) => json(t.warnings)],
      ["loan_acknowledged_at", "bigint", (t: T) => t.loanAcknowledgedAt],
    ],
    batch.transfers,
  );
  type C = Batch["campaigns"][number];
  await insertRows(
    client,
    "campaigns",
    [
      ["id", "text", (c: C) => c.id],
      ["name", "text", (c: C) => c.name],
      ["budget", "bigint", (c: C) => c.budget],
      ["amount_rule", "text", (c: C) => json(c.amount)],
      ["starts_at", "bigint", (c: C) => c.startsAt],
      ["ends_at", "bigint", (c: C) => c.endsAt],
      ["per_user_limit", "integer", (c: C) => c.perUserLimit],
      ["created_at", "bigint", (c: C) => c.createdAt],
      ["status", "text", (c: C) => c.status],
      ["returned", "bigint", (c: C) => c.returned],
    ],
    batch.campaigns,
  );
  type K = Batch["claims"][number];
  await insertRows(
    client,
    "campaign_claims",
    [
      ["campaign_id", "text", (k: K) => k.campaignId],
      ["user_id", "text", (k: K) => k.userId],
      ["n", "integer", (k: K) => k.n],
      ["amount", "bigint", (k: K) => k.amount],
      ["at", "bigint", (k: K) => k.at],
      ["posting_id", "bigint", (k: K) => k.postingId],
    ],
    batch.claims,
  );
  await client.query("COMMIT");
}
