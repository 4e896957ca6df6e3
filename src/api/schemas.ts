import { ERROR_CODES } from "../domain/errors.js";
import { ID_PATTERN } from "../domain/ids.js";
import { PACKET_KINDS } from "../domain/red-packet.js";
import { NATURES, TRANSFER_STATUSES } from "../domain/transfer.js";

/**
 * JSON schemas for every route: request bounds are checked here (400), the business
 * rules in the domain (422). Strings are bounded here so no body can grow memory.
 */
export const MEMO_LENGTH_BOUND = 1000;
export const AMOUNT_BOUND = Number.MAX_SAFE_INTEGER;

export const amount = { type: "integer", minimum: -AMOUNT_BOUND, maximum: AMOUNT_BOUND, description: "fen" } as const;
export const userId = { type: "string", pattern: ID_PATTERN.user, maxLength: 24 } as const;
export const transferId = { type: "string", pattern: ID_PATTERN.transfer, maxLength: 23 } as const;
export const phone = {
  type: "string",
  pattern: "^\\+?[0-9]{6,15}$",
  description: "digits, optionally with a leading +",
} as const;
export const groupId = { type: "string", pattern: ID_PATTERN.group, maxLength: 24 } as const;
export const packetId = { type: "string", pattern: ID_PATTERN.redPacket, maxLength: 23 } as const;
export const instant = {
  type: "string",
  description: "ISO 8601 with offset",
  examples: ["2021-08-14T13:14:00.000+08:00"],
} as const;

export const errorSchema = {
  $id: "Error",
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: ERROR_CODES },
        message: { type: "string" },
        details: { type: "object", additionalProperties: true },
      },
    },
  },
} as const;

export const natureHintSchema = {
  type: "object",
  properties: { nature: { type: "string", enum: ["gift", "loan"] }, reason: { type: "string" } },
} as const;

export const transferSchema = {
  $id: "Transfer",
  type: "object",
  required: ["id", "from", "to", "amount", "memo", "nature", "status", "createdAt", "natureHints", "warnings"],
  properties: {
    id: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    amount: { type: "integer" },
    memo: { type: "string" },
    nature: { type: "string", enum: NATURES },
    dueDate: { type: ["string", "null"] },
    status: { type: "string", enum: TRANSFER_STATUSES },
    createdAt: { type: "string" },
    refundAt: { type: "string" },
    answeredAt: { type: ["string", "null"] },
    loanAcknowledgedAt: { type: ["string", "null"] },
    natureHints: { type: "array", items: natureHintSchema },
    warnings: { type: "array", items: { type: "string" } },
  },
} as const;

export const transferBody = {
  type: "object",
  additionalProperties: false,
  required: ["to", "amount"],
  properties: {
    to: userId,
    amount,
    memo: { type: "string", maxLength: MEMO_LENGTH_BOUND },
    nature: { type: "string", enum: NATURES },
    dueDate: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
  },
} as const;

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** On a grab, a claim or a POST that moves no money: one per user by nature, so the key may be left out. */
export const idempotencyHeader = {
  type: "object",
  properties: {
    [IDEMPOTENCY_KEY_HEADER]: {
      type: "string",
      description:
        "1 to 255 printable ASCII characters; scoped to the caller. A replayed answer carries `Idempotent-Replayed: true`.",
    },
  },
} as const;

/**
 * On every POST that moves money. The app refuses a request without it (400
 * IDEMPOTENCY_KEY_REQUIRED) by reading this `required`, so the document and the check agree.
 */
export const idempotencyHeaderRequired = {
  type: "object",
  required: [IDEMPOTENCY_KEY_HEADER],
  properties: {
    [IDEMPOTENCY_KEY_HEADER]: {
      type: "string",
      description:
        "Required: 1 to 255 printable ASCII characters; scoped to the caller. Missing: 400 IDEMPOTENCY_KEY_REQUIRED. " +
        "A retry with the same key and body gets the first answer again, with `Idempotent-Replayed: true`.",
    },
  },
} as const;

export const errorResponses = {
  "4xx": { $ref: "Error#" },
  "5xx": { $ref: "Error#" },
} as const;

const grabSchema = {
  type: "object",
  properties: { userId: { type: "string" }, amount: { type: "integer" }, at: { type: "string" } },
} as const;

export const packetSchema = {
  $id: "RedPacket",
  type: "object",
  required: [
    "id",
    "kind",
    "amount",
    "count",
    "remaining",
    "status",
    "createdAt",
    "expiresAt",
    "commitment",
    "grabs",
    "luckyKing",
  ],
  properties: {
    id: { type: "string" },
    kind: { type: "string", enum: PACKET_KINDS },
    sender: { type: "string" },
    to: { type: ["string", "null"] },
    groupId: { type: ["string", "null"] },
    amount: { type: "integer" },
    count: { type: "integer" },
    remaining: { type: "integer", description: "shares not yet grabbed" },
    remainingAmount: { type: "integer" },
    status: { type: "string", enum: ["active", "finished", "expired"] },
    greeting: { type: "string" },
    coverId: {
      type: ["string", "null"],
      description: "the cover (封面) the sender picked; its image is /v1/covers/{coverId}",
    },
    hasPassword: { type: "boolean" },
    createdAt: { type: "string" },
    expiresAt: { type: "string" },
    settledAt: { type: ["string", "null"] },
    commitment: { type: "string", description: "hex(sha256(id|shares joined by ,|salt))" },
    grabs: { type: "array", items: grabSchema },
    luckyKing: { anyOf: [{ type: "null" }, grabSchema] },
    shares: { type: "array", items: { type: "integer" }, description: "once finished or expired" },
    salt: { type: "string", description: "once finished or expired" },
    natureHints: { type: "array", items: natureHintSchema },
    warnings: { type: "array", items: { type: "string" } },
  },
} as const;

export const groupSchema = {
  $id: "Group",
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    owner: { type: "string" },
    memberIds: { type: "array", items: { type: "string" } },
    createdAt: { type: "string" },
  },
} as const;

/** The body of a POST that takes no fields: nothing, null or {}. */
export const noBody = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: {},
  description: "no fields",
} as const;
