import type { DomainError, ErrorCode, Result } from "../domain/errors.js";
import type { Answer, Idempotency } from "../engine/engine.js";
import type { AdmissionDecision } from "./admission.js";
import { answerOf } from "./answers.js";
import type { AppContext } from "./context.js";
import { errorBody, STATUS_OF } from "./errors.js";
import { type ClaimResult, executeClaim, type LineOutcome } from "./line.js";
import type { Place, RoomVerdict } from "./waiting-room.js";

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
const renderClaim = (result: Result<ClaimResult>) => answerOf(result, 200, claimed);

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
  const body = placeBody(placeHead(code, message, details), place);
  return { status: STATUS_OF[code], body, retryAfterSeconds: Math.max(1, Math.ceil(place.retryAfterMs / 1000)) };
}

/**
 * A place's body: the refusal's JSON, rendered once per refusal, then the place's fields. A
 * crowd in line gets one of these per return, so the fields are written into text here rather
 * than through a JSON.stringify of a fresh object (about a tenth of the time, measured in
 * bench/pre-queue-joins.ts). Anything the text cannot hold as JSON goes the long way.
 */
export function placeBody(head: string, place: Place): string {
  const { ticket, line, position, place: at, estimatedWaitSeconds, retryAfterMs } = place;
  if (
    !TICKET_TEXT.test(ticket) ||
    !Number.isFinite(estimatedWaitSeconds) ||
    !Number.isFinite(retryAfterMs) ||
    (position !== null && !Number.isFinite(position)) ||
    (at !== null && !Number.isFinite(at))
  )
    return `${head},${JSON.stringify({ ticket, line, position, place: at, estimatedWaitSeconds, retryAfterMs }).slice(1)}`;
  return `${head},"ticket":"${ticket}","line":"${line}","position":${position},"place":${at},"estimatedWaitSeconds":${estimatedWaitSeconds},"retryAfterMs":${retryAfterMs}}`;
}

/** A signed ticket is base64url and one dot: nothing in it needs escaping in a JSON string. */
const TICKET_TEXT = /^[A-Za-z0-9_.-]*$/;
/** Heads by refusal and details; cleared when full (campaigns' start instants make the details many). */
const heads = new Map<string, string>();
const HEADS_MAX = 1_024;

/** The refusal's JSON without its closing brace, for `placeBody`: rendered once per message and details. */
export function placeHead(code: ErrorCode, message: string, details?: object): string {
  const key = details === undefined ? `${code}|${message}` : `${code}|${message}|${JSON.stringify(details)}`;
  let head = heads.get(key);
  if (head === undefined) {
    head = JSON.stringify(errorBody(code, message, details as Record<string, unknown> | undefined)).slice(0, -1);
    if (heads.size >= HEADS_MAX) heads.clear();
    heads.set(key, head);
  }
  return head;
}

const IN_LINE = "you are in line: come back with your ticket at the time given";
const PRE_QUEUE = "the campaign has not started: your place in the pre-queue is drawn at the start";

function refusedAnswer(context: AppContext, code: ErrorCode, message: string): ClaimAnswer {
  context.metrics.countClaim(code.toLowerCase());
  return { status: STATUS_OF[code], body: JSON.stringify(errorBody(code, message)) };
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
): ClaimAnswer | Promise<ClaimAnswer> {
  const { line } = context;
  if (line !== undefined && refusal.error.code === "NOT_STARTED") {
    const startsAt = refusal.error.details?.startsAt as number;
    const verdict = line.preQueue(campaignId, startsAt, userId, ticket);
    return verdict instanceof Promise
      ? verdict.then((given) => preQueued(context, refusal, given))
      : preQueued(context, refusal, verdict);
  }
  return refused(context, refusal);
}

function refused(context: AppContext, refusal: { readonly ok: false; readonly error: DomainError }): ClaimAnswer {
  const { answer, outcome } = renderRefusal(refusal);
  context.metrics.countClaim(outcome);
  context.metrics.countAdmission("campaign", "admitted");
  if (context.answeredFromMemory !== undefined) context.answeredFromMemory.count++;
  return answer;
}

/** NOT_STARTED with the pre-queue's place, or the refusal of the ticket given. */
function preQueued(
  context: AppContext,
  refusal: { readonly ok: false; readonly error: DomainError },
  verdict: RoomVerdict,
): ClaimAnswer {
  if (verdict.kind === "refused") return refusedAnswer(context, verdict.code, verdict.message);
  if (verdict.kind === "decide") return refused(context, refusal);
  context.metrics.countClaim("pre_queued");
  return placeAnswer("NOT_STARTED", PRE_QUEUE, verdict.place, refusal.error.details);
}

function admitThenClaim(
  context: AppContext,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  late: boolean,
  ticket: string | undefined,
): ClaimAnswer | Promise<ClaimAnswer> {
  const { line, admission } = context;
  if (line === undefined) return withoutLine(context, campaignId, userId, idempotency, late, undefined);
  // A new arrival is weighed by admission as before: shed, it still gets a place, told with the jittered Retry-After.
  const decision = ticket === undefined && !late ? admission.decide(userId) : undefined;
  const request = { campaignId, userId, ticket, admitted: decision?.admitted, late, idempotency };
  const went = line.claim(request, renderClaim);
  const answer = (gone: LineOutcome): ClaimAnswer | Promise<ClaimAnswer> => {
    switch (gone.kind) {
      case "none":
        return withoutLine(context, campaignId, userId, idempotency, late, decision);
      case "pre":
        return preQueued(
          context,
          { ok: false, error: { code: "NOT_STARTED", message: NOT_STARTED, details: { startsAt: gone.startsAt } } },
          gone.verdict,
        );
      case "refused":
        return refusedAnswer(context, gone.code, gone.message);
      case "wait":
        return inLine(context, gone.place, gone.again ? undefined : decision);
      case "decided":
        context.metrics.countAdmission("campaign", "admitted");
        context.metrics.countClaim(gone.outcome);
        return gone.answer;
    }
  };
  return went instanceof Promise ? went.then(answer) : answer(went);
}

const NOT_STARTED = "the campaign has not started yet";

/** A place in line; shed by admission (the writer is past its target), no sooner than its jittered Retry-After. */
function inLine(context: AppContext, place: Place, decision: AdmissionDecision | undefined): ClaimAnswer {
  const { metrics } = context;
  if (decision === undefined || decision.admitted) {
    metrics.countClaim("queued");
    return placeAnswer("BUSY", IN_LINE, place);
  }
  metrics.countClaim("shed");
  metrics.countAdmission("campaign", "shed");
  const retryAfterMs = Math.max(place.retryAfterMs, decision.retryAfterSeconds * 1000);
  return placeAnswer("BUSY", IN_LINE, { ...place, retryAfterMs, estimatedWaitSeconds: retryAfterMs / 1000 });
}

/** No line (off, or none for this claim): shed past admission, else the engine decides. */
function withoutLine(
  context: AppContext,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  late: boolean,
  decided: AdmissionDecision | undefined,
): ClaimAnswer | Promise<ClaimAnswer> {
  const { metrics, engine, admission } = context;
  if (late) return shed(context, "late", admission.retryAfterSeconds());
  const decision = decided ?? admission.decide(userId);
  if (!decision.admitted) return shed(context, "shed", decision.retryAfterSeconds);
  metrics.countAdmission("campaign", "admitted");
  return executeClaim(engine, campaignId, userId, idempotency, renderClaim, (answer, outcome) => {
    metrics.countClaim(outcome);
    return answer;
  });
}
