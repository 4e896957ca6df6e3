import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Idempotency } from "../engine/engine.js";
import { ApiError } from "./errors.js";

const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.keys(value as object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
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
