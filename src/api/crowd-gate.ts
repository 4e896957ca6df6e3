export interface CrowdGateOptions {
  /** How long one turn of the event loop may take while claims wait (a transfer waits about this). */
  readonly targetTurnMs?: number;
  /** Claims handled in one turn at most; the budget starts here and never exceeds it. */
  readonly budgetMax?: number;
  /** Claims handled in one turn at least, however slow turns are: waiting claims always move. */
  readonly budgetMin?: number;
  /** A claim that waited longer than this is answered "busy, retry" unless memory decides it. */
  readonly waitMaxMs?: number;
  /** Claims that may wait at once; past it a claim is treated as late at once. */
  readonly waitingMax?: number;
  readonly clock?: () => number;
  /** Runs the end of a turn once the sockets ready now have been read; tests end turns by hand. */
  readonly afterTurn?: (endTurn: () => void) => void;
  /**
   * The server's share of a person's first-answer budget, in ms. A claim is let through as
   * late (answered from memory or with a place in line, at once) when the wait it would have
   * at the gate, plus the time its bytes may have waited unread (the last turn's length),
   * passes it: at arrival, from the queue ahead and the rate the gate lets claims through;
   * at release, from the wait it had. Undefined: only `waitMaxMs` bounds the wait.
   */
  readonly answerWithinMs?: number;
  /** Told how long each claim waited at the gate, in ms (0 when it had budget at once), whatever its verdict. */
  readonly observeWait?: (waitedMs: number) => void;
}

/** What `stats` reports, for metrics. */
export interface CrowdGateStats {
  /** How long the last turn that handled claims took, in ms. */
  readonly turnMs: number;
  readonly budget: number;
  readonly waiting: number;
  readonly parkedTotal: number;
  /** Connections the gate stopped reading since start (clients that pipeline claims). */
  readonly stoppedTotal: number;
  /** Claims let through as late at arrival, because the queue ahead would outlast `answerWithinMs`. */
  readonly lateAtOnceTotal: number;
  /** Claims a second the loop was measured to let through in turns full of them (NaN until measured). */
  readonly claimsPerSecond: number;
}

/**
 * How a claim is let through: `now` (decide it), `late` (it waited past `waitMaxMs`, or the
 * queue was full: answer it only if memory can, else 503 + Retry-After), or `gone` (its
 * connection closed while it waited: nobody is listening, decide nothing).
 */
export type GateVerdict = "now" | "late" | "gone";
export type GatedClaim = (verdict: GateVerdict) => void;

/**
 * What the gate needs of a claim's connection: whether it closed. A node:http socket is one
 * (and is also stopped from reading while it pipelines); Bun.serve's requests give their own.
 */
export interface GatePeer {
  readonly destroyed: boolean;
}

/**
 * The slice of a TCP handle the gate uses: libuv's read stop and start, and the `reading`
 * flag net.Socket keeps beside them (its own pause and resume read and write it too).
 */
interface ReadableHandle {
  reading: boolean;
  readStop(): number;
  readStart(): number;
}

/** Each full turn moves the measured claims a second this far toward its own. */
const CAPACITY_WEIGHT = 1 / 16;
/** Turns further apart than this were not back to back: the loop was idle between them. */
const CAPACITY_GAP_MS = 250;

/** How long a slow turn keeps the gate counting as overloaded. */
export const OVERLOAD_MEMORY_MS = 1_000;

/** `_paused` is node:http's own mark of a socket it has paused (answers backed up). */
type HandledSocket = GatePeer & { _handle?: Partial<ReadableHandle> | null; _paused?: boolean };

interface Waiting {
  readonly socket: HandledSocket;
  readonly run: GatedClaim;
  readonly since: number;
  /** A holder back with its ticket: its first answer was given, so the first-answer budget does not apply. */
  readonly paced: boolean;
}

/**
 * Admission for the event loop. A flash crowd's claims cost little each, but ten thousand
 * connections with a claim ready make one turn of the event loop last hundreds of
 * milliseconds, and a transfer read in that turn waits as long, whatever its priority in
 * the engine. So claims get a budget per turn: a claim over it is not decided now; it
 * waits in arrival order, and a connection that pipelines more claims behind it is parked
 * (the server stops reading it, so its next requests wait in the kernel's buffer at no cost
 * to the loop). At the end
 * of each turn (`setImmediate`) the budget is set from how long the turn took — what the
 * turn's claims would have taken at `targetTurnMs` when it was slower, an eighth more when
 * it was not — and that many waiting claims are decided (parked connections are read again).
 * Connections that bring no claim are never parked, so transfers and packets always find
 * a short loop. A claim that waited past `waitMaxMs` when its turn comes is let through as
 * late: answered from memory when memory can (sold out, already claimed …), else 503 with a
 * Retry-After, never queued for the engine. The queue holds at most `waitingMax` claims.
 */
export class CrowdGate {
  readonly #targetTurnMs: number;
  readonly #budgetMax: number;
  readonly #budgetMin: number;
  readonly #waitMaxMs: number;
  readonly #answerWithinMs: number;
  readonly #waitingMax: number;
  readonly #now: () => number;
  readonly #afterTurn: (endTurn: () => void) => void;
  readonly #observeWait: (waitedMs: number) => void;
  #enabled = false;
  #budget: number;
  #used = 0;
  #turnStartedAt = 0;
  #turnMs = 0;
  #turnEndedAt = Number.NEGATIVE_INFINITY;
  #turnScheduled = false;
  readonly #waiting: (Waiting | undefined)[] = [];
  /** Claims waiting per parked socket (more than one only when a client pipelines). */
  readonly #parkedSockets = new Map<HandledSocket, number>();
  /** Parked sockets the gate stopped reading (those with more than one claim waiting). */
  readonly #stopped = new Set<HandledSocket>();
  #head = 0;
  #parkedTotal = 0;
  #stoppedTotal = 0;
  #lateAtOnceTotal = 0;
  #claimsPerSecond = Number.NaN;

  constructor(options: CrowdGateOptions = {}) {
    this.#targetTurnMs = positive("targetTurnMs", options.targetTurnMs ?? 10);
    this.#budgetMax = whole("budgetMax", options.budgetMax ?? 256);
    this.#budgetMin = Math.min(whole("budgetMin", options.budgetMin ?? 16), this.#budgetMax);
    this.#waitMaxMs = positive("waitMaxMs", options.waitMaxMs ?? 3_000, true);
    this.#waitingMax = whole("waitingMax", options.waitingMax ?? 100_000);
    this.#answerWithinMs =
      options.answerWithinMs === undefined
        ? Number.POSITIVE_INFINITY
        : positive("answerWithinMs", options.answerWithinMs);
    this.#now = options.clock ?? (() => performance.now());
    this.#afterTurn = options.afterTurn ?? ((endTurn) => setImmediate(endTurn));
    this.#observeWait = options.observeWait ?? (() => {});
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

  /**
   * Decides `run` now if this turn's budget allows, else parks `peer` and queues `run`.
   * `paced`: a holder back with its waiting-room ticket, at the time it was told. With a
   * first-answer budget such claims go through at once (they count in the turn's budget):
   * the room already paces them at the rate it admits places, and one held at the gate holds
   * its client's connection, so the arrivals behind it wait where the server cannot see them.
   * The header is not checked here (the claim checks it), so paced claims get at most one more
   * budget a turn: a flood of made-up tickets can double a turn's work, never more, and past
   * that waits like anyone.
   */
  admit(peer: GatePeer, run: GatedClaim, paced = false): void {
    if (!this.#enabled) {
      run("now");
      return;
    }
    if (this.#used === 0) this.#beginTurn();
    const pacedRoom = paced && this.#answerWithinMs !== Number.POSITIVE_INFINITY && this.#used < 2 * this.#budget;
    if (this.#used < this.#budget || pacedRoom) {
      this.#used++;
      this.#observeWait(0);
      run("now");
      return;
    }
    if (this.waiting >= this.#waitingMax || (!paced && this.#queueOutlasts())) {
      if (this.waiting < this.#waitingMax) this.#lateAtOnceTotal++;
      this.#used += LATE_COST;
      this.#observeWait(0);
      run("late");
      return;
    }
    const handled = peer as HandledSocket;
    this.#park(handled);
    this.#waiting.push({ socket: handled, run, since: this.#now(), paced });
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

  /**
   * Whether a claim queued now would get its answer past `answerWithinMs`: the claims ahead
   * go through `budget` a turn, each turn about as long as the last, and the claim's own bytes
   * may have waited a turn unread before this one read them.
   */
  #queueOutlasts(): boolean {
    if (this.#answerWithinMs === Number.POSITIVE_INFINITY) return false;
    const turns = Math.ceil((this.waiting + 1) / Math.max(1, this.#budget));
    return (turns + 1) * this.#turnMs > this.#answerWithinMs;
  }

  get stats(): CrowdGateStats {
    return {
      lateAtOnceTotal: this.#lateAtOnceTotal,
      claimsPerSecond: this.#claimsPerSecond,
      turnMs: this.#turnMs,
      budget: this.#budget,
      waiting: this.waiting,
      parkedTotal: this.#parkedTotal,
      stoppedTotal: this.#stoppedTotal,
    };
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
    // A turn that used its whole budget, right after another, ran as many claims as the loop
    // would take: so many over the whole loop (its other phases too, commits among them) since
    // the last turn ended is what the loop can do now; the waiting room admits at about that.
    const loopMs = now - this.#turnEndedAt;
    this.#turnEndedAt = now;
    if (this.#used >= this.#budget && loopMs > 0 && loopMs < CAPACITY_GAP_MS) {
      const perSecond = (this.#used * 1000) / loopMs;
      this.#claimsPerSecond = Number.isNaN(this.#claimsPerSecond)
        ? perSecond
        : this.#claimsPerSecond + (perSecond - this.#claimsPerSecond) * CAPACITY_WEIGHT;
    }
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
      this.#unpark(waiting.socket);
      const waitedMs = now - waiting.since;
      this.#observeWait(waitedMs);
      if (waiting.socket.destroyed) {
        waiting.run("gone");
        continue;
      }
      const late = waitedMs > this.#waitMaxMs || (!waiting.paced && waitedMs + this.#turnMs > this.#answerWithinMs);
      this.#used += late ? LATE_COST : 1;
      waiting.run(late ? "late" : "now");
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /**
   * Counts a waiting claim of `socket`, and stops reading it, as net.Socket's own pause does
   * (keeping its `reading` flag true), once a second claim of it waits. A connection's first
   * claim waits with the connection still read: a client that waits for its answer sends
   * nothing more meanwhile, and stopping and restarting the read would cost the loop three
   * system calls per claim. A client that pipelines is stopped at its second waiting claim,
   * and its further requests wait in the kernel's buffer.
   */
  #park(socket: HandledSocket): void {
    const parked = (this.#parkedSockets.get(socket) ?? 0) + 1;
    this.#parkedSockets.set(socket, parked);
    if (parked !== 2) return;
    const handle = socket._handle;
    if (handle == null || typeof handle.readStop !== "function" || handle.reading === false) return;
    handle.reading = false;
    handle.readStop();
    this.#stopped.add(socket);
    this.#stoppedTotal++;
  }

  /**
   * Reads `socket` again once its last waiting claim is let through, if the gate stopped it,
   * unless node:http has paused it itself (its answers backed up): node:http resumes it when
   * they drain, and starting it under a paused parser would break the connection.
   */
  #unpark(socket: HandledSocket): void {
    const parked = (this.#parkedSockets.get(socket) ?? 1) - 1;
    if (parked > 0) {
      this.#parkedSockets.set(socket, parked);
      return;
    }
    this.#parkedSockets.delete(socket);
    if (!this.#stopped.delete(socket)) return;
    const handle = socket._handle;
    if (socket.destroyed || socket._paused === true || handle == null || handle.reading !== false) return;
    if (typeof handle.readStart !== "function") return;
    handle.reading = true;
    handle.readStart();
  }
}

/** A late claim is answered from memory or "retry": about a quarter of the work of deciding one. */
const LATE_COST = 0.25;

function whole(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`crowd gate: ${name} must be a whole number ≥ 1`);
  return value;
}

function positive(name: string, value: number, zeroAllowed = false): number {
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed))
    throw new RangeError(`crowd gate: ${name} must be a finite number${zeroAllowed ? " ≥ 0" : " > 0"}`);
  return value;
}
