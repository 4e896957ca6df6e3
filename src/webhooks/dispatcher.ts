import { DAY_MS, type Instant } from "../domain/time.js";
import { type AttemptOutcome, type DueDelivery, deliveryKey, type EventStore } from "./event-store.js";
import { eventView } from "./event-view.js";
import { type SendResult, sendWebhook } from "./send.js";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.js";
import type { TargetPolicy } from "./target-policy.js";

export interface DispatcherOptions {
  readonly store: EventStore;
  readonly policy: TargetPolicy;
  /** Real time: webhook timestamps are checked by receivers against their own clocks. */
  readonly now?: () => Instant;
  /** Deliveries in flight at once, over all endpoints. */
  readonly concurrencyMax?: number;
  /** Deliveries in flight at once to one endpoint: a slow one cannot take every slot. */
  readonly perEndpointConcurrencyMax?: number;
  /** How often the outbox is looked at when there is nothing to do. */
  readonly pollMs?: number;
  /** Events turned into deliveries per look. */
  readonly fanOutMax?: number;
  readonly timeoutMs?: number;
  /** The first retry waits about this long; each next one twice as long. */
  readonly retryBaseMs?: number;
  readonly retryDelayMsMax?: number;
  /** After this long since its first attempt a delivery is given up (state "failed"). */
  readonly retryWindowMs?: number;
  readonly random?: () => number;
  /** Events older than this are pruned with their settled deliveries (default 30 days). */
  readonly retentionMs?: number;
  /** How often the outbox is pruned. */
  readonly pruneEveryMs?: number;
  /** Events one prune transaction reads at most: each is short beside the engine's batches. */
  readonly pruneSliceMax?: number;
  /** Every prune slice that deleted something. */
  readonly onPruned?: (pruned: { events: number; deliveries: number }) => void;
  /** A prune that failed: the pass is dropped and tried again a period later; deliveries go on. */
  readonly onPruneError?: (error: unknown) => void;
  readonly onError?: (error: unknown) => void;
  /** Every attempt's outcome, for metrics and logs. */
  readonly onAttempt?: (delivery: DueDelivery, outcome: AttemptOutcome) => void;
}

const HOUR_MS = 3_600_000;
export const EVENT_RETENTION_DAYS_DEFAULT = 30;
const EVENT_RETENTION_MS_DEFAULT = EVENT_RETENTION_DAYS_DEFAULT * DAY_MS;
/** Prune slices a look of the dispatcher runs at most: a backlog (a retention just shortened) goes over many looks. */
const PRUNE_SLICES_PER_LOOK = 10;
/**
 * The pause between two prune slices. On SQLite each slice takes the write lock; a batch written
 * by the commit thread on another connection waits for it with a busy handler that sleeps 1, 2,
 * 5, 10 ms…, and would miss gaps of a microsecond again and again.
 */
const PRUNE_SLICE_GAP_MS = 5;

/**
 * Delivers the outbox to webhook endpoints, at least once, outside the engine's commit
 * path: it reads events the engine has already made durable, and its own writes (the
 * deliveries' state) are small and separate from any batch. Every delivery's state is in
 * the store before and after each attempt, so a restart resumes where it stopped; an
 * attempt cut by a crash is made again, with the same event id and body.
 */
export class WebhookDispatcher {
  readonly #store: EventStore;
  readonly #policy: TargetPolicy;
  readonly #now: () => Instant;
  readonly #concurrencyMax: number;
  readonly #perEndpointMax: number;
  readonly #pollMs: number;
  readonly #fanOutMax: number;
  readonly #timeoutMs: number;
  readonly #retryBaseMs: number;
  readonly #retryDelayMsMax: number;
  readonly #retryWindowMs: number;
  readonly #random: () => number;
  readonly #retentionMs: number;
  readonly #pruneEveryMs: number;
  readonly #pruneSliceMax: number;
  readonly #onPruned: DispatcherOptions["onPruned"];
  readonly #onPruneError: (error: unknown) => void;
  /** When the last prune pass ended (or failed); undefined: not yet, so the first look prunes. */
  #prunedAt: Instant | undefined;
  /** When a look last pruned: a pass under way goes on once a poll period, not at every wake-up. */
  #pruneLookAt = Number.NEGATIVE_INFINITY;
  /** A pass under way: its limit and how far it has read. */
  #prunePass: { before: Instant; afterSeq: number } | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #onAttempt: DispatcherOptions["onAttempt"];
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #perEndpoint = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #ticking: Promise<void> | undefined;
  #wakeRequested = false;
  /** Cuts the attempts in flight when the dispatcher stops: a shutdown does not wait for a slow endpoint. */
  readonly #stopping = new AbortController();

  constructor(options: DispatcherOptions) {
    this.#store = options.store;
    this.#policy = options.policy;
    this.#now = options.now ?? Date.now;
    this.#concurrencyMax = options.concurrencyMax ?? 16;
    this.#perEndpointMax = options.perEndpointConcurrencyMax ?? 4;
    this.#pollMs = options.pollMs ?? 250;
    this.#fanOutMax = options.fanOutMax ?? 500;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retryBaseMs = options.retryBaseMs ?? 10_000;
    this.#retryDelayMsMax = options.retryDelayMsMax ?? 6 * HOUR_MS;
    this.#retryWindowMs = options.retryWindowMs ?? 72 * HOUR_MS;
    this.#random = options.random ?? Math.random;
    this.#retentionMs = options.retentionMs ?? EVENT_RETENTION_MS_DEFAULT;
    this.#pruneEveryMs = options.pruneEveryMs ?? 10 * 60_000;
    this.#pruneSliceMax = options.pruneSliceMax ?? 100;
    this.#onPruned = options.onPruned;
    this.#onError = options.onError ?? (() => {});
    this.#onPruneError = options.onPruneError ?? this.#onError;
    this.#onAttempt = options.onAttempt;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Looks at the outbox now rather than at the next poll (after a batch with events, say). */
  wake(): void {
    if (!this.#running) return;
    if (this.#ticking !== undefined) {
      this.#wakeRequested = true;
      return;
    }
    this.#schedule(0);
  }

  /** Stops looking, cuts the attempts in flight and waits until their state is written. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#stopping.abort();
    await this.#ticking;
    await Promise.all(this.#inFlight.values());
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        if (!this.#running) return;
        const again = this.#wakeRequested;
        this.#wakeRequested = false;
        this.#schedule(again ? 0 : this.#pollMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    try {
      const now = this.#now();
      // Fan out until the outbox is read to its end, a bounded slice at a time.
      while (this.#running && (await this.#store.fanOut(this.#fanOutMax, now)) === this.#fanOutMax) {}
      if (this.#pruneDue(now)) await this.#prune(now);
      const free = this.#concurrencyMax - this.#inFlight.size;
      if (free <= 0) return;
      const due = await this.#store.dueDeliveries(now, free * 4, new Set(this.#inFlight.keys()));
      let started = 0;
      for (const item of due) {
        if (started === free || !this.#running) break;
        const endpointId = item.endpoint.id;
        const load = this.#perEndpoint.get(endpointId) ?? 0;
        if (load >= this.#perEndpointMax) continue;
        this.#perEndpoint.set(endpointId, load + 1);
        const key = deliveryKey(endpointId, item.delivery.seq);
        const attempt = this.#attempt(item).finally(() => {
          this.#inFlight.delete(key);
          const left = (this.#perEndpoint.get(endpointId) ?? 1) - 1;
          if (left > 0) this.#perEndpoint.set(endpointId, left);
          else this.#perEndpoint.delete(endpointId);
          this.wake();
        });
        this.#inFlight.set(key, attempt);
        started += 1;
      }
    } catch (error) {
      this.#onError(error);
    }
  }

  #pruneDue(now: Instant): boolean {
    if (now - this.#pruneLookAt < this.#pollMs) return false;
    if (this.#prunePass !== undefined || this.#prunedAt === undefined) return true;
    return now - this.#prunedAt >= this.#pruneEveryMs;
  }

  /**
   * Deletes what is older than the retention, a few short slices a look, each its own
   * transaction, with a pause between them; a pass not done goes on at the next poll, not a
   * period later. A failure drops the pass (deliveries go on) and it is tried again a period
   * later. Times are the engine's (an event's instant) against the dispatcher's clock: a test
   * clock moved ahead keeps events longer, one set back makes the new ones look old.
   */
  async #prune(now: Instant): Promise<void> {
    this.#pruneLookAt = now;
    const pass = this.#prunePass ?? { before: now - this.#retentionMs, afterSeq: 0 };
    this.#prunePass = pass;
    try {
      for (let slice = 0; slice < PRUNE_SLICES_PER_LOOK && this.#running; slice++) {
        if (slice > 0) await new Promise((resolve) => setTimeout(resolve, PRUNE_SLICE_GAP_MS));
        const done = await this.#store.prune(pass.before, pass.afterSeq, this.#pruneSliceMax);
        if (done.events > 0) this.#onPruned?.({ events: done.events, deliveries: done.deliveries });
        pass.afterSeq = done.lastSeq;
        if (!done.done) continue;
        this.#prunePass = undefined;
        this.#prunedAt = now;
        return;
      }
    } catch (error) {
      this.#prunePass = undefined;
      this.#prunedAt = now;
      this.#onPruneError(error);
    }
  }

  async #attempt(item: DueDelivery): Promise<void> {
    const body = JSON.stringify(eventView(item.event));
    const startedAt = this.#now();
    const timestamp = Math.floor(startedAt / 1000);
    const secrets = [item.endpoint.secret];
    if (item.endpoint.previousSecret !== null && (item.endpoint.previousSecretUntil ?? 0) > startedAt) {
      secrets.push(item.endpoint.previousSecret);
    }
    const attempts = item.delivery.attempts + 1;
    const result = await sendWebhook(
      item.endpoint.url,
      {
        [SIGNATURE_HEADER]: signatureHeader(secrets, timestamp, body),
        "hongbao-event-id": item.event.id,
        "hongbao-delivery-attempt": String(attempts),
        "user-agent": "hongbao-webhooks/1",
      },
      body,
      this.#timeoutMs,
      this.#policy,
      this.#stopping.signal,
    );
    const outcome = this.#outcomeOf(item, result, attempts, startedAt);
    try {
      await this.#store.recordAttempt(item.endpoint.id, item.delivery.seq, outcome);
      this.#onAttempt?.(item, outcome);
    } catch (error) {
      // Not recorded: the delivery stays pending and is tried again (at least once, not at most).
      this.#onError(error);
    }
  }

  #outcomeOf(item: DueDelivery, result: SendResult, attempts: number, startedAt: Instant): AttemptOutcome {
    const at = this.#now();
    const firstAttemptAt = item.delivery.firstAttemptAt ?? startedAt;
    const status = "status" in result ? result.status : null;
    const error = "error" in result ? result.error.slice(0, 200) : null;
    if (status !== null && status >= 200 && status < 300) {
      return { state: "delivered", attempts, nextAttemptAt: at, firstAttemptAt, at, status, error: null };
    }
    const delay = retryDelayMs(attempts, this.#retryBaseMs, this.#retryDelayMsMax, this.#random);
    const givenUp = at + delay - firstAttemptAt > this.#retryWindowMs;
    return {
      state: givenUp ? "failed" : "pending",
      attempts,
      nextAttemptAt: at + delay,
      firstAttemptAt,
      at,
      status,
      error: error ?? `answered ${status}`,
    };
  }
}

/**
 * Exponential backoff with jitter: the n-th retry waits between half and all of
 * base·2^(n-1), capped. The jitter spreads the retries of many deliveries that failed
 * together (an endpoint that was down) so they do not all come back at once.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
