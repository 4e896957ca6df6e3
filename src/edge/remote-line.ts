import type { ClaimResult, Line, LineClaim, LineLook, LineOutcome } from "../api/line.js";
import { type DrawView, drawViewOf, type RoomVerdict } from "../api/waiting-room.js";
import type { Result } from "../domain/errors.js";
import type { Clock } from "../engine/clock.js";
import type { Answer } from "../engine/engine.js";
import { isPaidClaim } from "../wire/messages.js";
import { renderedAt } from "./remote-engine.js";
import type { WriterClient } from "./writer-client.js";

/**
 * The waiting room seen from an edge: every place is given by the writer, which counts one
 * line per campaign for all edges (docs/decisions/0050-waiting-room-at-the-writer.md). A claim
 * in line costs the one call it would cost anyway: the writer gives the place or, at the turn,
 * decides the claim in the same call.
 */
export class RemoteLine implements Line {
  readonly #writer: WriterClient;
  readonly #seedKey: Buffer;
  readonly #clock: Clock;

  constructor(writer: WriterClient, seedKey: Buffer, clock: Clock) {
    this.#writer = writer;
    this.#seedKey = seedKey;
    this.#clock = clock;
  }

  async preQueue(campaignId: string, startsAt: number, userId: string, ticket: string | undefined) {
    return (await this.#writer.call("line.preQueue", [campaignId, startsAt, userId, ticket ?? null])) as RoomVerdict;
  }

  /** The call's own promise, continued once: no async frame of its own around it (one more promise a claim). */
  claim(request: LineClaim, render: (result: Result<ClaimResult>) => Answer): Promise<LineOutcome> {
    const { campaignId, userId, ticket, admitted, late, idempotency } = request;
    return this.#writer
      .call("line.claim", [campaignId, userId, ticket ?? null, admitted ?? null, late, idempotency ?? null])
      .then((reply) => {
        if (isPaidClaim(reply))
          return {
            kind: "decided",
            outcome: "claimed",
            answer: render({ ok: true, value: { campaignId, amount: reply[0], n: reply[1] } }),
          };
        const outcome = reply as LineOutcome | { readonly kind: "decided"; readonly outcome: string };
        if (outcome.kind !== "decided") return outcome;
        return { kind: "decided", outcome: outcome.outcome, answer: renderedAt(outcome, render) };
      });
  }

  async look(campaignId: string, userId: string, ticket: string): Promise<LineLook> {
    return (await this.#writer.call("line.look", [campaignId, userId, ticket])) as LineLook;
  }

  /** Before the start the draw is the seed's hash, the same from the same key on every process. */
  draw(campaign: { readonly id: string; readonly startsAt: number }): DrawView | Promise<DrawView> {
    if (this.#clock.now() < campaign.startsAt) return this.drawOfNew(campaign);
    return this.#writer.call("line.draw", [campaign.id, campaign.startsAt]) as Promise<DrawView>;
  }

  drawOfNew(campaign: { readonly id: string; readonly startsAt: number }): DrawView {
    return drawViewOf(this.#seedKey, campaign.id, campaign.startsAt, this.#clock.now(), 0);
  }
}
