/**
 * The crowd's side of the waiting room: each person keeps the ticket they were given and
 * comes back with it when told (`retryAfterMs`), and what each person lived through is kept
 * in typed arrays: when the first answer came (a result or a place), the first estimate of
 * the wait, when the final answer came, the pre-queue joining number and the place told after
 * the draw. From them: tap to first answer, tap to final answer, how far estimates were off,
 * the order of winners against the order of arrivals, and the draw checked for every winner.
 */
import { readTicket } from "../../api/queue-ticket.js";
import { checkDraw } from "../verify-draw.js";
import { type LatencySummary, newHistogram, recordMs, summarize } from "./stats.js";

/** Returns with a ticket per person at most (a server that never decides cannot keep the crowd forever). */
export const RETURNS_MAX = 1_000;
const TICKET_FIELD = /"ticket"\s*:\s*"([A-Za-z0-9_.-]{1,400})"/;

export interface WaitingRoomSummary {
  /** People given a place at least once, and how often they came back with it (requests sent). */
  readonly peopleWithTicket: number;
  readonly preQueued: number;
  readonly returns: number;
  /** From tapping (the arrival instant) to the first answer of any kind: a result or a place. */
  readonly firstAnswer: LatencySummary;
  /** From tapping to the final answer. */
  readonly finalAnswer: LatencySummary;
  /** ms after the start when the first "sold out" was heard; null if never. */
  readonly soldOutAtMs: number | null;
  /** For those answered after it: final answer minus the later of sell-out and their tap. */
  readonly finalAfterSoldOut: LatencySummary;
  /** Those given a place after the start: first estimate against the wait they had to the final answer. */
  readonly estimates: EstimateSummary;
  /** The same for those given a place in the pre-queue (told to come back after the start). */
  readonly preQueueEstimates: EstimateSummary;
  /** Winners not from the pre-queue, by tap: how many won later than someone who tapped after them, beyond a margin. */
  readonly winOrder: {
    readonly winners: number;
    readonly overtakenBy100ms: number;
    readonly overtakenBy1s: number;
  };
  /** The pre-queue draw, checked from the revealed seed for every winner from the pre-queue. */
  readonly draw: {
    readonly checked: boolean;
    readonly problem: string | null;
    readonly preQueueSize: number;
    readonly winnersFromPreQueue: number;
    /** Winners whose told place was not their drawn place. */
    readonly placeMismatches: number;
    /** Pre-queue winners, by drawn place, who won more than 1 s after one drawn behind them. */
    readonly outOfDrawOrder: number;
  } | null;
}

/** Estimates against the waits had: from the first place's answer to the final answer, both as the person saw them. */
export interface EstimateSummary {
  readonly count: number;
  readonly within20Percent: number;
  readonly share: number;
  /** The wait had divided by the estimate, at the 10th, 50th and 90th percentile. */
  readonly ratioP10: number;
  readonly ratioP50: number;
  readonly ratioP90: number;
}

export class TicketBook {
  readonly tickets: (string | undefined)[];
  readonly firstAnswerAt: Float64Array;
  readonly finalAt: Float64Array;
  readonly ticketAt: Float64Array;
  readonly estimateMs: Float64Array;
  readonly preNumber: Int32Array;
  readonly toldPlace: Int32Array;
  readonly returns: Uint16Array;
  /** The first place's Retry-After and position (for the per-person file). */
  readonly firstRetryMs: Float64Array;
  readonly firstPosition: Int32Array;
  /** The last attempt: when it was due (a tap, or a return when told) and when a connection wrote it. */
  readonly lastDueAt: Float64Array;
  readonly lastWrittenAt: Float64Array;
  soldOutAt = Number.NaN;
  peopleWithTicket = 0;
  returnsTotal = 0;

  constructor(users: number) {
    this.tickets = new Array(users);
    this.firstAnswerAt = new Float64Array(users).fill(Number.NaN);
    this.finalAt = new Float64Array(users).fill(Number.NaN);
    this.ticketAt = new Float64Array(users).fill(Number.NaN);
    this.estimateMs = new Float64Array(users).fill(Number.NaN);
    this.preNumber = new Int32Array(users).fill(-1);
    this.toldPlace = new Int32Array(users);
    this.returns = new Uint16Array(users);
    this.firstRetryMs = new Float64Array(users).fill(Number.NaN);
    this.firstPosition = new Int32Array(users);
    this.lastDueAt = new Float64Array(users).fill(Number.NaN);
    this.lastWrittenAt = new Float64Array(users).fill(Number.NaN);
  }

  /** Notes an attempt's due and write instants, before its answer is noted. */
  attempt(user: number, dueAt: number, writtenAt: number): void {
    this.lastDueAt[user] = dueAt;
    this.lastWrittenAt[user] = writtenAt;
  }

  /** Notes any answer; for a place in line, returns after how many ms to come back (else undefined). */
  answered(user: number, status: number, body: Buffer, at: number, soldOut: boolean): number | undefined {
    if (Number.isNaN(this.firstAnswerAt[user] as number)) this.firstAnswerAt[user] = at;
    if (soldOut && Number.isNaN(this.soldOutAt)) this.soldOutAt = at;
    if (status !== 503 && status !== 425) {
      this.tickets[user] = undefined;
      return undefined;
    }
    const text = body.toString("latin1");
    const found = TICKET_FIELD.exec(text);
    if (found === null) return undefined;
    let place: {
      retryAfterMs?: number;
      estimatedWaitSeconds?: number;
      place?: number | null;
      position?: number | null;
      line?: string;
    };
    try {
      place = JSON.parse(text);
    } catch {
      return undefined;
    }
    if ((this.returns[user] as number) >= RETURNS_MAX) return undefined;
    const ticket = found[1] as string;
    this.tickets[user] = ticket;
    this.returns[user] = (this.returns[user] as number) + 1;
    if (Number.isNaN(this.ticketAt[user] as number)) {
      this.peopleWithTicket++;
      this.ticketAt[user] = at;
      this.estimateMs[user] = (place.estimatedWaitSeconds ?? 0) * 1000;
      this.firstRetryMs[user] = place.retryAfterMs ?? Number.NaN;
      this.firstPosition[user] = place.position ?? 0;
    }
    if (place.line === "pre" && (this.preNumber[user] as number) < 0)
      this.preNumber[user] = readTicket(ticket)?.number ?? -1;
    if (typeof place.place === "number") this.toldPlace[user] = place.place;
    return Math.max(0, place.retryAfterMs ?? 1_000);
  }

  finalized(user: number, at: number): void {
    this.finalAt[user] = at;
    this.tickets[user] = undefined;
  }

  /** `won[user]` true for a 200; `arrivals` ms after the start; `draw` the campaign's revealed draw, if any. */
  summary(
    arrivals: Float64Array,
    startPerf: number,
    won: (user: number) => boolean,
    draw: { seedHash: string; seed?: string; preQueueSize?: number } | undefined,
  ): WaitingRoomSummary {
    const first = newHistogram();
    const final = newHistogram();
    const afterSoldOut = newHistogram();
    const after = new EstimateTally();
    const before = new EstimateTally();
    let preQueued = 0;
    const winners: number[] = [];
    const preWinners: number[] = [];
    for (let user = 0; user < arrivals.length; user++) {
      const tap = startPerf + (arrivals[user] as number);
      const firstAt = this.firstAnswerAt[user] as number;
      const finalAt = this.finalAt[user] as number;
      if (!Number.isNaN(firstAt)) recordMs(first, firstAt - tap);
      if (!Number.isNaN(finalAt)) {
        recordMs(final, finalAt - tap);
        if (!Number.isNaN(this.soldOutAt) && finalAt >= this.soldOutAt)
          recordMs(afterSoldOut, finalAt - Math.max(this.soldOutAt, tap));
      }
      if ((this.preNumber[user] as number) >= 0) preQueued++;
      const estimate = this.estimateMs[user] as number;
      if (!Number.isNaN(estimate) && !Number.isNaN(finalAt) && estimate > 0) {
        const tally = (this.preNumber[user] as number) < 0 ? after : before;
        tally.add(estimate, finalAt - (this.ticketAt[user] as number));
      }
      if (won(user) && !Number.isNaN(finalAt)) {
        if ((this.preNumber[user] as number) >= 0) preWinners.push(user);
        else winners.push(user);
      }
    }
    // Arrivals are sorted, so winners are in tap order already.
    const overtaken = (margin: number) => {
      let latest = Number.NEGATIVE_INFINITY;
      let count = 0;
      for (const user of winners) {
        const at = this.finalAt[user] as number;
        if (at < latest - margin) count++;
        latest = Math.max(latest, at);
      }
      return count;
    };
    return {
      peopleWithTicket: this.peopleWithTicket,
      preQueued,
      returns: this.returnsTotal,
      firstAnswer: summarize(first),
      finalAnswer: summarize(final),
      soldOutAtMs: Number.isNaN(this.soldOutAt) ? null : Math.round(this.soldOutAt - startPerf),
      finalAfterSoldOut: summarize(afterSoldOut),
      estimates: after.summary(),
      preQueueEstimates: before.summary(),
      winOrder: { winners: winners.length, overtakenBy100ms: overtaken(100), overtakenBy1s: overtaken(1_000) },
      draw: draw === undefined ? null : this.#checkDraw(draw, preWinners),
    };
  }

  /**
   * Everyone who held a place, one CSV line each, instants in ms after the start: when they
   * tapped, got their first place, its estimate and Retry-After, when their last attempt was due
   * and written, and when its answer (the final one) came. `outcome` names the final answer.
   */
  *peopleCsv(arrivals: Float64Array, startPerf: number, outcome: (user: number) => string): Generator<string> {
    yield "user,tap_ms,pre_number,first_answer_ms,ticket_ms,estimate_ms,retry_ms,position,place,returns,last_due_ms,last_written_ms,final_ms,outcome";
    const at = (instant: number) => (Number.isNaN(instant) ? "" : (instant - startPerf).toFixed(1));
    for (let user = 0; user < arrivals.length; user++) {
      if (Number.isNaN(this.ticketAt[user] as number)) continue;
      yield [
        user,
        (arrivals[user] as number).toFixed(1),
        this.preNumber[user],
        at(this.firstAnswerAt[user] as number),
        at(this.ticketAt[user] as number),
        this.estimateMs[user],
        this.firstRetryMs[user],
        this.firstPosition[user],
        this.toldPlace[user],
        this.returns[user],
        at(this.lastDueAt[user] as number),
        at(this.lastWrittenAt[user] as number),
        at(this.finalAt[user] as number),
        outcome(user),
      ].join(",");
    }
  }

  #checkDraw(draw: { seedHash: string; seed?: string; preQueueSize?: number }, preWinners: number[]) {
    const checked = checkDraw(draw);
    const base = { preQueueSize: draw.preQueueSize ?? 0, winnersFromPreQueue: preWinners.length };
    if (!checked.ok)
      return { checked: false, problem: checked.problem, ...base, placeMismatches: 0, outOfDrawOrder: 0 };
    const drawn = (user: number) => (checked.order[this.preNumber[user] as number] ?? Number.NaN) + 1;
    let mismatches = 0;
    for (const user of preWinners) {
      const told = this.toldPlace[user] as number;
      if (Number.isNaN(drawn(user)) || (told > 0 && told !== drawn(user))) mismatches++;
    }
    const byPlace = [...preWinners].sort((a, b) => drawn(a) - drawn(b));
    let latest = Number.NEGATIVE_INFINITY;
    let outOfOrder = 0;
    for (const user of byPlace) {
      const at = this.finalAt[user] as number;
      if (at < latest - 1_000) outOfOrder++;
      latest = Math.max(latest, at);
    }
    return { checked: true, problem: null, ...base, placeMismatches: mismatches, outOfDrawOrder: outOfOrder };
  }
}

class EstimateTally {
  count = 0;
  within = 0;
  readonly ratios: number[] = [];

  add(estimateMs: number, hadMs: number): void {
    this.count++;
    if (this.ratios.length < 1_000_000) this.ratios.push(hadMs / estimateMs);
    if (Math.abs(hadMs - estimateMs) <= 0.2 * estimateMs) this.within++;
  }

  summary(): EstimateSummary {
    const { count, within } = this;
    return {
      count,
      within20Percent: within,
      share: count === 0 ? 0 : within / count,
      ...ratioPercentiles(this.ratios),
    };
  }
}

function ratioPercentiles(ratios: number[]) {
  ratios.sort((a, b) => a - b);
  const at = (q: number) =>
    ratios.length === 0
      ? 0
      : Math.round((ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))] as number) * 100) / 100;
  return { ratioP10: at(0.1), ratioP50: at(0.5), ratioP90: at(0.9) };
}
