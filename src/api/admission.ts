import { createHash } from "node:crypto";
import type { EngineFront } from "../engine/front.js";

/**
 * Admission control for campaign claims, after WeChat's DAGOR: the overload signal is how
 * long claims wait for their batch (not CPU). Past the target, an admission level between 0
 * and 1 drops multiplicatively; below it, the level climbs back additively. A user is let in
 * while a hash of their id and the current hour falls under the level, so under overload the
 * same users are consistently shed within the hour (no retry lottery) and a different set
 * the next hour. Shed claims get 503 with a jittered Retry-After at once: they never queue.
 */
export interface AdmissionOptions {
  /** Queueing delay past which claims are shed (DAGOR uses about 20 ms). */
  readonly targetDelayMs?: number;
  /** Claims waiting in the engine past which new ones are shed whatever the delay. */
  readonly claimQueueLengthMax?: number;
  readonly retryAfterSecondsMin?: number;
  readonly retryAfterSecondsMax?: number;
  /** A monotonic clock in ms, for how often the level adjusts. */
  readonly clock?: () => number;
  /** The wall clock, in ms since the epoch: the hour that rotates who is shed first. The engine's clock by default. */
  readonly wallClock?: () => number;
  /** A uniform draw in [0, 1), for the jitter of Retry-After. */
  readonly random?: () => number;
}

export type AdmissionDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly retryAfterSeconds: number };

const ADJUST_EVERY_MS = 50;

export class CampaignAdmission {
  readonly #engine: EngineFront;
  readonly #targetDelayMs: number;
  readonly #queueMax: number;
  readonly #retryMin: number;
  readonly #retrySpan: number;
  readonly #now: () => number;
  readonly #wallNow: () => number;
  readonly #random: () => number;
  #level = 1;
  #adjustedAt = 0;
  admitted = 0;
  shed = 0;

  constructor(engine: EngineFront, options: AdmissionOptions = {}) {
    this.#engine = engine;
    this.#targetDelayMs = options.targetDelayMs ?? 20;
    this.#queueMax = options.claimQueueLengthMax ?? 5_000;
    this.#retryMin = options.retryAfterSecondsMin ?? 1;
    this.#retrySpan = (options.retryAfterSecondsMax ?? 3) - this.#retryMin + 1;
    this.#now = options.clock ?? (() => performance.now());
    // The engine's clock, so that under --test-clock the shed hour moves with the rules' time.
    this.#wallNow = options.wallClock ?? (() => engine.clock.now());
    this.#random = options.random ?? Math.random;
  }

  /** The share of users let in now, 0 … 1. */
  get level(): number {
    return this.#level;
  }

  decide(userId: string): AdmissionDecision {
    if (!this.#engine.isolation) {
      this.admitted++;
      return { admitted: true };
    }
    this.#adjust();
    const queued = this.#engine.laneDepth("campaign");
    if (queued < this.#queueMax && (this.#level >= 1 || userRank(userId, this.#wallNow()) < this.#level)) {
      this.admitted++;
      return { admitted: true };
    }
    this.shed++;
    return { admitted: false, retryAfterSeconds: this.retryAfterSeconds() };
  }

  /** A jittered Retry-After, so the shed do not all come back in the same second. */
  retryAfterSeconds(): number {
    return this.#retryMin + Math.floor(this.#random() * this.#retrySpan);
  }

  #adjust(): void {
    const now = this.#now();
    if (now - this.#adjustedAt < ADJUST_EVERY_MS) return;
    this.#adjustedAt = now;
    const delay = Math.max(this.#engine.queueDelayMs("campaign"), this.#engine.queueDelayMs("critical"));
    this.#level = delay > this.#targetDelayMs ? Math.max(0.05, this.#level * 0.8) : Math.min(1, this.#level + 0.05);
  }
}

/** A user's place in this hour's admission order, uniform in [0, 1). */
function userRank(userId: string, nowMs: number): number {
  const hour = Math.floor(nowMs / 3_600_000);
  return createHash("sha256").update(`${hour}|${userId}`).digest().readUInt32BE(0) / 4_294_967_296;
}
