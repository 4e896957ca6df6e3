/**
 * The load the server has told itself to expect: every holder told to come back is booked in
 * a slot of its return, and newcomers keep arriving at the rate measured lately. Against what
 * the server was measured to answer a second, a queue builds wherever more is due than that,
 * and a request sent then waits its turn in it before it is read, where the server cannot see
 * it (in the client's connections, or the kernel's). That wait, added to an estimate, is what
 * the holder will see; the crowd of the targets showed it at the start of a campaign with a
 * pre-queue: 20 000 returns and 10 000 arrivals a second within two seconds, and estimates
 * short by half (docs/decisions/0058-estimates-that-count-the-start.md).
 */
export interface ReturnLoadOptions {
  /** Width of a slot, ms. */
  readonly slotMs?: number;
  /** Slots booked ahead at most; a return told further ahead is not counted. */
  readonly slots?: number;
}

/** Each window a peak not seen again fades this much: the crowd of a moment ago says little of the next. */
const PEAK_FADE = 0.95;
/**
 * Below this share of the loop busy, reads over it say little of what a full loop reads (a
 * few requests and the timers): the capacity measured before stands.
 */
const BUSY_MIN = 0.1;
/** Each window moves the capacity measured from the loop's busy share this far toward its own. */
const BUSY_WEIGHT = 1 / 4;
/**
 * Until more is measured, an answer from memory is taken as a quarter of a claim's work, as
 * the crowd gate counts a late claim answered from memory.
 */
const MEMORY_SPEEDUP = 4;

/**
 * Claims answered from memory in front of the waiting room (sold out, ended, already claimed):
 * reads the room does not see. The claim path bumps `count`; the room reads it once a window.
 */
export interface MemoryAnswers {
  count: number;
}

/** Returns expected in the slot from `startMs` (monotonic) for `slotMs`, beyond those booked. */
export type Foreseen = (startMs: number, slotMs: number) => number;

export class ReturnLoad {
  readonly #slotMs: number;
  readonly #booked: Float64Array;
  /** Per slot passed: the wait the model had for a request sent in it, ms, once everything due in it was known. */
  readonly #past: Float64Array;
  /** The slot the queue was last carried to (slot numbers are monotonic ms / slotMs). */
  #slot = Number.NaN;
  /** Requests due but not yet read, as the model has it at the start of `#slot`. */
  #queued = 0;
  #windowReads = 0;
  #windowNew = 0;
  /** Requests a second the server was measured to read when full (the most lately, fading). */
  #capacity = 0;
  /** Newcomers a second (requests without a ticket), the most lately, fading. */
  #arrivals = 0;
  /** The last window measured had the loop nearly idle: the next busy one starts the newcomers' average afresh. */
  #quiet = true;
  /** Requests a second answered from memory (the most lately, fading), and the window's. */
  #fromMemory = 0;
  #windowMemory = 0;
  /**
   * From this slot on the crowd is answered from memory (the campaign foreseen sold out), at
   * the rate of such answers; +Infinity when no sell-out is foreseen.
   */
  #memorySlot = Number.POSITIVE_INFINITY;

  constructor(options: ReturnLoadOptions = {}) {
    this.#slotMs = options.slotMs ?? 100;
    this.#booked = new Float64Array(options.slots ?? 256);
    this.#past = new Float64Array(this.#booked.length);
  }

  get capacity(): number {
    return this.#capacity;
  }

  get arrivals(): number {
    return this.#arrivals;
  }

  /** A holder told to come back at `atMs` (monotonic). */
  book(atMs: number, now: number): void {
    this.#carry(now);
    const slot = Math.floor(atMs / this.#slotMs);
    const ahead = slot - this.#slot;
    if (ahead < 0 || ahead >= this.#booked.length) return;
    const index = slot % this.#booked.length;
    this.#booked[index] = (this.#booked[index] as number) + 1;
  }

  /** A request read; `fresh`: a newcomer (no ticket). */
  noteRead(fresh: boolean): void {
    this.#windowReads++;
    if (fresh) this.#windowNew++;
  }

  /** `count` claims were answered from memory, in front of the room. */
  noteFromMemory(count: number): void {
    if (count > 0) this.#windowMemory += count;
  }

  /**
   * When a campaign whose budget is spent at `spentAtMs` (monotonic, at the rate its claims are
   * decided) is foreseen sold out: once its last claims have waited the queue they meet, and
   * `lateMs` more. From then on its crowd, the returns of those past its budget among them, is
   * answered from memory, faster than claims (after the sell-out of the crowd of the targets,
   * returns waited 1-1.7 s less than a queue read at the claims' rate;
   * docs/decisions/0058-estimates-that-count-the-start.md).
   */
  sellOutAt(spentAtMs: number, now: number, lateMs: number): number {
    // The claims before the sell-out are read at the claims' rate, whatever was foreseen before.
    this.#memorySlot = Number.POSITIVE_INFINITY;
    const at = spentAtMs + Math.max(0, this.delayAt(spentAtMs, now) + lateMs);
    this.#memorySlot = Math.floor(at / this.#slotMs);
    return at;
  }

  /**
   * Once a window: what was read in it sets the rates. What the server takes is, given `busy`
   * (the share of the window the event loop worked), what it read over that share, averaged
   * over a few windows: steady whether the server reads all that arrives or all it can. Without
   * it, the most it read a second (while a queue waits unseen it reads all it can), or
   * `capacityHint`, the crowd gate's figure for turns full of claims (NaN while unknown),
   * whichever is more; that figure went from 2 000 to 48 000 a second within one crowd, and
   * the queue foreseen for the pre-queue with it was short by half
   * (docs/decisions/0061-estimates-before-the-start.md).
   */
  measure(elapsedMs: number, capacityHint: number, now = Number.NaN, busy = Number.NaN): void {
    if (elapsedMs <= 0) return;
    const reads = (this.#windowReads * 1000) / elapsedMs;
    const fresh = (this.#windowNew * 1000) / elapsedMs;
    const hint = Number.isFinite(capacityHint) && capacityHint > 0 ? capacityHint : 0;
    if (!Number.isFinite(busy)) {
      this.#capacity = Math.max(reads, hint, this.#capacity * PEAK_FADE);
      this.#arrivals = Math.max(fresh, this.#arrivals * PEAK_FADE);
    } else {
      // Newcomers averaged as the capacity is: a peak of them against an average of what is read
      // foresaw a queue growing all through a pre-queue that the server kept level with (three
      // seconds of estimates 1-3 s too long).
      if (busy >= BUSY_MIN && reads > 0) {
        this.#capacity = this.#averaged(this.#capacity, reads / Math.min(1, busy));
        this.#arrivals = this.#quiet ? fresh : this.#averaged(this.#arrivals, fresh);
        this.#quiet = false;
      } else {
        // A loop nearly idle reads what arrives as it arrives. Averaged from there, the first
        // windows of a crowd were told a fraction of its newcomers: the pre-queue's first
        // 300 ms of joiners counted few to join after them (the first 100 ms told 0-0.4 s past
        // Retry-After where 0.9-2.9 s came).
        this.#arrivals = fresh;
        this.#quiet = true;
      }
    }
    this.#fromMemory = Math.max((this.#windowMemory * 1000) / elapsedMs, this.#fromMemory * PEAK_FADE);
    // Past the sell-out foreseen, the room still reading more than memory answers: it did not
    // come (or a new crowd began), and claims are read at their own rate again.
    if (Math.floor(now / this.#slotMs) >= this.#memorySlot && this.#windowReads > this.#windowMemory)
      this.#memorySlot = Number.POSITIVE_INFINITY;
    this.#windowReads = 0;
    this.#windowNew = 0;
    this.#windowMemory = 0;
  }

  #averaged(average: number, measured: number): number {
    return average === 0 ? measured : average + (measured - average) * BUSY_WEIGHT;
  }

  /**
   * The wait the model had for a request sent at `atMs` (monotonic, passed), as it stood once
   * that slot was reached: what a return due then is compared with. NaN when too long ago.
   */
  delayWas(atMs: number, now: number): number {
    this.#carry(now);
    const slot = Math.floor(atMs / this.#slotMs);
    if (slot >= this.#slot) return this.delayAt(atMs, now);
    if (this.#slot - slot >= this.#past.length) return Number.NaN;
    return this.#past[slot % this.#past.length] as number;
  }

  /**
   * How long a request sent at `atMs` (monotonic, not before `now`) waits before it is read, ms.
   * `foreseen`: returns not booked yet but expected, per slot from its start instant (a
   * pre-queue still filling: those who join later will be told instants too, and their returns
   * meet the ones booked).
   */
  delayAt(atMs: number, now: number, foreseen?: Foreseen): number {
    this.#carry(now);
    if (this.#capacity <= 0) return 0;
    const target = Math.floor(atMs / this.#slotMs);
    let queued = this.#queued;
    const last = Math.min(target, this.#slot + this.#booked.length - 1);
    for (let slot = this.#slot; slot < last; slot++)
      queued = this.#after(queued, slot, foreseen?.(slot * this.#slotMs, this.#slotMs) ?? 0);
    return (queued / this.#readsAt(last)) * 1000;
  }

  /** Requests a second the server reads in `slot`: claims, or answers from memory past the sell-out. */
  #readsAt(slot: number): number {
    if (slot < this.#memorySlot) return this.#capacity;
    return Math.max(this.#fromMemory, this.#capacity * MEMORY_SPEEDUP);
  }

  /** Moves the model's queue to the slot of `now`, clearing the slots it leaves. */
  #carry(now: number): void {
    const slot = Math.floor(now / this.#slotMs);
    if (Number.isNaN(this.#slot)) {
      this.#slot = slot;
      return;
    }
    // Far behind (an idle server): nothing booked is left, and whatever queued has drained.
    if (slot - this.#slot >= this.#booked.length) {
      this.#booked.fill(0);
      this.#past.fill(0);
      this.#queued = 0;
      this.#memorySlot = Number.POSITIVE_INFINITY;
      this.#slot = slot;
      return;
    }
    while (this.#slot < slot) {
      this.#past[this.#slot % this.#past.length] =
        this.#capacity > 0 ? (this.#queued / this.#readsAt(this.#slot)) * 1000 : 0;
      this.#queued = this.#after(this.#queued, this.#slot);
      this.#booked[this.#slot % this.#booked.length] = 0;
      this.#slot++;
    }
  }

  /** The queue at the end of `slot`: what was queued, plus what is due in it, less what is read in it. */
  #after(queued: number, slot: number, foreseen = 0): number {
    const seconds = this.#slotMs / 1000;
    const due = (this.#booked[slot % this.#booked.length] as number) + foreseen + this.#arrivals * seconds;
    return Math.max(0, queued + due - this.#readsAt(slot) * seconds);
  }
}
