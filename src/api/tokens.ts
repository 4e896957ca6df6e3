import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../engine/clock.js";
import { ApiError } from "./errors.js";

export interface TokenOptions {
  /** The configured HMAC key for user tokens (kid `initial`), at least 32 bytes. */
  readonly secret: Uint8Array;
  readonly adminToken: string;
  readonly clock: Clock;
  readonly lifetimeSeconds?: number;
}

const ISSUER = "hongbao";
/** The configured key's id; tokens from before keys had ids carry no kid and are its too. */
export const INITIAL_KID = "initial";
/** The protected header of a token signed with `kid`, base64url: the only header accepted for it. */
const headerOf = (kid: string | undefined) =>
  Buffer.from(
    JSON.stringify(kid === undefined ? { alg: "HS256", typ: "JWT" } : { alg: "HS256", typ: "JWT", kid }),
  ).toString("base64url");

/** A key that signs user tokens; retired keys sign nothing and their tokens are refused. */
export interface SigningKey {
  readonly kid: string;
  readonly secret: Uint8Array;
  readonly retired: boolean;
}

function invalid(): ApiError {
  return new ApiError("INVALID_TOKEN", "the token is not valid");
}
/** Tokens are short ASCII; anything longer is refused before any crypto runs. */
export const TOKEN_LENGTH_MAX = 1024;

/**
 * User tokens are HS256 JWTs naming the user, signed by the newest live key and carrying
 * its kid (docs/decisions/0041); the admin token is a configured secret.
 * Tokens are verified on every request, not cached: the check costs a few µs, and a cache
 * of a flash crowd's million one-time tokens only kept them alive for the garbage collector.
 */
export class Tokens {
  readonly #initial: Uint8Array;
  readonly #admin: Buffer;
  readonly #clock: Clock;
  readonly #lifetimeSeconds: number;
  /** Live keys by the exact header their tokens carry: one map lookup finds the key. */
  #byHeader = new Map<string, Uint8Array>();
  #current: { readonly header: string; readonly secret: Uint8Array };
  /** Users who logged out everywhere: tokens below their generation are refused. */
  readonly #generations = new Map<string, number>();

  constructor(options: TokenOptions) {
    if (options.secret.length < 32) throw new Error("the token secret must be at least 32 bytes");
    if (options.adminToken.length < 16) throw new Error("the admin token must be at least 16 characters");
    this.#initial = options.secret;
    this.#admin = Buffer.from(options.adminToken);
    this.#clock = options.clock;
    this.#lifetimeSeconds = options.lifetimeSeconds ?? 30 * 24 * 3600;
    this.#current = { header: headerOf(INITIAL_KID), secret: options.secret };
    this.useKeys([]);
  }

  /**
   * The keys in force, oldest first, besides the configured one (`initial`, retired when
   * listed so): the newest live key signs, every live key verifies.
   */
  useKeys(keys: readonly SigningKey[]): void {
    const all: SigningKey[] = [
      { kid: INITIAL_KID, secret: this.#initial, retired: keys.some((k) => k.kid === INITIAL_KID && k.retired) },
      ...keys.filter((k) => k.kid !== INITIAL_KID),
    ];
    const byHeader = new Map<string, Uint8Array>();
    for (const key of all) {
      if (key.retired) continue;
      byHeader.set(headerOf(key.kid), key.secret);
      if (key.kid === INITIAL_KID) byHeader.set(headerOf(undefined), key.secret);
    }
    const live = all.filter((key) => !key.retired);
    const newest = live[live.length - 1];
    if (newest === undefined) throw new Error("at least one token signing key must stay live");
    this.#byHeader = byHeader;
    this.#current = { header: headerOf(newest.kid), secret: newest.secret };
  }

  /** Tokens issued before this generation are refused from now on. */
  setGeneration(userId: string, generation: number): void {
    this.#generations.set(userId, generation);
  }

  /** Every user's generation above 0, as the identity tables hold them. */
  generations(): { userId: string; generation: number }[] {
    return [...this.#generations].map(([userId, generation]) => ({ userId, generation }));
  }

  generation(userId: string): number {
    return this.#generations.get(userId) ?? 0;
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
    const generation = this.generation(userId);
    const claims = {
      iss: ISSUER,
      sub: userId,
      iat: nowSeconds,
      exp: nowSeconds + this.#lifetimeSeconds,
      ...(generation === 0 ? {} : { gen: generation }),
    };
    const { header, secret } = this.#current;
    const signed = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
  }

  /**
   * A key for another purpose derived from the configured token secret (HMAC-SHA256 of `label`;
   * signing keys rotate, this does not, so a draw seed committed to at creation still verifies), so a
   * server has one secret to keep and a key of one purpose never signs for another.
   */
  deriveKey(label: string): Buffer {
    return createHmac("sha256", this.#initial).update(`hongbao key: ${label}`).digest();
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
    if (claims.gen < this.generation(claims.sub)) {
      throw new ApiError("TOKEN_REVOKED", "the token was revoked (logged out everywhere); log in again");
    }
    return claims.sub;
  }

  /**
   * Checks an HS256 token of the one shape `issue` writes, with node:crypto's HMAC: jose's
   * WebCrypto path measured 67 µs a token against 4 µs, and a flash crowd brings a million
   * tokens never seen before (docs/decisions/0005).
   */
  #verifySignature(token: string): { sub: string; exp: number; nbf?: number; gen: number } {
    const first = token.indexOf(".");
    const last = token.lastIndexOf(".");
    // Only the exact header of a live key is accepted: a retired or unknown kid, `alg: none`
    // and every other header is refused before any MAC is computed.
    const secret = first > 0 && first < 128 ? this.#byHeader.get(token.slice(0, first)) : undefined;
    if (secret === undefined || last === first) throw invalid();
    // The canonical base64url of the expected MAC is one string: comparing the texts in
    // constant time checks the MAC and refuses non-canonical encodings of it, no decoding.
    const expected = createHmac("sha256", secret).update(token.slice(0, last)).digest("base64url");
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
    const { iss, sub, exp, nbf, gen } = payload ?? {};
    if (iss !== ISSUER || typeof sub !== "string" || typeof exp !== "number") throw invalid();
    if (nbf !== undefined && typeof nbf !== "number") throw invalid();
    if (gen !== undefined && !Number.isSafeInteger(gen)) throw invalid();
    const generation = (gen as number | undefined) ?? 0;
    return nbf === undefined ? { sub, exp, gen: generation } : { sub, exp, nbf: nbf as number, gen: generation };
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
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
