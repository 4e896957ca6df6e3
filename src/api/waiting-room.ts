import { createHmac, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { DRAW_SEED_BYTES, drawFractions, drawOrder, drawSeedHash, PRE_QUEUE_MAX } from "../domain/draw.js";
import type { ErrorCode } from "../domain/errors.js";
import { type QueueTicket, TicketSigner } from "./queue-ticket.js";
import { type Foreseen, ReturnLoad } from "./return-load.js";

/**
 * The waiting room in front of a campaign's claims. A claim that cannot be decided at once
 * is answered at once with a signed ticket (src/api/queue-ticket.ts): its place in line, an
 * estimated wait and when to come back. The server keeps per campaign only counters: places
 * given (`issued`) and places whose turn has come (`admitted`, which moves at the measured
 * rate claims are decided). Before the start, askers join the pre-queue (one place per
 * user); at the start it is drawn in a random order from the campaign's committed seed,
 * and its places come before everyone who asks after the start, who line up by arrival.
 */
export interface WaitingRoomOptions {
  /** Keys: one signs tickets, one makes each campaign's draw seed. */
  readonly ticketKey: Buffer;
  readonly seedKey: Buffer;
  /** The wall clock (ms since the epoch): the campaign's start and arrival instants. */
  readonly now: () => number;
  /** A monotonic clock in ms: how far `admitted` moves. */
  readonly monotonic?: () => number;
  /** Whether the writer is past its target (or, with a first-answer budget, the loop): the line then slows. */
  readonly pressure: () => boolean;
  /** Places admitted per second until a rate is measured. */
  readonly rateStart?: number;
  /**
   * Claims a second the server was measured to take when full (the crowd gate's figure; NaN
   * while unknown): the line is admitted at no less, and the pre-queue told to come back at it.
   */
  readonly capacity?: () => number;
  /** About how many more claims a campaign's budget pays (undefined: unknown): the pre-queue past it is told to come back at the sell-out. */
  readonly sharesLeftOf?: (campaignId: string) => number | undefined;
  /** How long a claim now waits before it is answered, in ms (the crowd gate's wait): added to estimates. */
  readonly answerDelayMs?: () => number;
  /** Claims answered from memory in front of the room so far (sold out, ended, already claimed): reads it does not see. */
  readonly answeredFromMemory?: () => number;
  /**
   * The share of the time since the last call the event loop was busy (0 to 1; NaN: not
   * measured): what the server reads a second when full is what it read over that share.
   */
  readonly busy?: () => number;
  /** Names this server run in its tickets: a ticket from another run is refused. */
  readonly run?: string;
  /** Campaigns with a room at once; the least recently used one past it is let go. */
  readonly roomsMax?: number;
}

/** How a claim goes on: decide it now, or answer with a place in line. */
export type RoomVerdict =
  | { readonly kind: "decide"; readonly ticket: QueueTicket | undefined }
  | { readonly kind: "wait"; readonly place: Place }
  | { readonly kind: "refused"; readonly code: ErrorCode; readonly message: string };

/** What a ticket holder is told. */
export interface Place {
  readonly ticket: string;
  readonly line: "pre" | "fifo";
  /** 1 for the next to be decided; null in the pre-queue before the draw. */
  readonly position: number | null;
  /** The place in line since the start, 1 first (the pre-queue's drawn places, then arrivals); null before the draw. */
  readonly place: number | null;
  readonly estimatedWaitSeconds: number;
  readonly retryAfterMs: number;
}

/** The draw of a campaign as its view shows it: the seed only once drawn. */
export interface DrawView {
  readonly seedHash: string;
  readonly seed?: string;
  readonly preQueueSize?: number;
}

interface Room {
  readonly campaignId: string;
  readonly startsAt: number;
  /** The draw's seed and where in it each joiner falls: made once a room, not once a joiner. */
  readonly seed: Buffer;
  readonly fractionOf: (joiner: number) => number;
  /** Pre-queue joiners by user (one place each); kept after the draw for those who ask again without the ticket. */
  pre: Map<string, number> | undefined;
  preSize: number;
  drawn: Uint32Array | undefined;
  /** Places given after the start (their absolute place is preSize + number). */
  next: number;
  /** Absolute places below this may be decided. */
  admitted: number;
  advancedAt: number;
  /** When `admitted` passed the last pre-queue place (monotonic ms). */
  caughtUpAt: number;
  /** Places whose claim was decided (a holder at its turn, or a newcomer at once); the pre-queue's first. */
  used: number;
}

const WINDOW_MS = 250;
/**
 * Until what the server reads when full is first measured, a window closes this soon: the first
 * quarter second of a pre-queue (2 000 people in the crowd of the targets) was told before
 * anything was measured, the queue at the start left out.
 */
const START_WINDOW_MS = 50;
/**
 * After the draw, once every pre-queue place is admitted, newcomers still get a place for
 * this long unless every pre-queue holder has come back: all of them were told to come back
 * at the start, and must not find their turn taken by someone who asked after it.
 */
const GRACE_MS = 1_500;
/** Pre-queue holders come back over at least this long after the start, in drawn order. */
const PRE_SPREAD_MS = 1_000;
/** Pre-queue holders come back over at most this long: the line is told again on return. */
const PRE_SPREAD_MAX_MS = 10_000;
/** A return later than this after its turn was not a holder coming back when told. */
const MISSED_MAX_MS = 15_000;
/** Each return moves the average miss this far toward its own. */
const MISSED_WEIGHT = 1 / 64;
/** A holder whose turn came while the writer was full comes back this much later. */
const AGAIN_MS = 1_000;
const RATE_FLOOR = 200;
const PEAK_DECAY = 0.9;
const RATE_MAX = 100_000;
const RETRY_MIN_MS = 250;
/** A holder whose place is past the budget comes back about when it is expected to be spent. */
const SELL_OUT_MARGIN_MS = 500;
/**
 * A winner's claim, once read, waits at the crowd gate and for its commit: at the start of the
 * crowd of the targets about this long, before any claim was decided for the gate's wait to be
 * measured (docs/decisions/0061-estimates-before-the-start.md, "Amended").
 */
const CLAIM_SEED_MS = 250;

export class WaitingRoom {
  readonly #signer: TicketSigner;
  readonly #seedKey: Buffer;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #pressure: () => boolean;
  readonly #capacity: () => number;
  readonly #rateStart: number;
  readonly #answerDelayMs: () => number;
  readonly #answeredFromMemory: () => number;
  #answeredFromMemorySeen = 0;
  readonly #busy: () => number;
  readonly #sharesLeftOf: (campaignId: string) => number | undefined;
  readonly #run: string;
  readonly #roomsMax: number;
  readonly #rooms = new Map<string, Room>();
  /** The room asked of last, which is last in `#rooms`' order while it stays there. */
  #lastRoom: Room | undefined;
  /** The returns told and the arrivals measured, against what the server takes: the wait a return will have. */
  readonly #load = new ReturnLoad();
  /** Places admitted per second: what the server was measured to take, down a fifth a window while the writer falls behind. */
  #rate: number;
  #windowStart: number;
  #windowDecided = 0;
  #windowWaiting = false;
  /** Claims decided per second in the last window in which anyone waited (for metrics and the docs). */
  decidedRate = 0;
  /**
   * The most claims a second decided lately, fading a tenth a window: a window in which few
   * holders happened to come back says nothing of what the server can take.
   */
  #decidedPeak = 0;
  /**
   * How much later than expected holders' returns are read, ms, averaged over recent returns:
   * what the foreseen queue leaves out (the answer's way to the client and back, arrivals
   * above what was measured while the server read all it could).
   */
  #missedMs = 0;
  #missedCount = 0;
  /** How late returns were read after the instant told, lately (the same average, of the whole lateness). */
  #lateMs = 0;
  ticketsIssued = 0;

  constructor(options: WaitingRoomOptions) {
    this.#signer = new TicketSigner(options.ticketKey);
    this.#seedKey = options.seedKey;
    this.#now = options.now;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#pressure = options.pressure;
    this.#capacity = options.capacity ?? (() => Number.NaN);
    this.#answerDelayMs = options.answerDelayMs ?? (() => 0);
    this.#answeredFromMemory = options.answeredFromMemory ?? (() => 0);
    this.#busy = options.busy ?? (() => Number.NaN);
    this.#sharesLeftOf = options.sharesLeftOf ?? (() => undefined);
    this.#rate = options.rateStart ?? 1_000;
    this.#rateStart = this.#rate;
    this.#run = options.run ?? randomBytes(6).toString("base64url");
    this.#roomsMax = options.roomsMax ?? 10_000;
    this.#windowStart = this.#monotonic();
  }

  /** Places admitted per second now. */
  get rate(): number {
    return this.#rate;
  }

  /** The seed a campaign's pre-queue is drawn from: fixed by its id and the server's secret. */
  seedOf(campaignId: string): Buffer {
    return createSeed(this.#seedKey, campaignId);
  }

  /** The campaign's draw for its view: the seed's hash always, the seed once drawn. */
  drawView(campaignId: string, startsAt: number): DrawView {
    const room = this.#rooms.get(campaignId);
    if (room !== undefined) this.#drawIfDue(room, this.#now());
    return drawViewOf(this.#seedKey, campaignId, startsAt, this.#now(), room?.preSize ?? 0);
  }

  /** Told of every claim the engine decided (claimed or refused): the measured rate. */
  noteDecided(): void {
    this.#windowDecided++;
  }

  /** A claim before the start: a place in the pre-queue (the same one however often asked). */
  preQueue(campaignId: string, startsAt: number, userId: string, claims: number, given?: string): RoomVerdict {
    const now = this.#now();
    const room = this.#room(campaignId, startsAt, now);
    const at = this.#monotonic();
    this.#measure(at);
    let number = room.pre?.get(userId);
    this.#load.noteRead(given === undefined && number === undefined);
    if (given !== undefined) {
      const opened = this.#openFor(given, campaignId, userId, claims);
      if ("code" in opened) return opened;
      if (opened.line === "pre") number = opened.number;
    }
    if (number === undefined) {
      if (room.pre === undefined || room.drawn !== undefined || room.preSize >= PRE_QUEUE_MAX)
        return { kind: "refused", code: "NOT_STARTED", message: "the campaign has not started yet" };
      number = room.preSize++;
      room.pre.set(userId, number);
    }
    // The place is drawn at the start, at about `fraction` of the pre-queue (known from the
    // seed alone). Holders come back when the line, at the admission rate, is about to reach
    // that place, spread over a second at least, so that they do not all arrive at once and
    // come back in drawn order; those placed past what the budget pays, about when it should
    // be spent (the answer will most likely be "sold out", a constant). The place is counted
    // in the pre-queue as it stands, not as it will be: a holder told to come back late could
    // find its share spent by those drawn behind it.
    const fraction = room.fractionOf(number);
    const expected = fraction * room.preSize;
    const shares = this.#sharesLeftOf(campaignId) ?? Number.POSITIVE_INFINITY;
    const lineMs = (Math.min(expected, shares) / this.#speed()) * 1000 + (expected > shares ? SELL_OUT_MARGIN_MS : 0);
    const offsetMs = Math.min(PRE_SPREAD_MAX_MS, Math.max(fraction * PRE_SPREAD_MS, lineMs));
    const retryAfterMs = Math.max(RETRY_MIN_MS, startsAt - now + Math.floor(offsetMs));
    const stillToJoin = this.#stillToJoin(room, startsAt - now, shares);
    const wins = fraction * (room.preSize + (stillToJoin?.count ?? 0)) < shares;
    const estimatedMs = this.#expect(retryAfterMs, true, stillToJoin?.returns, wins ? "wins" : undefined);
    const ticket = this.#sign({
      campaignId,
      userId,
      line: "pre",
      number,
      arrivedAt: Math.floor(now),
      claims,
      dueAt: Math.floor(now + retryAfterMs),
    });
    return {
      kind: "wait",
      place: {
        ticket,
        line: "pre",
        position: null,
        place: null,
        estimatedWaitSeconds: Math.round(estimatedMs) / 1000,
        retryAfterMs,
      },
    };
  }

  /**
   * A claim after the start. With a ticket: decided if its turn has come, else told its
   * place again. Without: decided at once if nobody waits and `admit()` allows, else given
   * the next place. `sharesLeft` is how many more claims the budget pays about.
   */
  arrive(
    campaignId: string,
    startsAt: number,
    userId: string,
    claims: number,
    given: string | undefined,
    sharesLeft: number,
    admit: () => boolean,
  ): RoomVerdict {
    const now = this.#now();
    const room = this.#room(campaignId, startsAt, now);
    this.#drawIfDue(room, now);
    this.#advance(room);
    this.#load.noteRead(given === undefined);
    if (given !== undefined) {
      const opened = this.#openFor(given, campaignId, userId, claims);
      if ("code" in opened) return opened;
      const place = this.#placeOf(room, opened);
      if (place === undefined) return refusedStale();
      this.#noteReturn(opened, now);
      if (place < room.admitted) {
        room.used++;
        return { kind: "decide", ticket: opened };
      }
      return { kind: "wait", place: this.#tell(room, opened, place, sharesLeft) };
    }
    // Someone in the pre-queue who asks again without the ticket keeps the drawn place.
    const preNumber = room.pre?.get(userId);
    if (preNumber !== undefined && room.drawn !== undefined) {
      const held: QueueTicket = {
        campaignId,
        userId,
        line: "pre",
        number: preNumber,
        arrivedAt: Math.floor(now),
        claims,
        run: this.#run,
        dueAt: 0,
      };
      const place = room.drawn[preNumber] as number;
      if (place < room.admitted) {
        room.used++;
        return { kind: "decide", ticket: held };
      }
      return { kind: "wait", place: this.#tell(room, held, place, sharesLeft) };
    }
    const issued = room.preSize + room.next;
    // Newcomers are decided at once when every place given has had its turn; just after the
    // draw, only once the pre-queue has come back (or had GRACE_MS to). A holder placed after
    // the start comes back about when its turn comes, so waiting for it too would give every
    // newcomer of a steady crowd a place, and two requests each.
    const preBack = room.preSize === 0 || room.used >= room.preSize || this.#monotonic() - room.caughtUpAt >= GRACE_MS;
    if (room.admitted >= issued && preBack && admit()) {
      room.used++;
      room.next++;
      room.admitted = room.preSize + room.next;
      return { kind: "decide", ticket: undefined };
    }
    const ticket: QueueTicket = {
      campaignId,
      userId,
      line: "fifo",
      number: room.next++,
      arrivedAt: Math.floor(now),
      claims,
      run: this.#run,
      dueAt: 0,
    };
    this.#windowWaiting = true;
    return { kind: "wait", place: this.#tell(room, ticket, issued, sharesLeft) };
  }

  /** A claim decided at its turn could not be taken (the writer was full): the same place, soon again. */
  again(ticket: QueueTicket, campaignId: string, startsAt: number): Place {
    const room = this.#room(campaignId, startsAt, this.#now());
    const place = this.#placeOf(room, ticket) ?? room.admitted;
    const estimatedMs = this.#expect(AGAIN_MS);
    const text = this.#signer.sign({ ...ticket, dueAt: Math.floor(this.#now() + AGAIN_MS) });
    return {
      ticket: text,
      line: ticket.line,
      position: Math.max(1, Math.floor(place - room.admitted) + 1),
      place: place + 1,
      estimatedWaitSeconds: Math.round(estimatedMs) / 1000,
      retryAfterMs: AGAIN_MS,
    };
  }

  /** A ticket's place and wait now, without deciding anything (for the stream and its JSON twin). */
  look(
    campaignId: string,
    startsAt: number,
    userId: string,
    claims: number,
    given: string,
    sharesLeft: number,
  ): RoomVerdict {
    const now = this.#now();
    const room = this.#room(campaignId, startsAt, now);
    const opened = this.#openFor(given, campaignId, userId, claims);
    if ("code" in opened) return opened;
    if (now < startsAt) {
      const retryAfterMs = Math.max(RETRY_MIN_MS, startsAt - now);
      return {
        kind: "wait",
        place: {
          ticket: given,
          line: opened.line,
          position: null,
          place: null,
          estimatedWaitSeconds: retryAfterMs / 1000,
          retryAfterMs,
        },
      };
    }
    this.#drawIfDue(room, now);
    this.#advance(room);
    const place = this.#placeOf(room, opened);
    if (place === undefined) return refusedStale();
    if (place < room.admitted) return { kind: "decide", ticket: opened };
    return { kind: "wait", place: this.#tell(room, opened, place, sharesLeft, false) };
  }

  /** Lets a campaign's room go (it ended, or is unknown). */
  forget(campaignId: string): void {
    this.#letGo(campaignId);
  }

  #letGo(campaignId: string): void {
    this.#rooms.delete(campaignId);
    if (this.#lastRoom?.campaignId === campaignId) this.#lastRoom = undefined;
  }

  #sign(fields: Omit<QueueTicket, "run">): string {
    this.ticketsIssued++;
    return this.#signer.sign({ ...fields, run: this.#run });
  }

  #openFor(given: string, campaignId: string, userId: string, claims: number): QueueTicket | RefusedVerdict {
    const ticket = this.#signer.open(given);
    if (ticket === undefined)
      return { kind: "refused", code: "TICKET_INVALID", message: "the queue ticket is not valid" };
    if (ticket.campaignId !== campaignId)
      return { kind: "refused", code: "TICKET_INVALID", message: "the queue ticket is for another campaign" };
    if (ticket.userId !== userId)
      return { kind: "refused", code: "TICKET_NOT_YOURS", message: "the queue ticket was given to another user" };
    if (ticket.run !== this.#run) return refusedStale();
    if (ticket.claims !== claims)
      return { kind: "refused", code: "TICKET_USED", message: "the queue ticket has served its claim; ask again" };
    return ticket;
  }

  #placeOf(room: Room, ticket: QueueTicket): number | undefined {
    if (ticket.line === "fifo") return ticket.number < room.next ? room.preSize + ticket.number : undefined;
    if (room.drawn === undefined || ticket.number >= room.preSize) return undefined;
    return room.drawn[ticket.number];
  }

  /**
   * A holder came back: how long after the instant it was told it was read, less the queue
   * the model now says a request sent then met, is what the model misses (the answer's way
   * to the client and back, arrivals above what was measured while the server read all it
   * could), and what the estimates told next add. Only returns within a few seconds of their
   * instant count: a holder who came back much later was not doing as told.
   */
  #noteReturn(ticket: QueueTicket, now: number): void {
    if (ticket.dueAt === 0) return;
    const lateMs = now - ticket.dueAt;
    if (Math.abs(lateMs) > MISSED_MAX_MS) return;
    const monotonic = this.#monotonic();
    const queuedMs = this.#load.delayWas(monotonic - lateMs, monotonic);
    if (Number.isNaN(queuedMs)) return;
    this.#missedMs += (lateMs - queuedMs - this.#missedMs) * MISSED_WEIGHT;
    this.#lateMs = this.#missedCount === 0 ? lateMs : this.#lateMs + (lateMs - this.#lateMs) * MISSED_WEIGHT;
    this.#missedCount++;
  }

  /**
   * The wait a holder told to come back in `retryAfterMs` will see: that, then the wait its
   * return will meet in the queue (foreseen by the model until returns are measured, then
   * measured on them). Books the return unless `returns` is false; `foreseen`: returns not
   * booked yet that it will meet; `fate`: "wins", the holder's place is within the budget, so
   * its claim, once read, is decided through the gate and a commit, not answered from memory;
   * "sellOut", placed past the budget after the start, its return meets the sell-out's queue.
   */
  #expect(retryAfterMs: number, returns = true, foreseen?: Foreseen, fate?: "wins" | "sellOut"): number {
    const now = this.#monotonic();
    const queuedMs = this.#load.delayAt(now + retryAfterMs, now, foreseen);
    if (returns) this.#load.book(now + retryAfterMs, now);
    const claimMs = fate === "wins" ? Math.max(CLAIM_SEED_MS, this.#answerDelayMs()) : 0;
    // Until a return was measured, the forecast queue or the crowd gate's wait, whichever is
    // longer; then how late returns are read, lately. The forecast plus what it missed by counted
    // the same wait twice (had ÷ estimate 0.6 on a quiet machine): docs/decisions/0058, "Amended again".
    // A winner's claim is read first and decided after, so its own time adds to the queue's.
    if (this.#missedCount === 0) return retryAfterMs + Math.max(0, queuedMs + claimMs, this.#answerDelayMs());
    // The sell-out's queue: the lateness read lately was that of returns sent a lateness ago,
    // short while the queue still grows (0.6 s told, 1.3 s came); the queue foreseen at its own
    // return, long (2.3 s told, 1.4 s came). Between them, those placed after the start within
    // ±20 % went from 29 % to 76 % at the median of ten pairs
    // (docs/decisions/0061-estimates-before-the-start.md, "Amended again").
    if (fate === "sellOut") return retryAfterMs + Math.max(0, (this.#lateMs + Math.max(0, queuedMs)) / 2);
    return retryAfterMs + Math.max(0, this.#lateMs + Math.max(claimMs, this.#answerDelayMs()));
  }

  /**
   * The returns of those who will join the pre-queue between now and its start (`untilStartMs`
   * away), at the rate newcomers were lately read, as they will be told: the places the budget
   * pays in drawn order at the admission rate, over a second at least, and the rest at once
   * about when it should be spent. With only the returns already told, the first to join
   * counted a pre-queue a tenth its final size, and were told Retry-After plus 0.06 s where
   * 0.75 s came (docs/decisions/0061-estimates-before-the-start.md).
   */
  #stillToJoin(room: Room, untilStartMs: number, shares: number): { count: number; returns: Foreseen } | undefined {
    const toJoin = Math.min(PRE_QUEUE_MAX - room.preSize, (this.#load.arrivals * Math.max(0, untilStartMs)) / 1000);
    if (!(toJoin > 0)) return undefined;
    const size = room.preSize + toJoin;
    const speed = this.#speed();
    const paid = Math.min(size, shares);
    const spreadMs = Math.max(PRE_SPREAD_MS, (paid / speed) * 1000);
    const startMs = this.#monotonic() + untilStartMs;
    const soldOutMs = startMs + (paid / speed) * 1000 + SELL_OUT_MARGIN_MS;
    const within = toJoin * (paid / size);
    const returns: Foreseen = (fromMs, slotMs) => {
      const overlap = Math.max(0, Math.min(fromMs + slotMs, startMs + spreadMs) - Math.max(fromMs, startMs));
      const past = size > shares && soldOutMs >= fromMs && soldOutMs < fromMs + slotMs ? toJoin - within : 0;
      return (within * overlap) / spreadMs + past;
    };
    return { count: toJoin, returns };
  }

  /** `returns`: the holder is told to come back (not a look from the stream), so its return is booked. */
  #tell(room: Room, ticket: QueueTicket, place: number, sharesLeft: number, returns = true): Place {
    const speed = this.#speed();
    const now = this.#monotonic();
    const ahead = Math.max(0, place - room.admitted);
    let waitMs = ((ahead + 1) / speed) * 1000;
    // Past the budget the answer is most likely "sold out": come back when it should be spent,
    // at the rate claims are being decided (the holders ahead come back only when told, and
    // wait their turn in whatever queue the start built before they are read).
    const spending = this.decidedRate > RATE_FLOOR ? Math.min(speed, this.decidedRate) : speed;
    if (ahead > sharesLeft) {
      const spentInMs = (sharesLeft / spending) * 1000;
      const soldOutInMs = this.#load.sellOutAt(now + spentInMs, now, this.#missedMs) - now;
      waitMs = Math.min(waitMs, soldOutInMs + SELL_OUT_MARGIN_MS);
    }
    const retryAfterMs = Math.max(RETRY_MIN_MS, Math.ceil(waitMs));
    const fate = ahead <= sharesLeft ? "wins" : ticket.line === "fifo" ? "sellOut" : undefined;
    const estimatedMs = this.#expect(retryAfterMs, returns, undefined, fate);
    const text = this.#signer.sign({ ...ticket, dueAt: Math.floor(this.#now() + retryAfterMs) });
    return {
      ticket: text,
      line: ticket.line,
      position: Math.floor(ahead) + 1,
      place: place + 1,
      estimatedWaitSeconds: Math.round(estimatedMs) / 1000,
      retryAfterMs,
    };
  }

  #speed(): number {
    return this.#rate;
  }

  #advance(room: Room): void {
    const now = this.#monotonic();
    this.#measure(now);
    const issued = room.preSize + room.next;
    if (room.admitted < issued) this.#windowWaiting = true;
    const admitted = Math.min(issued, room.admitted + ((now - room.advancedAt) / 1000) * this.#speed());
    if (admitted >= room.preSize && room.admitted < room.preSize) room.caughtUpAt = now;
    room.admitted = admitted;
    room.advancedAt = now;
  }

  /**
   * Each window the admission rate follows what the server was measured to take: the most claims
   * it decided a second lately, or the crowd gate's figure for a full loop, whichever is more (a
   * line that formed before any claim was decided moves at the gate's figure; the pre-queue is
   * told to come back at it). While anyone waits and `pressure` says the writer falls behind,
   * it goes down a fifth instead, never below what was decided. It grows at most
   * a quarter a window and to no more than twice what was decided or measured: a rate far above
   * it told every holder to come back at once, and their returns, each a request, took the loop
   * that was to decide them (100 000 people over 10 s: 2 000 claims decided in 190 s).
   */
  #measure(now: number): void {
    const elapsed = now - this.#windowStart;
    if (elapsed < (this.#load.capacity > 0 ? WINDOW_MS : START_WINDOW_MS)) return;
    const decided = (this.#windowDecided * 1000) / elapsed;
    const fromMemory = this.#answeredFromMemory();
    this.#load.noteFromMemory(fromMemory - this.#answeredFromMemorySeen);
    this.#answeredFromMemorySeen = fromMemory;
    this.#load.measure(elapsed, this.#capacity(), now, this.#busy());
    if (this.#windowWaiting) this.decidedRate = decided;
    this.#decidedPeak = Math.max(decided, this.#decidedPeak * PEAK_DECAY);
    if (this.#windowWaiting && this.#pressure()) {
      this.#rate = Math.max(RATE_FLOOR, Math.min(this.#rate, decided), this.#rate * 0.8);
    } else {
      const measured = Math.max(this.#decidedPeak, this.#measuredCapacity());
      const grown = this.#windowWaiting ? this.#rate * 1.25 : this.#rate;
      this.#rate = Math.min(RATE_MAX, Math.max(this.#rateStart, 2 * measured), Math.max(grown, measured));
    }
    this.#windowStart = now;
    this.#windowDecided = 0;
    this.#windowWaiting = false;
  }

  #measuredCapacity(): number {
    const capacity = this.#capacity();
    return Number.isFinite(capacity) && capacity > 0 ? capacity : 0;
  }

  #drawIfDue(room: Room, now: number): void {
    if (room.drawn !== undefined || room.pre === undefined || now < room.startsAt) return;
    room.drawn = drawOrder(room.seed, room.preSize);
    room.admitted = 0;
    room.advancedAt = this.#monotonic();
  }

  #room(campaignId: string, startsAt: number, now: number): Room {
    if (this.#lastRoom?.campaignId === campaignId) return this.#lastRoom;
    let room = this.#rooms.get(campaignId);
    if (room !== undefined) {
      // Most recently used last, so the first is the one to let go (a crowd asks of one room:
      // the move is skipped while it is already last).
      this.#rooms.delete(campaignId);
      this.#rooms.set(campaignId, room);
      this.#lastRoom = room;
      return room;
    }
    if (this.#rooms.size >= this.#roomsMax) this.#letGo(this.#rooms.keys().next().value as string);
    const before = now < startsAt;
    const seed = this.seedOf(campaignId);
    room = {
      campaignId,
      startsAt,
      seed,
      fractionOf: drawFractions(seed),
      pre: before ? new Map() : undefined,
      preSize: 0,
      drawn: undefined,
      next: 0,
      admitted: 0,
      advancedAt: this.#monotonic(),
      caughtUpAt: Number.NEGATIVE_INFINITY,
      used: 0,
    };
    this.#rooms.set(campaignId, room);
    this.#lastRoom = room;
    return room;
  }
}

/** How long `callsCapacity` measures over before it gives a new figure, ms. */
const CALLS_CAPACITY_WINDOW_MS = 500;
/** Below this share of a busy loop, calls a second say too little of what a full loop would take. */
const CALLS_CAPACITY_BUSY_MIN = 0.2;

/**
 * Calls a second this process's event loop would answer if it were full: the calls answered
 * over the last window (`count` is a running total) over the share of it the loop was busy; NaN
 * while the loop was too idle for that to say anything (it keeps up). A writer behind edges
 * reads its claims' capacity so, since its own crowd gate sees none (decision 0066).
 */
export function callsCapacity(
  count: () => number,
  busy: () => number = loopBusy(),
  monotonic: () => number = () => performance.now(),
): () => number {
  let figure = Number.NaN;
  let seen = count();
  let from = monotonic();
  busy();
  return () => {
    const now = monotonic();
    if (now - from < CALLS_CAPACITY_WINDOW_MS) return figure;
    const calls = count() - seen;
    const share = busy();
    // A loop this idle keeps up with what it is asked: no figure caps anything then.
    figure = share >= CALLS_CAPACITY_BUSY_MIN && calls > 0 ? (calls * 1000) / (now - from) / share : Number.NaN;
    seen += calls;
    from = now;
    return figure;
  };
}

/** The share of the time since its last call that this process's event loop was busy (`WaitingRoomOptions.busy`). */
export function loopBusy(): () => number {
  let was = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const share = performance.eventLoopUtilization(now, was).utilization;
    was = now;
    return share;
  };
}

type RefusedVerdict = Extract<RoomVerdict, { kind: "refused" }>;

function refusedStale(): RefusedVerdict {
  return { kind: "refused", code: "TICKET_INVALID", message: "the queue ticket is from before a restart; ask again" };
}

/**
 * A campaign's draw as its view shows it, from the seed key alone and the pre-queue's size:
 * the seed's hash before the start, the seed itself from the start on.
 */
export function drawViewOf(
  seedKey: Buffer,
  campaignId: string,
  startsAt: number,
  now: number,
  preQueueSize: number,
): DrawView {
  const seed = createSeed(seedKey, campaignId);
  const seedHash = drawSeedHash(seed);
  if (now < startsAt) return { seedHash };
  return { seedHash, seed: seed.toString("hex"), preQueueSize };
}

/** HMAC-SHA256 is 32 bytes: the seed is exactly one AES-256 key. */
function createSeed(key: Buffer, campaignId: string): Buffer {
  const seed = createHmac("sha256", key).update(`draw|${campaignId}`).digest();
  if (seed.length !== DRAW_SEED_BYTES) throw new Error("a draw seed is one AES-256 key");
  return seed;
}
