/**
 * Errors are values. Every failure the service can report has a stable code here;
 * the HTTP shell maps the code to a status in one place (src/api/errors.ts).
 */
export const ERROR_CODES = [
  "BAD_REQUEST",
  "MALFORMED_REQUEST",
  "BAD_FRAMING",
  "HEADERS_TOO_LARGE",
  "URL_TOO_LONG",
  "HOST_REQUIRED",
  "HTTP_VERSION_NOT_SUPPORTED",
  "METHOD_NOT_ALLOWED",
  "EXPECTATION_FAILED",
  "REQUEST_TIMEOUT",
  "BAD_JSON",
  "BODY_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "VALIDATION_FAILED",
  "UNAUTHORIZED",
  "INVALID_TOKEN",
  "TOKEN_EXPIRED",
  "TOKEN_REVOKED",
  "EXCHANGE_NOT_CONFIGURED",
  "SIGNING_KEY_IN_USE",
  "KEY_NOT_FOUND",
  "TOO_MANY_KEYS",
  "COVER_INVALID",
  "COVER_NOT_FOUND",
  "TOO_MANY_COVERS",
  "FORBIDDEN",
  "NOT_FOUND",
  "USER_NOT_FOUND",
  "TRANSFER_NOT_FOUND",
  "PHONE_TAKEN",
  "INVALID_CODE",
  "CODE_EXPIRED",
  "TOO_MANY_ATTEMPTS",
  "RATE_LIMITED",
  "IDEMPOTENCY_KEY_REUSED",
  "IDEMPOTENCY_KEY_INVALID",
  "IDEMPOTENCY_KEY_REQUIRED",
  "INSUFFICIENT_FUNDS",
  "AMOUNT_BELOW_MIN",
  "AMOUNT_ABOVE_MAX",
  "MEMO_TOO_LONG",
  "SELF_TRANSFER",
  "DUE_DATE_WITHOUT_LOAN",
  "NOT_RECIPIENT",
  "NOT_SENDER",
  "TRANSFER_NOT_PENDING",
  "NOT_A_LOAN",
  "TOO_MANY_PENDING",
  "TOO_MANY_STREAMS",
  "BALANCE_LIMIT",
  "GROUP_NOT_FOUND",
  "GROUP_TOO_LARGE",
  "TOO_MANY_GROUPS",
  "NOT_A_MEMBER",
  "PACKET_NOT_FOUND",
  "NOT_FOR_YOU",
  "WRONG_PASSWORD",
  "ALREADY_GRABBED",
  "SOLD_OUT",
  "EXPIRED",
  "BAD_SPLIT",
  "CAMPAIGN_NOT_FOUND",
  "NOT_STARTED",
  "ENDED",
  "ALREADY_CLAIMED",
  "CAMPAIGN_PAUSED",
  "CAMPAIGN_NOT_PAUSED",
  "DAILY_LIMIT_REACHED",
  "FEATURE_OFF",
  "BAD_AMOUNT_RULE",
  "BAD_WINDOW",
  "TICKET_INVALID",
  "TICKET_NOT_YOURS",
  "TICKET_USED",
  "WEBHOOK_ENDPOINT_NOT_FOUND",
  "WEBHOOK_TARGET_REFUSED",
  "TOO_MANY_WEBHOOK_ENDPOINTS",
  "BUSY",
  "SHUTTING_DOWN",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface DomainError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Machine-readable facts about the failure, e.g. the cap that was broken. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DomainError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string, details?: Record<string, unknown>): Result<T> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}
