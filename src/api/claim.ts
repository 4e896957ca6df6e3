import type { DomainError } from "../domain/errors.js";
import type { Answer, Idempotency } from "../engine/engine.js";
import { answerOf } from "./answers.js";
import type { AppContext } from "./context.js";
import { errorBody, STATUS_OF } from "./errors.js";

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

function renderRefusal(refusal: { readonly ok: false; readonly error: DomainError }) {
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

/**
 * One claim, in the order that keeps a crowd cheap: answers memory can give (not started,
 * ended, already claimed, sold out) first, never queued and never shed; then, for a claim
 * that waited too long at the crowd gate (`late`), 503 + Retry-After; then admission; only
 * then the engine. Both the Fastify route and the fast path answer through here.
 * Returns a value at once when it can, a promise only for claims that go to the engine.
 */
export function claimOnce(
  context: AppContext,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  late = false,
): ClaimAnswer | Promise<ClaimAnswer> {
  const { engine } = context;
  // With a key the stored answer must be found first, so a replay never reads as "already claimed".
  const refusal = idempotency === undefined ? engine.claimRefusal(campaignId, userId) : undefined;
  if (refusal !== undefined && !refusal.ok) return refused(context, refusal);
  // An edge that has not heard of the campaign asks its writer first: unknown is no reason to shed.
  const asked = idempotency === undefined ? engine.claimRefusalAsked?.(campaignId, userId) : undefined;
  if (asked !== undefined) {
    return asked.then((writers) =>
      writers !== undefined && !writers.ok
        ? refused(context, writers)
        : admitThenClaim(context, campaignId, userId, idempotency, late),
    );
  }
  return admitThenClaim(context, campaignId, userId, idempotency, late);
}

/** A refusal known without queueing: answered at once, never shed. */
function refused(context: AppContext, refusal: { readonly ok: false; readonly error: DomainError }): ClaimAnswer {
  const { answer, outcome } = renderRefusal(refusal);
  context.metrics.countClaim(outcome);
  context.metrics.countAdmission("campaign", "admitted");
  return answer;
}

function admitThenClaim(
  context: AppContext,
  campaignId: string,
  userId: string,
  idempotency: Idempotency | undefined,
  late: boolean,
): ClaimAnswer | Promise<ClaimAnswer> {
  const { metrics, engine, admission } = context;
  if (late) return shed(context, "late", admission.retryAfterSeconds());
  const decision = admission.decide(userId);
  if (!decision.admitted) return shed(context, "shed", decision.retryAfterSeconds);
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
      metrics.countClaim(outcome);
      // The render runs only for the request that executes the claim: otherwise this is its key's first answer again.
      return outcome === "replayed" ? { ...answer, replayed: true } : answer;
    });
}
