import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { SignJWT } from "jose";
import { ADMIN_TOKEN, keyedHeaders, startTestApp, type TestApp, type TestUser } from "../support/harness.js";

/**
 * A table of bad requests against one app with funded users and a pending transfer. Every
 * one must get its 4xx and error code, in the error shape, and none may move money.
 */

const TOKEN_SECRET = new TextEncoder().encode("test-token-secret-that-is-at-least-32-bytes");
const OTHER_SECRET = new TextEncoder().encode("a-different-secret-that-is-also-32-bytes-long");
const UNKNOWN_USER = "usr_00000000000000000000";
const UNKNOWN_TRANSFER = "tr_00000000000000000000";
const TRANSFER_CAP = 5_000_000;

interface World {
  readonly alice: TestUser;
  readonly bob: TestUser;
  readonly carol: TestUser;
  /** alice → bob, pending. */
  readonly pendingId: string;
  /** alice → bob, accepted by bob during setup. */
  readonly acceptedId: string;
  readonly expiredToken: string;
  readonly forgedToken: string;
  readonly tamperedToken: string;
  readonly wrongIssuerToken: string;
  readonly ghostToken: string;
  readonly unsignedToken: string;
}

interface Request {
  readonly method: "GET" | "POST" | "DELETE" | "PUT" | "PATCH";
  readonly url: string;
  /** A user's token, "admin", or nothing. */
  readonly token?: string;
  /** The raw Authorization header, instead of `token`. */
  readonly authorization?: string;
  /** An object is sent as JSON; a string is sent as it is (content-type application/json unless given). */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** As in the harness: left out, a POST that moves money gets a fresh key; `null` sends none. */
  readonly idempotencyKey?: null;
}

interface Case {
  readonly name: string;
  readonly request: (w: World) => Request;
  /** One status, or the statuses that are all acceptable. */
  readonly status: number | readonly number[];
  readonly code: string | readonly string[];
  readonly details?: Record<string, unknown>;
}

const valid = (w: World) => ({ to: w.bob.userId, amount: 100 });
const send =
  (body: (w: World) => unknown, token: (w: World) => string = (w) => w.alice.token) =>
  (w: World): Request => ({
    method: "POST",
    url: "/v1/transfers",
    token: token(w),
    body: body(w),
  });
const asAlice =
  (method: Request["method"], url: (w: World) => string, body?: unknown) =>
  (w: World): Request => ({
    method,
    url: url(w),
    token: w.alice.token,
    ...(body === undefined ? {} : { body }),
  });
const withAuth =
  (authorization: (w: World) => string) =>
  (w: World): Request => ({
    method: "POST",
    url: "/v1/transfers",
    authorization: authorization(w),
    body: valid(w),
  });

const CASES: readonly Case[] = [
  // ── wrong types ─────────────────────────────────────────────────────────────
  {
    name: "amount as a string",
    request: send((w) => ({ to: w.bob.userId, amount: "100" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount as a boolean",
    request: send((w) => ({ to: w.bob.userId, amount: true })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount as an array",
    request: send((w) => ({ to: w.bob.userId, amount: [100] })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount as an object",
    request: send((w) => ({ to: w.bob.userId, amount: { fen: 100 } })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount null",
    request: send((w) => ({ to: w.bob.userId, amount: null })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  { name: "to as a number", request: send(() => ({ to: 12345, amount: 100 })), status: 400, code: "VALIDATION_FAILED" },
  {
    name: "memo as a number",
    request: send((w) => ({ ...valid(w), memo: 520 })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  // ── amounts ─────────────────────────────────────────────────────────────────
  {
    name: "amount zero",
    request: send((w) => ({ to: w.bob.userId, amount: 0 })),
    status: 422,
    code: "AMOUNT_BELOW_MIN",
    details: { cap: "transferMin", limit: 1 },
  },
  {
    name: "amount negative",
    request: send((w) => ({ to: w.bob.userId, amount: -100 })),
    status: 422,
    code: "AMOUNT_BELOW_MIN",
  },
  {
    name: "amount fractional 1.5",
    request: send((w) => ({ to: w.bob.userId, amount: 1.5 })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount fractional 0.01 (yuan instead of fen)",
    request: send((w) => ({ to: w.bob.userId, amount: 0.01 })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount 1e20",
    request: send((w) => `{"to":"${w.bob.userId}","amount":1e20}`),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount 9007199254740993 written literally",
    request: send((w) => `{"to":"${w.bob.userId}","amount":9007199254740993}`),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount -9007199254740993 written literally",
    request: send((w) => `{"to":"${w.bob.userId}","amount":-9007199254740993}`),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "amount one fen above the transfer cap",
    request: send((w) => ({ to: w.bob.userId, amount: TRANSFER_CAP + 1 })),
    status: 422,
    code: "AMOUNT_ABOVE_MAX",
    details: { cap: "transferMax", limit: TRANSFER_CAP },
  },
  {
    name: "amount MAX_SAFE_INTEGER (above the cap, not a 5xx)",
    request: send((w) => ({ to: w.bob.userId, amount: Number.MAX_SAFE_INTEGER })),
    status: 422,
    code: "AMOUNT_ABOVE_MAX",
    details: { cap: "transferMax", limit: TRANSFER_CAP },
  },
  // ── shape of the body ───────────────────────────────────────────────────────
  {
    name: "unknown field",
    request: send((w) => ({ ...valid(w), from: w.bob.userId })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "unknown field currency",
    request: send((w) => ({ ...valid(w), currency: "USD" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  { name: "missing amount", request: send((w) => ({ to: w.bob.userId })), status: 400, code: "VALIDATION_FAILED" },
  { name: "missing to", request: send(() => ({ amount: 100 })), status: 400, code: "VALIDATION_FAILED" },
  { name: "empty object", request: send(() => ({})), status: 400, code: "VALIDATION_FAILED" },
  { name: "body is a JSON array", request: send(() => "[]"), status: 400, code: "VALIDATION_FAILED" },
  { name: "body is JSON null", request: send(() => "null"), status: 400, code: "VALIDATION_FAILED" },
  { name: "bad JSON (truncated)", request: send(() => '{"to":'), status: 400, code: "BAD_JSON" },
  { name: "bad JSON (single quotes)", request: send(() => "{'to': 1}"), status: 400, code: "BAD_JSON" },
  { name: "empty body with content-type json", request: send(() => ""), status: 400, code: "BAD_JSON" },
  {
    name: "__proto__ in the body",
    request: send((w) => `{"__proto__":{"admin":true},"to":"${w.bob.userId}","amount":100}`),
    status: 400,
    code: "BAD_JSON",
  },
  {
    name: "body over the 16 KiB limit",
    request: send((w) => JSON.stringify({ ...valid(w), memo: "x".repeat(17 * 1024) })),
    status: 413,
    code: "BODY_TOO_LARGE",
  },
  {
    name: "content-type application/xml",
    request: (w) => ({ ...send(() => "<transfer/>")(w), contentType: "application/xml" }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "content-type form-urlencoded",
    request: (w) => ({
      ...send((x) => `to=${x.bob.userId}&amount=100`)(w),
      contentType: "application/x-www-form-urlencoded",
    }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
  },
  {
    name: "content-type text/plain with a JSON body",
    request: (w) => ({ ...send((x) => JSON.stringify(valid(x)))(w), contentType: "text/plain" }),
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
  },
  // ── memo ────────────────────────────────────────────────────────────────────
  {
    name: "memo of 10 000 characters",
    request: send((w) => ({ ...valid(w), memo: "m".repeat(10_000) })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "memo of 101 code points (ASCII)",
    request: send((w) => ({ ...valid(w), memo: "a".repeat(101) })),
    status: 422,
    code: "MEMO_TOO_LONG",
    details: { cap: "memoLengthMax", limit: 100 },
  },
  {
    name: "memo of 101 emoji (101 code points, 202 UTF-16 units)",
    request: send((w) => ({ ...valid(w), memo: "😀".repeat(101) })),
    status: 422,
    code: "MEMO_TOO_LONG",
    details: { cap: "memoLengthMax", limit: 100 },
  },
  {
    name: "memo of 101 CJK characters",
    request: send((w) => ({ ...valid(w), memo: "爱".repeat(101) })),
    status: 422,
    code: "MEMO_TOO_LONG",
  },
  // ── nature and due date ─────────────────────────────────────────────────────
  {
    name: "unknown nature",
    request: send((w) => ({ ...valid(w), nature: "present" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "nature in capitals",
    request: send((w) => ({ ...valid(w), nature: "GIFT" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "dueDate without a nature",
    request: send((w) => ({ ...valid(w), dueDate: "2026-12-31" })),
    status: 422,
    code: "DUE_DATE_WITHOUT_LOAN",
  },
  {
    name: "dueDate with nature gift",
    request: send((w) => ({ ...valid(w), nature: "gift", dueDate: "2026-12-31" })),
    status: 422,
    code: "DUE_DATE_WITHOUT_LOAN",
  },
  {
    name: "malformed dueDate 2026/12/31",
    request: send((w) => ({ ...valid(w), nature: "loan", dueDate: "2026/12/31" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "dueDate with a time",
    request: send((w) => ({ ...valid(w), nature: "loan", dueDate: "2026-12-31T00:00:00+08:00" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "nonexistent dueDate 2026-02-30",
    request: send((w) => ({ ...valid(w), nature: "loan", dueDate: "2026-02-30" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "nonexistent dueDate 2026-13-01",
    request: send((w) => ({ ...valid(w), nature: "loan", dueDate: "2026-13-01" })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  // ── parties and funds ───────────────────────────────────────────────────────
  {
    name: "transfer to self",
    request: send((w) => ({ to: w.alice.userId, amount: 100 })),
    status: 422,
    code: "SELF_TRANSFER",
  },
  {
    name: "transfer to an unknown user",
    request: send(() => ({ to: UNKNOWN_USER, amount: 100 })),
    status: 404,
    code: "USER_NOT_FOUND",
  },
  {
    name: "transfer to a malformed user id",
    request: send(() => ({ to: "usr_bob", amount: 100 })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "transfer to a transfer id",
    request: send(() => ({ to: UNKNOWN_TRANSFER, amount: 100 })),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "insufficient funds",
    request: send(
      (w) => ({ to: w.alice.userId, amount: 22_001 }),
      (w) => w.bob.token,
    ),
    status: 422,
    code: "INSUFFICIENT_FUNDS",
  },
  {
    name: "insufficient funds from an empty wallet",
    request: send(
      (w) => ({ to: w.alice.userId, amount: 1 }),
      (w) => w.carol.token,
    ),
    status: 422,
    code: "INSUFFICIENT_FUNDS",
  },
  {
    name: "insufficient funds under the cap (alice holds less than 5 000 000)",
    request: send((w) => ({ to: w.bob.userId, amount: TRANSFER_CAP })),
    status: 422,
    code: "INSUFFICIENT_FUNDS",
  },
  // ── authentication ──────────────────────────────────────────────────────────
  {
    name: "missing token",
    request: (w) => ({ method: "POST", url: "/v1/transfers", body: valid(w) }),
    status: 401,
    code: "UNAUTHORIZED",
  },
  { name: "Bearer without a token", request: withAuth(() => "Bearer"), status: 401, code: "UNAUTHORIZED" },
  { name: "Basic scheme", request: withAuth(() => "Basic YWxpY2U6c2VjcmV0"), status: 401, code: "UNAUTHORIZED" },
  { name: "Bearer with garbage", request: withAuth(() => "Bearer garbage"), status: 401, code: "INVALID_TOKEN" },
  {
    name: "Bearer with 2 000 characters",
    request: withAuth(() => `Bearer ${"a".repeat(2000)}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "forged token (other secret)",
    request: withAuth((w) => `Bearer ${w.forgedToken}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "tampered token (bob's payload, alice's signature)",
    request: withAuth((w) => `Bearer ${w.tamperedToken}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "unsigned token (alg none)",
    request: withAuth((w) => `Bearer ${w.unsignedToken}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "token from another issuer",
    request: withAuth((w) => `Bearer ${w.wrongIssuerToken}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  { name: "expired token", request: withAuth((w) => `Bearer ${w.expiredToken}`), status: 401, code: "TOKEN_EXPIRED" },
  {
    name: "token of a user that does not exist",
    request: withAuth((w) => `Bearer ${w.ghostToken}`),
    status: 401,
    code: "INVALID_TOKEN",
  },
  { name: "admin token on a user route", request: send(valid, () => "admin"), status: 403, code: "FORBIDDEN" },
  {
    name: "admin token on GET /v1/me/wallet",
    request: () => ({ method: "GET", url: "/v1/me/wallet", token: "admin" }),
    status: 403,
    code: "FORBIDDEN",
  },
  {
    name: "user token on an admin route",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: w.alice.token,
      body: { userId: w.alice.userId, amount: 1000 },
    }),
    status: 403,
    code: "FORBIDDEN",
  },
  {
    name: "garbage token on an admin route",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      authorization: "Bearer not-the-admin-token",
      body: { userId: w.alice.userId, amount: 1000 },
    }),
    status: 401,
    code: "INVALID_TOKEN",
  },
  {
    name: "admin token with a different case",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
      body: { userId: w.alice.userId, amount: 1000 },
    }),
    status: 401,
    code: "INVALID_TOKEN",
  },
  // ── transfers by id ─────────────────────────────────────────────────────────
  {
    name: "GET another user's transfer",
    request: (w) => ({ method: "GET", url: `/v1/transfers/${w.pendingId}`, token: w.carol.token }),
    status: 404,
    code: "TRANSFER_NOT_FOUND",
  },
  {
    name: "accept another user's transfer",
    request: (w) => ({ method: "POST", url: `/v1/transfers/${w.pendingId}/accept`, token: w.carol.token }),
    status: 404,
    code: "TRANSFER_NOT_FOUND",
  },
  {
    name: "decline another user's transfer",
    request: (w) => ({ method: "POST", url: `/v1/transfers/${w.pendingId}/decline`, token: w.carol.token }),
    status: 404,
    code: "TRANSFER_NOT_FOUND",
  },
  {
    name: "sender accepts their own transfer",
    request: asAlice("POST", (w) => `/v1/transfers/${w.pendingId}/accept`),
    status: 403,
    code: "NOT_RECIPIENT",
  },
  {
    name: "sender declines their own transfer",
    request: asAlice("POST", (w) => `/v1/transfers/${w.pendingId}/decline`),
    status: 403,
    code: "NOT_RECIPIENT",
  },
  {
    name: "accept an accepted transfer again",
    request: (w) => ({ method: "POST", url: `/v1/transfers/${w.acceptedId}/accept`, token: w.bob.token }),
    status: 409,
    code: "TRANSFER_NOT_PENDING",
    details: { status: "accepted" },
  },
  {
    name: "decline an accepted transfer",
    request: (w) => ({ method: "POST", url: `/v1/transfers/${w.acceptedId}/decline`, token: w.bob.token }),
    status: 409,
    code: "TRANSFER_NOT_PENDING",
  },
  {
    name: "GET a malformed transfer id",
    request: asAlice("GET", () => "/v1/transfers/tr_nope"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "GET a user id as a transfer id",
    request: asAlice("GET", (w) => `/v1/transfers/${w.bob.userId}`),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "accept a malformed transfer id",
    request: asAlice("POST", () => "/v1/transfers/tr_ZZZZZZZZZZZZZZZZZZZZ/accept"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "GET an unknown transfer",
    request: asAlice("GET", () => `/v1/transfers/${UNKNOWN_TRANSFER}`),
    status: 404,
    code: "TRANSFER_NOT_FOUND",
  },
  {
    name: "a transfer id longer than the router's parameter bound",
    request: asAlice("GET", () => `/v1/transfers/tr_${"a".repeat(100)}`),
    status: [400, 404],
    code: ["BAD_REQUEST", "VALIDATION_FAILED", "NOT_FOUND", "TRANSFER_NOT_FOUND"],
  },
  {
    name: "a malformed percent-encoding in the path",
    request: asAlice("GET", () => "/v1/transfers/%E0%A4%A"),
    status: [400, 404],
    code: ["BAD_REQUEST", "VALIDATION_FAILED", "NOT_FOUND", "TRANSFER_NOT_FOUND"],
  },
  {
    name: "a body nested 8 000 deep on accept, with an Idempotency-Key",
    request: (w) => ({
      method: "POST",
      url: `/v1/transfers/${w.pendingId}/decline`,
      token: w.alice.token,
      headers: { "idempotency-key": "deep-body" },
      body: `${"[".repeat(8000)}${"]".repeat(8000)}`,
    }),
    // Any 4xx with a code will do: the sender may not decline, the body is not wanted.
    status: [400, 403, 413],
    code: ["BAD_REQUEST", "VALIDATION_FAILED", "BAD_JSON", "NOT_RECIPIENT", "BODY_TOO_LARGE"],
  },
  // ── routes ──────────────────────────────────────────────────────────────────
  { name: "unknown route", request: asAlice("GET", () => "/v1/nope"), status: 404, code: "NOT_FOUND" },
  {
    name: "unknown route without a token",
    request: () => ({ method: "GET", url: "/v2/transfers" }),
    status: 404,
    code: "NOT_FOUND",
  },
  {
    name: "wrong method DELETE /v1/transfers",
    request: asAlice("DELETE", () => "/v1/transfers"),
    status: 405,
    code: "METHOD_NOT_ALLOWED",
  },
  {
    name: "wrong method POST /v1/me/wallet",
    request: asAlice("POST", () => "/v1/me/wallet", {}),
    status: 405,
    code: "METHOD_NOT_ALLOWED",
  },
  {
    name: "a path no route has",
    request: asAlice("GET", () => "/v1/nothing-here"),
    status: 404,
    code: "NOT_FOUND",
  },
  {
    name: "the clock route does not exist without --test-clock",
    request: () => ({ method: "POST", url: "/v1/admin/clock", token: "admin", body: { now: "2030-01-01T00:00:00Z" } }),
    status: 404,
    code: "NOT_FOUND",
  },
  // ── Idempotency-Key ─────────────────────────────────────────────────────────
  {
    name: "Idempotency-Key of 256 characters",
    request: (w) => ({ ...send(valid)(w), headers: { "idempotency-key": "k".repeat(256) } }),
    status: 400,
    code: "IDEMPOTENCY_KEY_INVALID",
  },
  {
    name: "empty Idempotency-Key",
    request: (w) => ({ ...send(valid)(w), headers: { "idempotency-key": "" } }),
    status: 400,
    code: "IDEMPOTENCY_KEY_INVALID",
  },
  {
    name: "Idempotency-Key with a space",
    request: (w) => ({ ...send(valid)(w), headers: { "idempotency-key": "my key" } }),
    status: 400,
    code: "IDEMPOTENCY_KEY_INVALID",
  },
  {
    name: "Idempotency-Key of 256 characters on a deposit",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      headers: { "idempotency-key": "d".repeat(256) },
      body: { userId: w.carol.userId, amount: 1000 },
    }),
    status: 400,
    code: "IDEMPOTENCY_KEY_INVALID",
  },
  {
    name: "Idempotency-Key of 256 characters on accept",
    request: (w) => ({
      method: "POST",
      url: `/v1/transfers/${w.pendingId}/accept`,
      token: w.bob.token,
      headers: { "idempotency-key": "a".repeat(256) },
    }),
    status: 400,
    code: "IDEMPOTENCY_KEY_INVALID",
  },
  // Each of these would move money with a key; without one it is refused before anything runs.
  ...(
    [
      ["a transfer", (w) => ({ ...send(valid)(w) })],
      ["an accept", (w) => ({ method: "POST", url: `/v1/transfers/${w.pendingId}/accept`, token: w.bob.token })],
      ["a decline", (w) => ({ method: "POST", url: `/v1/transfers/${w.pendingId}/decline`, token: w.bob.token })],
      [
        "a loan acknowledgement",
        (w) => ({ method: "POST", url: `/v1/transfers/${w.pendingId}/acknowledge-loan`, token: w.bob.token }),
      ],
      [
        "a red packet",
        (w) => ({
          method: "POST",
          url: "/v1/red-packets",
          token: w.alice.token,
          body: { kind: "single", amount: 100, to: w.bob.userId },
        }),
      ],
      [
        "a deposit",
        (w) => ({
          method: "POST",
          url: "/v1/admin/deposits",
          token: "admin",
          body: { userId: w.carol.userId, amount: 1000 },
        }),
      ],
      [
        "a campaign",
        () => ({
          method: "POST",
          url: "/v1/admin/campaigns",
          token: "admin",
          body: {
            name: "no key",
            budget: 1000,
            amount: { fixed: 10 },
            startsAt: "2030-01-01T00:00:00+08:00",
            endsAt: "2030-01-02T00:00:00+08:00",
          },
        }),
      ],
    ] as const satisfies readonly (readonly [string, (w: World) => Request])[]
  ).map(
    ([what, request]): Case => ({
      name: `${what} without an Idempotency-Key`,
      request: (w) => ({ ...request(w), idempotencyKey: null }),
      status: 400,
      code: "IDEMPOTENCY_KEY_REQUIRED",
    }),
  ),
  // ── statement and limits ────────────────────────────────────────────────────
  {
    name: "statement limit=0",
    request: asAlice("GET", () => "/v1/me/statement?limit=0"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement limit=500",
    request: asAlice("GET", () => "/v1/me/statement?limit=500"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement limit=201",
    request: asAlice("GET", () => "/v1/me/statement?limit=201"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement limit=-1",
    request: asAlice("GET", () => "/v1/me/statement?limit=-1"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement limit=abc",
    request: asAlice("GET", () => "/v1/me/statement?limit=abc"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement cursor=abc",
    request: asAlice("GET", () => "/v1/me/statement?cursor=abc"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement cursor=0",
    request: asAlice("GET", () => "/v1/me/statement?cursor=0"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "statement unknown parameter",
    request: asAlice("GET", () => "/v1/me/statement?user=bob"),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "/v1/limits?at=garbage",
    request: () => ({ method: "GET", url: "/v1/limits?at=garbage" }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "/v1/limits?at= a date without a time",
    request: () => ({ method: "GET", url: "/v1/limits?at=2026-05-20" }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "/v1/limits?at= a time without an offset",
    request: () => ({ method: "GET", url: "/v1/limits?at=2026-05-20T12:00:00" }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "/v1/limits?at= hour 25",
    request: () => ({ method: "GET", url: "/v1/limits?at=2026-05-20T25:00:00%2B08:00" }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "/v1/limits?at= the nonexistent day 2026-02-30",
    request: () => ({ method: "GET", url: "/v1/limits?at=2026-02-30T12:00:00%2B08:00" }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  // ── admin ───────────────────────────────────────────────────────────────────
  {
    name: "deposit of 0",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      body: { userId: w.carol.userId, amount: 0 },
    }),
    status: 422,
    code: "AMOUNT_BELOW_MIN",
  },
  {
    name: "deposit of a negative amount",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      body: { userId: w.carol.userId, amount: -1 },
    }),
    status: 422,
    code: "AMOUNT_BELOW_MIN",
  },
  {
    name: "deposit of 1.5",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      body: { userId: w.carol.userId, amount: 1.5 },
    }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "deposit to an unknown user",
    request: () => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      body: { userId: UNKNOWN_USER, amount: 1000 },
    }),
    status: 404,
    code: "USER_NOT_FOUND",
  },
  {
    name: "deposit to a platform account",
    request: () => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      body: { userId: "escrow", amount: 1000 },
    }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "deposit above the deposit bound",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/deposits",
      token: "admin",
      body: { userId: w.carol.userId, amount: Number.MAX_SAFE_INTEGER },
    }),
    status: 422,
    code: "AMOUNT_ABOVE_MAX",
  },
  {
    name: "admin user with a duplicate phone",
    request: (w) => ({
      method: "POST",
      url: "/v1/admin/users",
      token: "admin",
      body: { phone: w.alice.phone, name: "alice again" },
    }),
    status: 409,
    code: "PHONE_TAKEN",
  },
  {
    name: "admin user with a bad phone",
    request: () => ({ method: "POST", url: "/v1/admin/users", token: "admin", body: { phone: "call-me", name: "x" } }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "admin user with a too short phone",
    request: () => ({ method: "POST", url: "/v1/admin/users", token: "admin", body: { phone: "12345", name: "x" } }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "admin user with an empty name",
    request: () => ({
      method: "POST",
      url: "/v1/admin/users",
      token: "admin",
      body: { phone: "+8613000000001", name: "" },
    }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "admin user without a name",
    request: () => ({ method: "POST", url: "/v1/admin/users", token: "admin", body: { phone: "+8613000000002" } }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  // ── login ───────────────────────────────────────────────────────────────────
  {
    name: "otp with a bad phone",
    request: () => ({ method: "POST", url: "/v1/auth/otp", body: { phone: "not a phone" } }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "token with a five-digit code",
    request: (w) => ({ method: "POST", url: "/v1/auth/token", body: { phone: w.alice.phone, code: "12345" } }),
    status: 400,
    code: "VALIDATION_FAILED",
  },
  {
    name: "token without asking for a code first",
    request: (w) => ({ method: "POST", url: "/v1/auth/token", body: { phone: w.carol.phone, code: "123456" } }),
    status: 401,
    code: "INVALID_CODE",
  },
];

function toInject(request: Request) {
  const headers = keyedHeaders(request.method, request.url, request);
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  else if (request.token !== undefined)
    headers.authorization = `Bearer ${request.token === "admin" ? ADMIN_TOKEN : request.token}`;
  let payload: string | undefined;
  if (request.body !== undefined) {
    payload = typeof request.body === "string" ? request.body : JSON.stringify(request.body);
    headers["content-type"] = request.contentType ?? "application/json";
  }
  return { method: request.method, url: request.url, headers, ...(payload === undefined ? {} : { payload }) };
}

/** Asserts the contract's error shape: {"error": {"code", "message", details?}} and nothing else. */
function assertErrorShape(response: LightMyRequestResponse, label: string): { code: string; details?: unknown } {
  assert.ok(
    response.statusCode >= 400 && response.statusCode < 500,
    `${label}: 4xx, got ${response.statusCode} ${response.body}`,
  );
  assert.match(String(response.headers["content-type"]), /^application\/json/, `${label}: JSON content-type`);
  let body: unknown;
  assert.doesNotThrow(() => {
    body = JSON.parse(response.body);
  }, `${label}: body is JSON: ${response.body}`);
  assert.ok(typeof body === "object" && body !== null && !Array.isArray(body), `${label}: body is an object`);
  assert.deepEqual(Object.keys(body as object), ["error"], `${label}: only "error" at the top: ${response.body}`);
  const error = (body as { error: unknown }).error as Record<string, unknown>;
  assert.ok(typeof error === "object" && error !== null, `${label}: error is an object: ${response.body}`);
  assert.equal(typeof error.code, "string", `${label}: error.code is a string: ${response.body}`);
  assert.match(error.code as string, /^[A-Z][A-Z_]+$/, `${label}: error.code is an UPPER_CASE code`);
  assert.equal(typeof error.message, "string", `${label}: error.message is a string`);
  assert.ok((error.message as string).length > 0, `${label}: error.message is not empty`);
  for (const key of Object.keys(error))
    assert.ok(["code", "message", "details"].includes(key), `${label}: unexpected error.${key}`);
  if (error.details !== undefined) assert.equal(typeof error.details, "object", `${label}: details is an object`);
  if (response.statusCode === 429 || response.statusCode === 503) {
    assert.match(
      String(response.headers["retry-after"]),
      /^[0-9]+$/,
      `${label}: Retry-After on ${response.statusCode}`,
    );
  }
  return { code: error.code as string, details: error.details };
}

interface LedgerSnapshot {
  readonly wallets: Record<string, number>;
  readonly statementLengths: Record<string, number>;
  readonly balanceSum: number;
  readonly accounts: unknown[];
  readonly transfers: unknown[];
  readonly counts: Record<string, number>;
  readonly pendingInMemory: number;
}

async function snapshot(app: TestApp, users: readonly TestUser[]): Promise<LedgerSnapshot> {
  const wallets: Record<string, number> = {};
  const statementLengths: Record<string, number> = {};
  for (const user of users) {
    const wallet = await app.call("GET", "/v1/me/wallet", { token: user.token });
    assert.equal(wallet.statusCode, 200, wallet.body);
    wallets[user.userId] = wallet.json().balance;
    statementLengths[user.userId] = (await app.context.store.statement(user.userId, null, 100_000)).length;
  }
  const count = async (table: string) =>
    ((await app.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0] as { n: number }).n;
  return {
    wallets,
    statementLengths,
    balanceSum: await app.balanceSum(),
    accounts: await app.query("SELECT id, balance FROM balances ORDER BY id"),
    transfers: await app.query("SELECT id, from_user, to_user, amount, status, answered_at FROM transfers ORDER BY id"),
    counts: {
      users: await count("users"),
      postings: await count("postings"),
      entries: await count("entries"),
      transfers: await count("transfers"),
    },
    pendingInMemory: app.context.engine.memorySizes().pendingTransfers,
  };
}

describe("bad requests: a table of 4xx answers that move no money", () => {
  let app: TestApp;
  let world: World;
  let before_: LedgerSnapshot;
  let emojiSent: LightMyRequestResponse;
  const seen: { name: string; status: number; code: string }[] = [];

  before(async () => {
    app = await startTestApp();
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    const carol = await app.createUser("carol");
    await app.deposit(alice.userId, 100_000);
    await app.deposit(bob.userId, 20_000);

    const pending = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: bob.userId, amount: 1_000 },
    });
    assert.equal(pending.statusCode, 201, pending.body);
    const accepted = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: bob.userId, amount: 2_000 },
    });
    assert.equal(accepted.statusCode, 201, accepted.body);
    const acceptedId = accepted.json().id as string;
    const answer = await app.call("POST", `/v1/transfers/${acceptedId}/accept`, { token: bob.token });
    assert.equal(answer.statusCode, 200, answer.body);
    // A 100-emoji memo is 100 code points (200 UTF-16 units): allowed. Sent before the snapshot.
    emojiSent = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: bob.userId, amount: 520, memo: "😀".repeat(100) },
    });

    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: { sub?: string; iss?: string; iat: number; exp?: number }, secret = TOKEN_SECRET) => {
      let jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(claims.iat);
      if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
      if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
      if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
      return jwt.sign(secret);
    };
    const [header, , signature] = alice.token.split(".");
    const bobPayload = Buffer.from(
      JSON.stringify({ iss: "hongbao", sub: bob.userId, iat: now, exp: now + 3600 }),
      "utf8",
    ).toString("base64url");
    const noneHeader = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    world = {
      alice,
      bob,
      carol,
      pendingId: pending.json().id,
      acceptedId,
      expiredToken: await sign({ sub: alice.userId, iss: "hongbao", iat: now - 7200, exp: now - 3600 }),
      forgedToken: await sign({ sub: alice.userId, iss: "hongbao", iat: now, exp: now + 3600 }, OTHER_SECRET),
      tamperedToken: `${header}.${bobPayload}.${signature}`,
      wrongIssuerToken: await sign({ sub: alice.userId, iss: "not-hongbao", iat: now, exp: now + 3600 }),
      ghostToken: await sign({ sub: UNKNOWN_USER, iss: "hongbao", iat: now, exp: now + 3600 }),
      unsignedToken: `${noneHeader}.${bobPayload}.`,
    };
    before_ = await snapshot(app, [alice, bob, carol]);
  });

  after(async () => {
    await app.dispose();
  });

  it("has at least 45 cases with distinct names", () => {
    assert.ok(CASES.length >= 45, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
  });

  it("accepts a memo of 100 emoji: 100 code points, though 200 UTF-16 units", () => {
    assert.equal(emojiSent.statusCode, 201, emojiSent.body);
    const memo = emojiSent.json().memo as string;
    assert.equal([...memo].length, 100);
    assert.equal(memo.length, 200);
  });

  for (const c of CASES) {
    it(`${c.name} → ${String(c.status)} ${String(c.code)}`, async () => {
      const response = await app.app.inject(toInject(c.request(world)));
      const statuses = typeof c.status === "number" ? [c.status] : c.status;
      const codes = typeof c.code === "string" ? [c.code] : c.code;
      assert.ok(response.statusCode < 500, `no 5xx: ${response.statusCode} ${response.body}`);
      const { code, details } = assertErrorShape(response, c.name);
      seen.push({ name: c.name, status: response.statusCode, code });
      assert.ok(
        statuses.includes(response.statusCode),
        `status ${response.statusCode}, expected ${statuses.join("|")}: ${response.body}`,
      );
      assert.ok(codes.includes(code), `code ${code}, expected ${codes.join("|")}`);
      if (c.details !== undefined) {
        for (const [key, value] of Object.entries(c.details)) {
          assert.deepEqual(
            (details as Record<string, unknown> | undefined)?.[key],
            value,
            `details.${key}: ${response.body}`,
          );
        }
      }
    });
  }

  it("sending the whole table again, all at once, gives the same answers", async () => {
    const responses = await Promise.all(CASES.map((c) => app.app.inject(toInject(c.request(world)))));
    responses.forEach((response, i) => {
      const c = CASES[i] as Case;
      assert.ok(response.statusCode < 500, `${c.name}: no 5xx: ${response.statusCode} ${response.body}`);
      const { code } = assertErrorShape(response, c.name);
      const first = seen.find((s) => s.name === c.name);
      if (first !== undefined)
        assert.deepEqual({ status: response.statusCode, code }, { status: first.status, code: first.code }, c.name);
    });
  });

  it("left the ledger exactly as it was: balances, statements, postings, transfers", async () => {
    const after_ = await snapshot(app, [world.alice, world.bob, world.carol]);
    assert.deepEqual(after_, before_);
    assert.equal(after_.balanceSum, 0);
    assert.deepEqual(before_.wallets, {
      [world.alice.userId]: 100_000 - 1_000 - 2_000 - 520,
      [world.bob.userId]: 20_000 + 2_000,
      [world.carol.userId]: 0,
    });
    assert.deepEqual(before_.counts, { users: 3, postings: 6, entries: 12, transfers: 3 });
  });
});
