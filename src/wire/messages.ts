import type { ExchangeConfig } from "../api/exchange.js";
import type { LiveEventsOptions } from "../api/live-events.js";
import type { Campaign } from "../domain/campaign.js";
import type { CoverRow } from "../store/cover-tables.js";
import type { IdentityChange } from "../store/identity-port.js";

/** A row written outside the engine that every edge must hold before its write is answered. */
export type SharedRow = IdentityChange | { readonly kind: "cover"; readonly row: CoverRow };

/**
 * The messages of the edge–writer protocol (docs/wire.md). An edge says hello, then calls;
 * the writer welcomes it with a snapshot of the facts edges answer from, replies to each call
 * by id once its answer is durable, and after every commit sends the facts it made true.
 */

/** The writer's load and clock, sent with every facts message and on a heartbeat. */
export interface WriterStatus {
  readonly ready: boolean;
  readonly now: number;
  readonly queueDepth: number;
  readonly laneDepth: { readonly critical: number; readonly campaign: number };
  readonly queueDelayMs: { readonly critical: number; readonly campaign: number };
}

/**
 * A fact only ever goes from false to true: a campaign ended, money claimed from it, a user
 * claimed. A view that has not heard one yet asks the writer, which stays the authority.
 */
export type Fact =
  /** A campaign as committed, and what was claimed from it so far. */
  | { readonly k: "campaign"; readonly campaign: Campaign; readonly claimedAmount: number }
  /** Claims committed in one batch: who, and how much in all. */
  | { readonly k: "claims"; readonly c: string; readonly users: readonly string[]; readonly amount: number }
  /** An operator's special day, committed. */
  | { readonly k: "specialDay"; readonly rule: unknown }
  /** A red packet as sent or as settled (finished, expired), with who grabbed it so far. */
  | {
      readonly k: "packet";
      readonly id: string;
      readonly status: "active" | "finished" | "expired";
      readonly expiresAt: number;
      readonly recipient: string | null;
      readonly groupId: string | null;
      readonly grabbers: readonly string[];
    }
  /** Grabs of one packet committed in one batch: who. */
  | { readonly k: "grabs"; readonly p: string; readonly users: readonly string[] }
  /** A group as made: its members are fixed from then on. */
  | { readonly k: "group"; readonly id: string; readonly members: readonly string[] }
  /** A shared row written (service key, signing key, log out everywhere, cover): applied, then acknowledged by seq. */
  | { readonly k: "row"; readonly seq: number; readonly change: SharedRow }
  /** A live event for these users' streams, on whichever edge holds them. */
  | {
      readonly k: "live";
      readonly users: readonly string[];
      readonly event: string;
      readonly data: unknown;
    };

export interface Snapshot {
  readonly facts: readonly Fact[];
  /** The rules document the writer's calendar was built from (null: the built-in one). */
  readonly rules: unknown;
  readonly setup: EdgeSetup;
}

/**
 * What an edge needs to answer as the writer's deployment does: its keys (so tokens and
 * evidence verify whichever process made them) and its settings. Sent only after the secret.
 */
export interface EdgeSetup {
  readonly tokenSecret: string;
  readonly adminToken: string;
  readonly evidenceKeyPem: string;
  readonly signup: boolean;
  readonly testClock: boolean;
  readonly isolation: boolean;
  /** A product's JWKS, issuer and audience whose tokens are exchanged; null when not configured. */
  readonly exchange: ExchangeConfig | null;
  readonly live: LiveEventsOptions;
  /** Login codes go to the dev sender, whose last codes the web app may read (from loopback). */
  readonly devCodes: boolean;
  /** Browser origins allowed to call the API (CORS), as the deployment configured them. */
  readonly corsOrigins: readonly string[];
  /** Webhook endpoints may point at loopback and private addresses (--webhook-allow-private). */
  readonly webhookAllowPrivate: boolean;
  /** The writer counts campaigns' lines (the waiting room); edges ask it for places. */
  readonly waitingRoom: boolean;
}

/** One engine or store call: `[id, op, args]`, the id unique on the connection. */
export type Call = readonly [id: number, op: string, args: readonly unknown[]];

/** A call's answer by its id: `[id, true, value]`, or `[id, false, error]`. */
export type Reply =
  | readonly [id: number, ok: true, value: unknown]
  | readonly [id: number, ok: false, error: WireError];

export type ClientMessage =
  | { readonly t: "hello"; readonly v: number; readonly secret: string; readonly edge: string }
  /** The calls an edge made in one turn of its event loop. */
  | { readonly t: "calls"; readonly calls: readonly Call[] };

export type WriterMessage =
  | {
      readonly t: "welcome";
      readonly v: number;
      readonly status: WriterStatus;
      readonly snapshot: Snapshot;
      /** The writer lease's epoch it holds (PostgreSQL), null without one; older writers leave it out. */
      readonly epoch?: number | null;
    }
  | { readonly t: "refused"; readonly reason: string }
  /** The replies ready in one turn of the writer's event loop (a durable batch's, usually). */
  | { readonly t: "replies"; readonly replies: readonly Reply[] }
  | { readonly t: "facts"; readonly facts: readonly Fact[]; readonly status: WriterStatus }
  | { readonly t: "status"; readonly status: WriterStatus };

/** Why a call failed: the writer is rebuilding or stopped (retry elsewhere or later), or a fault. */
export interface WireError {
  /** api: a refusal with an error code of the HTTP contract, answered as it would be in one process. */
  readonly kind: "unavailable" | "stopped" | "refused" | "internal" | "api";
  readonly message: string;
  readonly code?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Version 3: `line.claim`'s answer for a claim decided and paid, not a replay (the crowd's one
 * durable answer), is `[amount, n]`; the edge knows the campaign and the user it asked for.
 * msgpackr packed the nested `{ kind, outcome, result: { ok, value }, replayed }` in 1.1–1.2 µs
 * and a flat tuple in 0.3 µs, and the edge decoded four objects and their keys a claim
 * (docs/decisions/0062-durable-edge-garbage.md).
 */
export type PaidClaim = readonly [amount: number, n: number];

export function paidClaimOf(outcome: string, result: unknown, replayed: boolean): PaidClaim | undefined {
  if (outcome !== "claimed" || replayed || !isObject(result) || result.ok !== true || !isObject(result.value))
    return undefined;
  const { amount, n } = result.value;
  return typeof amount === "number" && typeof n === "number" ? [amount, n] : undefined;
}

export function isPaidClaim(reply: unknown): reply is PaidClaim {
  return Array.isArray(reply) && reply.length === 2 && Number.isSafeInteger(reply[0]) && Number.isSafeInteger(reply[1]);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A client message's shape, checked before anything acts on it; undefined for anything else. */
export function asClientMessage(value: unknown): ClientMessage | undefined {
  if (!isObject(value)) return undefined;
  if (value.t === "hello") {
    if (typeof value.v !== "number" || typeof value.secret !== "string" || typeof value.edge !== "string")
      return undefined;
    return value as ClientMessage;
  }
  if (value.t === "calls") {
    const calls = value.calls;
    if (!Array.isArray(calls)) return undefined;
    for (const call of calls) if (!isCall(call)) return undefined;
    return value as ClientMessage;
  }
  return undefined;
}

function isCall(call: unknown): call is Call {
  return (
    Array.isArray(call) &&
    call.length === 3 &&
    Number.isSafeInteger(call[0]) &&
    typeof call[1] === "string" &&
    Array.isArray(call[2])
  );
}

/** A reply's shape, checked as the edge reads it. */
export function isReply(reply: unknown): reply is Reply {
  return Array.isArray(reply) && reply.length === 3 && Number.isSafeInteger(reply[0]) && typeof reply[1] === "boolean";
}

/** A writer message's shape, checked the same way on the edge. */
export function asWriterMessage(value: unknown): WriterMessage | undefined {
  if (!isObject(value)) return undefined;
  switch (value.t) {
    case "welcome":
      return isObject(value.status) && isObject(value.snapshot) && isObject(value.snapshot.setup)
        ? (value as WriterMessage)
        : undefined;
    case "refused":
      return typeof value.reason === "string" ? (value as WriterMessage) : undefined;
    case "replies":
      return Array.isArray(value.replies) ? (value as WriterMessage) : undefined;
    case "facts":
      return Array.isArray(value.facts) && isObject(value.status) ? (value as WriterMessage) : undefined;
    case "status":
      return isObject(value.status) ? (value as WriterMessage) : undefined;
    default:
      return undefined;
  }
}
