import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Idempotency } from "../engine/engine.js";
import { ApiError } from "./errors.js";

const KEY = /^[\x21-\x7e]{1,255}$/;

/** Bodies nest a few levels at most; deeper ones are refused before they are walked. */
export const BODY_DEPTH_MAX = 16;

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (depth >= BODY_DEPTH_MAX)
    throw new ApiError("VALIDATION_FAILED", `the body nests deeper than ${BODY_DEPTH_MAX} levels`);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(",")}]`;
  const entries = Object.keys(value as object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key], depth + 1)}`);
  return `{${entries.join(",")}}`;
}

/** The key a money-moving POST was sent with, scoped to its caller; undefined without one. */
export function idempotencyOf(request: FastifyRequest, scope: string): Idempotency | undefined {
  const header = request.headers["idempotency-key"];
  if (header === undefined) return undefined;
  if (typeof header !== "string" || !KEY.test(header)) {
    throw new ApiError("IDEMPOTENCY_KEY_INVALID", "Idempotency-Key is 1 to 255 printable ASCII characters");
  }
  const requestHash = createHash("sha256")
    .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
    .digest("hex");
  return { scope, key: header, requestHash };
}
