import type { Socket } from "node:net";

export interface CrowdGateOptions {
  /** How long one turn of the event loop may take while claims wait (a transfer waits about this). */
  readonly targetTurnMs?: number;
  /** Claims handled in one turn at most; the budget starts here and never exceeds it. */
  readonly budgetMax?: number;
  /** Claims handled in one turn at least, however slow turns are: waiting claims always move. */
  readonly budgetMin?: number;
  /** A claim that waited longer than this is answered "busy, retry" instead of being decided. */
  readonly waitMaxMs?: number;
  readonly clock?: () => number;
  /** Runs the end of a turn once the sockets ready now have been read; tests end turns by hand. */
  readonly afterTurn?: (endTurn: () => void) => void;
}

/** What `stats` reports, for metrics. */
export interface CrowdGateStats {
  /** How long the last turn that handled claims took, in ms. */
  readonly turnMs: number;
  readonly budget: number;
  readonly waiting: number;
  readonly parkedTotal: number;
}

/** How a claim that waited is let through: `late` when it waited past `waitMaxMs`. */
export type GatedClaim = (late: boolean) => void;

/** The slice of a TCP handle the gate uses: libuv's read stop and start. */
interface ReadableHandle {
  readStop(): number;
  readStart(): number;
}

/** How long a slow turn keeps the gate counting as overloaded. */
const OVERLOAD_MEMORY_MS = 1_000;

type HandledSocket = Socket & { _handle?: Partial<ReadableHandle> | null };

interface Waiting {
  readonly socket: HandledSocket;
  readonly run: GatedClaim;
  readonly since: number;
}

/**
 * Admission for the event loop. A flash crowd's claims cost little each, but ten thousand
 * connections with a claim ready make one turn of the event loop last hundreds of
 * milliseconds, and a transfer read in that turn waits as long, whatever its priority in
 * the engine. So claims get a budget per turn: a claim over it is not decided now; its
 * connection is parked (the server stops reading it, so its next requests wait in the
 * kernel's buffer at no cost to the loop) and the claim waits in arrival order. At the end
 * of each turn (`setImmediate`) the budget is set from how long the turn took — what the
 * turn's claims would have taken at `targetTurnMs` when it was slower, an eighth more when
 * it was not — and that many waiting claims are decided and their connections read again.
 * Connections that bring no claim are never parked, so transfers and packets always find
 * a short loop. A claim that waited past `waitMaxMs` is answered 503 with a Retry-After at
 * once: it never waits longer.
 */
export class CrowdGate {
  readonly #targetTurnMs: number;
  readonly #budgetMax: number;
  readonly #budgetMin: number;
  readonly #waitMaxMs: number;
  readonly #now: () => number;
  readonly #afterTurn: (endTurn: () => void) => void;
  #enabled = false;
  #budget: number;
  #used = 0;
  #turnStartedAt = 0;
  #turnMs = 0;
  #turnEndedAt = Number.NEGATIVE_INFINITY;
  #turnScheduled = false;
  readonly #waiting: (Waiting | undefined)[] = [];
  #head = 0;
  #parkedTotal = 0;

  constructor(options: CrowdGateOptions = {}) {
    this.#targetTurnMs = options.targetTurnMs ?? 10;
    this.#budgetMax = options.budgetMax ?? 256;
    this.#budgetMin = Math.min(options.budgetMin ?? 16, this.#budgetMax);
    this.#waitMaxMs = options.waitMaxMs ?? 1_000;
    this.#now = options.clock ?? (() => performance.now());
    this.#afterTurn = options.afterTurn ?? ((endTurn) => setImmediate(endTurn));
    this.#budget = this.#budgetMax;
  }

  /** Starts gating; until then (and with isolation off) every claim runs at once. */
  start(): void {
    this.#enabled = true;
  }

  /** Lets every waiting claim through and stops gating (shutdown answers or closes them). */
  stop(): void {
    this.#enabled = false;
    this.#release(Number.POSITIVE_INFINITY);
  }

  /** Decides `run` now if this turn's budget allows, else parks `socket` and queues `run`. */
  admit(socket: Socket, run: GatedClaim): void {
    if (!this.#enabled) {
      run(false);
      return;
    }
    if (this.#used === 0) this.#beginTurn();
    if (this.#used < this.#budget) {
      this.#used++;
      run(false);
      return;
    }
    const handled = socket as HandledSocket;
    handled._handle?.readStop?.();
    this.#waiting.push({ socket: handled, run, since: this.#now() });
    this.#parkedTotal++;
  }

  /**
   * Whether the crowd is more than the loop can take right now: claims are waiting, or the
   * last turn that handled claims overran its target less than a second ago. Reads, the
   * lowest class, are shed while this holds.
   */
  get overloaded(): boolean {
    if (!this.#enabled) return false;
    if (this.waiting > 0) return true;
    return this.#turnMs > this.#targetTurnMs && this.#now() - this.#turnEndedAt < OVERLOAD_MEMORY_MS;
  }

  get stats(): CrowdGateStats {
    return { turnMs: this.#turnMs, budget: this.#budget, waiting: this.waiting, parkedTotal: this.#parkedTotal };
  }

  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  #beginTurn(): void {
    this.#turnStartedAt = this.#now();
    if (!this.#turnScheduled) {
      this.#turnScheduled = true;
      this.#afterTurn(() => this.#endTurn());
    }
  }

  #endTurn(): void {
    this.#turnScheduled = false;
    const now = this.#now();
    const took = now - this.#turnStartedAt;
    this.#turnMs = took;
    this.#turnEndedAt = now;
    if (took > this.#targetTurnMs && this.#used > 0) {
      const fitting = Math.floor((this.#used * this.#targetTurnMs) / took);
      this.#budget = Math.max(this.#budgetMin, Math.min(this.#budget, fitting));
    } else {
      this.#budget = Math.min(this.#budgetMax, this.#budget + Math.max(1, this.#budget >> 3));
    }
    this.#used = 0;
    if (this.waiting > 0) {
      this.#beginTurn();
      this.#release(this.#budget);
    }
  }

  #release(count: number): void {
    const now = this.#now();
    while (this.#used < count && this.#head < this.#waiting.length) {
      const waiting = this.#waiting[this.#head] as Waiting;
      this.#waiting[this.#head++] = undefined;
      if (waiting.socket.destroyed) continue;
      const late = now - waiting.since > this.#waitMaxMs;
      // A late claim is only answered "retry": a quarter of the work of deciding one.
      this.#used += late ? 0.25 : 1;
      waiting.socket._handle?.readStart?.();
      waiting.run(late);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
