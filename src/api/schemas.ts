import { ID_PATTERN } from "../domain/ids.js";
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
        code: { type: "string" },
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

export const idempotencyHeader = {
  type: "object",
  properties: {
    "idempotency-key": { type: "string", description: "at most 255 printable ASCII characters; scoped to the caller" },
  },
} as const;

export const errorResponses = {
  "4xx": { $ref: "Error#" },
  "5xx": { $ref: "Error#" },
} as const;
