/**
 * Counting what happened: answer kinds, latency histograms (HdrHistogram, in microseconds) and
 * a timeline of fixed-width buckets, each with its own counts and histograms. Everything here
 * is sized by the run's length, never by its number of requests.
 */
import { build, type Histogram } from "hdr-histogram-js";

/** What one attempt got back; a user's final outcome is one of these too (or "unanswered"). */
export const KINDS = [
  "claimed",
  "alreadyClaimed",
  "soldOut",
  "notStarted",
  "ended",
  "busy",
  "otherHttp",
  "network",
] as const;
export type Kind = (typeof KINDS)[number];
export const KIND = Object.fromEntries(KINDS.map((name, i) => [name, i])) as Record<Kind, number>;

/** Final outcomes per user are stored as kind + 1; 0 means "not decided yet". */
export const UNDECIDED = 0;
export const UNANSWERED = KINDS.length + 1;

export const KIND_LABEL: Record<Kind | "unanswered", string> = {
  claimed: "claimed",
  alreadyClaimed: "already claimed",
  soldOut: "sold out",
  notStarted: "not started",
  ended: "ended",
  busy: "busy (503)",
  otherHttp: "other HTTP answer",
  network: "network error / timeout",
  unanswered: "no definite answer by the deadline",
};

export const KIND_COLOR: Record<Kind, string> = {
  claimed: "#d7263d",
  alreadyClaimed: "#f49d37",
  soldOut: "#8d99ae",
  notStarted: "#3f88c5",
  ended: "#5c415d",
  busy: "#f1c40f",
  otherHttp: "#7b2cbf",
  network: "#111111",
};

export function newHistogram(digits: 2 | 3 = 3): Histogram {
  return build({
    // 32-bit counts: "packed" saves memory but costs a lookup per value, and every answer is recorded.
    bitBucketSize: 32,
    numberOfSignificantValueDigits: digits,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    autoResize: true,
  });
}

/** Records a duration given in milliseconds, as whole microseconds (at least 1). */
export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

const ms = (micros: number) => Math.round(micros) / 1000;

export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: histogram.totalCount,
    meanMs: ms(histogram.mean),
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
  };
}

export interface BucketPercentiles {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface TimelineBucket {
  /** Seconds from the start instant to the bucket's beginning (negative before the burst). */
  readonly t: number;
  /** Answers that arrived in the bucket, by kind (a shed 503 counts as busy, each attempt once). */
  readonly claims: Record<Kind, number>;
  readonly claimLatency: BucketPercentiles | null;
  readonly claimFromArrival: BucketPercentiles | null;
  readonly transfersOk: number;
  readonly transfersFailed: number;
  readonly transferLatency: BucketPercentiles | null;
}

export interface TimelineData {
  readonly bucketMs: number;
  readonly buckets: TimelineBucket[];
}

/**
 * Buckets of `bucketMs` from `originMs` (relative to the start instant). The last bucket
 * also takes anything later, so a late straggler cannot index past the arrays.
 */
export class Timeline {
  readonly #counts: Uint32Array;
  readonly #transfersOk: Uint32Array;
  readonly #transfersFailed: Uint32Array;
  readonly #claimLatency: (Histogram | undefined)[];
  readonly #claimFromArrival: (Histogram | undefined)[];
  readonly #transferLatency: (Histogram | undefined)[];
  #used = 0;

  constructor(
    readonly bucketMs: number,
    readonly originMs: number,
    readonly bucketsMax: number,
  ) {
    this.#counts = new Uint32Array(bucketsMax * KINDS.length);
    this.#transfersOk = new Uint32Array(bucketsMax);
    this.#transfersFailed = new Uint32Array(bucketsMax);
    this.#claimLatency = new Array(bucketsMax);
    this.#claimFromArrival = new Array(bucketsMax);
    this.#transferLatency = new Array(bucketsMax);
  }

  #index(atMs: number): number {
    const index = Math.floor((atMs - this.originMs) / this.bucketMs);
    const bounded = index < 0 ? 0 : index >= this.bucketsMax ? this.bucketsMax - 1 : index;
    if (bounded + 1 > this.#used) this.#used = bounded + 1;
    return bounded;
  }

  claimAnswer(atMs: number, kind: number, serviceMs: number, fromArrivalMs: number): void {
    const index = this.#index(atMs);
    this.#counts[index * KINDS.length + kind] = (this.#counts[index * KINDS.length + kind] as number) + 1;
    if (serviceMs >= 0) {
      recordMs(histogramAt(this.#claimLatency, index), serviceMs);
      recordMs(histogramAt(this.#claimFromArrival, index), fromArrivalMs);
    }
  }

  transferAnswer(atMs: number, ok: boolean, serviceMs: number): void {
    const index = this.#index(atMs);
    if (ok) this.#transfersOk[index] = (this.#transfersOk[index] as number) + 1;
    else this.#transfersFailed[index] = (this.#transfersFailed[index] as number) + 1;
    if (serviceMs >= 0) recordMs(histogramAt(this.#transferLatency, index), serviceMs);
  }

  /** Buckets from the first to the last used, merged `factor` at a time. */
  data(factor = 1): TimelineData {
    const buckets: TimelineBucket[] = [];
    for (let first = 0; first < this.#used; first += factor) {
      const last = Math.min(this.#used, first + factor);
      const claims = Object.fromEntries(KINDS.map((name) => [name, 0])) as Record<Kind, number>;
      let transfersOk = 0;
      let transfersFailed = 0;
      for (let i = first; i < last; i++) {
        KINDS.forEach((name, kind) => {
          claims[name] += this.#counts[i * KINDS.length + kind] as number;
        });
        transfersOk += this.#transfersOk[i] as number;
        transfersFailed += this.#transfersFailed[i] as number;
      }
      buckets.push({
        t: (this.originMs + first * this.bucketMs) / 1000,
        claims,
        claimLatency: percentilesOf(this.#claimLatency, first, last),
        claimFromArrival: percentilesOf(this.#claimFromArrival, first, last),
        transfersOk,
        transfersFailed,
        transferLatency: percentilesOf(this.#transferLatency, first, last),
      });
    }
    return { bucketMs: this.bucketMs * factor, buckets };
  }

  /** 250 ms buckets for a minute, then 1 s ones for four, then whatever keeps about 240 bars. */
  chartFactor(): number {
    const seconds = (this.#used * this.bucketMs) / 1000;
    if (seconds <= 60) return 1;
    const toSecond = Math.max(1, Math.round(1000 / this.bucketMs));
    if (seconds <= 240) return toSecond;
    return Math.max(toSecond, Math.ceil(this.#used / 240));
  }
}

/** The bucket's histogram, made on first use: most buckets of a long tail stay empty. */
function histogramAt(list: (Histogram | undefined)[], index: number): Histogram {
  let histogram = list[index];
  if (histogram === undefined) {
    histogram = newHistogram(2);
    list[index] = histogram;
  }
  return histogram;
}

function percentilesOf(list: (Histogram | undefined)[], first: number, last: number): BucketPercentiles | null {
  let merged: Histogram | undefined;
  let single: Histogram | undefined;
  for (let i = first; i < last; i++) {
    const histogram = list[i];
    if (histogram === undefined || histogram.totalCount === 0) continue;
    if (single === undefined) single = histogram;
    else {
      if (merged === undefined) {
        merged = newHistogram(2);
        merged.add(single);
      }
      merged.add(histogram);
    }
  }
  const histogram = merged ?? single;
  if (histogram === undefined) return null;
  return {
    count: histogram.totalCount,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    maxMs: ms(histogram.maxValue),
  };
}

/** A binary min-heap of (due time, user) in typed arrays: the users waiting out a Retry-After. */
export class RetryHeap {
  readonly #due: Float64Array;
  readonly #users: Uint32Array;
  #size = 0;

  constructor(capacity: number) {
    this.#due = new Float64Array(Math.max(1, capacity));
    this.#users = new Uint32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.#size;
  }

  /** The earliest due time, or +Infinity when empty. */
  peekDue(): number {
    return this.#size === 0 ? Number.POSITIVE_INFINITY : (this.#due[0] as number);
  }

  push(due: number, user: number): void {
    if (this.#size === this.#due.length) throw new Error("retry heap full: a user is waiting twice");
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#due[parent] as number) <= due) break;
      this.#due[i] = this.#due[parent] as number;
      this.#users[i] = this.#users[parent] as number;
      i = parent;
    }
    this.#due[i] = due;
    this.#users[i] = user;
  }

  /** Removes and returns the user due first; call only when size > 0. */
  pop(): number {
    const top = this.#users[0] as number;
    const size = --this.#size;
    const due = this.#due[size] as number;
    const user = this.#users[size] as number;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && (this.#due[child + 1] as number) < (this.#due[child] as number)) child++;
      if ((this.#due[child] as number) >= due) break;
      this.#due[i] = this.#due[child] as number;
      this.#users[i] = this.#users[child] as number;
      i = child;
    }
    this.#due[i] = due;
    this.#users[i] = user;
    return top;
  }
}

export { seededRandom } from "../../domain/seeded-random.js";

/** `count` arrival instants uniform over [0, windowMs), sorted: user i arrives at the i-th. */
export function arrivalInstants(count: number, windowMs: number, random: () => number): Float64Array {
  const arrivals = new Float64Array(count);
  for (let i = 0; i < count; i++) arrivals[i] = random() * windowMs;
  return arrivals.sort();
}
