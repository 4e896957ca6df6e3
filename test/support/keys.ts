import { randomUUID } from "node:crypto";

/** The POSTs that move money, on which the contract requires an Idempotency-Key. */
export const MONEY_POSTS: readonly RegExp[] = [
  /^\/v1\/transfers$/,
  /^\/v1\/transfers\/[^/]+\/(accept|decline|acknowledge-loan|cancel)$/,
  /^\/v1\/withdrawals$/,
  /^\/v1\/admin\/campaigns\/[^/]+\/close$/,
  /^\/v1\/red-packets$/,
  /^\/v1\/admin\/deposits$/,
  /^\/v1\/admin\/campaigns$/,
];

export function movesMoney(method: string, url: string): boolean {
  const path = url.split("?")[0] as string;
  return method === "POST" && MONEY_POSTS.some((route) => route.test(path));
}

let keys = 0;

/** A key no other request of this process has used. */
export function freshKey(): string {
  keys += 1;
  return `test-${process.pid}-${keys}-${randomUUID()}`;
}

/** The headers of a call: its own, plus a fresh Idempotency-Key where one is required and none was given. */
export function keyedHeaders(
  method: string,
  url: string,
  options: { readonly headers?: Record<string, string>; readonly idempotencyKey?: string | null } = {},
): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  const given = Object.keys(headers).some((name) => name.toLowerCase() === "idempotency-key");
  if (given) return headers;
  if (typeof options.idempotencyKey === "string") headers["idempotency-key"] = options.idempotencyKey;
  else if (options.idempotencyKey === undefined && movesMoney(method, url)) headers["idempotency-key"] = freshKey();
  return headers;
}
