import { randomInt } from "node:crypto";
import type { AccountId } from "../domain/accounts.js";
import { claimRefusal, claimsPosting, drawClaim, refusalForAnyone, returnReleasedClaim } from "../domain/campaign.js";
import { dayOf, dayStart, type SentToday } from "../domain/daily-limits.js";
import { type DomainError, fail, ok, type Result } from "../domain/errors.js";
import type { Fen } from "../domain/money.js";
import { grabRefusal, type RedPacket } from "../domain/red-packet.js";
import { type Calendar, NO_SPECIAL_DAYS } from "../domain/rules.js";
import type { RandomInt } from "../domain/split.js";
import { HOUR_MS, type Instant } from "../domain/time.js";
import { acknowledgeLoan, type Transfer } from "../domain/transfer.js";
import { type ApplyContext, applyCommand, audienceOf } from "./appliers.js";
import { type Clock, systemClock } from "./clock.js";
import type { Command, CommandOf, CommandResults } from "./commands.js";
import type { CampaignLive, EngineFront } from "./front.js";
import { IdSource } from "./id-source.js";
import { InvariantError, invariant } from "./invariant.js";
import { type CampaignState, emptyBatch, isEmptyBatch, LedgerState, type LedgerStateSizes } from "./ledger-state.js";
import { LimitsCache } from "./limits-cache.js";
import { pooledRandomBytes } from "./random-pool.js";
import { type BatchOutcome, CLAIM_LINGER_MS, type Lane, Scheduler } from "./scheduler.js";
import type { Batch, IdempotencyRecord, LedgerStore, Snapshot } from "./store-port.js";
import { runDueTimers } from "./timers.js";

export type { Lane } from "./scheduler.js";

/** The HTTP answer to a command: rendered from its result after the batch is durable. */
export interface Answer {
  readonly status: number;
  readonly body: string;
  /** The answer first given for this idempotency key, given again. */
  readonly replayed?: true;
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
  /** Timers of one kind that fired in a durable batch. */
  timersFired?(kind: string, count: number): void;
  /** One command of a durable batch with its result, before its caller is answered. */
  committed?(command: Command, result: Result<unknown>): void;
  /** A batch is durable; called before anybody in it is answered (edges' facts, src/edge). */
  batchDurable?(batch: Batch): void;
}

/** What the engine knew when it stopped on a broken invariant: for the log, before the process exits. */
export interface FatalReport {
  readonly error: Error;
  readonly context: Readonly<Record<string, unknown>>;
  readonly batch: { readonly commands: number; readonly kinds: Readonly<Record<string, number>> };
  readonly memory: LedgerStateSizes | undefined;
}

export interface EngineOptions {
  readonly store: LedgerStore;
  readonly clock: Clock;
  /** The clock ids are ordered by; the real one by default, whatever clock the rules follow. */
  readonly idClock?: Clock;
  readonly calendar?: Calendar;
  /** Commands in one durable transaction at most. */
  readonly batchMax?: number;
  /** Commands waiting at most; past it a command is refused with BUSY at once. */
  readonly queueMax?: number;
  /** Due timers run in one batch at most; the rest follow in the next. */
  readonly timersPerBatchMax?: number;
  readonly random?: (size: number) => Uint8Array;
  readonly randomInt?: RandomInt;
  /** Campaign claims waiting at most; past it a claim is refused with BUSY at once. */
  readonly claimQueueLengthMax?: number;
  /** Claims in one batch at most, on top of the other commands. */
  readonly claimBatchMax?: number;
  /**
   * How long claims alone may linger for more, ms (default 10); a turn that brings none ends
   * it sooner. Tests that count batches on a loaded machine set it long.
   */
  readonly claimLingerMs?: number;
  /** The group-commit window while the event loop is busy, ms (0, the default: none; src/engine/scheduler.ts). */
  readonly commitWindowMs?: number;
  /** A claim that waited longer than this for its batch is answered BUSY instead. */
  readonly claimDeadlineMs?: number;
  /** Campaign claims queue in their own lane behind transfers and packets (default); off: one FIFO. */
  readonly isolation?: boolean;
  readonly observer?: EngineObserver;
  /**
   * A batch is applied while the one before it commits (decision 0059); by default when the
   * store's commits leave the event loop, since otherwise nothing would overlap.
   */
  readonly overlapCommits?: boolean;
  /**
   * Called once when an invariant breaks (a bug): the engine has stopped and answers nothing
   * more. By default the report goes to stderr and the process exits with status 70.
   */
  readonly onFatal?: (report: FatalReport) => void;
}

/** Idempotency keys are kept twice as long as the 24 h the contract promises. */
export const IDEMPOTENCY_KEEP_MS = 48 * HOUR_MS;
const IDEMPOTENCY_FORGET_EVERY_MS = HOUR_MS;
/** After a failed commit, how often memory is tried again from a store that does not answer. */
const RELOAD_RETRY_MS = 1_000;

interface Waiting {
  readonly command: Command;
  readonly render: ((result: Result<unknown>) => Answer) | undefined;
  readonly idempotency: Idempotency | undefined;
  /** A refusal decided before the batch; it is stored with the key instead of being applied. */
  readonly decided: Result<unknown> | undefined;
  readonly acceptedAt: Instant;
  readonly enqueuedAt: number;
  readonly lane: Lane;
  /** The share of a campaign's budget a claim reserved when it was taken. */
  readonly claim: ReservedClaim | undefined;
  /** Called once its batch is durable (or memory is rebuilt), with the answer rendered. */
  readonly settle: (result: Result<unknown>, answer: Answer | undefined) => void;
  readonly reject: (error: unknown) => void;
}

interface Outcome {
  readonly result: Result<unknown>;
  readonly answer: Answer | undefined;
}

interface ReservedClaim {
  readonly campaignId: string;
  readonly userId: string;
  readonly amount: Fen;
  readonly n: number;
}

/** A batch applied to memory, waiting for its commit to answer its callers. */
interface AppliedBatch {
  /** The memory it was applied to. */
  readonly state: LedgerState;
  readonly waiting: Waiting[];
  readonly results: Result<unknown>[];
  readonly batch: Batch;
  readonly fired: Map<string, number>;
  /** process.hrtime.bigint() when it began. */
  readonly started: bigint;
  readonly campaigns: Map<string, CampaignLive> | undefined;
  /** Tells the scheduler the batch may be written now. */
  readonly writable: () => void;
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

/** Memory is being rebuilt from the store after a failed commit: a caller should retry shortly. */
export class EngineUnavailableError extends Error {
  constructor() {
    super("the ledger is rebuilding its memory from the store; retry shortly");
  }
}

/** Raised to every caller once the engine stopped on a broken invariant. */
export class EngineStoppedError extends Error {
  constructor(override readonly cause: Error) {
    super(`the engine stopped: ${cause.message}`);
  }
}

/**
 * The single writer's front: commands come in here (submit, execute), are checked against
 * memory, queue in the scheduler (src/engine/scheduler.ts), are applied one function per
 * command (src/engine/appliers.ts) into a batch with the timers due (src/engine/timers.ts),
 * and every batch commits in one durable transaction before anybody in it is answered.
 * Views run after the commit, one caller at a time, so rendering can touch neither the
 * ledger nor another caller. Callers read memory through the narrow methods below.
 */
export class Engine implements EngineFront {
  readonly #store: LedgerStore;
  readonly #clock: Clock;
  /** The calendar the engine was given; operators' special days from the store go on top. */
  readonly #baseCalendar: Calendar;
  #calendar: Calendar;
  readonly #limits = new LimitsCache();
  readonly #ids: IdSource;
  readonly #queueLengthMax: number;
  readonly #claimQueueLengthMax: number;
  readonly #timersPerBatchMax: number;
  readonly #random: (size: number) => Uint8Array;
  readonly #randomInt: RandomInt;
  readonly #observer: EngineObserver;
  readonly #onFatal: (report: FatalReport) => void;
  readonly #claimDeadlineMs: number;
  readonly #isolation: boolean;
  readonly #overlapCommits: boolean;
  readonly #scheduler: Scheduler<Waiting>;
  #state: LedgerState | undefined;
  /** The operators' special days as stored, in the order they were added. */
  #specialDayRules: unknown[] = [];
  readonly #inFlight = new Map<string, InFlight>();
  /** The last batch handed to the store: settles once it is durable, or once memory is rebuilt after it failed. */
  #lastCommit: Promise<void> = Promise.resolve();
  #commitsInFlight = 0;
  /** While observers hear of a durable batch: the campaigns it changed as they stood then. */
  #durableCampaigns: Map<string, CampaignLive> | undefined;
  #lastForgetAt = Number.NEGATIVE_INFINITY;
  #closing = false;
  #closed = false;
  #stopped: Error | undefined;
  #open = 0;
  #stopWatchingClock: (() => void) | undefined;

  constructor(options: EngineOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#baseCalendar = options.calendar ?? NO_SPECIAL_DAYS;
    this.#calendar = this.#baseCalendar;
    this.#queueLengthMax = options.queueMax ?? 50_000;
    this.#claimQueueLengthMax = options.claimQueueLengthMax ?? 20_000;
    this.#timersPerBatchMax = options.timersPerBatchMax ?? 2000;
    this.#random = options.random ?? pooledRandomBytes();
    this.#ids = new IdSource(this.#random, options.idClock ?? systemClock);
    this.#randomInt = options.randomInt ?? ((bound) => randomInt(bound));
    this.#claimDeadlineMs = options.claimDeadlineMs ?? 2_000;
    this.#isolation = options.isolation ?? true;
    this.#overlapCommits = options.overlapCommits ?? options.store.commitsOffLoop === true;
    this.#observer = options.observer ?? {};
    this.#onFatal = options.onFatal ?? exitOnFatal;
    this.#scheduler = new Scheduler<Waiting>({
      clock: this.#clock,
      batchMax: options.batchMax ?? 2000,
      claimBatchMax: options.claimBatchMax ?? 10_000,
      claimLingerMs: options.claimLingerMs ?? CLAIM_LINGER_MS,
      spacingMs: options.commitWindowMs ?? 0,
      runBatch: (waiting, writable) => this.#runBatch(waiting, writable),
      nextDueAt: () => this.#state?.nextDueAt(),
    });
  }

  /** Rebuilds memory from the store; call once before anything else. */
  async start(): Promise<void> {
    await this.#reload();
    this.#scheduler.start();
    // A test clock set past a due instant wakes the timers at once, as the real clock's passing does.
    this.#stopWatchingClock = this.#clock.onJump?.(() => this.#scheduler.wake());
  }

  /** Memory from the store: the snapshot, then today's red packets for the per-day caps. */
  async #reload(): Promise<void> {
    const snapshot = await this.#store.load();
    const now = this.#clock.now();
    const sent = await this.#store.packetsSentSince(dayStart(now));
    this.#restore(snapshot);
    this.#state?.restoreSent(dayOf(now), sent);
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
    this.#specialDayRules = [...snapshot.specialDays];
    this.#state = new LedgerState(snapshot);
  }

  get #ledger(): LedgerState {
    if (this.#stopped !== undefined) throw new EngineStoppedError(this.#stopped);
    if (this.#state === undefined) throw new EngineUnavailableError();
    return this.#state;
  }

  // ——— Narrow reads for callers outside the engine ———

  /** True once memory is loaded and while the engine serves. */
  get ready(): boolean {
    return this.#state !== undefined && this.#stopped === undefined && !this.#closed;
  }

  get queueDepth(): number {
    return this.#scheduler.depth;
  }

  laneDepth(lane: Lane): number {
    return this.#scheduler.laneDepth(lane);
  }

  /** How long commands of a lane have lately waited for their batch: the overload signal. */
  queueDelayMs(lane: Lane): number {
    return this.#scheduler.queueDelayMs(lane);
  }

  get isolation(): boolean {
    return this.#isolation;
  }

  get clock(): Clock {
    return this.#clock;
  }

  get calendar(): Calendar {
    return this.#calendar;
  }

  /** The operators' special days on top of the base calendar, as added. */
  specialDayRules(): readonly unknown[] {
    return this.#specialDayRules;
  }

  /** Open campaigns with what was claimed from them: the facts an edge starts from. */
  openCampaigns(): { readonly campaign: CampaignState["campaign"]; readonly claimedAmount: Fen }[] {
    return [...this.#ledger.campaigns.values()].map((open) => ({
      campaign: open.campaign,
      claimedAmount: open.claimedAmount,
    }));
  }

  hasUser(userId: string): boolean {
    return this.#ledger.hasUser(userId);
  }

  userIdByPhone(phone: string): string | undefined {
    return this.#ledger.phones.get(phone);
  }

  balanceOf(account: AccountId): Fen {
    return this.#ledger.balanceOf(account);
  }

  isGroupMember(groupId: string, userId: string): boolean {
    return this.#ledger.groups.get(groupId)?.has(userId) === true;
  }

  /** A group's members while memory holds the group. */
  groupMembers(groupId: string): ReadonlySet<string> | undefined {
    return this.#ledger.groups.get(groupId);
  }

  /** The ids of the groups a user is a member of, newest first, at most `max`. */
  groupsOf(userId: string, max: number): string[] {
    const ids: string[] = [];
    for (const [id, members] of this.#ledger.groups) if (members.has(userId)) ids.push(id);
    return ids.sort().reverse().slice(0, max);
  }

  /** A group's open and recently settled packets, newest first, at most `max`. */
  groupPackets(groupId: string, max: number): RedPacket[] {
    const state = this.#ledger;
    const found = new Map<string, RedPacket>();
    for (const packet of state.settled.values()) if (packet.groupId === groupId) found.set(packet.id, packet);
    for (const packet of state.packets.values()) if (packet.groupId === groupId) found.set(packet.id, packet);
    return [...found.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, max);
  }

  /** A user's transfers waiting for an answer, each side at most `max`. */
  pendingTransfersOf(userId: string, max: number): { incoming: Transfer[]; outgoing: Transfer[] } {
    const incoming: Transfer[] = [];
    const outgoing: Transfer[] = [];
    for (const transfer of this.#ledger.pending.values()) {
      if (transfer.to === userId && incoming.length < max) incoming.push(transfer);
      else if (transfer.from === userId && outgoing.length < max) outgoing.push(transfer);
    }
    return { incoming, outgoing };
  }

  /** A packet as memory has it (open, or recently settled), else from the store. */
  async packet(id: string): Promise<RedPacket | undefined> {
    const state = this.#ledger;
    return state.packets.get(id) ?? state.settled.get(id) ?? (await this.#store.packet(id));
  }

  /**
   * A campaign with its live counts while memory holds it; undefined sends the reader to the
   * store. While observers hear of a durable batch, the counts as of that batch.
   */
  campaignLive(id: string): CampaignLive | undefined {
    return this.#durableCampaigns?.get(id) ?? this.#liveCampaign(id);
  }

  #liveCampaign(id: string): CampaignLive | undefined {
    const open = this.#ledger.campaigns.get(id);
    if (open === undefined) return undefined;
    return {
      campaign: open.campaign,
      claimedCount: open.claimedCount,
      claimedAmount: open.claimedAmount,
      unreserved: open.unreserved,
    };
  }

  /** What a user has put into red packets today (Asia/Shanghai), for the per-day caps. */
  sentToday(userId: string): SentToday {
    return this.#ledger.sentOn(userId, dayOf(this.#clock.now()));
  }

  /** How much memory holds, by kind. */
  memorySizes(): LedgerStateSizes {
    return this.#ledger.sizes();
  }

  /**
   * The answer a claim gets without touching the queue (not started, ended, already claimed,
   * sold out, no such campaign), or undefined when it may be tried.
   */
  claimRefusal(campaignId: string, userId: string): Result<never> | undefined {
    return this.#claimRefusalAt(campaignId, userId, this.#clock.now());
  }

  #claimRefusalAt(campaignId: string, userId: string, at: Instant): Result<never> | undefined {
    const state = this.#ledger;
    const open = state.campaigns.get(campaignId);
    if (open === undefined) {
      const ended = state.endedCampaigns.get(campaignId);
      if (ended !== undefined) return claimRefusal(ended, 0, 0, at);
      return fail("CAMPAIGN_NOT_FOUND", "no such campaign, or it has ended");
    }
    return claimRefusal(open.campaign, open.claimsByUser.get(userId) ?? 0, open.unreserved, at);
  }

  /**
   * The refusal a claim gets now whoever asks (sold out, ended), or undefined: it needs no
   * token, so a crowd's late arrivals are answered before any is checked.
   */
  claimRefusalForAnyone(campaignId: string): Result<never> | undefined {
    const state = this.#ledger;
    const open = state.campaigns.get(campaignId);
    const ended = open === undefined ? state.endedCampaigns.get(campaignId) : undefined;
    if (open !== undefined) return refusalForAnyone(open.campaign, open.unreserved, this.#clock.now());
    return ended !== undefined ? refusalForAnyone(ended, 0, this.#clock.now()) : undefined;
  }

  /** Claims a user has made in an open campaign, those waiting for their batch included. */
  claimsOf(campaignId: string, userId: string): number {
    return this.#ledger.campaigns.get(campaignId)?.claimsByUser.get(userId) ?? 0;
  }

  /** A transfer from memory, or from the store (then kept among the recently settled ones). */
  async transfer(id: string): Promise<Transfer | undefined> {
    const state = this.#ledger;
    const known = state.pending.get(id) ?? state.settledTransfers.get(id);
    if (known !== undefined) return known;
    const stored = await this.#store.transfer(id);
    if (stored !== undefined && stored.status !== "pending") state.rememberSettledTransfer(stored);
    return stored;
  }

  // ——— Commands ———

  /** Runs a command and returns its result once the batch holding it is durable. */
  async submit<K extends Command["type"]>(command: CommandOf<K>): Promise<Result<CommandResults[K]>> {
    if (this.#stopped !== undefined) throw new EngineStoppedError(this.#stopped);
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
   * Runs a command and renders its answer once it is durable; with an idempotency key the
   * result is stored in the same batch, and the same key with the same request gets the
   * answer rendered from it again.
   */
  execute<K extends Command["type"]>(
    command: CommandOf<K>,
    render: (result: Result<CommandResults[K]>) => Answer,
    idempotency?: Idempotency,
  ): Promise<Answer> {
    const renderAny = render as (result: Result<unknown>) => Answer;
    if (this.#stopped !== undefined) return Promise.reject(new EngineStoppedError(this.#stopped));
    if (this.#closing) return rendered(renderAny, shuttingDown());
    if (idempotency === undefined) {
      // A command without a key checked from memory (a crowd's claim) takes one promise from
      // here to its answer: no async frames, no turns of the microtask queue in between.
      let checked: Result<unknown> | undefined | Promise<Result<unknown> | undefined>;
      try {
        checked = this.#precheck(command);
      } catch (error) {
        return Promise.reject(error);
      }
      if (!(checked instanceof Promise)) {
        if (checked !== undefined) return rendered(renderAny, checked);
        return this.#settled(command, renderAny, undefined, undefined, (_, answer) => answer as Answer);
      }
      return this.#track(async () => {
        const early = await checked;
        if (early !== undefined) return renderAny(early);
        const { answer } = await this.#enqueue(command, renderAny, undefined);
        return answer as Answer;
      });
    }
    // Awaited rather than returned: an async function that returns a promise takes two more turns to adopt it.
    return this.#track(() => this.#executeWithKey(command, renderAny, idempotency));
  }

  async #executeWithKey(
    command: Command,
    renderAny: (r: Result<unknown>) => Answer,
    idempotency: Idempotency | undefined,
  ): Promise<Answer> {
    if (idempotency === undefined) return await this.#executeOnce(command, renderAny, undefined);
    const slot = `${idempotency.scope}\u0000${idempotency.key}`;
    const inFlight = this.#inFlight.get(slot);
    if (inFlight !== undefined) {
      if (inFlight.requestHash === idempotency.requestHash) return { ...(await inFlight.answer), replayed: true };
      // Another request under this key is being decided, and may be refused for it: the key
      // may already be this request's (stored, or won by the one in flight). Known only once
      // it is decided, so decide this one after it rather than refuse it now.
      await inFlight.answer.catch(() => undefined);
      return await this.#executeWithKey(command, renderAny, idempotency);
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
      if (stored.requestHash !== key.requestHash) return reusedKey(render);
      return { ...replayOf(stored, render), replayed: true };
    }
    return this.#executeOnce(command, render, key);
  }

  async #executeOnce(
    command: Command,
    render: (r: Result<unknown>) => Answer,
    key: Idempotency | undefined,
  ): Promise<Answer> {
    const checked = this.#precheck(command);
    // A claim of a campaign in memory is checked at once: no promise, no turn of the microtask queue.
    const early = checked instanceof Promise ? await checked : checked;
    // Without a key a refusal needs no batch; with one, it is stored like any result so the key stays bound.
    if (early !== undefined && key === undefined) return render(early);
    const { answer } = await this.#enqueue(command, render, key, early);
    return answer as Answer;
  }

  /** Answers that need no batch: from memory, or from the store for settled transfers and old campaigns. */
  #precheck(command: Command): Result<unknown> | undefined | Promise<Result<unknown> | undefined> {
    switch (command.type) {
      case "grabPacket":
        return this.#precheckGrab(command);
      case "claim":
        return this.#precheckClaim(command);
      case "answerTransfer":
      case "acknowledgeLoan":
      case "cancelTransfer":
        return this.#precheckTransferAnswer(command);
      case "pauseCampaign":
      case "resumeCampaign":
      case "closeCampaign":
        return this.#precheckCampaignControl(command.campaignId);
      default:
        return undefined;
    }
  }

  async #precheckTransferAnswer(
    command: CommandOf<"answerTransfer"> | CommandOf<"acknowledgeLoan"> | CommandOf<"cancelTransfer">,
  ): Promise<Result<unknown> | undefined> {
    const transfer = await this.transfer(command.transferId);
    if (transfer === undefined || (command.by !== transfer.from && command.by !== transfer.to)) {
      return fail("TRANSFER_NOT_FOUND", "no such transfer");
    }
    if (command.type === "acknowledgeLoan") {
      const acknowledged = acknowledgeLoan(transfer, command.by, this.#clock.now());
      return acknowledged.ok ? undefined : acknowledged;
    }
    if (command.type === "cancelTransfer") {
      if (command.by !== transfer.from) return fail("NOT_SENDER", "only the sender may cancel a transfer");
    } else if (command.by !== transfer.to) return fail("NOT_RECIPIENT", "only the recipient may answer a transfer");
    if (transfer.status !== "pending") {
      return fail("TRANSFER_NOT_PENDING", `the transfer is already ${transfer.status}`, { status: transfer.status });
    }
    return undefined;
  }

  /** Sold out, already grabbed, not allowed, expired: answered without queueing behind money work. */
  async #precheckGrab(command: CommandOf<"grabPacket">): Promise<Result<unknown> | undefined> {
    const state = this.#ledger;
    const packet =
      state.packets.get(command.packetId) ??
      state.settled.get(command.packetId) ??
      (await this.#store.packet(command.packetId));
    if (packet === undefined) return fail("PACKET_NOT_FOUND", "no such red packet");
    if (packet.status !== "active") state.rememberSettled(packet);
    return grabRefusal(packet, command.userId, command.password, this.#clock.now(), audienceOf(state, packet.groupId));
  }

  /** A campaign memory has let go of (ended long ago) is looked up in the store. */
  #precheckClaim(command: CommandOf<"claim">): Promise<Result<unknown> | undefined> | undefined {
    if (this.#ledger.campaignOf(command.campaignId) !== undefined) return undefined;
    return this.#precheckStoredClaim(command);
  }

  async #precheckStoredClaim(command: CommandOf<"claim">): Promise<Result<unknown> | undefined> {
    const state = this.#ledger;
    const stored = await this.#store.campaign(command.campaignId);
    if (stored === undefined) return undefined;
    state.endedCampaigns.set(stored.campaign.id, stored.campaign);
    return claimRefusal(stored.campaign, 0, 0, this.#clock.now());
  }

  /** A campaign memory has let go of is looked up in the store, so its control is refused as ENDED. */
  async #precheckCampaignControl(campaignId: string): Promise<Result<unknown> | undefined> {
    const state = this.#ledger;
    if (state.campaignOf(campaignId) !== undefined) return undefined;
    const stored = await this.#store.campaign(campaignId);
    if (stored === undefined) return fail("CAMPAIGN_NOT_FOUND", "no such campaign");
    state.endedCampaigns.set(stored.campaign.id, stored.campaign);
    return undefined;
  }

  #enqueue(
    command: Command,
    render: Waiting["render"],
    idempotency: Idempotency | undefined,
    decided?: Result<unknown>,
  ): Promise<Outcome> {
    return this.#settled(command, render, idempotency, decided, (result, answer) => ({ result, answer }));
  }

  /** One promise from the queue to what `take` makes of the command's result and answer, or of its refusal at once. */
  #settled<T>(
    command: Command,
    render: Waiting["render"],
    idempotency: Idempotency | undefined,
    decided: Result<unknown> | undefined,
    take: (result: Result<unknown>, answer: Answer | undefined) => T,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const refused = this.#queue(
        command,
        render,
        idempotency,
        decided,
        (result, answer) => resolve(take(result, answer)),
        reject,
      );
      if (refused !== undefined) resolve(take(refused, render?.(refused)));
    });
  }

  /**
   * Queues a command for its batch, which calls `settle` once it is durable; or returns the
   * refusal it gets at once (the engine closing, its lane full, a claim's budget gone).
   */
  #queue(
    command: Command,
    render: Waiting["render"],
    idempotency: Idempotency | undefined,
    decided: Result<unknown> | undefined,
    settle: Waiting["settle"],
    reject: Waiting["reject"],
  ): Result<unknown> | undefined {
    // Everything here is synchronous, so concurrent callers cannot slip past a bound or a budget.
    const lane: Lane = this.#isolation && command.type === "claim" ? "campaign" : "critical";
    const laneMax = lane === "campaign" ? this.#claimQueueLengthMax : this.#queueLengthMax;
    let refused = this.#closed
      ? shuttingDown()
      : this.#scheduler.laneDepth(lane) >= laneMax
        ? fail("BUSY", "the ledger is busy; retry shortly")
        : undefined;
    // One clock read a command: the instant it is accepted at is the one its claim is judged at.
    const acceptedAt = this.#clock.now();
    let claim: ReservedClaim | undefined;
    if (refused === undefined && decided === undefined && command.type === "claim") {
      const reserved = this.#reserveClaim(command, acceptedAt);
      if (reserved.ok) claim = reserved.value;
      // A pause passes, like BUSY: it is not kept with the key, so the same key claims after a resume.
      else if (idempotency === undefined || reserved.error.code === "CAMPAIGN_PAUSED") refused = reserved;
      else decided = reserved;
    }
    if (refused !== undefined) return refused;
    this.#scheduler.push({
      command,
      render,
      idempotency,
      decided,
      acceptedAt,
      enqueuedAt: performance.now(),
      lane,
      claim,
      settle,
      reject,
    });
    return undefined;
  }

  /** Takes a claim's amount out of the unreserved budget, or says why not. */
  #reserveClaim(command: CommandOf<"claim">, at: Instant): Result<ReservedClaim> {
    const { campaignId, userId } = command;
    const open = this.#ledger.campaigns.get(campaignId);
    if (open === undefined)
      return this.#claimRefusalAt(campaignId, userId, at) ?? fail("CAMPAIGN_NOT_FOUND", "no such campaign");
    // One look-up of the user's claims serves the refusal and the claim's number.
    const before = open.claimsByUser.get(userId) ?? 0;
    const refusal = claimRefusal(open.campaign, before, open.unreserved, at);
    if (refusal !== undefined) return refusal;
    const amount = drawClaim(open.campaign.amount, open.unreserved, this.#randomInt);
    const n = before + 1;
    open.unreserved -= amount;
    open.claimsByUser.set(command.userId, n);
    open.waitingClaims += 1;
    return ok({ campaignId: command.campaignId, userId: command.userId, amount, n });
  }

  /**
   * Gives a reserved claim back, for a claim that will not be made. Once its campaign has
   * ended, the amount goes back to funding in this batch, as the rest of the budget did.
   */
  #releaseClaim(claim: ReservedClaim, state: LedgerState, batch: Batch, at: Instant): void {
    const open = state.campaigns.get(claim.campaignId);
    invariant(open !== undefined, "a reserved claim's campaign is in memory", { campaignId: claim.campaignId });
    open.waitingClaims -= 1;
    const left = (open.claimsByUser.get(claim.userId) ?? 1) - 1;
    if (left > 0) open.claimsByUser.set(claim.userId, left);
    else open.claimsByUser.delete(claim.userId);
    if (open.campaign.status === "open") {
      open.unreserved += claim.amount;
      return;
    }
    const returned = returnReleasedClaim(open.campaign, claim.amount, at);
    const posted = state.post(returned.posting, batch);
    invariant(posted.ok, "an ended campaign holds its waiting claims", { campaignId: claim.campaignId });
    open.campaign = returned.campaign;
    batch.campaigns.push(returned.campaign);
    state.forgetIfSettled(open);
  }

  // ——— Batches ———

  /**
   * Applies one batch and hands it to the store: due timers first, then each command. A
   * broken invariant stops the engine. With overlapCommits, commits overlap by one (depth 2):
   * this batch is applied while the one before it commits, and it resolves, letting the
   * scheduler take the next, once that one is durable; its own commit follows it in order
   * (#commitInOrder). Without, it resolves once its own commit is durable.
   * Only after a batch's commit is anybody in it answered.
   */
  async #runBatch(waiting: Waiting[], writable: () => void): Promise<BatchOutcome> {
    if (this.#stopped !== undefined) return { timersLeft: false };
    const state = this.#state;
    if (state === undefined) {
      writable();
      // Memory is being rebuilt after the batch before this one failed: this one was taken from a queue now gone.
      for (const item of waiting) answer(item, commitFailure());
      return { timersLeft: false };
    }
    const at = this.#clock.now();
    const now = performance.now();
    const batch = emptyBatch();
    const started = process.hrtime.bigint();
    for (const item of waiting) this.#observer.commandWaited?.(item.lane, (now - item.enqueuedAt) / 1000);
    let results: Result<unknown>[];
    let fired: Map<string, number>;
    try {
      fired = runDueTimers(state, at, batch, this.#timersPerBatchMax);
      this.#forgetOldKeys(at, batch);
      results = this.#applyAll(waiting, state, at, batch, now);
    } catch (error) {
      this.#stop(error, waiting);
      return { timersLeft: false };
    }
    const campaigns = this.#campaignsAsOf(batch);
    const applied: AppliedBatch = { state, waiting, results, batch, fired, started, campaigns, writable };
    const previous = this.#lastCommit;
    let settle: () => void = () => {};
    this.#lastCommit = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#commitsInFlight += 1;
    void this.#commitInOrder(previous, applied, settle).finally(() => {
      this.#commitsInFlight -= 1;
    });
    await (this.#overlapCommits ? previous : this.#lastCommit);
    return { timersLeft: (state.nextDueAt() ?? Number.POSITIVE_INFINITY) <= at };
  }

  /**
   * Commits a batch once the one before it is durable, then answers its callers. `settle`
   * goes once it is durable (before its callers are answered, so the next batch's commit
   * starts first), or once memory is rebuilt after it failed. A batch applied on memory that
   * was since thrown away (the batch before it failed) held that batch's effects: nothing of
   * it is committed and its callers are told BUSY.
   */
  async #commitInOrder(previous: Promise<void>, applied: AppliedBatch, settle: () => void): Promise<void> {
    const { waiting, batch } = applied;
    await previous;
    applied.writable();
    if (applied.state !== this.#state) {
      for (const item of waiting) answer(item, commitFailure());
      settle();
      return;
    }
    const empty = isEmptyBatch(batch);
    try {
      if (!empty) await this.#store.commit(batch);
    } catch (error) {
      await this.#recover(waiting, error);
      settle();
      return;
    }
    settle();
    // One turn of the microtask queue: the next batch's commit, queued by settle(), starts before these answers.
    await undefined;
    this.#answerDurable(applied, empty);
  }

  #answerDurable(applied: AppliedBatch, empty: boolean): void {
    const { waiting, results, batch, fired, started } = applied;
    // A timer that changed nothing (a campaign's start, a timer whose object was settled) made no batch.
    if (!empty || waiting.length > 0) {
      this.#observer.batchCommitted?.(waiting.length, Number(process.hrtime.bigint() - started) / 1e9);
    }
    for (const [kind, count] of fired) this.#observer.timersFired?.(kind, count);
    if (!empty) {
      this.#specialDayRules.push(...batch.specialDays);
      // What observers read of campaigns is this batch's state, not that of the batch applied since.
      this.#durableCampaigns = applied.campaigns;
      try {
        this.#observer.batchDurable?.(batch);
      } finally {
        this.#durableCampaigns = undefined;
      }
    }
    const committed = this.#observer.committed;
    if (committed !== undefined) {
      for (let i = 0; i < waiting.length; i++)
        committed((waiting[i] as Waiting).command, results[i] as Result<unknown>);
    }
    for (let i = 0; i < waiting.length; i++) answer(waiting[i] as Waiting, results[i] as Result<unknown>);
  }

  /** The campaigns a batch changed, as they stand once it is applied: what is durable with it. */
  #campaignsAsOf(batch: Batch): Map<string, CampaignLive> | undefined {
    if (batch.campaigns.length === 0) return undefined;
    const campaigns = new Map<string, CampaignLive>();
    for (const { id } of batch.campaigns) {
      const live = this.#liveCampaign(id);
      if (live !== undefined) campaigns.set(id, live);
    }
    return campaigns;
  }

  #applyAll(waiting: Waiting[], state: LedgerState, at: Instant, batch: Batch, now: number): Result<unknown>[] {
    const claims = new Map<string, ReservedClaim[]>();
    const results: Result<unknown>[] = new Array(waiting.length);
    for (let i = 0; i < waiting.length; i++) {
      const item = waiting[i] as Waiting;
      const result =
        item.decided ??
        (item.command.type === "claim"
          ? this.#applyClaim(item, claims, state, batch, at, now)
          : applyCommand(item.command, this.#applyContext(state, batch, at, item.acceptedAt)));
      const key = item.idempotency;
      if (key !== undefined) {
        // Field by field, as claim rows: `{ ...key, outcome, createdAt }` is V8's slow path.
        const { scope, key: name, requestHash } = key;
        batch.idempotency.push({ scope, key: name, requestHash, outcome: JSON.stringify({ result }), createdAt: at });
      }
      results[i] = result;
    }
    this.#postClaims(claims, state, at, batch);
    return results;
  }

  #applyContext(state: LedgerState, batch: Batch, at: Instant, acceptedAt: Instant): ApplyContext {
    return {
      state,
      batch,
      at,
      acceptedAt,
      calendar: this.#calendar,
      replaceCalendar: (calendar) => {
        this.#calendar = calendar;
      },
      limits: this.#limits,
      ids: this.#ids,
      random: this.#random,
      randomInt: this.#randomInt,
    };
  }

  /** A claim's reservation joins its campaign's posting, or goes back when it waited too long. */
  #applyClaim(
    item: Waiting,
    claims: Map<string, ReservedClaim[]>,
    state: LedgerState,
    batch: Batch,
    at: Instant,
    now: number,
  ): Result<unknown> {
    const claim = item.claim;
    invariant(claim !== undefined, "a queued claim holds its reservation");
    if (now - item.enqueuedAt > this.#claimDeadlineMs) {
      this.#releaseClaim(claim, state, batch, at);
      return fail("BUSY", "the claim waited too long; retry shortly");
    }
    let list = claims.get(claim.campaignId);
    if (list === undefined) {
      list = [];
      claims.set(claim.campaignId, list);
    }
    list.push(claim);
    return ok({ campaignId: claim.campaignId, amount: claim.amount, n: claim.n });
  }

  /** One posting per campaign per batch pays every claim in it: the budget account is debited once. */
  #postClaims(claims: Map<string, ReservedClaim[]>, state: LedgerState, at: Instant, batch: Batch): void {
    for (const [campaignId, list] of claims) {
      const posted = state.post(claimsPosting(campaignId, list, at), batch);
      invariant(posted.ok, "a campaign can pay its reserved claims", { campaignId, claims: list.length });
      const open = state.campaigns.get(campaignId);
      invariant(open !== undefined, "a paid campaign is in memory", { campaignId });
      const postingId = posted.value.id;
      let amount = 0;
      for (const claim of list) {
        // Field by field: V8 copies `{ ...claim, at, postingId }` on a slow path, about 3 µs a claim.
        batch.claims.push({ campaignId, userId: claim.userId, n: claim.n, amount: claim.amount, at, postingId });
        amount += claim.amount;
      }
      open.waitingClaims -= list.length;
      state.addClaims(open, list.length, amount, at, batch);
      state.forgetIfSettled(open);
    }
  }

  /** A failed commit leaves memory ahead of the store: answer BUSY and rebuild memory from the store. */
  async #recover(waiting: Waiting[], error: unknown): Promise<void> {
    const failure = commitFailure();
    if (this.#observer.commitFailed !== undefined) this.#observer.commitFailed(error);
    else process.emitWarning(`hongbao: batch commit failed, reloading state: ${String(error)}`);
    this.#state = undefined;
    // Queued claims reserved budget in the memory being thrown away: they are answered BUSY too.
    const queued = this.#scheduler.drain();
    for (const item of [...waiting, ...queued]) answer(item, failure);
    // A special day added in the failed batch goes with it: the calendar is rebuilt too. Until
    // the store answers again, callers are told to retry (EngineUnavailableError), never served.
    for (;;) {
      try {
        await this.#reload();
        return;
      } catch (reloadError) {
        this.#observer.commitFailed?.(reloadError);
        if (this.#closing) return;
        // Unref'd: the server keeps a serving process alive; an abandoned engine (a test's
        // killed process, its store closed under it) must not keep one alive by retrying.
        await new Promise((resolve) => setTimeout(resolve, RELOAD_RETRY_MS).unref());
      }
    }
  }

  /**
   * A broken invariant, or any throw while applying, is a bug: memory can no longer be
   * trusted. Nothing in the batch is committed or answered as done; the report goes to the
   * log and, by default, the process exits. Callers still waiting are failed, never told BUSY.
   */
  #stop(error: unknown, waiting: Waiting[]): void {
    const cause = error instanceof Error ? error : new Error(String(error));
    this.#stopped = cause;
    const kinds: Record<string, number> = {};
    for (const item of waiting) kinds[item.command.type] = (kinds[item.command.type] ?? 0) + 1;
    this.#scheduler.close();
    this.#onFatal({
      error: cause,
      context: error instanceof InvariantError ? error.context : {},
      batch: { commands: waiting.length, kinds },
      memory: this.#state?.sizes(),
    });
    const stopped = new EngineStoppedError(cause);
    for (const item of [...waiting, ...this.#scheduler.drain()]) item.reject(stopped);
  }

  #forgetOldKeys(at: Instant, batch: Batch): void {
    if (at - this.#lastForgetAt < IDEMPOTENCY_FORGET_EVERY_MS) return;
    this.#lastForgetAt = at;
    (batch as { idempotencyForgetBefore: Instant | null }).idempotencyForgetBefore = at - IDEMPOTENCY_KEEP_MS;
  }

  /**
   * Runs every timer due by the clock now and resolves once their batches are durable. With
   * overlapping commits the last due timer may have fired in a batch applied behind the tick's,
   * still committing when the tick is answered: that one is waited for too.
   */
  async runDueTimers(): Promise<void> {
    const noneDue = () => (this.#ledger.nextDueAt() ?? Number.POSITIVE_INFINITY) > this.#clock.now();
    for (;;) {
      const result = await this.submit({ type: "tick" });
      if (!result.ok) throw new EngineError(result.error);
      if (!noneDue()) continue;
      await this.#lastCommit;
      // A failed commit puts its timers back into rebuilt memory: they are due again.
      if (noneDue()) return;
    }
  }

  /** Stops taking commands, commits what is queued, and stops the timers. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stopWatchingClock?.();
    this.#scheduler.close();
    while (this.#open > 0 || !this.#scheduler.idle || this.#commitsInFlight > 0) {
      if (this.#stopped !== undefined) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#closed = true;
  }
}

/** Renders a caller's answer outside the batch: a view that throws fails its own caller only. */
function answer(item: Waiting, result: Result<unknown>): void {
  if (item.render === undefined) {
    item.settle(result, undefined);
    return;
  }
  let answer: Answer;
  try {
    answer = item.render(result);
  } catch (error) {
    item.reject(error);
    return;
  }
  item.settle(result, answer);
}

/** A render's answer as a promise: a render that throws rejects it, as in an async function. */
function rendered(render: (result: Result<unknown>) => Answer, result: Result<unknown>): Promise<Answer> {
  try {
    return Promise.resolve(render(result));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The answer for a stored key: rendered from the stored result, or as stored by an older version. */
function replayOf(stored: IdempotencyRecord, render: (r: Result<unknown>) => Answer): Answer {
  const outcome = JSON.parse(stored.outcome) as { result?: Result<unknown>; answer?: Answer };
  if (outcome.result !== undefined) return render(outcome.result);
  if (outcome.answer !== undefined) return { status: outcome.answer.status, body: outcome.answer.body };
  throw new Error("a stored idempotency outcome has neither a result nor an answer");
}

function commitFailure(): Result<never> {
  return fail("BUSY", "the ledger could not commit; retry shortly");
}

function shuttingDown(): Result<never> {
  return fail("SHUTTING_DOWN", "the service is shutting down; retry shortly");
}

function reusedKey(render: (r: Result<unknown>) => Answer): Answer {
  return render(fail("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was already used with a different request"));
}

/** The default when an invariant breaks: say everything known on stderr, then exit non-zero. */
function exitOnFatal(report: FatalReport): void {
  process.stderr.write(
    `${JSON.stringify({
      level: "fatal",
      msg: "hongbao engine stopped: invariant broken",
      error: report.error.message,
      stack: report.error.stack,
      context: report.context,
      batch: report.batch,
      memory: report.memory,
    })}\n`,
  );
  process.exit(70);
}
