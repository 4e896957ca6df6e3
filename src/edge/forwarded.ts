/**
 * What an edge may ask its writer to read, by name: one list serves the writer (which
 * refuses any other name) and the edge (which forwards each of these and nothing else).
 */

/** The store's reads the routes use (src/engine/store-port.ts). */
export const STORE_READS = [
  "user",
  "userByPhone",
  "balance",
  "transfer",
  "statement",
  "postingsOf",
  "group",
  "campaign",
  "packet",
  "balanceSum",
  "ping",
] as const;

/** The store's lists (store.lists). */
export const LIST_READS = ["transfers", "packets", "campaigns", "users"] as const;

/** The identity tables, written only through the writer's store, which tells every edge. */
export const IDENTITY_CALLS = [
  "saveServiceKey",
  "saveSigningKey",
  "saveTokenGeneration",
  "externalUser",
  "linkExternalUser",
] as const;

/**
 * Token generations per reply of `identity.state`: one per user who ever logged out
 * everywhere, so the whole list may be far over a frame's bound; it comes in parts.
 */
export const GENERATIONS_PER_PART = 10_000;

/**
 * The outbox's reads and the operator's webhook endpoints. Endpoints are rows the writer's
 * dispatcher reads at every poll, so one written through any edge is delivered to from then on.
 */
export const EVENT_CALLS = [
  "events",
  "lastEventSeq",
  "createEndpoint",
  "endpoints",
  "endpoint",
  "rotateSecret",
  "deleteEndpoint",
  "deliveries",
  "deliveryCounts",
] as const;

/** The cover catalogue's tables. */
export const COVER_CALLS = ["list", "add", "image"] as const;

/** Engine reads an edge's view cannot answer, beyond those with their own call. */
export const ENGINE_READS = ["groupsOf", "groupPackets", "pendingTransfersOf", "sentToday"] as const;

/** The call by which an edge says it has applied the shared rows up to a seq. */
export const ROWS_APPLIED = "rows.applied";

/**
 * The call by which an edge tells the writer its HTTP load: the claims a second its crowd gate
 * measured its loop to let through, and the claims it has placed at once since it started (the
 * waiting room at the writer admits at what the edges can answer, decision 0066).
 */
export const EDGE_LOAD = "edge.load";

/** msgpack has no undefined at the top of a reply: null stands for it both ways. */
export const orUndefined = <T>(value: unknown): T | undefined =>
  value === null || value === undefined ? undefined : (value as T);
