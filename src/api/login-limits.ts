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
/** Fixed windows of one limiter, by key, in a bounded LRU map, on the given clock. */
export class LimitWindows {
  readonly #windows: LruMap<Window>;

  constructor(
    readonly clock: Clock,
    cache: number,
  ) {
    this.#windows = new LruMap<Window>(cache);
  }

  incr(key: string, windowMs: number): Count {
    const now = this.clock.now();
    let window = this.#windows.get(key);
    if (window === undefined || window.startedAt + windowMs <= now) window = { current: 0, startedAt: now };
    window.current += 1;
    this.#windows.set(key, window);
    return { current: window.current, ttl: window.startedAt + windowMs - now };
  }
}

export interface Count {
  readonly current: number;
  readonly ttl: number;
}

/**
 * Counts a request in limiter number `store` (limiters are made in the same order in every app)
 * somewhere shared: an edge counts at its writer, so N edges do not let N times the limit through.
 */
export type SharedCounter = (store: number, key: string, windowMs: number, cache: number) => Promise<Count>;

function storeOn(clock: Clock, shared: SharedCounter | undefined) {
  let made = 0;
  return class ClockedStore implements FastifyRateLimitStore {
    readonly #windows: LimitWindows;
    readonly #id = made++;
    readonly #cache: number;

    constructor(options: { readonly cache?: number }) {
      this.#cache = options.cache ?? 5_000;
      this.#windows = new LimitWindows(clock, this.#cache);
    }

    incr(key: string, callback: (error: Error | null, result?: Count) => void, windowMs: number) {
      if (shared === undefined) {
        callback(null, this.#windows.incr(key, windowMs));
        return;
      }
      shared(this.#id, key, windowMs, this.#cache).then(
        (count) => callback(null, count),
        (error: Error) => callback(error),
      );
    }

    child(options: object): FastifyRateLimitStore {
      return new ClockedStore(options as { cache?: number });
    }
  };
}

/** Registers the plugin for limits the routes ask for by name (none is global). */
export async function registerLimits(app: FastifyInstance, clock: Clock, shared?: SharedCounter): Promise<void> {
  await app.register(rateLimit, { global: false, store: storeOn(clock, shared) });
}

/** The writer's side of SharedCounter: one LimitWindows per limiter, as many as an app makes. */
export function sharedWindows(clock: Clock): SharedCounter {
  const stores = new Map<number, LimitWindows>();
  return async (store, key, windowMs, cache) => {
    if (!Number.isSafeInteger(store) || store < 0 || store > 100) throw new Error("no such limiter");
    let windows = stores.get(store);
    if (windows === undefined) {
      windows = new LimitWindows(clock, Math.min(Math.max(1, cache), 1_000_000));
      stores.set(store, windows);
    }
    return windows.incr(key, windowMs);
  };
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
