import type Database from "better-sqlite3";
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

/**
 * The outbox and the webhook deliveries in the SQLite file. Events are written with the
 * engine's batches (src/store/sqlite/batch-writer.ts); the rest runs on the store's
 * connection between batches. With a commit thread (decision 0059) a batch may be written on
 * another connection meanwhile: every write here is one short transaction that takes the
 * write lock first, so each waits for the other (busy_timeout) and neither fails.
 */
export class SqliteEvents implements EventStore {
  readonly #db: Database.Database;
  readonly #s;
  readonly #fanOut: (limit: number, now: Instant) => number;
  readonly #prune: (before: Instant, afterSeq: number, limit: number) => PruneSlice;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      lastSeq: db.prepare("SELECT COALESCE(MAX(seq), 0) FROM events").pluck(),
      cursor: db.prepare("SELECT seq FROM webhook_cursor WHERE id = 0").pluck(),
      setCursor: db.prepare(
        "INSERT INTO webhook_cursor (id, seq) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
      ),
      eventsAfter: db.prepare("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?"),
      insertDelivery: db.prepare(
        `INSERT OR IGNORE INTO webhook_deliveries (endpoint_id, seq, event_type, state, attempts, next_attempt_at)
         VALUES (?, ?, ?, 'pending', 0, ?)`,
      ),
      endpoints: db.prepare("SELECT * FROM webhook_endpoints ORDER BY created_at, id"),
      endpoint: db.prepare("SELECT * FROM webhook_endpoints WHERE id = ?"),
      insertEndpoint: db.prepare(
        `INSERT INTO webhook_endpoints (id, url, event_types, secret, previous_secret, previous_secret_until, created_at, after_seq)
         VALUES (@id, @url, @eventTypesJson, @secret, @previousSecret, @previousSecretUntil, @createdAt, @afterSeq)`,
      ),
      rotate: db.prepare(
        `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?, secret = ? WHERE id = ?`,
      ),
      deleteEndpoint: db.prepare("DELETE FROM webhook_endpoints WHERE id = ?"),
      deleteDeliveries: db.prepare("DELETE FROM webhook_deliveries WHERE endpoint_id = ?"),
      due: db.prepare(
        `SELECT d.*, e.type, e.subject, e.at, e.data FROM webhook_deliveries d JOIN events e ON e.seq = d.seq
         WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.seq LIMIT ?`,
      ),
      recordAttempt: db.prepare(
        `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, first_attempt_at = ?,
           last_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?
         WHERE endpoint_id = ? AND seq = ?`,
      ),
      counts: db.prepare("SELECT state, COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? GROUP BY state"),
      pruneCandidates: db.prepare(
        `SELECT e.seq, e.at,
           (SELECT COUNT(*) FROM event_users u WHERE u.seq = e.seq) AS users,
           EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.seq = e.seq AND +d.state = 'pending') AS pending,
           (e.type = 'campaign.started' AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = e.subject AND c.status = 'open')) AS open_start
         FROM events e
         WHERE e.seq > ? AND e.seq <= COALESCE((SELECT seq FROM webhook_cursor WHERE id = 0), 0)
           AND e.seq < (SELECT MAX(seq) FROM events)
         ORDER BY e.seq LIMIT ?`,
      ),
      pruneUsers: db.prepare("DELETE FROM event_users WHERE seq = ?"),
      pruneDeliveries: db.prepare("DELETE FROM webhook_deliveries WHERE seq = ?"),
      pruneEvent: db.prepare("DELETE FROM events WHERE seq = ?"),
    };
    // IMMEDIATE: it reads then writes, and a batch committed by another connection in between would fail it.
    this.#fanOut = db.transaction((limit: number, now: Instant) => this.#fanOutNow(limit, now)).immediate;
    this.#prune = db.transaction((before: Instant, afterSeq: number, limit: number) =>
      this.#pruneNow(before, afterSeq, limit),
    ).immediate;
  }

  /** The campaigns among `ids` whose campaign.started is in the outbox. */
  startedCampaigns(ids: readonly string[]): Set<string> {
    if (ids.length === 0) return new Set();
    const query = this.#db
      .prepare("SELECT subject FROM events WHERE type = 'campaign.started' AND subject = ?")
      .pluck();
    return new Set(ids.filter((id) => query.get(id) !== undefined));
  }

  async events(query: EventQuery): Promise<StoredEvent[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    let from = "events e";
    if (query.userId !== undefined) {
      from = "event_users u JOIN events e ON e.seq = u.seq";
      where.push("u.user_id = ?");
      values.push(query.userId);
    }
    const column = query.userId === undefined ? "e.seq" : "u.seq";
    if (query.startingAfter !== undefined) {
      where.push(`${column} ${query.order === "asc" ? ">" : "<"} ?`);
      values.push(query.startingAfter);
    }
    if (query.types !== undefined && query.types.length > 0) {
      where.push(`e.type IN (${query.types.map(() => "?").join(", ")})`);
      values.push(...query.types);
    }
    const sql = `SELECT e.* FROM ${from} ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
      ORDER BY ${column} ${query.order === "asc" ? "ASC" : "DESC"} LIMIT ?`;
    return (this.#db.prepare(sql).all(...values, query.limit) as EventRow[]).map(eventOf);
  }

  async lastEventSeq(): Promise<number> {
    return this.#s.lastSeq.get() as number;
  }

  async createEndpoint(endpoint: EndpointRecord): Promise<void> {
    this.#s.insertEndpoint.run({ ...endpoint, eventTypesJson: JSON.stringify(endpoint.eventTypes) });
  }

  async endpoints(): Promise<EndpointRecord[]> {
    return (this.#s.endpoints.all() as EndpointRow[]).map(endpointOf);
  }

  async endpoint(id: string): Promise<EndpointRecord | undefined> {
    const row = this.#s.endpoint.get(id) as EndpointRow | undefined;
    return row === undefined ? undefined : endpointOf(row);
  }

  async rotateSecret(id: string, secret: string, previousSecretUntil: Instant): Promise<EndpointRecord | undefined> {
    this.#s.rotate.run(previousSecretUntil, secret, id);
    return this.endpoint(id);
  }

  async deleteEndpoint(id: string): Promise<boolean> {
    return this.#db
      .transaction(() => {
        this.#s.deleteDeliveries.run(id);
        return this.#s.deleteEndpoint.run(id).changes > 0;
      })
      .immediate();
  }

  async fanOut(limit: number, now: Instant): Promise<number> {
    return this.#fanOut(limit, now);
  }

  #fanOutNow(limit: number, now: Instant): number {
    const cursor = (this.#s.cursor.get() as number | undefined) ?? 0;
    const events = (this.#s.eventsAfter.all(cursor, limit) as EventRow[]).map(eventOf);
    if (events.length === 0) return 0;
    const endpoints = (this.#s.endpoints.all() as EndpointRow[]).map(endpointOf);
    for (const event of events) {
      for (const endpoint of matchingEndpoints(endpoints, event)) {
        this.#s.insertDelivery.run(endpoint.id, event.seq, event.type, now);
      }
    }
    this.#s.setCursor.run((events[events.length - 1] as StoredEvent).seq);
    return events.length;
  }

  async prune(before: Instant, afterSeq: number, limit: number): Promise<PruneSlice> {
    return this.#prune(before, afterSeq, limit);
  }

  #pruneNow(before: Instant, afterSeq: number, limit: number): PruneSlice {
    const rows = this.#s.pruneCandidates.all(afterSeq, limit) as PruneCandidateRow[];
    const { seqs, lastSeq, done } = prunable(rows, before, limit);
    let deliveries = 0;
    for (const seq of seqs) {
      this.#s.pruneUsers.run(seq);
      deliveries += this.#s.pruneDeliveries.run(seq).changes;
      this.#s.pruneEvent.run(seq);
    }
    return { events: seqs.length, deliveries, lastSeq: lastSeq ?? afterSeq, done };
  }

  async dueDeliveries(now: Instant, limit: number, excluding: ReadonlySet<string>): Promise<DueDelivery[]> {
    const rows = this.#s.due.all(now, limit + excluding.size) as (DeliveryRow & EventRow)[];
    return dueOf(rows, await this.endpoints(), limit, excluding);
  }

  async recordAttempt(endpointId: string, seq: number, outcome: AttemptOutcome): Promise<void> {
    this.#s.recordAttempt.run(
      outcome.state,
      outcome.attempts,
      outcome.nextAttemptAt,
      outcome.firstAttemptAt,
      outcome.at,
      outcome.status,
      outcome.error,
      outcome.state === "delivered" ? outcome.at : null,
      endpointId,
      seq,
    );
  }

  async deliveries(
    endpointId: string,
    state: DeliveryState | undefined,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<DeliveryRecord[]> {
    const sql = `SELECT * FROM webhook_deliveries WHERE endpoint_id = ?
      ${state === undefined ? "" : "AND state = ?"} ${beforeSeq === undefined ? "" : "AND seq < ?"}
      ORDER BY seq DESC LIMIT ?`;
    const values: unknown[] = [endpointId];
    if (state !== undefined) values.push(state);
    if (beforeSeq !== undefined) values.push(beforeSeq);
    return (this.#db.prepare(sql).all(...values, limit) as DeliveryRow[]).map(deliveryOf);
  }

  async deliveryCounts(endpointId: string): Promise<DeliveryCounts> {
    const counts = { pending: 0, delivered: 0, failed: 0 };
    for (const row of this.#s.counts.all(endpointId) as { state: DeliveryState; n: number }[])
      counts[row.state] = row.n;
    return counts;
  }
}
