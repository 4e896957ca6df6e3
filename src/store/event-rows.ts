import { type EventType, eventIdOf } from "../domain/events.js";
import {
  type DeliveryRecord,
  type DeliveryState,
  type DueDelivery,
  deliveryKey,
  type EndpointRecord,
  type StoredEvent,
} from "../webhooks/event-store.js";

/** Rows of the outbox and webhook tables, named and typed alike in both stores, and their values. */
export interface EventRow {
  seq: number;
  type: string;
  subject: string;
  at: number;
  data: string;
}

export function eventOf(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    id: eventIdOf(row.seq),
    type: row.type as EventType,
    subject: row.subject,
    at: row.at,
    data: JSON.parse(row.data) as StoredEvent["data"],
  };
}

export interface EndpointRow {
  id: string;
  url: string;
  event_types: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
  created_at: number;
  after_seq: number;
}

export function endpointOf(row: EndpointRow): EndpointRecord {
  return {
    id: row.id,
    url: row.url,
    eventTypes: JSON.parse(row.event_types) as EventType[],
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretUntil: row.previous_secret_until,
    createdAt: row.created_at,
    afterSeq: row.after_seq,
  };
}

export interface DeliveryRow {
  endpoint_id: string;
  seq: number;
  event_type: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export function deliveryOf(row: DeliveryRow): DeliveryRecord {
  return {
    endpointId: row.endpoint_id,
    seq: row.seq,
    eventId: eventIdOf(row.seq),
    eventType: row.event_type as EventType,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    firstAttemptAt: row.first_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
  };
}

/** The endpoints an event goes to: those that existed when it happened and take its type. */
export function matchingEndpoints(endpoints: readonly EndpointRecord[], event: StoredEvent): EndpointRecord[] {
  return endpoints.filter(
    (endpoint) =>
      event.seq > endpoint.afterSeq && (endpoint.eventTypes.length === 0 || endpoint.eventTypes.includes(event.type)),
  );
}

/**
 * Due deliveries from rows of deliveries joined with their events: at most `limit`, none
 * in flight already, none of an endpoint removed since.
 */
export function dueOf(
  rows: readonly (DeliveryRow & EventRow)[],
  endpoints: readonly EndpointRecord[],
  limit: number,
  excluding: ReadonlySet<string>,
): DueDelivery[] {
  const byId = new Map(endpoints.map((endpoint) => [endpoint.id, endpoint]));
  const due: DueDelivery[] = [];
  for (const row of rows) {
    if (due.length === limit) break;
    if (excluding.has(deliveryKey(row.endpoint_id, row.seq))) continue;
    const endpoint = byId.get(row.endpoint_id);
    if (endpoint !== undefined) due.push({ delivery: deliveryOf(row), endpoint, event: eventOf(row) });
  }
  return due;
}

/** One of the oldest events, as the pruner reads it, with what would keep it. */
export interface PruneCandidateRow {
  seq: number;
  at: number;
  /** Rows of who it concerns: a group's packet concerns up to 2 000 users. */
  users: number;
  /** A delivery of it is still pending. */
  pending: number | boolean;
  /** It is the start of a campaign still open, which a load reads to know the start was announced. */
  open_start: number | boolean;
}

/**
 * A prune slice deletes at most this many rows of who events concern (each event's own rows
 * are few): 100 group packets would be 200 000 index entries, seconds of a SQLite writer's thread.
 */
export const PRUNE_USER_ROWS_MAX = 2_000;

/**
 * The sequence numbers to delete among the oldest events (read in sequence order): the run of
 * them older than `before`, less those something still needs, ending where the slice's rows of
 * who they concern would pass PRUNE_USER_ROWS_MAX (one event at least). The run also stops at
 * the first event that is not older: no event past it is read.
 */
export function prunable(
  rows: readonly PruneCandidateRow[],
  before: number,
  limit: number,
): { seqs: number[]; lastSeq: number | undefined; done: boolean } {
  const seqs: number[] = [];
  let lastSeq: number | undefined;
  let userRows = 0;
  for (const row of rows) {
    if (Number(row.at) >= before) return { seqs, lastSeq, done: true };
    const keep = Boolean(row.pending) || Boolean(row.open_start);
    if (!keep) {
      userRows += Number(row.users);
      if (seqs.length > 0 && userRows > PRUNE_USER_ROWS_MAX) return { seqs, lastSeq, done: false };
      seqs.push(Number(row.seq));
    }
    lastSeq = Number(row.seq);
  }
  return { seqs, lastSeq, done: rows.length < limit };
}
