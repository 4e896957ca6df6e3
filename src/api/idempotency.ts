import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { canonicalJson, TooDeepError } from "../domain/canonical-json.js";
import type { Idempotency } from "../engine/engine.js";
import { ApiError } from "./errors.js";
import { IDEMPOTENCY_KEY_HEADER } from "./schemas.js";

function bodyText(body: unknown): string {
  try {
    return canonicalJson(body ?? null, BODY_DEPTH_MAX);
  } catch (error) {
    if (error instanceof TooDeepError)
      throw new ApiError("VALIDATION_FAILED", `the body nests deeper than ${BODY_DEPTH_MAX} levels`);
    throw error;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** Bodies nest a few levels at most; deeper ones are refused before they are walked. */
export const BODY_DEPTH_MAX = 16;

/**
 * Refuses a POST that moves money without a key: its retry after a lost answer would move
 * the money again. The route's header schema says which routes need one (and the OpenAPI
 * document shows it), so this runs before the body is read or the engine is asked anything.
 */
export function requireIdempotencyKey(request: FastifyRequest): void {
  const headers = request.routeOptions.schema?.headers as { required?: readonly string[] } | undefined;
  if (headers?.required?.includes(IDEMPOTENCY_KEY_HEADER) !== true) return;
  if (request.headers[IDEMPOTENCY_KEY_HEADER] !== undefined) return;
  throw new ApiError(
    "IDEMPOTENCY_KEY_REQUIRED",
    "this request moves money: send an Idempotency-Key header (1 to 255 printable ASCII characters) and reuse it on a retry",
  );
}

/** The key a money-moving POST was sent with, scoped to its caller; undefined without one. */
export function idempotencyOf(request: FastifyRequest, scope: string): Idempotency | undefined {
  const header = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (header === undefined) return undefined;
  if (typeof header !== "string" || !KEY.test(header)) {
    throw new ApiError("IDEMPOTENCY_KEY_INVALID", "Idempotency-Key is 1 to 255 printable ASCII characters");
  }
  const requestHash = createHash("sha256")
    .update(`${request.method} ${request.url}\n${bodyText(request.body)}`)
    .digest("hex");
  return { scope, key: header, requestHash };
}
