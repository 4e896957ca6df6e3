import { randomInt } from "node:crypto";
import { FUNDING } from "../domain/accounts.js";
import { claimRefusal, claimsPosting, createCampaign, drawClaim, endCampaign } from "../domain/campaign.js";
import { type DomainError, fail, ok, type Result } from "../domain/errors.js";
import { GROUPS_PER_OWNER_MAX, makeGroup } from "../domain/group.js";
import { isId } from "../domain/ids.js";
import { move } from "../domain/ledger.js";
import type { Fen } from "../domain/money.js";
import {
  type Audience,
  expirePacket,
  grabPacket,
  grabRefusal,
  type RedPacket,
  sendPacket,
} from "../domain/red-packet.js";
import { type Calendar, NO_SPECIAL_DAYS } from "../domain/rules.js";
import type { RandomInt } from "../domain/split.js";
import { HOUR_MS, type Instant } from "../domain/time.js";
import { acknowledgeLoan, answerTransfer, refundTransfer, sendTransfer, type Transfer } from "../domain/transfer.js";
import type { Clock } from "./clock.js";
import { type Command, type CommandOf, type CommandResults, DEPOSIT_MAX } from "./commands.js";
import { IdSource } from "./id-source.js";
import {
  type CampaignState,
  emptyBatch,
  isEmptyBatch,
  LedgerState,
  OPEN_PACKETS_PER_SENDER_MAX,
  PENDING_TRANSFERS_PER_USER_MAX,
  userNotFound,
} from "./ledger-state.js";
import { LimitsCache } from "./limits-cache.js";
import { pooledRandomBytes } from "./random-pool.js";
import type { Batch, LedgerStore, Snapshot } from "./store-port.js";

/** The answer stored with an idempotency key: opaque to the engine, written in the same batch. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

export interface Idempotency {
  readonly scope: string;
  readonly key: string;
  readonly requestHash: string;
}

export interface EngineObserver {
  batchCommitted?(commands: number, seconds: number): void;
  /** How long one command waited in its lane for the batch that took it, in seconds. */
  commandWaited?(lane: Lane, seconds: number): void;
  /** A batch could not be made durable; memory is being rebuilt from the store. */
  commitFailed?(error: unknown): void;
}

export interface EngineOptions {
  readonly store: LedgerStore;
  readonly clock: Clock;
  readonly calendar?: Calendar;
  /** Commands in one durable transaction at most. */
  readonly batchMax?: number;
  /** Commands waiting at most; past it a command is refused with BUSY at once. */
  readonly queueMax?: number;
  /** Due refunds run in one batch at most; the rest follow in the next. */
  readonly timersPerBatchMax?: number;
  readonly random?: (size: number) => Uint8Array;
  readonly randomInt?: RandomInt;
  /** Campaign claims waiting at most; past it a claim is refused with BUSY at once. */
  readonly campaignQueueMax?: number;
  /** Claims in one batch at most, on top of the other commands. */
  readonly claimBatchMax?: number;
  /** A claim that waited longer than this for its batch is answered BUSY instead. */
  readonly claimDeadlineMs?: number;
  /** Campaign claims queue in their own lane behind transfers and packets (default); off: one FIFO. */
  readonly isolation?: boolean;
  readonly observer?: EngineObserver;
}

/** Idempotency keys are kept twice as long as the 24 h the contract promises. */
export const IDEMPOTENCY_KEEP_MS = 48 * HOUR_MS;
const IDEMPOTENCY_FORGET_EVERY_MS = HOUR_MS;
const TIMER_SLEEP_MS_MAX = 60_000;
/** A waiting command older than this makes the next command start the batch itself. */
const FLUSH_LINGER_MS = 2;
/**
 * While only claims wait, and each turn of the event loop brings more, a batch waits for
 * at most this long or this many claims: each commit costs about 3 ms whatever its size,
 * which a crowd's claims otherwise pay a hundred at a time. Anything else waiting (a
 * transfer, a packet) takes the claims along at once.
 */
const CLAIM_LINGER_MS = 10;
const CLAIM_LINGER_BATCH = 1_000;

interface Waiting {
  readonly command: Command;
  readonly render: ((result: Result<unknown>) => Answer) | undefined;
  readonly idempotency: Idempotency | undefined;
  /** A refusal decided before the batch; it is stored with the key instead of being applied. */
  readonly decided: Result<unknown> | undefined;
  readonly acceptedAt: Instant;
  /** performance.now() when queued: queueing delay is measured on it, not on the (test) clock. */
  readonly enqueuedAt: number;
  readonly lane: Lane;
  /** The share of a campaign's budget a claim reserved when it was taken. */
  readonly claim: ReservedClaim | undefined;
  readonly resolve: (value: { result: Result<unknown>; answer: Answer | undefined }) => void;
}

export type Lane = "critical" | "campaign";

interface ReservedClaim {
  readonly campaignId: string;
  readonly userId: string;
  readonly amount: Fen;
  readonly n: number;
}

interface InFlight {
  readonly requestHash: string;
  readonly answer: Promise<Answer>;
}

export class EngineError extends Error {
  constructor(readonly error: DomainError) {
    super(error.message);
  }
}

/**
 * The single writer. Commands queue here, are checked against memory, and each batch
 * commits in one durable transaction before anybody in it is answered.
 */
export class Engine {
  readonly #store: LedgerStore;
  readonly #clock: Clock;
  /** The calendar the engine was given; operators' special days from the store go on top. */
  readonly #baseCalendar: Calendar;
  #calendar: Calendar;
  readonly #limits = new LimitsCache();
  readonly #ids: IdSource;
  readonly #batchMax: number;
  readonly #queueMax: number;
  readonly #timersPerBatchMax: number;
  readonly #random: (size: number) => Uint8Array;
  readonly #randomInt: RandomInt;
  readonly #observer: EngineObserver;
  readonly #campaignQueueMax: number;
  readonly #claimBatchMax: number;
  readonly #claimDeadlineMs: number;
  readonly #isolation: boolean;
  #state: LedgerState | undefined;
  #lanes: Record<Lane, Waiting[]> = { critical: [], campaign: [] };
  /** Moving averages of how long commands waited for their batch, in ms. */
  readonly #delayMs: Record<Lane, number> = { critical: 0, campaign: 0 };
  readonly #inFlight = new Map<string, InFlight>();
  #flushScheduled = false;
  #flushQueued = false;
  #committing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastForgetAt = Number.NEGATIVE_INFINITY;
  #closing = false;
  /** A linger under way: claims waiting when it last looked (it goes on while turns bring more). */
  #linger: { claimsAtLastLook: number } | undefined;
  #closed = false;
  #open = 0;

  constructor(options: EngineOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#baseCalendar = options.calendar ?? NO_SPECIAL_DAYS;
    this.#calendar = this.#baseCalendar;
    this.#batchMax = options.batchMax ?? 2000;
    this.#queueMax = options.queueMax ?? 50_000;
    this.#timersPerBatchMax = options.timersPerBatchMax ?? 2000;
    this.#random = options.random ?? pooledRandomBytes();
    this.#ids = new IdSource(this.#random);
    this.#randomInt = options.randomInt ?? ((bound) => randomInt(bound));
    this.#campaignQueueMax = options.campaignQueueMax ?? 20_000;
    this.#claimBatchMax = options.claimBatchMax ?? 10_000;
    this.#claimDeadlineMs = options.claimDeadlineMs ?? 2_000;
    this.#isolation = options.isolation ?? true;
    this.#observer = options.observer ?? {};
  }

  /** Rebuilds memory from the store; call once before anything else. */
  async start(): Promise<void> {
    this.#restore(await this.#store.load());
    this.#armTimer();
  }

  /** Memory from a snapshot: the ledger state, and the calendar with the stored special days. */
  #restore(snapshot: Snapshot): void {
    let calendar = this.#baseCalendar;
    for (const rule of snapshot.specialDays) {
      const next = calendar.withDay?.(rule);
      if (next === undefined || !next.ok)
        throw new Error(`stored special day no longer valid: ${JSON.stringify(rule)}`);
      calendar = next.value;
    }
    this.#calendar = calendar;
    this.#state = new LedgerState(snapshot);
  }

  get queueDepth(): number {
    return this.#lanes.critical.length + this.#lanes.campaign.length;
  }

  laneDepth(lane: Lane): number {
    return this.#lanes[lane].length;
  }

  /** How long commands of a lane have lately waited for their batch: the overload signal. */
  queueDelayMs(lane: Lane): number {
    return this.#delayMs[lane];
  }

  get isolation(): boolean {
    return this.#isolation;
  }

  /**
   * The answer a claim gets without touching the queue (not started, ended, already claimed,
   * sold out, no such campaign), or undefined when it may be tried.
   */
  claimRefusal(campaignId: string, userId: string): Result<never> | undefined {
    const open = this.state.campaigns.get(campaignId);
    if (open === undefined) return fail("CAMPAIGN_NOT_FOUND", "no such campaign, or it has ended");
    return claimRefusal(open.campaign, open.claimsByUser.get(userId) ?? 0, open.unreserved, this.#clock.now());
  }

  get state(): LedgerState {
    if (this.#state === undefined) throw new Error("engine not started");
    return this.#state;
  }

  get clock(): Clock {
    return this.#clock;
  }

  get calendar(): Calendar {
    return this.#calendar;
  }

  /** Runs a command and returns its result once the batch holding it is durable. */
  async submit<K extends Command["type"]>(command: CommandOf<K>): Promise<Result<CommandResults[K]>> {
    if (this.#closing) return shuttingDown();
    return this.#track(async () => {
      const early = await this.#precheck(command);
      if (early !== undefined) return early as Result<CommandResults[K]>;
      const { result } = await this.#enqueue(command, undefined, undefined);
      return result as Result<CommandResults[K]>;
    });
  }

  /** Counts calls under way so close() can wait for every call that began before it. */
  async #track<T>(work: () => Promise<T>): Promise<T> {
    this.#open += 1;
    try {
      return await work();
    } finally {
      this.#open -= 1;
    }
  }

  /**
   * Runs a command and renders its answer; with an idempotency key the answer is stored in
   * the same batch, and the same key with the same request gets that answer again.
   */
  async execute<K extends Command["type"]>(
    command: CommandOf<K>,
    render: (result: Result<CommandResults[K]>) => Answer,
    idempotency?: Idempotency,
  ): Promise<Answer> {
    const renderAny = render as (result: Result<unknown>) => Answer;
    if (this.#closing) return renderAny(shuttingDown());
    return this.#track(() => this.#executeWithKey(command, renderAny, idempotency));
  }

  async #executeWithKey(
    command: Command,
    renderAny: (r: Result<unknown>) => Answer,
    idempotency: Idempotency | undefined,
  ) {
    if (idempotency === undefined) return this.#executeOnce(command, renderAny, undefined);
    const slot = `${idempotency.scope}\u0000${idempotency.key}`;
    const inFlight = this.#inFlight.get(slot);
    if (inFlight !== undefined) {
      if (inFlight.requestHash !== idempotency.requestHash) return reusedKey(renderAny);
      return inFlight.answer;
    }
    const answer = this.#executeKeyed(command, renderAny, idempotency);
    this.#inFlight.set(slot, { requestHash: idempotency.requestHash, answer });
    try {
      return await answer;
    } finally {
      this.#inFlight.delete(slot);
    }
  }

  async #executeKeyed(command: Command, render: (r: Result<unknown>) => Answer, key: Idempotency): Promise<Answer> {
    const stored = await this.#store.idempotency(key.scope, key.key);
    if (stored !== undefined) {
      return stored.requestHash === key.requestHash ? { status: stored.status, body: stored.body } : reusedKey(render);
    }
    return this.#executeOnce(command, render, key);
  }

  async #executeOnce(
    command: Command,
    render: (r: Result<unknown>) => Answer,
    key: Idempotency | undefined,
  ): Promise<Answer> {
    const early = await this.#precheck(command);
    // Without a key a refusal needs no batch; with one, it is stored like any answer so the key stays bound.
    if (early !== undefined && key === undefined) return render(early);
    const { answer } = await this.#enqueue(command, render, key, early);
    return answer as Answer;
  }

  /** Answers that need no batch: from memory, or from the store for settled transfers. */
  async #precheck(command: Command): Promise<Result<unknown> | undefined> {
    if (command.type === "grabPacket") return this.#precheckGrab(command);
    if (command.type !== "answerTransfer" && command.type !== "acknowledgeLoan") return undefined;
    const transfer = await this.transfer(command.transferId);
    if (transfer === undefined || (command.by !== transfer.from && command.by !== transfer.to)) {
      return fail("TRANSFER_NOT_FOUND", "no such transfer");
    }
    if (command.type === "acknowledgeLoan") {
      const acknowledged = acknowledgeLoan(transfer, command.by, this.#clock.now());
      return acknowledged.ok ? undefined : acknowledged;
    }
    if (command.by !== transfer.to) return fail("NOT_RECIPIENT", "only the recipient may answer a transfer");
    if (transfer.status !== "pending") {
      return fail("TRANSFER_NOT_PENDING", `the transfer is already ${transfer.status}`, { status: transfer.status });
    }
    return undefined;
  }

  /** A transfer from memory, or from the store (then kept among the recently settled ones). */
  async transfer(id: string): Promise<Transfer | undefined> {
    const state = this.state;
    const known = state.pending.get(id) ?? state.settledTransfers.get(id);
    if (known !== undefined) return known;
    const stored = await this.#store.transfer(id);
    if (stored !== undefined && stored.status !== "pending") state.rememberSettledTransfer(stored);
    return stored;
  }

  /** Sold out, already grabbed, not allowed, expired: answered without queueing behind money work. */
  async #precheckGrab(command: CommandOf<"grabPacket">): Promise<Result<unknown> | undefined> {
    const state = this.state;
    const packet =
      state.packets.get(command.packetId) ??
      state.settled.get(command.packetId) ??
      (await this.#store.packet(command.packetId));
    if (packet === undefined) return fail("PACKET_NOT_FOUND", "no such red packet");
    if (packet.status !== "active") state.rememberSettled(packet);
    return grabRefusal(packet, command.userId, command.password, this.#clock.now(), this.#audienceOf(packet.groupId));
  }

  #audienceOf(groupId: string | null): Audience {
    return { members: groupId === null ? undefined : this.state.groups.get(groupId) };
  }

  #enqueue(
    command: Command,
    render: Waiting["render"],
    idempotency: Idempotency | undefined,
    decided?: Result<unknown>,
  ): Promise<{ result: Result<unknown>; answer: Answer | undefined }> {
    // Everything here is synchronous, so concurrent callers cannot slip past a bound or a budget.
    const lane: Lane = this.#isolation && command.type === "claim" ? "campaign" : "critical";
    const laneMax = lane === "campaign" ? this.#campaignQueueMax : this.#queueMax;
    let refused = this.#closed
      ? shuttingDown()
      : this.#lanes[lane].length >= laneMax
        ? fail("BUSY", "the ledger is busy; retry shortly")
        : undefined;
    let claim: ReservedClaim | undefined;
    if (refused === undefined && decided === undefined && command.type === "claim") {
      const reserved = this.#reserveClaim(command);
      if (reserved.ok) claim = reserved.value;
      else if (idempotency === undefined) refused = reserved;
      else decided = reserved;
    }
    if (refused !== undefined) return Promise.resolve({ result: refused, answer: render?.(refused) });
    return new Promise((resolve) => {
      this.#lanes[lane].push({
        command,
        render,
        idempotency,
        decided,
        acceptedAt: this.#clock.now(),
        enqueuedAt: performance.now(),
        lane,
        claim,
        resolve,
      });
      this.#scheduleFlush();
      this.#flushIfLingering();
    });
  }

  /**
   * setImmediate runs only after the event loop has read every ready socket; with ten
   * thousand connections that pass can take seconds, and batches would wait for it. Once the
   * oldest waiting command has lingered FLUSH_LINGER_MS, the batch goes at once instead.
   */
  #flushIfLingering(): void {
    if (this.#committing !== undefined || this.#flushQueued) return;
    const oldest = Math.min(
      this.#lanes.critical[0]?.enqueuedAt ?? Number.POSITIVE_INFINITY,
      this.#lanes.campaign[0]?.enqueuedAt ?? Number.POSITIVE_INFINITY,
    );
    if (performance.now() - oldest < FLUSH_LINGER_MS) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      void this.#flush();
    });
  }

  /** Takes a claim's amount out of the unreserved budget, or says why not. */
  #reserveClaim(command: CommandOf<"claim">): Result<ReservedClaim> {
    const refusal = this.claimRefusal(command.campaignId, command.userId);
    if (refusal !== undefined) return refusal;
    const open = this.state.campaigns.get(command.campaignId) as CampaignState;
    const amount = drawClaim(open.campaign.amount, open.unreserved, this.#randomInt);
    const n = (open.claimsByUser.get(command.userId) ?? 0) + 1;
    open.unreserved -= amount;
    open.claimsByUser.set(command.userId, n);
    return ok({ campaignId: command.campaignId, userId: command.userId, amount, n });
  }

  /** Gives a reserved claim back, for a claim that will not be made. */
  #releaseClaim(claim: ReservedClaim): void {
    const open = this.#state?.campaigns.get(claim.campaignId);
    if (open === undefined) return;
    if (open.campaign.status === "open") open.unreserved += claim.amount;
    const left = (open.claimsByUser.get(claim.userId) ?? 1) - 1;
    if (left > 0) open.claimsByUser.set(claim.userId, left);
    else open.claimsByUser.delete(claim.userId);
  }

  /**
   * Whether the batch should wait for more claims. A linger looks again at the end of each
   * turn of the event loop (`#lookAgain`) and goes on only while turns bring more claims: a
   * turn that brings none means the clients are waiting for these answers (a hundred
   * connections, a hundred claims), and waiting longer would only delay them.
   */
  #claimsLinger(): boolean {
    const claims = this.#lanes.campaign;
    const may =
      !this.#closing &&
      this.#lanes.critical.length === 0 &&
      claims.length > 0 &&
      claims.length < CLAIM_LINGER_BATCH &&
      performance.now() - (claims[0] as Waiting).enqueuedAt < CLAIM_LINGER_MS;
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
    void this.#flush(false);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // setImmediate lets every request that arrived in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.#flush();
    });
  }

  /** Takes the next batch: transfers and packets first, then campaign claims. */
  #takeBatch(): Waiting[] {
    const critical = this.#lanes.critical.splice(0, this.#batchMax);
    const claims = this.#lanes.campaign.splice(0, this.#claimBatchMax);
    const now = performance.now();
    for (const [lane, items] of [
      ["critical", critical],
      ["campaign", claims],
    ] as const) {
      if (items.length === 0) {
        // An empty lane waits for nothing: its signal decays, so shedding cannot outlive the overload.
        this.#delayMs[lane] *= 0.7;
        continue;
      }
      let waited = 0;
      for (const item of items) waited += now - item.enqueuedAt;
      // An exponential moving average over batches: recent batches weigh most.
      this.#delayMs[lane] = 0.7 * this.#delayMs[lane] + 0.3 * (waited / items.length);
    }
    return claims.length === 0 ? critical : critical.concat(claims);
  }

  async #flush(mayLinger = true): Promise<void> {
    if (this.#committing !== undefined || this.#state === undefined) return;
    if (mayLinger && this.#claimsLinger()) return;
    const at = this.#clock.now();
    const batch = emptyBatch();
    const waiting = this.#takeBatch();
    const started = process.hrtime.bigint();
    const now = performance.now();
    let timersLeft = false;
    let outcomes: { result: Result<unknown>; answer: Answer | undefined }[];
    try {
      for (const item of waiting) this.#observer.commandWaited?.(item.lane, (now - item.enqueuedAt) / 1000);
      timersLeft = this.#runDueTimers(at, batch);
      this.#forgetOldKeys(at, batch);
      const claims = new Map<string, ReservedClaim[]>();
      outcomes = waiting.map((item) => {
        const result = item.decided ?? this.#applyItem(item, at, batch, claims, now);
        const answer = item.render?.(result);
        if (answer !== undefined && item.idempotency !== undefined) {
          batch.idempotency.push({ ...item.idempotency, status: answer.status, body: answer.body, createdAt: at });
        }
        return { result, answer };
      });
      this.#postClaims(claims, at, batch);
      if (!isEmptyBatch(batch)) {
        this.#committing = this.#store.commit(batch);
        await this.#committing;
      }
    } catch (error) {
      // Memory may be ahead of the store now: nobody in the batch is told it succeeded.
      await this.#recover(waiting, error);
      return;
    } finally {
      this.#committing = undefined;
    }
    this.#observer.batchCommitted?.(waiting.length, Number(process.hrtime.bigint() - started) / 1e9);
    for (let i = 0; i < waiting.length; i++) (waiting[i] as Waiting).resolve(outcomes[i] as (typeof outcomes)[number]);
    if (this.queueDepth > 0 || timersLeft) this.#scheduleFlush();
    this.#armTimer();
  }

  #applyItem(
    item: Waiting,
    at: Instant,
    batch: Batch,
    claims: Map<string, ReservedClaim[]>,
    now: number,
  ): Result<unknown> {
    if (item.claim === undefined) return this.#apply(item.command, at, batch, item.acceptedAt);
    if (now - item.enqueuedAt > this.#claimDeadlineMs) {
      this.#releaseClaim(item.claim);
      return fail("BUSY", "the claim waited too long; retry shortly");
    }
    const list = claims.get(item.claim.campaignId) ?? [];
    list.push(item.claim);
    claims.set(item.claim.campaignId, list);
    return ok({ campaignId: item.claim.campaignId, amount: item.claim.amount, n: item.claim.n });
  }

  /** One posting per campaign per batch pays every claim in it: the budget account is debited once. */
  #postClaims(claims: Map<string, ReservedClaim[]>, at: Instant, batch: Batch): void {
    for (const [campaignId, list] of claims) {
      const posted = this.state.post(claimsPosting(campaignId, list, at), batch);
      if (!posted.ok) throw new Error(`campaign ${campaignId} cannot pay its reserved claims: ${posted.error.message}`);
      const open = this.state.campaigns.get(campaignId) as CampaignState;
      for (const claim of list) {
        batch.claims.push({ ...claim, at, postingId: posted.value.id });
        open.claimedCount += 1;
        open.claimedAmount += claim.amount;
      }
    }
  }

  /** A failed commit leaves memory ahead of the store: answer BUSY and rebuild memory from the store. */
  async #recover(waiting: Waiting[], error: unknown): Promise<void> {
    const failure = fail("BUSY", "the ledger could not commit; retry shortly");
    if (this.#observer.commitFailed !== undefined) this.#observer.commitFailed(error);
    else process.emitWarning(`hongbao: batch commit failed, reloading state: ${String(error)}`);
    this.#state = undefined;
    // Queued claims reserved budget in the memory being thrown away: they are answered BUSY too.
    const queued = [...this.#lanes.critical, ...this.#lanes.campaign];
    this.#lanes.critical = [];
    this.#lanes.campaign = [];
    try {
      // A special day added in the failed batch goes with it: the calendar is rebuilt too.
      this.#restore(await this.#store.load());
    } finally {
      for (const item of [...waiting, ...queued]) item.resolve({ result: failure, answer: item.render?.(failure) });
    }
  }

  /** `acceptedAt` is when the engine took the command: the rules in force then are the ones that apply. */
  #apply(command: Command, at: Instant, batch: Batch, acceptedAt: Instant): Result<unknown> {
    const state = this.state;
    switch (command.type) {
      case "createUser": {
        if (state.phones.has(command.phone)) return fail("PHONE_TAKEN", "a user with this phone exists");
        if (!isId("user", command.id) || state.hasUser(command.id)) throw new Error(`bad new user id ${command.id}`);
        const user = { id: command.id, phone: command.phone, name: command.name, createdAt: at };
        state.addUser(user, batch);
        return ok(user);
      }
      case "createUsers": {
        const phones = new Set<string>();
        for (const user of command.users) {
          if (state.phones.has(user.phone) || phones.has(user.phone)) {
            return fail("PHONE_TAKEN", `a user with phone ${user.phone} exists`, { phone: user.phone });
          }
          if (!isId("user", user.id) || state.hasUser(user.id)) throw new Error(`bad new user id ${user.id}`);
          phones.add(user.phone);
        }
        for (const user of command.users) state.addUser({ ...user, createdAt: at }, batch);
        return ok({ created: command.users.length });
      }
      case "deposit": {
        if (!state.hasUser(command.userId)) return userNotFound();
        if (command.amount < 1) return fail("AMOUNT_BELOW_MIN", "a deposit is at least 1 fen", { limit: 1 });
        if (command.amount > DEPOSIT_MAX) {
          return fail("AMOUNT_ABOVE_MAX", `a deposit is at most ${DEPOSIT_MAX} fen`, { limit: DEPOSIT_MAX });
        }
        const posted = state.post(
          { kind: "deposit", ref: command.userId, at, legs: move(FUNDING, command.userId, command.amount) },
          batch,
        );
        if (!posted.ok) return posted;
        return ok({ userId: command.userId, amount: command.amount, balance: state.balanceOf(command.userId) });
      }
      case "sendTransfer": {
        const request = { ...command.request, id: this.#ids.next("transfer", Date.now()) };
        if (!state.hasUser(request.from)) return userNotFound();
        if (!state.hasUser(request.to)) return fail("USER_NOT_FOUND", "the recipient does not exist");
        if (state.pendingCount(request.from) >= PENDING_TRANSFERS_PER_USER_MAX) {
          return fail("TOO_MANY_PENDING", `at most ${PENDING_TRANSFERS_PER_USER_MAX} transfers may wait for an answer`);
        }
        const sent = sendTransfer(request, at, this.#limits.at(acceptedAt, this.#calendar));
        if (!sent.ok) return sent;
        const posted = state.post(sent.value.posting, batch);
        if (!posted.ok) return posted;
        state.putTransfer(sent.value.transfer, batch);
        return ok(sent.value.transfer);
      }
      case "answerTransfer": {
        const transfer = state.pending.get(command.transferId);
        if (transfer === undefined) return fail("TRANSFER_NOT_PENDING", "the transfer is no longer pending");
        const answered = answerTransfer(transfer, command.by, command.answer, at);
        if (!answered.ok) return answered;
        const posted = state.post(answered.value.posting, batch);
        if (!posted.ok) throw new Error(`escrow cannot pay out transfer ${transfer.id}: ${posted.error.message}`);
        state.putTransfer(answered.value.transfer, batch);
        return ok(answered.value.transfer);
      }
      case "createGroup": {
        for (const userId of [command.owner, ...command.memberIds]) {
          if (!state.hasUser(userId)) return fail("USER_NOT_FOUND", `no such user: ${userId}`, { userId });
        }
        if (state.groupsOwnedBy(command.owner) >= GROUPS_PER_OWNER_MAX) {
          return fail("TOO_MANY_GROUPS", `a user owns at most ${GROUPS_PER_OWNER_MAX} groups`, {
            limit: GROUPS_PER_OWNER_MAX,
          });
        }
        const group = makeGroup(command.id, command.owner, command.name, command.memberIds, at);
        if (!group.ok) return group;
        state.addGroup(group.value, batch);
        return group;
      }
      case "sendPacket":
        return this.#applySendPacket(command, at, batch, acceptedAt);
      case "grabPacket":
        return this.#applyGrab(command, at, batch);
      case "acknowledgeLoan": {
        const transfer = state.pending.get(command.transferId) ?? state.settledTransfers.get(command.transferId);
        if (transfer === undefined) return fail("TRANSFER_NOT_FOUND", "no such transfer");
        const acknowledged = acknowledgeLoan(transfer, command.by, at);
        if (!acknowledged.ok || acknowledged.value === transfer) return acknowledged;
        state.putTransfer(acknowledged.value, batch);
        return acknowledged;
      }
      case "createCampaign": {
        const created = createCampaign({ ...command.request, id: this.#ids.next("campaign", Date.now()) }, at);
        if (!created.ok) return created;
        const posted = state.post(created.value.posting, batch);
        if (!posted.ok) return posted;
        state.addCampaign(created.value.campaign, batch);
        return ok(created.value.campaign);
      }
      case "claim":
        throw new Error("a claim is applied from its reservation");
      case "addSpecialDay": {
        const next =
          this.#calendar.withDay?.(command.rule) ?? fail("VALIDATION_FAILED", "this calendar takes no additions");
        if (!next.ok) return next;
        this.#calendar = next.value;
        batch.specialDays.push(command.rule);
        return ok({ rule: command.rule });
      }
      case "tick":
        return ok({ at });
    }
  }

  #applySendPacket(
    command: CommandOf<"sendPacket">,
    at: Instant,
    batch: Batch,
    acceptedAt: Instant,
  ): Result<RedPacket> {
    const state = this.state;
    const request = { ...command.request, id: this.#ids.next("redPacket", Date.now()) };
    if (!state.hasUser(request.sender)) return userNotFound();
    if (request.recipient !== null && !state.hasUser(request.recipient)) {
      return fail("USER_NOT_FOUND", "the recipient does not exist");
    }
    if (state.openPacketCount(request.sender) >= OPEN_PACKETS_PER_SENDER_MAX) {
      return fail("TOO_MANY_PENDING", `at most ${OPEN_PACKETS_PER_SENDER_MAX} of your packets may be open at once`);
    }
    const sent = sendPacket(request, {
      at,
      limits: this.#limits.at(acceptedAt, this.#calendar),
      audience: this.#audienceOf(request.groupId),
      randomInt: this.#randomInt,
      salt: Buffer.from(this.#random(32)).toString("hex"),
    });
    if (!sent.ok) return sent;
    const posted = state.post(sent.value.posting, batch);
    if (!posted.ok) return posted;
    state.putPacket(sent.value.packet, batch, false);
    return ok(sent.value.packet);
  }

  #applyGrab(command: CommandOf<"grabPacket">, at: Instant, batch: Batch): Result<CommandResults["grabPacket"]> {
    const state = this.state;
    const packet = state.packets.get(command.packetId);
    if (packet === undefined) {
      const settled = state.settled.get(command.packetId);
      const refusal =
        settled && grabRefusal(settled, command.userId, command.password, at, this.#audienceOf(settled.groupId));
      return refusal ?? fail("SOLD_OUT", "手慢了，红包派完了 (all shares are taken)");
    }
    const grabbed = grabPacket(packet, command.userId, command.password, at, this.#audienceOf(packet.groupId));
    if (!grabbed.ok) return grabbed;
    const posted = state.post(grabbed.value.posting, batch);
    if (!posted.ok) throw new Error(`escrow cannot pay packet ${packet.id}: ${posted.error.message}`);
    state.putPacket(grabbed.value.packet, batch, true);
    return ok({ packet: grabbed.value.packet, grab: grabbed.value.grab });
  }

  /** Refunds due transfers and expires due packets (each up to a bound); true when more are due. */
  #runDueTimers(at: Instant, batch: Batch): boolean {
    const state = this.state;
    for (let n = 0; n < this.#timersPerBatchMax; n++) {
      const transfer = state.nextDueRefund(at);
      if (transfer === undefined) break;
      const refund = refundTransfer(transfer, at);
      if (refund === null) continue;
      const posted = state.post(refund.posting, batch);
      if (!posted.ok) throw new Error(`escrow cannot refund transfer ${transfer.id}: ${posted.error.message}`);
      state.putTransfer(refund.transfer, batch);
    }
    for (let n = 0; n < this.#timersPerBatchMax; n++) {
      const packet = state.nextDueExpiry(at);
      if (packet === undefined) break;
      const expiry = expirePacket(packet, at);
      if (expiry === null) continue;
      if (expiry.posting !== null) {
        const posted = state.post(expiry.posting, batch);
        if (!posted.ok) throw new Error(`escrow cannot refund packet ${packet.id}: ${posted.error.message}`);
      }
      state.putPacket(expiry.packet, batch, false);
    }
    for (let n = 0; n < this.#timersPerBatchMax; n++) {
      const open = state.nextDueCampaignEnd(at);
      if (open === undefined) break;
      const ended = endCampaign(open.campaign, open.unreserved, at);
      if (ended.posting !== null) {
        const posted = state.post(ended.posting, batch);
        if (!posted.ok)
          throw new Error(`campaign ${open.campaign.id} cannot return its budget: ${posted.error.message}`);
      }
      open.campaign = ended.campaign;
      open.unreserved = 0;
      batch.campaigns.push(ended.campaign);
    }
    return this.#nextTimerAt() <= at;
  }

  #nextTimerAt(): Instant {
    const state = this.#state;
    return Math.min(
      state?.nextRefundAt() ?? Number.POSITIVE_INFINITY,
      state?.nextExpiryAt() ?? Number.POSITIVE_INFINITY,
    );
  }

  #forgetOldKeys(at: Instant, batch: Batch): void {
    if (at - this.#lastForgetAt < IDEMPOTENCY_FORGET_EVERY_MS) return;
    this.#lastForgetAt = at;
    (batch as { idempotencyForgetBefore: Instant | null }).idempotencyForgetBefore = at - IDEMPOTENCY_KEEP_MS;
  }

  /** Sleeps until the next timer is due by the clock, then runs a batch for it. */
  #armTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.#nextTimerAt();
    if (next === Number.POSITIVE_INFINITY || this.#closing) return;
    const delay = Math.min(Math.max(0, next - this.#clock.now()), TIMER_SLEEP_MS_MAX);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state !== undefined && this.#nextTimerAt() <= this.#clock.now()) {
        this.#scheduleFlush();
      } else {
        this.#armTimer();
      }
    }, delay);
    this.#timer.unref();
  }

  /** Runs every timer due by the clock now and resolves once their batch is durable. */
  async runDueTimers(): Promise<void> {
    for (;;) {
      const result = await this.submit({ type: "tick" });
      if (!result.ok) throw new EngineError(result.error);
      if (this.#nextTimerAt() > this.#clock.now()) return;
    }
  }

  /** Stops taking commands, commits what is queued, and stops the timers. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // Claims lingering for a bigger batch go now.
    if (this.queueDepth > 0) this.#scheduleFlush();
    while (this.#open > 0 || this.queueDepth > 0 || this.#committing !== undefined || this.#flushScheduled) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#closed = true;
  }
}

function shuttingDown(): Result<never> {
  return fail("SHUTTING_DOWN", "the service is shutting down; retry shortly");
}

function reusedKey(render: (r: Result<unknown>) => Answer): Answer {
  return render(fail("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used with a different request"));
}
