/**
 * The crowd itself: open-loop arrivals onto a pool of keep-alive connections.
 *
 * Every user has an arrival instant (uniform over the burst, sorted, from a seeded PRNG). A
 * timer a millisecond apart hands every user whose instant has come to the claim pool; a free
 * connection picks the claim up and writes it. Nobody waits for anybody's answer to arrive, so
 * a slow server meets a growing queue, as it would in life (a closed loop would slow the crowd
 * down with the server and hide exactly the overload we are here to see).
 *
 * Two latencies per attempt: from the instant the request is written to its connection to the
 * answer ("service"), and from the instant the user was due to the answer ("from arrival":
 * it adds the wait for a free connection and any lateness of this generator). A third is per
 * user: from the first arrival to the final answer, through every Retry-After.
 *
 * A 503 (or 429) with Retry-After puts the user in a typed-array min-heap until then, at most
 * `retries` times; any other answer is final. A connection that fails under a request retries
 * that request at once, within the same budget.
 *
 * Memory is per user a few typed-array slots (about 20 bytes), per bucket of the timeline a
 * few counters and histograms, and nothing per request.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Histogram } from "hdr-histogram-js";
import { type FailureReason, HttpPool } from "./http-pool.js";
import {
  arrivalInstants,
  KIND,
  KINDS,
  newHistogram,
  RetryHeap,
  recordMs,
  seededRandom,
  type Timeline,
  UNANSWERED,
  UNDECIDED,
} from "./stats.js";
import { TicketBook } from "./tickets.js";
import { type TransferResult, type TransferShape, TransferThread } from "./transfers.js";

export interface TransferPlan {
  readonly tps: number;
  readonly connections: number;
  /** Transfers start this long before the burst, so the charts show them before the crowd. */
  readonly preRollMs: number;
  readonly shape: TransferShape;
}

/** This thread's own event-loop lag over the run, and the CPU of the whole process. */
export interface GeneratorLoad {
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** CPU seconds of the process (both threads) over the run, per second of it: 1 is one core. */
  readonly cores: number;
}

export interface LoadPlan {
  readonly url: URL;
  readonly users: number;
  readonly connections: number;
  readonly burstMs: number;
  /** Arrivals start this long before the start instant (they join the pre-queue). */
  readonly preQueueMs: number;
  readonly retries: number;
  readonly requestTimeoutMs: number;
  /**
   * Past this many ms after the start instant nothing more is sent: requests in flight are
   * waited for, and whoever has no answer then is left "unanswered".
   */
  readonly deadlineMs: number;
  readonly seed: number;
  /** Writes user `user`'s claim into `scratch`; returns its length. */
  readonly claim: (user: number, scratch: Buffer) => number;
  readonly transfers: TransferPlan | undefined;
  readonly timeline: Timeline;
}

export interface LoadProgress {
  readonly elapsedMs: number;
  readonly decided: number;
  readonly users: number;
  readonly answered: number;
  readonly shed: number;
  readonly claimP99Ms: number;
  readonly transferP99Ms: number;
  readonly queued: number;
  readonly inFlightRetries: number;
}

const TICK_MS = 1;
const PROGRESS_EVERY_MS = 250;
const RETRY_AFTER_DEFAULT_S = 1;
/** Retry-After beyond this is not waited out (the server asked for a lifetime): capped. */
const RETRY_AFTER_MAX_S = 60;

export class CrowdLoad {
  readonly plan: LoadPlan;
  /** Per user: arrival instant, ms after the start instant (sorted). */
  readonly arrivals: Float64Array;
  /** Per user: when the current attempt was due (performance.now() time base). */
  readonly #dueAt: Float64Array;
  /** Per user: final kind + 1, or UNDECIDED / UNANSWERED. */
  readonly outcome: Uint8Array;
  readonly attempts: Uint8Array;
  /** Per user: how many 200s they got (the invariant says at most one). */
  readonly oks: Uint8Array;
  readonly #retryHeap: RetryHeap;
  /** Tickets held, and what each person lived through in the waiting room. */
  readonly book: TicketBook;

  readonly claimService: Histogram = newHistogram();
  readonly claimFromArrival: Histogram = newHistogram();
  readonly claimPerUser: Histogram = newHistogram();
  readonly lateness: Histogram = newHistogram();
  readonly transferService: Histogram = newHistogram();
  readonly transferFromArrival: Histogram = newHistogram();

  /** Answers by kind, one per attempt. */
  readonly attemptKinds = new Uint32Array(KINDS.length);
  readonly statuses = new Map<number, number>();
  readonly transferFailures = new Map<string, number>();
  sent = 0;
  answered = 0;
  retriesScheduled = 0;
  decided = 0;
  amountSum = 0;
  transfersOk = 0;
  transfersFailed = 0;
  transfersAnswered = 0;
  /** Transfers dropped unanswered at the deadline. */
  transfersAbandoned = 0;
  firstArrivalAt = Number.NaN;
  lastAnswerAt = Number.NaN;
  startPerf = Number.NaN;
  /** Generator CPU seconds over the load (user + system). */
  cpuSeconds = 0;
  generatorLoad: GeneratorLoad = { lagP50Ms: 0, lagP99Ms: 0, lagMaxMs: 0, cores: 0 };
  deadlineHit = false;

  readonly claimPool: HttpPool;
  readonly transferThread: TransferThread | undefined;
  #next = 0;
  #stopping = false;
  #done: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(plan: LoadPlan) {
    this.plan = plan;
    this.arrivals = arrivalInstants(plan.users, plan.burstMs + plan.preQueueMs, seededRandom(plan.seed));
    for (let i = 0; plan.preQueueMs > 0 && i < this.arrivals.length; i++)
      this.arrivals[i] = (this.arrivals[i] as number) - plan.preQueueMs;
    this.book = new TicketBook(plan.users);
    this.#dueAt = new Float64Array(plan.users);
    this.outcome = new Uint8Array(plan.users);
    this.attempts = new Uint8Array(plan.users);
    this.oks = new Uint8Array(plan.users);
    this.#retryHeap = new RetryHeap(plan.users);
    this.claimPool = new HttpPool(
      plan.url,
      plan.connections,
      {
        build: (user, scratch) => {
          this.attempts[user] = (this.attempts[user] as number) + 1;
          this.sent++;
          return plan.claim(user, scratch);
        },
        answered: (user, status, retryAfter, body, writtenAt, at) => {
          this.#claimAnswered(user, status, retryAfter, body, writtenAt, at);
          this.#admitDue(at);
        },
        failed: (user, reason, writtenAt, at) => {
          this.#claimFailed(user, reason, writtenAt, at);
          this.#admitDue(at);
        },
      },
      { timeoutMs: plan.requestTimeoutMs, queueCapacity: Math.min(plan.users, 1 << 20) },
    );
    const transfers = plan.transfers;
    this.transferThread =
      transfers === undefined
        ? undefined
        : new TransferThread(
            {
              url: plan.url.href,
              connections: transfers.connections,
              tps: transfers.tps,
              preRollMs: transfers.preRollMs,
              timeoutMs: plan.requestTimeoutMs,
              shape: transfers.shape,
            },
            (result) => this.#transferEnded(result),
          );
  }

  /** Opens both pools; answers how many claim connections are open. */
  async open(): Promise<number> {
    const [opened] = await Promise.all([this.claimPool.open(), this.transferThread?.open()]);
    return opened;
  }

  /**
   * Runs from `startPerf` (the start instant on the performance.now() clock) until every user
   * has a final answer, or the deadline. `progress` is called a few times a second.
   */
  run(startPerf: number, progress: (snapshot: LoadProgress) => void): Promise<void> {
    this.startPerf = startPerf;
    this.firstArrivalAt = startPerf + (this.arrivals[0] ?? 0);
    const begin = startPerf + Math.min(this.arrivals[0] ?? 0, -(this.plan.transfers?.preRollMs ?? 0));
    const cpuBefore = process.cpuUsage();
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    this.transferThread?.run(startPerf);
    let progressAt = 0;
    return new Promise<void>((resolve) => {
      this.#done = () => {
        const cpu = process.cpuUsage(cpuBefore);
        this.cpuSeconds = (cpu.user + cpu.system) / 1e6;
        lag.disable();
        const ms = (ns: number) => Math.round(ns / 1e4) / 100;
        const ranMs = performance.now() - Math.min(begin, performance.now());
        this.generatorLoad = {
          lagP50Ms: ms(lag.percentile(50)),
          lagP99Ms: ms(lag.percentile(99)),
          lagMaxMs: ms(lag.max),
          cores: ranMs > 0 ? Math.round((this.cpuSeconds * 1e5) / ranMs) / 100 : 0,
        };
        progress(this.#snapshot());
        resolve();
      };
      const tick = () => {
        const now = performance.now();
        this.#tick(now);
        if (this.#finished()) {
          this.#done?.();
          return;
        }
        if (now - progressAt >= PROGRESS_EVERY_MS) {
          progressAt = now;
          progress(this.#snapshot());
        }
        this.#timer = setTimeout(tick, TICK_MS);
      };
      this.#timer = setTimeout(tick, Math.max(0, begin - performance.now()));
    });
  }

  /** Closes every connection (call after run, or to abandon it). */
  close(): void {
    this.#stopping = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.claimPool.close();
    this.transferThread?.close();
  }

  #tick(now: number): void {
    if (this.#stopping) return;
    if (now - this.startPerf > this.plan.deadlineMs) {
      this.#giveUp(now);
      return;
    }
    this.#admitDue(now);
  }

  /**
   * Hands every user and transfer now due to its pool. It runs on the timer and after every
   * answer: with thousands of connections one turn of the event loop can spend a long time on
   * I/O, and arrivals must not wait for the timer behind it.
   */
  #admitDue(now: number): void {
    if (this.#stopping) return;
    const sinceStart = now - this.startPerf;
    const arrivals = this.arrivals;
    const pool = this.claimPool;
    while (this.#next < arrivals.length && (arrivals[this.#next] as number) <= sinceStart) {
      const user = this.#next++;
      const due = this.startPerf + (arrivals[user] as number);
      this.#dueAt[user] = due;
      recordMs(this.lateness, now - due);
      pool.enqueue(user);
    }
    const heap = this.#retryHeap;
    while (heap.peekDue() <= now) {
      const due = heap.peekDue();
      const user = heap.pop();
      this.#dueAt[user] = due;
      recordMs(this.lateness, now - due);
      pool.enqueue(user);
    }
    pool.pump();
  }

  #finished(): boolean {
    if (this.decided < this.plan.users) return false;
    const thread = this.transferThread;
    thread?.stop(false);
    return thread === undefined || thread.finished;
  }

  /** Past the deadline: whoever has no final answer is "unanswered"; in-flight transfers are dropped. */
  #giveUp(now: number): void {
    this.deadlineHit = true;
    this.#stopping = true;
    this.transferThread?.stop(true);
    // Requests already written are waited for (or time out): the server may have acted on
    // them, and an answer dropped here would read as a claim the crowd never heard of.
    this.claimPool.dropQueued();
    const inFlight = this.claimPool.inFlightTags();
    for (let user = 0; user < this.outcome.length; user++) {
      if (this.outcome[user] === UNDECIDED && !inFlight.has(user)) this.#finalize(user, UNANSWERED, now);
    }
  }

  #claimAnswered(user: number, status: number, retryAfter: number, body: Buffer, writtenAt: number, at: number) {
    this.answered++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    let kind: number;
    if (status === 200) {
      kind = KIND.claimed;
      this.oks[user] = (this.oks[user] as number) + 1;
      this.amountSum += amountOf(body);
    } else if (status === 503 || status === 429) kind = KIND.busy;
    else kind = kindOfError(body);
    this.attemptKinds[kind] = (this.attemptKinds[kind] as number) + 1;
    this.book.attempt(user, this.#dueAt[user] as number, writtenAt);
    const comeBackInMs = this.book.answered(user, status, body, at, kind === KIND.soldOut);
    const service = at - writtenAt;
    const fromArrival = at - (this.#dueAt[user] as number);
    recordMs(this.claimService, service);
    recordMs(this.claimFromArrival, fromArrival);
    this.plan.timeline.claimAnswer(at - this.startPerf, kind, service, fromArrival);
    this.lastAnswerAt = at;
    if (this.outcome[user] !== UNDECIDED) return;
    if (comeBackInMs !== undefined && !this.#stopping) {
      // A place in line is not a failure: coming back with the ticket is not counted as a retry.
      this.attempts[user] = (this.attempts[user] as number) - 1;
      this.book.returnsTotal++;
      this.#retryHeap.push(at + comeBackInMs, user);
      return;
    }
    if (kind === KIND.busy && (this.attempts[user] as number) <= this.plan.retries) {
      // Past the deadline a retry is not sent: the user is left without a definite answer.
      if (this.#stopping) this.#finalize(user, UNANSWERED, at);
      else {
        const seconds = retryAfter < 0 ? RETRY_AFTER_DEFAULT_S : Math.min(retryAfter, RETRY_AFTER_MAX_S);
        this.retriesScheduled++;
        this.#retryHeap.push(at + seconds * 1000, user);
      }
      return;
    }
    this.#finalize(user, kind + 1, at);
  }

  #claimFailed(user: number, _reason: FailureReason, _writtenAt: number, at: number) {
    if (this.#stopping) {
      // Abandoned at the deadline (or by close()): not a network failure, just no answer.
      if (this.outcome[user] === UNDECIDED) this.#finalize(user, UNANSWERED, at);
      return;
    }
    this.attemptKinds[KIND.network] = (this.attemptKinds[KIND.network] as number) + 1;
    this.plan.timeline.claimAnswer(at - this.startPerf, KIND.network, -1, -1);
    if (this.outcome[user] !== UNDECIDED) return;
    if ((this.attempts[user] as number) <= this.plan.retries) {
      this.retriesScheduled++;
      this.#dueAt[user] = at;
      this.claimPool.enqueue(user);
      return;
    }
    this.#finalize(user, KIND.network + 1, at);
  }

  #finalize(user: number, outcome: number, at: number): void {
    this.outcome[user] = outcome;
    this.decided++;
    this.book.finalized(user, at);
    if (outcome !== UNANSWERED) recordMs(this.claimPerUser, at - (this.startPerf + (this.arrivals[user] as number)));
  }

  #transferDueAt(n: number): number {
    const transfers = this.plan.transfers as TransferPlan;
    return this.startPerf - transfers.preRollMs + (n * 1000) / transfers.tps;
  }

  /** A transfer's end, timed on its own thread (transfers.ts). */
  #transferEnded(result: TransferResult): void {
    const at = this.startPerf + result.atMs;
    if (result.abandoned) {
      this.transfersAbandoned++;
      return;
    }
    if (result.status === 0) {
      this.transfersFailed++;
      this.transferFailures.set(result.failure, (this.transferFailures.get(result.failure) ?? 0) + 1);
      this.plan.timeline.transferAnswer(result.atMs, false, -1);
      return;
    }
    this.transfersAnswered++;
    const ok = result.failure === "";
    if (ok) this.transfersOk++;
    else {
      this.transfersFailed++;
      this.transferFailures.set(result.failure, (this.transferFailures.get(result.failure) ?? 0) + 1);
    }
    const service = result.atMs - result.writtenMs;
    recordMs(this.transferService, service);
    recordMs(this.transferFromArrival, at - this.#transferDueAt(result.n));
    this.plan.timeline.transferAnswer(result.atMs, ok, service);
  }

  /** Transfers written so far (counted on their thread). */
  get transfersSent(): number {
    return this.transferThread?.sent ?? 0;
  }

  #snapshot(): LoadProgress {
    return {
      elapsedMs: performance.now() - this.startPerf,
      decided: this.decided,
      users: this.plan.users,
      answered: this.answered,
      shed: this.attemptKinds[KIND.busy] as number,
      claimP99Ms: this.claimService.totalCount === 0 ? 0 : this.claimService.getValueAtPercentile(99) / 1000,
      transferP99Ms: this.transferService.totalCount === 0 ? 0 : this.transferService.getValueAtPercentile(99) / 1000,
      queued: this.claimPool.queued,
      inFlightRetries: this.#retryHeap.size,
    };
  }
}

const AMOUNT = /"amount"\s*:\s*(\d+)/;
const CODE = /"code"\s*:\s*"([A-Z_]+)"/;

function amountOf(body: Buffer): number {
  const match = AMOUNT.exec(body.toString("latin1"));
  return match === null ? 0 : Number(match[1]);
}

function codeOf(body: Buffer): string | undefined {
  return CODE.exec(body.toString("latin1"))?.[1];
}

function kindOfError(body: Buffer): number {
  switch (codeOf(body)) {
    case "ALREADY_CLAIMED":
      return KIND.alreadyClaimed;
    case "SOLD_OUT":
      return KIND.soldOut;
    case "NOT_STARTED":
      return KIND.notStarted;
    case "ENDED":
      return KIND.ended;
    default:
      return KIND.otherHttp;
  }
}
