import { LruMap } from "toad-cache";
import type { SentToday } from "../domain/daily-limits.js";
import type { Result } from "../domain/errors.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { Calendar } from "../domain/rules.js";
import type { Transfer } from "../domain/transfer.js";
import { type Clock, systemClock, type TestClock } from "../engine/clock.js";
import type { Command, CommandOf, CommandResults } from "../engine/commands.js";
import type { Answer, Idempotency } from "../engine/engine.js";
import type { CampaignLive, EngineFront, PendingTransfers } from "../engine/front.js";
import type { Lane } from "../engine/scheduler.js";
import type { WriterStatus } from "../wire/messages.js";
import type { StateView } from "./view.js";
import type { WriterClient } from "./writer-client.js";

/** Users an edge remembers as existing; users are never removed, so a remembered one stays true. */
export const KNOWN_USERS_MAX = 200_000;

const orUndefined = <T>(value: unknown): T | undefined => (value === null ? undefined : (value as T));

/** A command's answer as the writer carries it: its result, rendered here; or an answer stored whole. */
export interface CarriedAnswer<T> {
  readonly result?: Result<T>;
  readonly answer?: Answer;
  readonly replayed: boolean;
}

/** Renders the writer's result at the edge, as the engine would render it in one process. */
export function renderedAt<T>(reply: unknown, render: (result: Result<T>) => Answer): Answer {
  const carried = reply as CarriedAnswer<T>;
  const answer = carried.result !== undefined ? render(carried.result) : (carried.answer as Answer);
  return carried.replayed ? { ...answer, replayed: true } : answer;
}

/**
 * The engine front of an edge: every command and every read the view cannot answer goes to the
 * writer over the wire; the crowd's common refusals come from the view; the writer's load, for
 * admission, comes with its facts. A command is answered here only once the writer answered,
 * and the writer answers only after its batch is durable.
 */
export class RemoteEngine implements EngineFront {
  readonly #writer: WriterClient;
  readonly #view: StateView;
  readonly #knownUsers = new LruMap<true>(KNOWN_USERS_MAX);
  readonly #testClock: TestClock | undefined;
  #calendar: Calendar;
  readonly isolation: boolean;

  constructor(options: {
    writer: WriterClient;
    view: StateView;
    calendar: Calendar;
    testClock: TestClock | undefined;
    isolation: boolean;
  }) {
    this.#writer = options.writer;
    this.#view = options.view;
    this.#calendar = options.calendar;
    this.#testClock = options.testClock;
    this.isolation = options.isolation;
  }

  get #status(): WriterStatus | undefined {
    return this.#writer.status;
  }

  get ready(): boolean {
    return this.#status?.ready === true;
  }

  get queueDepth(): number {
    return this.#status?.queueDepth ?? 0;
  }

  laneDepth(lane: Lane): number {
    return this.#status?.laneDepth[lane] ?? 0;
  }

  queueDelayMs(lane: Lane): number {
    return this.#status?.queueDelayMs[lane] ?? 0;
  }

  get clock(): Clock {
    return this.#testClock ?? systemClock;
  }

  get calendar(): Calendar {
    return this.#calendar;
  }

  /** The calendar with the operators' special days, rebuilt as they arrive. */
  set calendar(calendar: Calendar) {
    this.#calendar = calendar;
  }

  hasUser(userId: string): boolean | Promise<boolean> {
    if (this.#knownUsers.get(userId) === true) return true;
    return this.#writer.call("hasUser", [userId]).then((exists) => {
      if (exists === true) this.#knownUsers.set(userId, true);
      return exists === true;
    });
  }

  async userIdByPhone(phone: string): Promise<string | undefined> {
    return orUndefined<string>(await this.#writer.call("userIdByPhone", [phone]));
  }

  async isGroupMember(groupId: string, userId: string): Promise<boolean> {
    return (await this.#writer.call("isGroupMember", [groupId, userId])) === true;
  }

  async packet(id: string): Promise<RedPacket | undefined> {
    return orUndefined<RedPacket>(await this.#writer.call("packet", [id]));
  }

  async transfer(id: string): Promise<Transfer | undefined> {
    return orUndefined<Transfer>(await this.#writer.call("transfer", [id]));
  }

  async campaignLive(id: string): Promise<CampaignLive | undefined> {
    return orUndefined<CampaignLive>(await this.#writer.call("campaignLive", [id]));
  }

  async groupsOf(userId: string, max: number): Promise<string[]> {
    return (await this.#writer.call("groupsOf", [userId, max])) as string[];
  }

  async groupPackets(groupId: string, max: number): Promise<RedPacket[]> {
    return (await this.#writer.call("groupPackets", [groupId, max])) as RedPacket[];
  }

  async pendingTransfersOf(userId: string, max: number): Promise<PendingTransfers> {
    return (await this.#writer.call("pendingTransfersOf", [userId, max])) as PendingTransfers;
  }

  async sentToday(userId: string): Promise<SentToday> {
    return (await this.#writer.call("sentToday", [userId])) as SentToday;
  }

  /** From the view alone: what it cannot be sure of is left to the writer (undefined). */
  claimRefusal(campaignId: string, userId: string): Result<never> | undefined {
    // A test clock is set through one edge; another may not have heard yet, so time is the writer's to judge.
    return this.#view.claimRefusal(campaignId, userId, this.#testClock === undefined ? Date.now() : undefined);
  }

  grabRefusal(packetId: string, userId: string): Result<never> | undefined {
    return this.#view.packets.grabRefusal(packetId, userId);
  }

  /** Sold out or ended by the view, before any token check, as one process answers them. */
  claimRefusalForAnyone(campaignId: string): Result<never> | undefined {
    return this.#view.refusalForAnyone(campaignId, this.#testClock === undefined ? Date.now() : undefined);
  }

  claimRefusalAsked(campaignId: string, userId: string): Promise<Result<never> | undefined> | undefined {
    if (this.#view.knows(campaignId)) return undefined;
    return this.#writer
      .call("claimRefusal", [campaignId, userId])
      .then((refusal) => orUndefined<Result<never>>(refusal));
  }

  async submit<K extends Command["type"]>(command: CommandOf<K>): Promise<Result<CommandResults[K]>> {
    return (await this.#writer.call("submit", [command])) as Result<CommandResults[K]>;
  }

  /** The writer sends the result; it is rendered here, as the engine would render it in one process. */
  async execute<K extends Command["type"]>(
    command: CommandOf<K>,
    render: (result: Result<CommandResults[K]>) => Answer,
    idempotency?: Idempotency,
  ): Promise<Answer> {
    return renderedAt(await this.#writer.call("execute", [command, idempotency ?? null]), render);
  }

  async runDueTimers(): Promise<void> {
    const now = await this.#writer.call("runDueTimers", [this.#testClock?.now() ?? null]);
    if (this.#testClock !== undefined && typeof now === "number") this.#testClock.set(now);
  }
}
