import type { SentToday } from "../domain/daily-limits.js";
import type { Result } from "../domain/errors.js";
import type { Fen } from "../domain/money.js";
import type { RedPacket } from "../domain/red-packet.js";
import type { Calendar } from "../domain/rules.js";
import type { Transfer } from "../domain/transfer.js";
import type { Clock } from "./clock.js";
import type { Command, CommandOf, CommandResults } from "./commands.js";
import type { Answer, Idempotency } from "./engine.js";
import type { CampaignState } from "./ledger-state.js";
import type { Lane } from "./scheduler.js";

export interface PendingTransfers {
  readonly incoming: Transfer[];
  readonly outgoing: Transfer[];
}

/** What memory says of an open campaign while it holds it. */
export interface CampaignLive {
  readonly campaign: CampaignState["campaign"];
  readonly claimedCount: number;
  readonly claimedAmount: Fen;
  readonly unreserved: Fen;
}

/**
 * The narrow front the HTTP routes use: the engine itself in one process (src/engine/engine.ts),
 * or an edge's client of a writer process (src/edge/remote-engine.ts). Reads an edge may have to
 * ask the writer for may return a promise; the routes await them.
 */
export interface EngineFront {
  readonly ready: boolean;
  readonly queueDepth: number;
  laneDepth(lane: Lane): number;
  queueDelayMs(lane: Lane): number;
  readonly isolation: boolean;
  readonly clock: Clock;
  readonly calendar: Calendar;
  hasUser(userId: string): boolean | Promise<boolean>;
  userIdByPhone(phone: string): string | undefined | Promise<string | undefined>;
  isGroupMember(groupId: string, userId: string): boolean | Promise<boolean>;
  packet(id: string): Promise<RedPacket | undefined>;
  transfer(id: string): Promise<Transfer | undefined>;
  campaignLive(id: string): CampaignLive | undefined | Promise<CampaignLive | undefined>;
  /** The ids of the groups a user is a member of, newest first, at most `max`. */
  groupsOf(userId: string, max: number): string[] | Promise<string[]>;
  /** A group's open and recently settled packets, newest first, at most `max`. */
  groupPackets(groupId: string, max: number): RedPacket[] | Promise<RedPacket[]>;
  /** A user's transfers waiting for an answer, each side at most `max`. */
  pendingTransfersOf(userId: string, max: number): PendingTransfers | Promise<PendingTransfers>;
  /** What a user has put into red packets today, for the per-day caps. */
  sentToday(userId: string): SentToday | Promise<SentToday>;
  /** A refusal known without queueing, or undefined when the claim may be tried. */
  claimRefusal(campaignId: string, userId: string): Result<never> | undefined;
  /**
   * For a campaign this front cannot judge (an edge's view has not heard of it): the writer's
   * refusal, asked without queueing. Undefined when claimRefusal already judged.
   */
  claimRefusalAsked?(campaignId: string, userId: string): Promise<Result<never> | undefined> | undefined;
  /**
   * Sold out or ended: the same answer for whoever asks, known before any token check (an
   * edge says it from its view, which can lag but never run ahead).
   */
  claimRefusalForAnyone(campaignId: string): Result<never> | undefined;
  /**
   * A grab's refusal known without the writer (already grabbed, sold out, expired), from an
   * edge's view; undefined when it cannot be sure. One process lets the engine's precheck say it.
   */
  grabRefusal?(packetId: string, userId: string): Result<never> | undefined;
  submit<K extends Command["type"]>(command: CommandOf<K>): Promise<Result<CommandResults[K]>>;
  execute<K extends Command["type"]>(
    command: CommandOf<K>,
    render: (result: Result<CommandResults[K]>) => Answer,
    idempotency?: Idempotency,
  ): Promise<Answer>;
  runDueTimers(): Promise<void>;
}
