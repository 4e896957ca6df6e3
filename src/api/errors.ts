import type { FastifyError, FastifyReply } from "fastify";
import type { DomainError, ErrorCode } from "../domain/errors.js";
import { EngineStoppedError, EngineUnavailableError } from "../engine/engine.js";

/** The one place where an error code becomes an HTTP status. */
export const STATUS_OF: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  // What node:http refuses while parsing, or before a route runs (src/api/http-guard.ts).
  MALFORMED_REQUEST: 400,
  BAD_FRAMING: 400,
  HEADERS_TOO_LARGE: 431,
  URL_TOO_LONG: 414,
  HOST_REQUIRED: 400,
  // 505 is the status HTTP names, but no client input may cause a 5xx here: the client's fault is a 4xx.
  HTTP_VERSION_NOT_SUPPORTED: 400,
  METHOD_NOT_ALLOWED: 405,
  EXPECTATION_FAILED: 417,
  REQUEST_TIMEOUT: 408,
  BAD_JSON: 400,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  EXCHANGE_NOT_CONFIGURED: 404,
  SIGNING_KEY_IN_USE: 409,
  KEY_NOT_FOUND: 404,
  TOO_MANY_KEYS: 422,
  COVER_INVALID: 422,
  COVER_NOT_FOUND: 404,
  TOO_MANY_COVERS: 422,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  TRANSFER_NOT_FOUND: 404,
  PHONE_TAKEN: 409,
  INVALID_CODE: 401,
  CODE_EXPIRED: 401,
  TOO_MANY_ATTEMPTS: 429,
  RATE_LIMITED: 429,
  IDEMPOTENCY_KEY_REUSED: 409,
  IDEMPOTENCY_KEY_INVALID: 400,
  IDEMPOTENCY_KEY_REQUIRED: 400,
  INSUFFICIENT_FUNDS: 422,
  AMOUNT_BELOW_MIN: 422,
  AMOUNT_ABOVE_MAX: 422,
  MEMO_TOO_LONG: 422,
  SELF_TRANSFER: 422,
  DUE_DATE_WITHOUT_LOAN: 422,
  NOT_RECIPIENT: 403,
  NOT_SENDER: 403,
  TRANSFER_NOT_PENDING: 409,
  NOT_A_LOAN: 409,
  TOO_MANY_PENDING: 422,
  TOO_MANY_STREAMS: 429,
  BALANCE_LIMIT: 422,
  GROUP_NOT_FOUND: 404,
  GROUP_TOO_LARGE: 422,
  TOO_MANY_GROUPS: 422,
  NOT_A_MEMBER: 403,
  PACKET_NOT_FOUND: 404,
  NOT_FOR_YOU: 403,
  WRONG_PASSWORD: 403,
  ALREADY_GRABBED: 409,
  SOLD_OUT: 410,
  EXPIRED: 410,
  BAD_SPLIT: 422,
  CAMPAIGN_NOT_FOUND: 404,
  NOT_STARTED: 425,
  ENDED: 410,
  ALREADY_CLAIMED: 409,
  // A pause is an operator's hold, not overload: 409, and no Retry-After that would invite a retry storm.
  CAMPAIGN_PAUSED: 409,
  CAMPAIGN_NOT_PAUSED: 409,
  // A cap like the amount caps (422), not a rate limit: a Retry-After of seconds would be a false promise.
  DAILY_LIMIT_REACHED: 422,
  FEATURE_OFF: 403,
  BAD_AMOUNT_RULE: 422,
  BAD_WINDOW: 422,
  TICKET_INVALID: 400,
  TICKET_NOT_YOURS: 403,
  TICKET_USED: 409,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_TARGET_REFUSED: 422,
  TOO_MANY_WEBHOOK_ENDPOINTS: 409,
  BUSY: 503,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

/** Seconds a client should wait before retrying a 429 or 503, with jitter so retries spread out. */
export function retryAfterSeconds(code: ErrorCode, base = 1): number | undefined {
  const status = STATUS_OF[code];
  if (status !== 429 && status !== 503) return undefined;
  return base + Math.floor(Math.random() * 2);
}

/** An error carried through Fastify's error path with its domain code. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.statusCode = STATUS_OF[code];
  }

  static of(error: DomainError): ApiError {
    return new ApiError(error.code, error.message, error.details);
  }
}

export function errorBody(code: ErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Maps what Fastify itself throws (bad JSON, size, schema) onto our codes; anything else is ours to fix. */
export function fromFastifyError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error;
  // A commit failed and memory is being rebuilt, or the writer is stopping: retry, not a fault.
  if (error instanceof EngineUnavailableError || error instanceof EngineStoppedError)
    return new ApiError("BUSY", "the ledger is not serving right now; retry shortly");
  if (error.validation !== undefined) return new ApiError("VALIDATION_FAILED", error.message);
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError("BODY_TOO_LARGE", "the request body is too large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ApiError("BAD_FRAMING", "the body's length does not match its Content-Length");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError("BAD_JSON", "the body is not valid JSON");
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (error instanceof SyntaxError || /JSON|proto/i.test(error.message))
      return new ApiError("BAD_JSON", "the body is not valid JSON");
    return new ApiError("BAD_REQUEST", error.message);
  }
  return new ApiError("INTERNAL", "internal error");
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  const retryAfter = error.retryAfter ?? retryAfterSeconds(error.code);
  if (retryAfter !== undefined) void reply.header("retry-after", String(retryAfter));
  return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
}
