import { EngineUnavailableError } from "../engine/engine.js";
import { type ClaimAnswer, claimOnce, JSON_TYPE, renderRefusal } from "./claim.js";
import type { AppContext } from "./context.js";
import type { GatePeer, GateVerdict } from "./crowd-gate.js";
import type { RequestSeries } from "./metrics.js";

const CLAIM_PATH = /^\/v1\/campaigns\/(cmp_[0-9a-f]{20})\/claim$/;
const BEARER = /^Bearer ([\x21-\x7e]{1,1024})$/i;
export const CLAIM_ROUTE = "/v1/campaigns/:id/claim";

/** The framework must answer this claim (a bad or unknown token, shutting down …). */
export const FALLBACK = "fallback";
/** The claim's connection closed while it waited at the gate: nobody hears an answer, nothing was decided. */
export const GONE = "gone";
export type PlainOutcome = ClaimAnswer | typeof FALLBACK | typeof GONE;

/** A request header by its lower-case name, whatever the runtime keeps them in. */
export type HeaderOf = (name: string) => string | string[] | null | undefined;

/** The route of a request the fast path may take (to name its trace span before it is decided), else undefined. */
export function plainRoute(url: string | undefined): string | undefined {
  return url !== undefined && CLAIM_PATH.test(url) ? CLAIM_ROUTE : undefined;
}

/**
 * The campaign a plain claim names: POST, no body, no Idempotency-Key, no Origin (a browser's
 * request gets the framework's CORS and security headers); else undefined.
 */
export function plainCampaignOf(method: string | undefined, url: string | undefined, header: HeaderOf) {
  if (method !== "POST" || url === undefined || !url.startsWith("/v1/campaigns/")) return undefined;
  const match = CLAIM_PATH.exec(url);
  if (match === null) return undefined;
  if (header("idempotency-key") != null || header("transfer-encoding") != null) return undefined;
  if (header("origin") != null) return undefined;
  const length = header("content-length");
  if (length != null && length !== "0") return undefined;
  return match[1] as string;
}

const busyBody = (message: string) => JSON.stringify({ error: { code: "BUSY", message } });

/**
 * The engine is rebuilding its memory after a failed commit: a retryable answer, as the
 * routes give (a throw here would end the process, outside the framework's error handler).
 */
function busyWhileRebuilding(error: unknown): ClaimAnswer {
  if (!(error instanceof EngineUnavailableError)) throw error;
  return { status: 503, body: busyBody(error.message), retryAfterSeconds: 1 };
}

const RETRY_SHORTLY: ClaimAnswer = Object.freeze({
  status: 503,
  body: busyBody("retry shortly"),
  retryAfterSeconds: 1,
});

export interface PlainClaims {
  /**
   * Passes the crowd gate, then decides: `done` is called once, with the answer, FALLBACK
   * or GONE, and when the claim was taken up past the gate (for its latency).
   */
  claim(
    peer: GatePeer,
    campaignId: string,
    authorization: string | undefined,
    ticket: string | undefined,
    done: (outcome: PlainOutcome, started: number) => void,
  ): void;
  /** Counts a written answer in the route's request series. */
  observe(status: number, started: number): void;
}

/**
 * The decision of a plain claim, the one request a flash crowd sends a million times, for any
 * HTTP front (node:http in src/api/claim-fast-path.ts, Bun.serve in src/edge/bun/front.ts).
 * Sold out and ended are answered before any token check; anything else passes the crowd gate
 * first (src/api/crowd-gate.ts), so under a crowd the claim may be decided a few turns of the
 * event loop later; its token is checked then, whether it waited or not. A bad or unknown token
 * goes back to the framework, which answers errors in the one shape. The decision itself is
 * `claimOnce`, the same code the claim route runs.
 */
export function plainClaimOf(context: AppContext, isClosing: () => boolean): PlainClaims {
  const fromMemory = context.answeredFromMemory;

  /**
   * The user of a valid token naming a known user; undefined sends the request to the framework.
   * An edge that has not met the user yet asks its writer: then a promise of the same.
   */
  const plainUser = (authorization: string | undefined): string | undefined | Promise<string | undefined> => {
    const bearer = BEARER.exec(authorization ?? "");
    // An edge catching up with the writer's keys lets the framework give the answer that says so.
    if (bearer === null || context.identityCurrent?.() === false) return undefined;
    let userId: string;
    try {
      userId = context.tokens.verifyUserNow(bearer[1] as string);
    } catch {
      return undefined;
    }
    const known = context.engine.hasUser(userId);
    if (typeof known === "boolean") return known ? userId : undefined;
    return known.then(
      (exists) => (exists ? userId : undefined),
      () => undefined,
    );
  };

  /**
   * Sold out or ended is the same answer whoever asks: a constant, sent before any token check.
   * It still passes the crowd gate: answered before it, the crowd's sold-out claims went
   * uncounted in the turns the gate sizes, and first answers at 100 000 arrivals over 10 s went
   * from p99 0.7-1.6 s to 3.0-4.6 s (two pairs against the code before, same tool and seed).
   */
  const forAnyone = (campaignId: string): ClaimAnswer | undefined => {
    const closed = isClosing() ? undefined : context.engine.claimRefusalForAnyone?.(campaignId);
    if (closed === undefined || closed.ok) return undefined;
    const { answer, outcome } = renderRefusal(closed);
    context.metrics.countClaim(outcome);
    if (fromMemory !== undefined) fromMemory.count++;
    return answer;
  };

  const decide = (
    campaignId: string,
    ticket: string | undefined,
    verdict: GateVerdict,
    started: number,
    userId: string | undefined,
    done: (outcome: PlainOutcome, started: number) => void,
  ): void => {
    if (userId === undefined) {
      done(FALLBACK, started);
      return;
    }
    const answer = claimOnce(context, campaignId, userId, undefined, verdict === "late", ticket);
    if (answer instanceof Promise) {
      answer.then(
        (result) => done(result, started),
        () => done(RETRY_SHORTLY, started),
      );
    } else done(answer, started);
  };

  /** The route's request series by status, kept: the metrics' own lookup builds a key string an answer. */
  const seriesByStatus = new Map<number, RequestSeries>();

  return {
    claim(peer, campaignId, authorization, ticket, done) {
      context.gate.admit(
        peer,
        (verdict) => {
          // Its connection closed while it waited: nobody would hear the answer, so decide nothing.
          if (verdict === "gone") {
            done(GONE, performance.now());
            return;
          }
          const started = performance.now();
          try {
            // Sold out or ended while it waited at the gate: still the same answer for anyone.
            const closed = forAnyone(campaignId);
            if (closed !== undefined) {
              done(closed, started);
              return;
            }
            const user = isClosing() ? undefined : plainUser(authorization);
            if (user instanceof Promise) {
              void user.then((userId) => {
                try {
                  decide(campaignId, ticket, verdict, started, userId, done);
                } catch (error) {
                  done(busyWhileRebuilding(error), started);
                }
              });
              return;
            }
            decide(campaignId, ticket, verdict, started, user, done);
          } catch (error) {
            done(busyWhileRebuilding(error), started);
          }
        },
        ticket !== undefined,
      );
    },
    observe(status, started) {
      let series = seriesByStatus.get(status);
      if (series === undefined) {
        series = context.metrics.requestSeries("POST", CLAIM_ROUTE, status);
        seriesByStatus.set(status, series);
      }
      series.count.inc();
      series.latency.observe((performance.now() - started) / 1000);
    },
  };
}

/** The head of an answer not rendered once for many: its type, length and Retry-After. */
export function headOf(answer: ClaimAnswer): Record<string, string | number> {
  if (answer.encoded !== undefined) return answer.encoded.head as Record<string, string | number>;
  const head: Record<string, string | number> = {
    "content-type": JSON_TYPE,
    "content-length": Buffer.byteLength(answer.body),
  };
  if (answer.retryAfterSeconds !== undefined) head["retry-after"] = answer.retryAfterSeconds;
  return head;
}
