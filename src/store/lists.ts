import type { Campaign } from "../domain/campaign.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { Transfer } from "../domain/transfer.js";
import type { PacketList, Page, PageRequest, StoreLists, TransferFilter, UserRecord } from "../engine/store-port.js";
import { type CampaignRow, campaignOf, type PacketRow, packetOf, type TransferRow, transferOf } from "./rows.js";

/**
 * The SQL of every list, for both stores: each list walks one index newest first from a
 * cursor (keyset pagination), so a page costs its own rows at any table size. Ids of
 * transfers, packets and campaigns are time-ordered (docs/decisions/0013), so the id is the
 * cursor; users, whose ids are random, are walked by (created_at, id).
 */
export interface Dialect {
  /** The placeholder for the n-th parameter, from 1. */
  readonly placeholder: (n: number) => string;
  /** `shard = $1` for stores that keep a shard column, else undefined. */
  readonly shard: number | undefined;
}

export interface ListQuery {
  readonly sql: string;
  readonly params: unknown[];
}

class Builder {
  readonly params: unknown[] = [];
  constructor(readonly dialect: Dialect) {}

  p(value: unknown): string {
    this.params.push(value);
    return this.dialect.placeholder(this.params.length);
  }

  /** `alias.shard = ? AND ` where the store has shards, else nothing. */
  shard(alias: string): string {
    return this.dialect.shard === undefined ? "" : `${alias}shard = ${this.p(this.dialect.shard)} AND `;
  }
}

/** Older than the cursor (startingAfter), newer (endingBefore), or the newest. */
function keyset(b: Builder, column: string, page: PageRequest): { where: string; order: string } {
  if (page.endingBefore !== null) return { where: ` AND ${column} > ${b.p(page.endingBefore)}`, order: "ASC" };
  if (page.startingAfter !== null) return { where: ` AND ${column} < ${b.p(page.startingAfter)}`, order: "DESC" };
  return { where: "", order: "DESC" };
}

export function transfersQuery(dialect: Dialect, userId: string, filter: TransferFilter, page: PageRequest): ListQuery {
  const b = new Builder(dialect);
  const pending = filter === "pending" ? " AND t.status = 'pending'" : "";
  // Placeholders are numbered in the order they are made: each in the order it stands in the SQL.
  const side = (column: "from_user" | "to_user") => {
    const shard = b.shard("t.");
    const user = b.p(userId);
    const { where, order } = keyset(b, "t.id", page);
    return {
      sql: `SELECT t.* FROM transfers t WHERE ${shard}t.${column} = ${user}${pending}${where}
            ORDER BY t.id ${order} LIMIT ${b.p(page.limit + 1)}`,
      order,
    };
  };
  if (filter === "incoming") return { sql: side("to_user").sql, params: b.params };
  if (filter === "outgoing") return { sql: side("from_user").sql, params: b.params };
  // Both sides, each down its own index, merged: a transfer to oneself is refused, so none is in both.
  const from = side("from_user");
  const to = side("to_user");
  const sql = `SELECT * FROM (${from.sql}) f UNION ALL SELECT * FROM (${to.sql}) r
               ORDER BY id ${from.order} LIMIT ${b.p(page.limit + 1)}`;
  return { sql, params: b.params };
}

export function packetsQuery(dialect: Dialect, list: PacketList, page: PageRequest): ListQuery {
  const b = new Builder(dialect);
  if (list.by === "grabber") {
    const shard = b.shard("g.");
    const join = dialect.shard === undefined ? "p.id = g.packet_id" : "p.shard = g.shard AND p.id = g.packet_id";
    const user = b.p(list.id);
    const { where, order } = keyset(b, "g.packet_id", page);
    return {
      sql: `SELECT p.* FROM grabs g JOIN red_packets p ON ${join}
            WHERE ${shard}g.user_id = ${user}${where} ORDER BY g.packet_id ${order} LIMIT ${b.p(page.limit + 1)}`,
      params: b.params,
    };
  }
  const column = list.by === "sender" ? "sender" : "group_id";
  const shard = b.shard("p.");
  const owner = b.p(list.id);
  const { where, order } = keyset(b, "p.id", page);
  return {
    sql: `SELECT p.* FROM red_packets p WHERE ${shard}p.${column} = ${owner}${where}
          ORDER BY p.id ${order} LIMIT ${b.p(page.limit + 1)}`,
    params: b.params,
  };
}

export function campaignsQuery(dialect: Dialect, page: PageRequest): ListQuery {
  const b = new Builder(dialect);
  const shard = b.shard("c.");
  const { where, order } = keyset(b, "c.id", page);
  return {
    sql: `SELECT c.* FROM campaigns c WHERE ${shard}TRUE${where} ORDER BY c.id ${order} LIMIT ${b.p(page.limit + 1)}`,
    params: b.params,
  };
}

export function usersQuery(dialect: Dialect, page: PageRequest): ListQuery {
  const b = new Builder(dialect);
  const shard = b.shard("u.");
  const cursor = page.endingBefore ?? page.startingAfter;
  let where = "";
  let order = "DESC";
  if (cursor !== null) {
    const inner = dialect.shard === undefined ? "" : `shard = ${b.p(dialect.shard)} AND `;
    const at = `(SELECT created_at, id FROM users WHERE ${inner}id = ${b.p(cursor)})`;
    order = page.endingBefore !== null ? "ASC" : "DESC";
    where = ` AND (u.created_at, u.id) ${order === "ASC" ? ">" : "<"} ${at}`;
  }
  return {
    sql: `SELECT u.id, u.phone, u.name, u.created_at FROM users u WHERE ${shard}TRUE${where}
          ORDER BY u.created_at ${order}, u.id ${order} LIMIT ${b.p(page.limit + 1)}`,
    params: b.params,
  };
}

/** One page from the rows a query read (one more than the page, to know whether more follow), newest first. */
export function pageOf<T>(rows: readonly T[], page: PageRequest): Page<T> {
  const items = rows.slice(0, page.limit);
  if (page.endingBefore !== null) items.reverse();
  return { items, hasMore: rows.length > page.limit };
}

/** The grabs of a page of packets, in order. */
export function grabsOfQuery(dialect: Dialect, packetIds: readonly string[]): ListQuery {
  const b = new Builder(dialect);
  const shard = b.shard("");
  const ids = inList(b, packetIds);
  return {
    sql: `SELECT packet_id, user_id AS "userId", amount, at FROM grabs WHERE ${shard}packet_id ${ids} ORDER BY packet_id, seq`,
    params: b.params,
  };
}

/** `IN (?, ?, …)` for SQLite, `= ANY($n)` with one array for PostgreSQL. */
function inList(b: Builder, values: readonly string[]): string {
  if (b.dialect.shard !== undefined) return `= ANY(${b.p(values)}::text[])`;
  return `IN (${values.map((value) => b.p(value)).join(", ")})`;
}

/** Packets of a page with their grabs, from the page's rows and the grabs read for them. */
export function withGrabs<P extends { readonly id: string }, R>(
  rows: readonly P[],
  grabs: readonly { packet_id: string; userId: string; amount: number; at: number }[],
  make: (row: P, grabs: { userId: string; amount: number; at: number }[]) => R,
): R[] {
  const byPacket = new Map<string, { userId: string; amount: number; at: number }[]>();
  for (const grab of grabs) {
    const list = byPacket.get(grab.packet_id) ?? [];
    list.push({ userId: grab.userId, amount: grab.amount, at: grab.at });
    byPacket.set(grab.packet_id, list);
  }
  return rows.map((row) => make(row, byPacket.get(row.id) ?? []));
}

/** How a store runs one list query: its rows, by column name. */
export type RunQuery = <T>(query: ListQuery) => Promise<T[]>;

/** The lists of the store port, over a store's dialect and its way to run a query. */
export class Lists implements StoreLists {
  constructor(
    readonly dialect: Dialect,
    readonly run: RunQuery,
  ) {}

  async transfers(userId: string, filter: TransferFilter, page: PageRequest): Promise<Page<Transfer>> {
    const found = pageOf(await this.run<TransferRow>(transfersQuery(this.dialect, userId, filter, page)), page);
    return { items: found.items.map(transferOf), hasMore: found.hasMore };
  }

  async packets(list: PacketList, page: PageRequest): Promise<Page<RedPacket>> {
    const found = pageOf(await this.run<PacketRow>(packetsQuery(this.dialect, list, page)), page);
    if (found.items.length === 0) return { items: [], hasMore: found.hasMore };
    const ids = found.items.map((row) => row.id);
    const grabs = await this.run<{ packet_id: string; userId: string; amount: number; at: number }>(
      grabsOfQuery(this.dialect, ids),
    );
    return { items: withGrabs(found.items, grabs, packetOf), hasMore: found.hasMore };
  }

  async campaigns(
    page: PageRequest,
  ): Promise<Page<{ campaign: Campaign; claimedAmount: number; claimedCount: number }>> {
    const found = pageOf(await this.run<CampaignRow>(campaignsQuery(this.dialect, page)), page);
    // The totals are kept on each campaign's row by the batches that pay its claims.
    return {
      items: found.items.map((row) => ({
        campaign: campaignOf(row),
        claimedCount: Number(row.claimed_count ?? 0),
        claimedAmount: Number(row.claimed_amount ?? 0),
      })),
      hasMore: found.hasMore,
    };
  }

  async users(page: PageRequest): Promise<Page<UserRecord>> {
    const rows = await this.run<{ id: string; phone: string; name: string; created_at: number }>(
      usersQuery(this.dialect, page),
    );
    const found = pageOf(rows, page);
    return {
      items: found.items.map((row) => ({ id: row.id, phone: row.phone, name: row.name, createdAt: row.created_at })),
      hasMore: found.hasMore,
    };
  }
}
