import rateLimit, { type CreateRateLimitOptions, type FastifyRateLimitStore } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { LruMap } from "toad-cache";
import type { Clock } from "../engine/clock.js";
import { ApiError } from "./errors.js";

const MINUTE_MS = 60_000;

/** At most `max` requests a key in a window of `windowMs` from its first; `keysMax` keys remembered at most. */
export interface Limit {
  readonly max: number;
  readonly windowMs: number;
  readonly keysMax: number;
}

/**
 * How often login may be asked for. A source is the client's address (behind a trusted
 * proxy, the one it forwards); an IPv6 /64 counts as one source, as one host usually holds
 * a whole /64.
 */
export interface LoginLimits {
  /** Code requests from one source: far below the tables of codes, so no source can fill them. */
  readonly codesPerSource: Limit;
  /** Code requests for one phone, whoever asks and whether or not it has a user. */
  readonly codesPerPhoneMinute: Limit;
  readonly codesPerPhoneHour: Limit;
  /** Codes tried from one source, across phones. */
  readonly loginsPerSource: Limit;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  codesPerSource: { max: 20, windowMs: 10 * MINUTE_MS, keysMax: 50_000 },
  codesPerPhoneMinute: { max: 1, windowMs: MINUTE_MS, keysMax: 50_000 },
  codesPerPhoneHour: { max: 5, windowMs: 60 * MINUTE_MS, keysMax: 50_000 },
  loginsPerSource: { max: 60, windowMs: 10 * MINUTE_MS, keysMax: 50_000 },
};

interface Window {
  current: number;
  startedAt: number;
}

/**
 * @fastify/rate-limit's local store, on our clock: every time rule follows --test-clock.
 * Its own store reads Date.now(); this one is the same fixed window from a key's first
 * request, in the same bounded LRU map (toad-cache, which the plugin uses).
 */
function storeOn(clock: Clock) {
  return class ClockedStore implements FastifyRateLimitStore {
    readonly #windows: LruMap<Window>;

    constructor(options: { readonly cache?: number }) {
      this.#windows = new LruMap<Window>(options.cache ?? 5_000);
    }

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      windowMs: number,
    ) {
      const now = clock.now();
      let window = this.#windows.get(key);
      if (window === undefined || window.startedAt + windowMs <= now) window = { current: 0, startedAt: now };
      window.current += 1;
      this.#windows.set(key, window);
      callback(null, { current: window.current, ttl: window.startedAt + windowMs - now });
    }

    child(options: object): FastifyRateLimitStore {
      return new ClockedStore(options as { cache?: number });
    }
  };
}

/** Registers the plugin for limits the routes ask for by name (none is global). */
export async function registerLimits(app: FastifyInstance, clock: Clock): Promise<void> {
  await app.register(rateLimit, { global: false, store: storeOn(clock) });
}

/** Checks and counts one request against a limit; over it, 429 RATE_LIMITED with Retry-After. */
export type Limiter = (request: FastifyRequest) => Promise<void>;

/** A limiter keyed by `keyOf`, or by source address when none is given. */
export function limiter(
  app: FastifyInstance,
  limit: Limit,
  message: string,
  keyOf?: (request: FastifyRequest) => string,
): Limiter {
  // `cache` sizes the store the plugin makes for this limiter (its child()); the type leaves it out.
  const options = { max: limit.max, timeWindow: limit.windowMs, cache: limit.keysMax } as CreateRateLimitOptions;
  const check = app.createRateLimit(keyOf === undefined ? options : { ...options, keyGenerator: keyOf });
  return async (request) => {
    const verdict = await check(request);
    if (!verdict.isAllowed && verdict.isExceeded) {
      throw new ApiError("RATE_LIMITED", message, undefined, Math.max(1, verdict.ttlInSeconds));
    }
  };
}
