import type { EventType } from "../domain/events.js";
import type { Instant } from "../domain/time.js";

/**
 * The port of the outbox's readers and the webhook deliveries, implemented by both stores
 * (src/store/sqlite/sqlite-events.ts, src/store/postgres/postgres-events.ts). The engine
 * writes events in its batches; everything here runs beside it: reads, endpoint changes,
 * and the dispatcher's small writes of delivery state, none of them in the engine's batch.
 */
export interface StoredEvent {
  readonly seq: number;
  readonly id: string;
  readonly type: EventType;
  readonly subject: string;
  readonly at: Instant;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface EventQuery {
  /** Only events concerning this user; undefined: every event (the operator). */
  readonly userId: string | undefined;
  /** Events after this sequence number in the page's order (a cursor). */
  readonly startingAfter: number | undefined;
  readonly limit: number;
  /** "desc": newest first (default); "asc": by sequence, for a reader that follows along. */
  readonly order: "asc" | "desc";
  readonly types: readonly EventType[] | undefined;
}

export interface EndpointRecord {
  readonly id: string;
  readonly url: string;
  /** The event types it receives; empty: all. */
  readonly eventTypes: readonly EventType[];
  readonly secret: string;
  /** The secret before the last rotation, still signed with until `previousSecretUntil`. */
  readonly previousSecret: string | null;
  readonly previousSecretUntil: Instant | null;
  readonly createdAt: Instant;
  /** Events up to this sequence number happened before the endpoint existed: it gets none of them. */
  readonly afterSeq: number;
}

export type DeliveryState = "pending" | "delivered" | "failed";

export interface DeliveryRecord {
  readonly endpointId: string;
  readonly seq: number;
  readonly eventId: string;
  readonly eventType: EventType;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: Instant;
  readonly firstAttemptAt: Instant | null;
  readonly lastAttemptAt: Instant | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: Instant | null;
}

/** A delivery due now, with what it takes to send it. */
export interface DueDelivery {
  readonly delivery: DeliveryRecord;
  readonly endpoint: EndpointRecord;
  readonly event: StoredEvent;
}

export interface AttemptOutcome {
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: Instant;
  readonly firstAttemptAt: Instant;
  readonly at: Instant;
  readonly status: number | null;
  readonly error: string | null;
}

export interface DeliveryCounts {
  readonly pending: number;
  readonly delivered: number;
  readonly failed: number;
}

/** What one slice of a prune did. */
export interface PruneSlice {
  readonly events: number;
  readonly deliveries: number;
  /** The last sequence number it looked at: the next slice starts after it. */
  readonly lastSeq: number;
  /** No event older than the limit is left past `lastSeq`. */
  readonly done: boolean;
}

export interface EventStore {
  events(query: EventQuery): Promise<StoredEvent[]>;
  /**
   * Deletes, in one transaction, the events older than `before` among the `limit` oldest after
   * `afterSeq`, with who they concern and their settled deliveries. Kept whatever their age:
   * the newest event (the next sequence number is counted on from it), those not yet fanned
   * out, those with a delivery still pending, and the start of a campaign still open.
   */
  prune(before: Instant, afterSeq: number, limit: number): Promise<PruneSlice>;
  /** The sequence number of the last event written, 0 when none. */
  lastEventSeq(): Promise<number>;
  createEndpoint(endpoint: EndpointRecord): Promise<void>;
  endpoints(): Promise<EndpointRecord[]>;
  endpoint(id: string): Promise<EndpointRecord | undefined>;
  rotateSecret(id: string, secret: string, previousSecretUntil: Instant): Promise<EndpointRecord | undefined>;
  /** Removes the endpoint and its deliveries; false when there was none. */
  deleteEndpoint(id: string): Promise<boolean>;
  /**
   * Turns up to `limit` events past the fan-out cursor into pending deliveries for the
   * endpoints that take them, and moves the cursor, in one transaction. Returns how many
   * events it read.
   */
  fanOut(limit: number, now: Instant): Promise<number>;
  /** Pending deliveries due by `now`, oldest event first, at most `limit`, none of `excluding`. */
  dueDeliveries(now: Instant, limit: number, excluding: ReadonlySet<string>): Promise<DueDelivery[]>;
  recordAttempt(endpointId: string, seq: number, outcome: AttemptOutcome): Promise<void>;
  /** An endpoint's deliveries, newest event first, after the cursor `beforeSeq`. */
  deliveries(
    endpointId: string,
    state: DeliveryState | undefined,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<DeliveryRecord[]>;
  deliveryCounts(endpointId: string): Promise<DeliveryCounts>;
}

/** A store that has the outbox's readers. */
export interface HasEventStore {
  readonly events: EventStore;
}

/** The key of one delivery, unique among all of them. */
export function deliveryKey(endpointId: string, seq: number): string {
  return `${endpointId}/${seq}`;
}
