import type { Instant } from "../domain/time.js";
import type { Clock } from "./clock.js";

/** Transfers, packets and everything else go first; campaign claims queue behind them. */
export type Lane = "critical" | "campaign";

export interface Queued {
  readonly lane: Lane;
  /** performance.now() when queued: queueing delay is measured on it, not on the (test) clock. */
  readonly enqueuedAt: number;
}

export interface SchedulerOptions<T extends Queued> {
  readonly clock: Clock;
  /** Commands of the critical lane in one batch at most. */
  readonly batchMax: number;
  /** Claims in one batch at most, on top of the critical ones. */
  readonly claimBatchMax: number;
  /** How long claims alone may linger for more, ms (CLAIM_LINGER_MS unless told). */
  readonly claimLingerMs: number;
  /**
   * While the event loop is busy, a batch is taken at least this long after the one before it,
   * ms (0: never waits). See COMMIT_WINDOW_MS.
   */
  readonly spacingMs?: number;
  /** Whether the event loop is busy enough for the window; the loop's own utilization unless told (tests). */
  readonly loopBusy?: () => boolean;
  /**
   * Runs one batch: the commands taken, and every timer due. Resolves once the next batch may
   * be applied; calls `writable` once this one may be written (the one before it is durable).
   */
  readonly runBatch: (items: T[], writable: () => void) => Promise<BatchOutcome>;
  /** The instant the next timer of any kind is due; undefined when none is. */
  readonly nextDueAt: () => Instant | undefined;
}

export interface BatchOutcome {
  /** Timers were due beyond the batch's bound: another batch should follow at once. */
  readonly timersLeft: boolean;
}

/** A waiting command older than this makes the next command start the batch itself. */
const FLUSH_LINGER_MS = 2;
/**
 * While only claims wait, and each turn of the event loop brings more, a batch waits for
 * at most this long or this many claims: each commit costs about 3 ms whatever its size,
 * which a crowd's claims otherwise pay a hundred at a time. Anything else waiting (a
 * transfer, a packet) takes the claims along at once.
 */
export const CLAIM_LINGER_MS = 10;
const CLAIM_LINGER_BATCH = 1_000;
/**
 * The group-commit window under load (off unless asked for, HONGBAO_COMMIT_WINDOW_MS): while
 * the event loop was busy at least BUSY_LOOP_SHARE of the last LOOP_SAMPLE_MS, a batch is
 * taken at least this long after the one before it. Beside a crowd, 200 transfers a second
 * otherwise commit one or two at a time, 140 fsyncs a second that stop the loop a fifth of
 * each second. An idle loop takes each batch at once. Measured as a trade, not a gain
 * (docs/decisions/0068-a-commit-window-under-load.md): the crowd is answered sooner, the
 * transfers beside it later. The wait counts in the delay admission control reads (its target is
 * 20 ms): a window much over 30 ms would have claims shed, so 30 is the most allowed.
 */
export const COMMIT_WINDOW_MS_MAX = 30;
const BUSY_LOOP_SHARE = 0.8;
const LOOP_SAMPLE_MS = 100;
/**
 * While a lane stays empty its delay signal halves every this many ms: a server that gets
 * nothing but claims from users admission sheds takes no batch, and the signal must not
 * wait for one to decay (it kept those users shed for the rest of the hour).
 */
const IDLE_DELAY_HALF_LIFE_MS = 1_000;
/** The timer wakes at least this often, so a clock that jumps is noticed within a minute. */
const TIMER_SLEEP_MS_MAX = 60_000;

/**
 * Decides when the next batch runs; the one place that does. A batch is applied one at a
 * time (where the engine overlaps commits, one commits while the next is applied: `runBatch`
 * resolves once the next may be), and one runs when any of these says so, each through `#run`:
 * - a command was queued: at the end of this turn of the event loop (setImmediate), so every
 *   request read in the turn joins it; or at once when the oldest has waited
 *   FLUSH_LINGER_MS (under ten thousand connections a turn can take seconds);
 * - only claims wait: the batch lingers while each turn brings more (`#lookAgain`);
 * - a batch ended with more waiting or timers left: the next turn;
 * - the next due timer of any kind (refund, expiry, campaign start or end) comes: a
 *   setTimeout armed for the one instant `nextDueAt` gives, after every batch.
 */
export class Scheduler<T extends Queued> {
  readonly #options: SchedulerOptions<T>;
  #lanes: Record<Lane, T[]> = { critical: [], campaign: [] };
  /** Moving averages of how long commands waited for their batch, in ms. */
  readonly #delayMs: Record<Lane, number> = { critical: 0, campaign: 0 };
  #running: Promise<void> | undefined;
  /** performance.now() when the last batch was taken. */
  #takenAt = 0;
  #turnScheduled = false;
  #runQueued = false;
  /** A linger under way: claims waiting when it last looked (it goes on while turns bring more). */
  #linger: { claimsAtLastLook: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #spacing: NodeJS.Timeout | undefined;
  /** The event loop's utilization when last sampled, and whether it was busy since the sample before. */
  #loopSample = performance.eventLoopUtilization();
  #loopSampledAt = performance.now();
  #loopBusy = false;
  #started = false;
  #closing = false;

  constructor(options: SchedulerOptions<T>) {
    this.#options = options;
  }

  get depth(): number {
    return this.#lanes.critical.length + this.#lanes.campaign.length;
  }

  laneDepth(lane: Lane): number {
    return this.#lanes[lane].length;
  }

  /**
   * How long commands of a lane have lately waited for their batch: the overload signal. A
   * lane with nothing waiting decays with the time since the last batch was taken.
   */
  queueDelayMs(lane: Lane): number {
    if (this.#lanes[lane].length > 0) return this.#delayMs[lane];
    const idleMs = Math.max(0, performance.now() - this.#takenAt);
    return this.#delayMs[lane] * 0.5 ** (idleMs / IDLE_DELAY_HALF_LIFE_MS);
  }

  get idle(): boolean {
    return this.depth === 0 && this.#running === undefined && !this.#turnScheduled && this.#spacing === undefined;
  }

  start(): void {
    this.#started = true;
    this.#armTimer();
  }

  /** Queues a command; its batch runs by the rules above. */
  push(item: T): void {
    this.#lanes[item.lane].push(item);
    this.#nextTurn();
    this.#soonIfLingering(item.enqueuedAt);
  }

  /** Memory was rebuilt: everything queued is handed back to be answered, and nothing runs for it. */
  drain(): T[] {
    const queued = [...this.#lanes.critical, ...this.#lanes.campaign];
    this.#lanes = { critical: [], campaign: [] };
    return queued;
  }

  /** Something due may have changed outside a batch (the clock was set): look at the timers again. */
  wake(): void {
    if (!this.#started || this.#closing) return;
    this.#armTimer();
    this.#nextTurn();
  }

  /** Stops the timers; what is queued still runs, lingering claims at once. */
  close(): void {
    this.#closing = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // A batch waiting out the window runs now if anything is queued (below), never after close.
    if (this.#spacing !== undefined) clearTimeout(this.#spacing);
    this.#spacing = undefined;
    if (this.depth > 0) this.#nextTurn();
  }

  #nextTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    setImmediate(() => {
      this.#turnScheduled = false;
      void this.#run(true);
    });
  }

  /** `now`: the pushed command's enqueuedAt, read a moment ago (one clock read a command). */
  #soonIfLingering(now: number): void {
    if (this.#running !== undefined || this.#runQueued) return;
    const oldest = Math.min(
      this.#lanes.critical[0]?.enqueuedAt ?? Number.POSITIVE_INFINITY,
      this.#lanes.campaign[0]?.enqueuedAt ?? Number.POSITIVE_INFINITY,
    );
    if (now - oldest < FLUSH_LINGER_MS) return;
    this.#runQueued = true;
    queueMicrotask(() => {
      this.#runQueued = false;
      void this.#run(true);
    });
  }

  /**
   * Whether the batch should wait for more claims. A linger looks again at the end of each
   * turn of the event loop and goes on only while turns bring more claims: a turn that
   * brings none means the clients are waiting for these answers (a hundred connections, a
   * hundred claims), and waiting longer would only delay them.
   */
  #claimsLinger(): boolean {
    const claims = this.#lanes.campaign;
    const may =
      !this.#closing &&
      this.#lanes.critical.length === 0 &&
      claims.length > 0 &&
      claims.length < CLAIM_LINGER_BATCH &&
      performance.now() - (claims[0] as T).enqueuedAt < this.#options.claimLingerMs &&
      !this.#timerDue();
    if (!may) {
      this.#linger = undefined;
      return false;
    }
    if (this.#linger === undefined) {
      const linger = { claimsAtLastLook: claims.length };
      this.#linger = linger;
      setImmediate(() => this.#lookAgain(linger));
    }
    return true;
  }

  #lookAgain(linger: { claimsAtLastLook: number }): void {
    if (this.#linger !== linger) return;
    const claims = this.#lanes.campaign.length;
    if (claims > linger.claimsAtLastLook) {
      linger.claimsAtLastLook = claims;
      setImmediate(() => this.#lookAgain(linger));
      return;
    }
    this.#linger = undefined;
    void this.#run(false);
  }

  /** Whether the batch waits for the commit window since the last one; a timer runs it then. */
  #spaced(): boolean {
    const spacingMs = this.#options.spacingMs ?? 0;
    if (spacingMs <= 0 || this.#closing) return false;
    const now = performance.now();
    const waitMs = this.#takenAt + spacingMs - now;
    if (waitMs <= 0 || !(this.#options.loopBusy?.() ?? this.#busy(now))) return false;
    if (this.#spacing === undefined) {
      this.#spacing = setTimeout(() => {
        this.#spacing = undefined;
        void this.#run(false);
      }, waitMs);
    }
    return true;
  }

  /**
   * Whether the event loop was busy BUSY_LOOP_SHARE of the time between the last two samples
   * (taken when a batch looks, LOOP_SAMPLE_MS apart at least: after an idle spell, the first
   * sample spans it and says idle).
   */
  #busy(now: number): boolean {
    if (now - this.#loopSampledAt >= LOOP_SAMPLE_MS) {
      const sample = performance.eventLoopUtilization();
      this.#loopBusy = performance.eventLoopUtilization(sample, this.#loopSample).utilization >= BUSY_LOOP_SHARE;
      this.#loopSample = sample;
      this.#loopSampledAt = now;
    }
    return this.#loopBusy;
  }

  #timerDue(): boolean {
    const due = this.#options.nextDueAt();
    return due !== undefined && due <= this.#options.clock.now();
  }

  async #run(mayLinger: boolean): Promise<void> {
    if (this.#running !== undefined || !this.#started) return;
    if (this.depth === 0 && !this.#timerDue()) return;
    if (mayLinger && this.#claimsLinger()) return;
    if (this.#spaced()) return;
    let outcome: BatchOutcome = { timersLeft: false };
    const taken = this.#take();
    const running = (async () => {
      // Measured once the batch may be written (the one before it is durable): the wait a slow disk makes.
      outcome = await this.#options.runBatch(taken, () => this.#measureDelay(taken));
    })();
    this.#running = running;
    try {
      await running;
    } finally {
      this.#running = undefined;
    }
    if (this.depth > 0 || outcome.timersLeft) this.#nextTurn();
    this.#armTimer();
  }

  /** The next batch: transfers and packets first, then campaign claims. */
  #take(): T[] {
    const critical = this.#lanes.critical.splice(0, this.#options.batchMax);
    const claims = this.#lanes.campaign.splice(0, this.#options.claimBatchMax);
    this.#takenAt = performance.now();
    return claims.length === 0 ? critical : critical.concat(claims);
  }

  /** How long a batch's commands waited, into each lane's moving average. */
  #measureDelay(items: readonly T[]): void {
    const now = performance.now();
    const waited: Record<Lane, number> = { critical: 0, campaign: 0 };
    const counts: Record<Lane, number> = { critical: 0, campaign: 0 };
    for (const item of items) {
      waited[item.lane] += now - item.enqueuedAt;
      counts[item.lane] += 1;
    }
    for (const lane of ["critical", "campaign"] as const) {
      // An empty lane waits for nothing: its signal decays, so shedding cannot outlive the overload.
      if (counts[lane] === 0) this.#delayMs[lane] *= 0.7;
      // An exponential moving average over batches: recent batches weigh most.
      else this.#delayMs[lane] = 0.7 * this.#delayMs[lane] + 0.3 * (waited[lane] / counts[lane]);
    }
  }

  /** Sleeps until the next timer of any kind is due by the clock, then runs a batch for it. */
  #armTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#options.nextDueAt();
    if (next === undefined || this.#closing) return;
    const delay = Math.min(Math.max(0, next - this.#options.clock.now()), TIMER_SLEEP_MS_MAX);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#timerDue()) this.#nextTurn();
      else this.#armTimer();
    }, delay);
    this.#timer.unref();
  }
}
