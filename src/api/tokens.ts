import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../engine/clock.js";
import { ApiError } from "./errors.js";

export interface TokenOptions {
  /** HMAC key for user tokens, at least 32 bytes. */
  readonly secret: Uint8Array;
  readonly adminToken: string;
  readonly clock: Clock;
  readonly lifetimeSeconds?: number;
}

const ISSUER = "hongbao";
/** The protected header `issue` writes, base64url: the only one accepted. */
const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");

function invalid(): ApiError {
  return new ApiError("INVALID_TOKEN", "the token is not valid");
}
/** Tokens are short ASCII; anything longer is refused before any crypto runs. */
export const TOKEN_LENGTH_MAX = 1024;

/**
 * User tokens are HS256 JWTs naming the user; the admin token is a configured secret.
 * Tokens are verified on every request, not cached: the check costs a few µs, and a cache
 * of a flash crowd's million one-time tokens only kept them alive for the garbage collector.
 */
export class Tokens {
  readonly #secret: Uint8Array;
  readonly #admin: Buffer;
  readonly #clock: Clock;
  readonly #lifetimeSeconds: number;

  constructor(options: TokenOptions) {
    if (options.secret.length < 32) throw new Error("the token secret must be at least 32 bytes");
    if (options.adminToken.length < 16) throw new Error("the admin token must be at least 16 characters");
    this.#secret = options.secret;
    this.#admin = Buffer.from(options.adminToken);
    this.#clock = options.clock;
    this.#lifetimeSeconds = options.lifetimeSeconds ?? 30 * 24 * 3600;
  }

  /**
   * A standard HS256 JWT (RFC 7519): header, claims and HMAC-SHA256, each base64url. Written
   * with node:crypto because jose's WebCrypto signing measured 53 µs a token, half a second
   * for each 10 000-user bulk call; the tests check these tokens against jose's verifier.
   */
  async issue(userId: string): Promise<string> {
    return this.issueNow(userId);
  }

  /** The same token, synchronously: for answers rendered from a durable result (a replay renders again). */
  issueNow(userId: string): string {
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    const claims = { iss: ISSUER, sub: userId, iat: nowSeconds, exp: nowSeconds + this.#lifetimeSeconds };
    const signed = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    return `${signed}.${createHmac("sha256", this.#secret).update(signed).digest("base64url")}`;
  }

  isAdmin(token: string): boolean {
    const given = Buffer.from(token);
    return given.length === this.#admin.length && timingSafeEqual(given, this.#admin);
  }

  /** The user a token speaks for, or the reason it does not. */
  async verifyUser(token: string): Promise<string> {
    return this.verifyUserNow(token);
  }

  /** The same check, synchronously: for the claim fast path. */
  verifyUserNow(token: string): string {
    if (token.length > TOKEN_LENGTH_MAX) throw invalid();
    const claims = this.#verifySignature(token);
    const nowSeconds = Math.floor(this.#clock.now() / 1000);
    if (claims.exp <= nowSeconds) throw new ApiError("TOKEN_EXPIRED", "the token has expired; log in again");
    if (claims.nbf !== undefined && claims.nbf > nowSeconds) throw invalid();
    return claims.sub;
  }

  /**
   * Checks an HS256 token of the one shape `issue` writes, with node:crypto's HMAC: jose's
   * WebCrypto path measured 67 µs a token against 4 µs, and a flash crowd brings a million
   * tokens never seen before (docs/decisions/0005).
   */
  #verifySignature(token: string): { sub: string; exp: number; nbf?: number } {
    const first = token.indexOf(".");
    const last = token.lastIndexOf(".");
    if (first !== HEADER.length || token.slice(0, first) !== HEADER || last === first) throw invalid();
    // The canonical base64url of the expected MAC is one string: comparing the texts in
    // constant time checks the MAC and refuses non-canonical encodings of it, no decoding.
    const expected = createHmac("sha256", this.#secret).update(token.slice(0, last)).digest("base64url");
    if (!sameText(expected, token.slice(last + 1))) throw invalid();
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(Buffer.from(token.slice(first + 1, last), "base64url").toString("utf8")) as Record<
        string,
        unknown
      >;
    } catch {
      throw invalid();
    }
    const { iss, sub, exp, nbf } = payload ?? {};
    if (iss !== ISSUER || typeof sub !== "string" || typeof exp !== "number") throw invalid();
    if (nbf !== undefined && typeof nbf !== "number") throw invalid();
    return nbf === undefined ? { sub, exp } : { sub, exp, nbf: nbf as number };
  }
}

/** The bearer token of a request, or a 401 that says what is wrong. */
export function bearerOf(header: string | undefined): string {
  if (header === undefined || header === "") throw new ApiError("UNAUTHORIZED", "send Authorization: Bearer <token>");
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header);
  if (match === null) throw new ApiError("UNAUTHORIZED", "send Authorization: Bearer <token>");
  return match[1] as string;
}

/** Equality of two strings in time that depends only on their length. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
