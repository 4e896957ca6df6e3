import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Webhook signatures in the shape Stripe made familiar: the header
 * `Hongbao-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with one v1
 * per secret in force (two while a rotated secret overlaps). The timestamp is signed with
 * the body, so a receiver that refuses old timestamps refuses replays.
 */
export const SIGNATURE_HEADER = "hongbao-signature";
/** How old a signed timestamp a receiver should accept, by default. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = "whsec_";

export function newEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64url");
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
}

export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${hmac(secret, timestamp, body)}`)].join(",");
}

export type Verification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: "malformed" | "stale" | "mismatch" };

/**
 * Checks a signature header against a body and one secret: well formed, a timestamp within
 * `toleranceSeconds` of `nowSeconds`, and one v1 that matches (compared in constant time).
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): Verification {
  if (header === undefined || header.length > 1024) return { ok: false, reason: "malformed" };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.split("=", 2);
    if (key === "t" && value !== undefined && /^[0-9]{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: "malformed" };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: "stale" };
  const expected = Buffer.from(hmac(secret, timestamp, body), "hex");
  const matched = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, "hex"), expected));
  return matched ? { ok: true, timestamp } : { ok: false, reason: "mismatch" };
}
