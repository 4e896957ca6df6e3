import type pg from "pg";
import type { EventRecord } from "../../domain/events.js";
import type { Instant } from "../../domain/time.js";
import type {
  AttemptOutcome,
  DeliveryCounts,
  DeliveryRecord,
  DeliveryState,
  DueDelivery,
  EndpointRecord,
  EventQuery,
  EventStore,
  PruneSlice,
  StoredEvent,
} from "../../webhooks/event-store.js";
import {
  type DeliveryRow,
  deliveryOf,
  dueOf,
  type EndpointRow,
  type EventRow,
  endpointOf,
  eventOf,
  matchingEndpoints,
  type PruneCandidateRow,
  prunable,
} from "../event-rows.js";
import { inTransaction } from "./transaction.js";

type Queryable = Pick<pg.ClientBase, "query">;

/**
 * The outbox and the webhook deliveries in PostgreSQL. Events go in with the engine's batch
 * on the writer's connection (`write`); reads, endpoint changes and delivery updates use the
 * read pool, so the dispatcher never waits in line with a batch. Events are per shard like
 * the ledger rows they report; endpoints are the deployment's.
 */
export class PostgresEvents implements EventStore {
  readonly #pool: pg.Pool;
  readonly #shard: number;

  constructor(pool: pg.Pool, shard: number) {
    this.#pool = pool;
    this.#shard = shard;
  }

  /** Writes a batch's events, one statement per table; called inside the batch's transaction. */
  async write(client: Queryable, events: readonly EventRecord[]): Promise<void> {
    if (events.length === 0) return;
    await client.query(
      `INSERT INTO events (shard, seq, type, subject, at, data)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[])`,
      [
        this.#shard,
        events.map((e) => e.seq),
        events.map((e) => e.type),
        events.map((e) => e.subject),
        events.map((e) => e.at),
        events.map((e) => JSON.stringify(e.data)),
      ],
    );
    const users = events.flatMap((event) => [...new Set(event.users)].map((user) => ({ user, seq: event.seq })));
    if (users.length === 0) return;
    await client.query(
      `INSERT INTO event_users (shard, user_id, seq) SELECT $1, * FROM unnest($2::text[], $3::bigint[])`,
      [this.#shard, users.map((u) => u.user), users.map((u) => u.seq)],
    );
  }

  /** The campaigns among `ids` whose campaign.started is in the outbox. */
  async startedCampaigns(client: Queryable, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await client.query<{ subject: string }>(
      "SELECT subject FROM events WHERE shard = $1 AND type = 'campaign.started' AND subject = ANY($2::text[])",
      [this.#shard, ids],
    );
    return new Set(rows.map((row) => row.subject));
  }

  async lastSeq(client: Queryable): Promise<number> {
    const { rows } = await client.query<{ seq: number }>(
      "SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE shard = $1",
      [this.#shard],
    );
    return (rows[0] as { seq: number }).seq;
  }

  async events(query: EventQuery): Promise<StoredEvent[]> {
    const values: unknown[] = [this.#shard];
    const where: string[] = ["e.shard = $1"];
    let from = "events e";
    let column = "e.seq";
    if (query.userId !== undefined) {
      from = "event_users u JOIN events e ON e.shard = u.shard AND e.seq = u.seq";
      column = "u.seq";
      values.push(query.userId);
      where.push(`u.shard = $1 AND u.user_id = $${values.length}`);
    }
    if (query.startingAfter !== undefined) {
      values.push(query.startingAfter);
      where.push(`${column} ${query.order === "asc" ? ">" : "<"} $${values.length}`);
    }
    if (query.types !== undefined && query.types.length > 0) {
      values.push(query.types);
      where.push(`e.type = ANY($${values.length}::text[])`);
    }
    values.push(query.limit);
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT e.seq, e.type, e.subject, e.at, e.data FROM ${from} WHERE ${where.join(" AND ")}
       ORDER BY ${column} ${query.order === "asc" ? "ASC" : "DESC"} LIMIT $${values.length}`,
      values,
    );
    return rows.map(eventOf);
  }

  async lastEventSeq(): Promise<number> {
    return this.lastSeq(this.#pool);
  }

  async createEndpoint(endpoint: EndpointRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO webhook_endpoints (id, url, event_types, secret, previous_secret, previous_secret_until, created_at, after_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        endpoint.id,
        endpoint.url,
        JSON.stringify(endpoint.eventTypes),
        endpoint.secret,
        endpoint.previousSecret,
        endpoint.previousSecretUntil,
        endpoint.createdAt,
        endpoint.afterSeq,
      ],
    );
  }

  async endpoints(): Promise<EndpointRecord[]> {
    const { rows } = await this.#pool.query<EndpointRow>("SELECT * FROM webhook_endpoints ORDER BY created_at, id");
    return rows.map(endpointOf);
  }

  async endpoint(id: string): Promise<EndpointRecord | undefined> {
    const { rows } = await this.#pool.query<EndpointRow>("SELECT * FROM webhook_endpoints WHERE id = $1", [id]);
    return rows[0] === undefined ? undefined : endpointOf(rows[0]);
  }

  async rotateSecret(id: string, secret: string, previousSecretUntil: Instant): Promise<EndpointRecord | undefined> {
    const { rows } = await this.#pool.query<EndpointRow>(
      `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1, secret = $2
       WHERE id = $3 RETURNING *`,
      [previousSecretUntil, secret, id],
    );
    return rows[0] === undefined ? undefined : endpointOf(rows[0]);
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    return this.#transaction(async (client) => {
      await client.query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1", [id]);
      const deleted = await client.query("DELETE FROM webhook_endpoints WHERE id = $1", [id]);
      return (deleted.rowCount ?? 0) > 0;
    });
  }

  async fanOut(limit: number, now: Instant): Promise<number> {
    return this.#transaction(async (client) => {
      // Bookkeeping of deliveries: a crash may lose its last commit, which at-least-once allows.
      await client.query("SET LOCAL synchronous_commit = off");
      await client.query("INSERT INTO webhook_cursor (shard, seq) VALUES ($1, 0) ON CONFLICT (shard) DO NOTHING", [
        this.#shard,
      ]);
      // The row lock makes a second dispatcher on the same shard wait its turn, not fan out twice.
      const cursor = (
        await client.query<{ seq: number }>("SELECT seq FROM webhook_cursor WHERE shard = $1 FOR UPDATE", [this.#shard])
      ).rows[0] as { seq: number };
      const events = (
        await client.query<EventRow>(
          "SELECT seq, type, subject, at, data FROM events WHERE shard = $1 AND seq > $2 ORDER BY seq LIMIT $3",
          [this.#shard, cursor.seq, limit],
        )
      ).rows.map(eventOf);
      if (events.length === 0) return 0;
      const endpoints = (await client.query<EndpointRow>("SELECT * FROM webhook_endpoints")).rows.map(endpointOf);
      const rows = events.flatMap((event) =>
        matchingEndpoints(endpoints, event).map((endpoint) => ({ endpoint, event })),
      );
      if (rows.length > 0) {
        await client.query(
          `INSERT INTO webhook_deliveries (endpoint_id, shard, seq, event_type, state, attempts, next_attempt_at)
           SELECT endpoint_id, $1, seq, event_type, 'pending', 0, $2
           FROM unnest($3::text[], $4::bigint[], $5::text[]) AS r(endpoint_id, seq, event_type)
           ON CONFLICT DO NOTHING`,
          [
            this.#shard,
            now,
            rows.map((r) => r.endpoint.id),
            rows.map((r) => r.event.seq),
            rows.map((r) => r.event.type),
          ],
        );
      }
      await client.query("UPDATE webhook_cursor SET seq = $1 WHERE shard = $2", [
        (events[events.length - 1] as StoredEvent).seq,
        this.#shard,
      ]);
      return events.length;
    });
  }

  async prune(before: Instant, afterSeq: number, limit: number): Promise<PruneSlice> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<PruneCandidateRow>(
        `SELECT e.seq, e.at,
           (SELECT COUNT(*) FROM event_users u WHERE u.shard = e.shard AND u.seq = e.seq)::int AS users,
           EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.shard = e.shard AND d.seq = e.seq AND d.state = 'pending') AS pending,
           (e.type = 'campaign.started' AND EXISTS (
             SELECT 1 FROM campaigns c WHERE c.shard = e.shard AND c.id = e.subject AND c.status = 'open')) AS open_start
         FROM events e
         WHERE e.shard = $1 AND e.seq > $2
           AND e.seq <= COALESCE((SELECT seq FROM webhook_cursor WHERE shard = $1), 0)
           AND e.seq < (SELECT MAX(seq) FROM events WHERE shard = $1)
         ORDER BY e.seq LIMIT $3`,
        [this.#shard, afterSeq, limit],
      );
      const { seqs, lastSeq, done } = prunable(rows, before, limit);
      if (seqs.length === 0) return { events: 0, deliveries: 0, lastSeq: lastSeq ?? afterSeq, done };
      await client.query("DELETE FROM event_users WHERE shard = $1 AND seq = ANY($2::bigint[])", [this.#shard, seqs]);
      const deliveries = await client.query(
        "DELETE FROM webhook_deliveries WHERE shard = $1 AND seq = ANY($2::bigint[])",
        [this.#shard, seqs],
      );
      await client.query("DELETE FROM events WHERE shard = $1 AND seq = ANY($2::bigint[])", [this.#shard, seqs]);
      return { events: seqs.length, deliveries: deliveries.rowCount ?? 0, lastSeq: lastSeq ?? afterSeq, done };
    });
  }

  async dueDeliveries(now: Instant, limit: number, excluding: ReadonlySet<string>): Promise<DueDelivery[]> {
    const { rows } = await this.#pool.query<DeliveryRow & EventRow>(
      `SELECT d.*, e.type, e.subject, e.at, e.data FROM webhook_deliveries d
       JOIN events e ON e.shard = d.shard AND e.seq = d.seq
       WHERE d.shard = $1 AND d.state = 'pending' AND d.next_attempt_at <= $2
       ORDER BY d.next_attempt_at, d.seq LIMIT $3`,
      [this.#shard, now, limit + excluding.size],
    );
    return dueOf(rows, await this.endpoints(), limit, excluding);
  }

  async recordAttempt(endpointId: string, seq: number, outcome: AttemptOutcome): Promise<void> {
    await this.#pool.query(
      `UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_at = $3, first_attempt_at = $4,
         last_attempt_at = $5, last_status = $6, last_error = $7, delivered_at = $8
       WHERE endpoint_id = $9 AND shard = $10 AND seq = $11`,
      [
        outcome.state,
        outcome.attempts,
        outcome.nextAttemptAt,
        outcome.firstAttemptAt,
        outcome.at,
        outcome.status,
        outcome.error,
        outcome.state === "delivered" ? outcome.at : null,
        endpointId,
        this.#shard,
        seq,
      ],
    );
  }

  async deliveries(
    endpointId: string,
    state: DeliveryState | undefined,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<DeliveryRecord[]> {
    const values: unknown[] = [endpointId, this.#shard];
    let where = "endpoint_id = $1 AND shard = $2";
    if (state !== undefined) {
      values.push(state);
      where += ` AND state = $${values.length}`;
    }
    if (beforeSeq !== undefined) {
      values.push(beforeSeq);
      where += ` AND seq < $${values.length}`;
    }
    values.push(limit);
    const { rows } = await this.#pool.query<DeliveryRow>(
      `SELECT * FROM webhook_deliveries WHERE ${where} ORDER BY seq DESC LIMIT $${values.length}`,
      values,
    );
    return rows.map(deliveryOf);
  }

  async deliveryCounts(endpointId: string): Promise<DeliveryCounts> {
    const { rows } = await this.#pool.query<{ state: DeliveryState; n: number }>(
      "SELECT state, COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY state",
      [endpointId],
    );
    const counts = { pending: 0, delivered: 0, failed: 0 };
    for (const row of rows) counts[row.state] = Number(row.n);
    return counts;
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      return await inTransaction(client, () => work(client));
    } finally {
      client.release();
    }
  }
}
