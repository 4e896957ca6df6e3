import type { JWTPayload } from "jose";
import type { Clock } from "../engine/clock.js";
import { ApiError } from "./errors.js";

type Jose = typeof import("jose");

/** A product whose own signed tokens hongbao takes in exchange for its user tokens. */
export interface ExchangeConfig {
  /** Where the product publishes its public keys (a JWKS document). */
  readonly jwksUrl: string;
  /** The `iss` its tokens must carry. */
  readonly issuer: string;
  /** The `aud` its tokens must carry (hongbao's name at the product). */
  readonly audience: string;
  /** After a read of the key set, an unknown kid waits this long before the next read (default 30 s). */
  readonly keySetCooldownMs?: number;
}

/** Asymmetric algorithms only: a JWKS publishes public keys, so a shared-secret alg cannot apply. */
const ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];
const SUBJECT_LENGTH_MAX = 200;
const NAME_LENGTH_MAX = 50;
const PHONE = /^\+?[0-9]{6,15}$/;
/** A product's token must be short-lived: older than this it is refused even if not expired. */
const MAX_TOKEN_AGE = "10m";

export interface ProductIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** The OIDC `phone_number` claim, when the product vouches for one. */
  readonly phone: string | undefined;
  readonly name: string | undefined;
}

/**
 * Verifies a product's own JWT against its JWKS with jose: signature by a published key,
 * issuer, audience, expiry and age (docs/decisions/0041). The key set is fetched when first
 * needed and again when a token names a kid it does not have (jose's cooldown bounds that).
 */
export class ProductTokens {
  readonly #config: ExchangeConfig;
  readonly #jose: Jose;
  readonly #keys: ReturnType<Jose["createRemoteJWKSet"]>;
  readonly #clock: Clock;

  /** jose is loaded only by servers that take products' tokens. */
  static async create(config: ExchangeConfig, clock: Clock): Promise<ProductTokens> {
    return new ProductTokens(config, clock, await import("jose"));
  }

  private constructor(config: ExchangeConfig, clock: Clock, jose: Jose) {
    this.#config = config;
    this.#clock = clock;
    this.#jose = jose;
    this.#keys = jose.createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: 5_000,
      cooldownDuration: config.keySetCooldownMs ?? 30_000,
    });
  }

  async verify(assertion: string): Promise<ProductIdentity> {
    let payload: JWTPayload;
    try {
      const { jwtVerify } = this.#jose;
      ({ payload } = await jwtVerify(assertion, this.#keys, {
        issuer: this.#config.issuer,
        audience: this.#config.audience,
        algorithms: ALGORITHMS,
        maxTokenAge: MAX_TOKEN_AGE,
        requiredClaims: ["sub", "exp", "iat"],
        currentDate: new Date(this.#clock.now()),
      }));
    } catch (error) {
      const { errors } = this.#jose;
      if (error instanceof errors.JWTExpired) throw new ApiError("TOKEN_EXPIRED", "the product's token has expired");
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new ApiError("BUSY", "the product's key set could not be read; retry shortly", undefined, 1);
      }
      throw new ApiError("INVALID_TOKEN", "the product's token is not valid");
    }
    const { sub, phone_number: phone, name } = payload as JWTPayload & { phone_number?: unknown; name?: unknown };
    if (typeof sub !== "string" || sub.length === 0 || sub.length > SUBJECT_LENGTH_MAX) {
      throw new ApiError("INVALID_TOKEN", `the product's token needs a subject of 1-${SUBJECT_LENGTH_MAX} characters`);
    }
    if (phone !== undefined && (typeof phone !== "string" || !PHONE.test(phone))) {
      throw new ApiError("INVALID_TOKEN", "phone_number must be digits with an optional leading +");
    }
    return {
      issuer: this.#config.issuer,
      subject: sub,
      phone: phone as string | undefined,
      name: typeof name === "string" && name.length > 0 ? [...name].slice(0, NAME_LENGTH_MAX).join("") : undefined,
    };
  }
}
