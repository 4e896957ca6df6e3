import type { Campaign } from "../domain/campaign.js";
import type { ErrorCode, Result } from "../domain/errors.js";
import type { CommandResults } from "../engine/commands.js";
import type { Answer, Engine, Idempotency } from "../engine/engine.js";
import type { EngineFront } from "../engine/front.js";
import type { DrawView, Place, RoomVerdict, WaitingRoom } from "./waiting-room.js";

/**
 * A campaign's line, asked where it is counted: in one process the waiting room beside the
 * engine (`LocalLine`); on an edge, the writer's, over the wire (src/edge/remote-line.ts). One
 * line per campaign whichever edge a claim came through, so places, the draw and the turn
 * are the same for everyone (docs/decisions/0050-waiting-room-at-the-writer.md).
 */
export interface Line {
  /** Before the start: a place in the pre-queue (or a refusal of the ticket given). */
  preQueue(campaignId: string, startsAt: number, userId: string, ticket: string | undefined): Promaybe<RoomVerdict>;
  /** After a front's refusals: the claim in line, decided at its turn by the engine. */
  claim(request: LineClaim, render: (result: Result<ClaimResult>) => Answer): Promaybe<LineOutcome>;
  /** Where a ticket holder stands, deciding nothing; `none` when the campaign has no line. */
  look(campaignId: string, userId: string, ticket: string): Promaybe<LineLook>;
  /** The campaign's draw for its view. */
  draw(campaign: Pick<Campaign, "id" | "startsAt">): Promaybe<DrawView>;
  /** The draw of a campaign just made, for the answer to its creation: nobody can have queued for it yet. */
  drawOfNew(campaign: Pick<Campaign, "id" | "startsAt">): DrawView;
}

type Promaybe<T> = T | Promise<T>;
export type ClaimResult = CommandResults["claim"];

export interface LineClaim {
  readonly campaignId: string;
  readonly userId: string;
  /** The `Queue-Ticket` header. */
  readonly ticket: string | undefined;
  /** Admission's verdict on a new arrival; undefined when it was not asked (a ticket holder, a late claim). */
  readonly admitted: boolean | undefined;
  /** The claim waited past the crowd gate's deadline: a place, never a decision now. */
  readonly late: boolean;
  readonly idempotency: Idempotency | undefined;
}

export type LineOutcome =
  /** No line for this claim (the campaign not open in memory, or a keyed claim before the start): admission and the engine as before. */
  | { readonly kind: "none" }
  /** Before the start (the front's clock had not said so): the pre-queue's verdict. */
  | { readonly kind: "pre"; readonly startsAt: number; readonly verdict: RoomVerdict }
  | { readonly kind: "refused"; readonly code: ErrorCode; readonly message: string }
  /** A place; `again` when the turn had come but the writer was full (the same place, soon). */
  | { readonly kind: "wait"; readonly place: Place; readonly again: boolean }
  /** Decided by the engine: its answer, and `outcome` for the metrics ("claimed", a refusal's code, "replayed"). */
  | { readonly kind: "decided"; readonly answer: Answer; readonly outcome: string };

export type LineLook = { readonly kind: "none" } | RoomVerdict;

/** About how many more claims the budget pays: a holder placed past it will hear "sold out". */
export function sharesLeft(rule: Campaign["amount"], unreserved: number): number {
  return Math.floor(unreserved / ("fixed" in rule ? rule.fixed : (rule.min + rule.max) / 2));
}

/**
 * A claim decided by the engine, handed to `then` with the outcome the metrics count:
 * "claimed", a refusal's code, or "replayed" (its key's first answer again: the render runs
 * only for the request that executes the claim). `then` runs in the one continuation of the
 * engine's promise: a claim through the writer paid a second promise for the pair's object.
 */
export function executeClaim<T>(
  engine: Pick<EngineFront, "execute">,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  render: (result: Result<ClaimResult>) => Answer,
  then: (answer: Answer, outcome: string) => T,
): Promise<T> {
  let outcome = "replayed";
  return engine
    .execute(
      { type: "claim", campaignId, userId },
      (result) => {
        outcome = result.ok ? "claimed" : result.error.code.toLowerCase();
        return render(result);
      },
      idempotency,
    )
    .then((answer) => then(outcome === "replayed" ? { ...answer, replayed: true } : answer, outcome));
}

/** The line where the engine's memory is: one process, or the writer serving edges. */
export class LocalLine implements Line {
  readonly #engine: Engine;
  readonly #room: WaitingRoom;

  constructor(engine: Engine, room: WaitingRoom) {
    this.#engine = engine;
    this.#room = room;
  }

  preQueue(campaignId: string, startsAt: number, userId: string, ticket: string | undefined): RoomVerdict {
    return this.#room.preQueue(campaignId, startsAt, userId, 0, ticket);
  }

  claim(request: LineClaim, render: (result: Result<ClaimResult>) => Answer): Promaybe<LineOutcome> {
    const engine = this.#engine;
    const room = this.#room;
    const { campaignId, userId, ticket, late, idempotency } = request;
    const live = engine.campaignLive(campaignId);
    if (live === undefined) return { kind: "none" };
    const startsAt = live.campaign.startsAt;
    // The line forms at the start: before it, a keyed claim goes on to its stored answer or NOT_STARTED.
    if (engine.clock.now() < startsAt) {
      if (idempotency !== undefined) return { kind: "none" };
      return { kind: "pre", startsAt, verdict: room.preQueue(campaignId, startsAt, userId, 0, ticket) };
    }
    const verdict = room.arrive(
      campaignId,
      startsAt,
      userId,
      engine.claimsOf(campaignId, userId),
      ticket,
      sharesLeft(live.campaign.amount, live.unreserved),
      () => request.admitted === true,
    );
    if (verdict.kind !== "decide") return verdict.kind === "wait" ? { ...verdict, again: false } : verdict;
    const held = verdict.ticket;
    if (late && held !== undefined) return { kind: "wait", place: room.again(held, campaignId, startsAt), again: true };
    return executeClaim(engine, campaignId, userId, idempotency, render, (answer, outcome): LineOutcome => {
      if (outcome !== "busy") room.noteDecided();
      // The writer was full at this holder's turn: the same place, soon again.
      if (outcome === "busy" && held !== undefined)
        return { kind: "wait", place: room.again(held, campaignId, startsAt), again: true };
      return { kind: "decided", answer, outcome };
    });
  }

  look(campaignId: string, userId: string, ticket: string): LineLook {
    const live = this.#engine.campaignLive(campaignId);
    if (live === undefined) return { kind: "none" };
    return this.#room.look(
      campaignId,
      live.campaign.startsAt,
      userId,
      this.#engine.claimsOf(campaignId, userId),
      ticket,
      sharesLeft(live.campaign.amount, live.unreserved),
    );
  }

  draw(campaign: Pick<Campaign, "id" | "startsAt">): DrawView {
    return this.#room.drawView(campaign.id, campaign.startsAt);
  }

  drawOfNew(campaign: Pick<Campaign, "id" | "startsAt">): DrawView {
    return this.draw(campaign);
  }
}
