import type { AmountRule } from "../domain/campaign.js";
import type { DomainError, ErrorCode } from "../domain/errors.js";
import type { Answer, Idempotency } from "../engine/engine.js";
import type { CampaignLive } from "../engine/front.js";
import { answerOf } from "./answers.js";
import type { AppContext } from "./context.js";
import { errorBody, STATUS_OF } from "./errors.js";
import type { QueueTicket } from "./queue-ticket.js";
import type { Place } from "./waiting-room.js";

/** A claim's answer, with the Retry-After a shed claim carries. */
export interface ClaimAnswer extends Answer {
  readonly retryAfterSeconds?: number;
  /** For answers rendered once and sent many times: the body's bytes and the whole head. */
  readonly encoded?: { readonly bytes: Buffer; readonly head: Readonly<Record<string, string | number>> };
}

export const JSON_TYPE = "application/json; charset=utf-8";

const claimed = (claim: { campaignId: string; amount: number }) => ({
  campaignId: claim.campaignId,
  amount: claim.amount,
  status: "claimed",
});

const SHED_BODY = JSON.stringify(errorBody("BUSY", "too many claims right now; retry after the time given"));

/** A 503 for a claim: `late` (it waited past the crowd gate's deadline), or `shed` by admission. */
function shed(context: AppContext, outcome: "late" | "shed", retryAfterSeconds: number): ClaimAnswer {
  context.metrics.countClaim(outcome);
  context.metrics.countAdmission("campaign", "shed");
  return { status: 503, body: SHED_BODY, retryAfterSeconds };
}

/**
 * Rendered refusals, by the refusal object: sold out, ended and already claimed are constants
 * in the domain, so a crowd's millionth "sold out" costs a lookup, not a JSON.stringify.
 */
const renderedRefusals = new WeakMap<object, { answer: ClaimAnswer; outcome: string }>();

export function renderRefusal(refusal: { readonly ok: false; readonly error: DomainError }) {
  let rendered = renderedRefusals.get(refusal);
  if (rendered === undefined) {
    const { code, message, details } = refusal.error;
    const body = JSON.stringify(errorBody(code, message, details));
    const bytes = Buffer.from(body);
    rendered = Object.freeze({
      answer: Object.freeze({
        status: STATUS_OF[code],
        body,
        encoded: Object.freeze({
          bytes,
          head: Object.freeze({ "content-type": JSON_TYPE, "content-length": bytes.length }),
        }),
      }),
      outcome: code.toLowerCase(),
    });
    if (Object.isFrozen(refusal)) renderedRefusals.set(refusal, rendered);
  }
  return rendered;
}

/** A claim answered with a place in line: the status the contract already has, and the ticket. */
function placeAnswer(code: "BUSY" | "NOT_STARTED", message: string, place: Place, details?: object): ClaimAnswer {
  const body = JSON.stringify({
    ...errorBody(code, message, details as Record<string, unknown> | undefined),
    ticket: place.ticket,
    line: place.line,
    position: place.position,
    place: place.place,
    estimatedWaitSeconds: place.estimatedWaitSeconds,
    retryAfterMs: place.retryAfterMs,
  });
  return { status: STATUS_OF[code], body, retryAfterSeconds: Math.max(1, Math.ceil(place.retryAfterMs / 1000)) };
}

const IN_LINE = "you are in line: come back with your ticket at the time given";
const PRE_QUEUE = "the campaign has not started: your place in the pre-queue is drawn at the start";

function refusedAnswer(context: AppContext, code: ErrorCode, message: string): ClaimAnswer {
  context.metrics.countClaim(code.toLowerCase());
  return { status: STATUS_OF[code], body: JSON.stringify(errorBody(code, message)) };
}

/** About how many more claims the budget pays: a holder placed past it will hear "sold out". */
export function sharesLeft(rule: AmountRule, unreserved: number): number {
  return Math.floor(unreserved / ("fixed" in rule ? rule.fixed : (rule.min + rule.max) / 2));
}

/**
 * One claim, in the order that keeps a crowd cheap: answers memory can give (not started,
 * ended, already claimed, sold out) first, never queued and never shed; then the waiting
 * room (src/api/waiting-room.ts), which decides the claim now or answers at once with a
 * place in line (a claim that waited too long at the crowd gate, `late`, gets a place, or
 * 503 + Retry-After without a room); then admission; only then the engine. Both the
 * Fastify route and the fast path answer through here. `ticket` is the `Queue-Ticket`
 * header. Returns a value at once when it can, a promise only for claims that go to the engine.
 */
export function claimOnce(
  context: AppContext,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  late = false,
  ticket?: string,
): ClaimAnswer | Promise<ClaimAnswer> {
  const { engine } = context;
  // With a key the stored answer must be found first, so a replay never reads as "already claimed".
  const refusal = idempotency === undefined ? engine.claimRefusal(campaignId, userId) : undefined;
  if (refusal !== undefined && !refusal.ok) return refusedOrPreQueued(context, campaignId, userId, refusal, ticket);
  // An edge that has not heard of the campaign asks its writer first: unknown is no reason to shed.
  const asked = idempotency === undefined ? engine.claimRefusalAsked?.(campaignId, userId) : undefined;
  if (asked !== undefined) {
    return asked.then((writers) =>
      writers !== undefined && !writers.ok
        ? refusedOrPreQueued(context, campaignId, userId, writers, ticket)
        : admitThenClaim(context, campaignId, userId, idempotency, late, ticket),
    );
  }
  return admitThenClaim(context, campaignId, userId, idempotency, late, ticket);
}

/** A refusal known without queueing: answered at once, never shed; before the start, a place in the pre-queue. */
function refusedOrPreQueued(
  context: AppContext,
  campaignId: string,
  userId: string,
  refusal: { readonly ok: false; readonly error: DomainError },
  ticket: string | undefined,
): ClaimAnswer {
  const { metrics, room } = context;
  if (room !== undefined && refusal.error.code === "NOT_STARTED") {
    const startsAt = refusal.error.details?.startsAt as number;
    const verdict = room.preQueue(campaignId, startsAt, userId, 0, ticket);
    if (verdict.kind === "refused") return refusedAnswer(context, verdict.code, verdict.message);
    if (verdict.kind === "wait") {
      metrics.countClaim("pre_queued");
      return placeAnswer("NOT_STARTED", PRE_QUEUE, verdict.place, refusal.error.details);
    }
  }
  const { answer, outcome } = renderRefusal(refusal);
  metrics.countClaim(outcome);
  metrics.countAdmission("campaign", "admitted");
  return answer;
}

/** The open campaign as the waiting room reads it: from this process's memory (not on an edge). */
export function campaignInMemory(engine: AppContext["engine"], campaignId: string): CampaignLive | undefined {
  const live = engine.campaignLive(campaignId);
  if (live instanceof Promise) throw new Error("the waiting room runs only where memory holds the campaign");
  return live;
}

/** The waiting room runs only in a process whose memory holds the campaign (not on an edge). */
export function claimsOf(engine: AppContext["engine"], campaignId: string, userId: string): number {
  if (engine.claimsOf === undefined) throw new Error("the waiting room needs the engine's own memory");
  return engine.claimsOf(campaignId, userId);
}

function admitThenClaim(
  context: AppContext,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  late: boolean,
  ticket: string | undefined,
): ClaimAnswer | Promise<ClaimAnswer> {
  const { metrics, engine, admission, room } = context;
  let held: QueueTicket | undefined;
  let startsAt = 0;
  const live = room === undefined ? undefined : campaignInMemory(engine, campaignId);
  // The line forms at the start: before it, a keyed claim goes on to its stored answer or NOT_STARTED.
  if (room !== undefined && live !== undefined && engine.clock.now() >= live.campaign.startsAt) {
    startsAt = live.campaign.startsAt;
    // A new arrival is weighed by admission as before: shed, it still gets a place, told with the jittered Retry-After.
    const decision = ticket === undefined && !late ? admission.decide(userId) : undefined;
    const shedFor = decision !== undefined && !decision.admitted ? decision.retryAfterSeconds : undefined;
    const verdict = room.arrive(
      campaignId,
      startsAt,
      userId,
      claimsOf(engine, campaignId, userId),
      ticket,
      sharesLeft(live.campaign.amount, live.unreserved),
      () => decision?.admitted === true,
    );
    if (verdict.kind === "refused") return refusedAnswer(context, verdict.code, verdict.message);
    if (verdict.kind === "wait") {
      if (shedFor === undefined) {
        metrics.countClaim("queued");
        return placeAnswer("BUSY", IN_LINE, verdict.place);
      }
      // Shed by admission (the writer is past its target): the place, no sooner than its jittered Retry-After.
      metrics.countClaim("shed");
      metrics.countAdmission("campaign", "shed");
      const retryAfterMs = Math.max(verdict.place.retryAfterMs, shedFor * 1000);
      return placeAnswer("BUSY", IN_LINE, {
        ...verdict.place,
        retryAfterMs,
        estimatedWaitSeconds: retryAfterMs / 1000,
      });
    }
    held = verdict.ticket;
    if (late && held !== undefined) {
      metrics.countClaim("queued");
      return placeAnswer("BUSY", IN_LINE, room.again(held, campaignId, startsAt));
    }
  } else {
    if (late) return shed(context, "late", admission.retryAfterSeconds());
    const decision = admission.decide(userId);
    if (!decision.admitted) return shed(context, "shed", decision.retryAfterSeconds);
  }
  metrics.countAdmission("campaign", "admitted");
  let outcome = "replayed";
  return engine
    .execute(
      { type: "claim", campaignId, userId },
      (result) => {
        outcome = result.ok ? "claimed" : result.error.code.toLowerCase();
        return answerOf(result, 200, claimed);
      },
      idempotency,
    )
    .then((answer) => {
      if (outcome !== "busy") room?.noteDecided();
      // The writer was full at this holder's turn: the same place, soon again.
      if (outcome === "busy" && held !== undefined && room !== undefined) {
        metrics.countClaim("queued");
        return placeAnswer("BUSY", IN_LINE, room.again(held, campaignId, startsAt));
      }
      metrics.countClaim(outcome);
      // The render runs only for the request that executes the claim: otherwise this is its key's first answer again.
      return outcome === "replayed" ? { ...answer, replayed: true } : answer;
    });
}
