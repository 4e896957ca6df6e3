import type { IncomingMessage, ServerResponse } from "node:http";
import { EngineUnavailableError } from "../engine/engine.js";
import { type ClaimAnswer, claimOnce, JSON_TYPE, renderRefusal } from "./claim.js";
import type { AppContext } from "./context.js";
import type { GateVerdict } from "./crowd-gate.js";
import type { RequestSeries } from "./metrics.js";
import { WriteBurst } from "./write-burst.js";

const CLAIM_PATH = /^\/v1\/campaigns\/(cmp_[0-9a-f]{20})\/claim$/;
const BEARER = /^Bearer ([\x21-\x7e]{1,1024})$/i;
const ROUTE = "/v1/campaigns/:id/claim";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An answer waiting for its burst, and when its request was taken up (for its latency). */
interface Reply {
  readonly response: ServerResponse;
  readonly answer: ClaimAnswer;
  readonly started: number;
}

/** The route of a request the fast path may take (to name its trace span before it is decided), else undefined. */
export function fastPathRoute(url: string | undefined): string | undefined {
  return url !== undefined && CLAIM_PATH.test(url) ? ROUTE : undefined;
}

/**
 * The engine is rebuilding its memory after a failed commit: a retryable answer, as the
 * routes give (a throw here would end the process, outside Fastify's error handler).
 */
function busyWhileRebuilding(response: ServerResponse, error: unknown): void {
  if (!(error instanceof EngineUnavailableError) || response.headersSent) throw error;
  response.writeHead(503, { "content-type": JSON_TYPE, "retry-after": "1" });
  response.end(JSON.stringify({ error: { code: "BUSY", message: error.message } }));
}

/**
 * The claim route without the framework, for the one request a flash crowd sends a million
 * times. It takes only the plain case: POST, no body, no Idempotency-Key, no Origin. Sold out
 * and ended are answered at once; anything else passes the
 * crowd gate first (src/api/crowd-gate.ts), so under a crowd the claim may be decided a few
 * turns of the event loop later; its token is checked then, whether it waited or not.
 * Anything else (a key, a body, a bad token, shutting down) goes to `fallback`, Fastify,
 * which validates it and answers errors in the one shape. The
 * decision itself is `claimOnce`, the same code the Fastify route runs. The request has no
 * body, so it is not resumed here: node:http discards it when the answer is sent.
 */
export function claimFastPath(context: AppContext, isClosing: () => boolean) {
  const fromMemory = context.answeredFromMemory;

  /**
   * The user of a valid token naming a known user; undefined sends the request to Fastify.
   * An edge that has not met the user yet asks its writer: then a promise of the same.
   */
  const plainUser = (request: IncomingMessage): string | undefined | Promise<string | undefined> => {
    const bearer = BEARER.exec(request.headers.authorization ?? "");
    // An edge catching up with the writer's keys lets Fastify give the answer that says so.
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

  /** The route's request series by status, kept: the metrics' own lookup builds a key string an answer. */
  const seriesByStatus = new Map<number, RequestSeries>();

  const write = (response: ServerResponse, result: ClaimAnswer, started: number): void => {
    if (result.encoded !== undefined) {
      response.writeHead(result.status, result.encoded.head).end(result.encoded.bytes);
    } else {
      const head: Record<string, string | number> = {
        "content-type": JSON_TYPE,
        "content-length": Buffer.byteLength(result.body),
      };
      if (result.retryAfterSeconds !== undefined) head["retry-after"] = result.retryAfterSeconds;
      response.writeHead(result.status, head).end(result.body);
    }
    let series = seriesByStatus.get(result.status);
    if (series === undefined) {
      series = context.metrics.requestSeries("POST", ROUTE, result.status);
      seriesByStatus.set(result.status, series);
    }
    series.count.inc();
    series.latency.observe((performance.now() - started) / 1000);
  };

  // Answers go out together when the callback that decided them returns (src/api/write-burst.ts).
  const burst = new WriteBurst<Reply>(
    (reply) => write(reply.response, reply.answer, reply.started),
    (reply) => reply.response.destroy(),
  );

  /**
   * Sold out or ended is the same answer whoever asks: a constant, sent before any token check.
   * It still passes the crowd gate: answered before it, the crowd's sold-out claims went
   * uncounted in the turns the gate sizes, and first answers at 100 000 arrivals over 10 s went
   * from p99 0.7-1.6 s to 3.0-4.6 s (two pairs against the code before, same tool and seed).
   */
  const answeredForAnyone = (response: ServerResponse, campaignId: string, started: number): boolean => {
    const closed = isClosing() ? undefined : context.engine.claimRefusalForAnyone?.(campaignId);
    if (closed === undefined || closed.ok) return false;
    const { answer, outcome } = renderRefusal(closed);
    context.metrics.countClaim(outcome);
    if (fromMemory !== undefined) fromMemory.count++;
    burst.soon({ response, answer, started });
    return true;
  };

  const answerClaim = (
    request: IncomingMessage,
    response: ServerResponse,
    campaignId: string,
    fallback: Handler,
    verdict: GateVerdict,
  ): void => {
    // Its connection closed while it waited: nobody would hear the answer, so decide nothing.
    if (verdict === "gone") return;
    const started = performance.now();
    // Sold out or ended while it waited at the gate: still the same answer for anyone.
    if (answeredForAnyone(response, campaignId, started)) return;
    const user = isClosing() ? undefined : plainUser(request);
    if (user instanceof Promise) {
      void user.then((userId) => decide(request, response, campaignId, fallback, verdict, started, userId));
      return;
    }
    decide(request, response, campaignId, fallback, verdict, started, user);
  };

  const decide = (
    request: IncomingMessage,
    response: ServerResponse,
    campaignId: string,
    fallback: Handler,
    verdict: GateVerdict,
    started: number,
    userId: string | undefined,
  ): void => {
    if (userId === undefined) {
      fallback(request, response);
      return;
    }
    const ticket = request.headers["queue-ticket"];
    if (Array.isArray(ticket)) {
      fallback(request, response);
      return;
    }
    const answer = claimOnce(context, campaignId, userId, undefined, verdict === "late", ticket);
    if (answer instanceof Promise) {
      answer.then(
        (result) => burst.soon({ response, answer: result, started }),
        () => {
          response.writeHead(503, { "content-type": JSON_TYPE, "retry-after": "1" });
          response.end(JSON.stringify({ error: { code: "BUSY", message: "retry shortly" } }));
        },
      );
    } else {
      burst.soon({ response, answer, started });
    }
  };

  return (request: IncomingMessage, response: ServerResponse, fallback: Handler): boolean => {
    if (request.method !== "POST" || request.url === undefined || !request.url.startsWith("/v1/campaigns/"))
      return false;
    const match = CLAIM_PATH.exec(request.url);
    if (match === null || isClosing()) return false;
    const headers = request.headers;
    if (headers["idempotency-key"] !== undefined || headers["transfer-encoding"] !== undefined) return false;
    // A browser's request (it names its origin) gets Fastify's CORS and security headers.
    if (headers.origin !== undefined) return false;
    if (headers["content-length"] !== undefined && headers["content-length"] !== "0") return false;
    const campaignId = match[1] as string;
    context.gate.admit(
      request.socket,
      (verdict) => {
        try {
          answerClaim(request, response, campaignId, fallback, verdict);
        } catch (error) {
          busyWhileRebuilding(response, error);
        }
      },
      headers["queue-ticket"] !== undefined,
    );
    return true;
  };
}
