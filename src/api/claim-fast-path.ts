import type { IncomingMessage, ServerResponse } from "node:http";
import type { ClaimAnswer } from "./claim.js";
import type { AppContext } from "./context.js";
import { FALLBACK, GONE, headOf, type PlainOutcome, plainCampaignOf, plainClaimOf, plainRoute } from "./plain-claim.js";
import { WriteBurst } from "./write-burst.js";

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An answer waiting for its burst, and when its request was taken up (for its latency). */
interface Reply {
  readonly response: ServerResponse;
  readonly answer: ClaimAnswer;
  readonly started: number;
}

/** The route of a request the fast path may take (to name its trace span before it is decided), else undefined. */
export const fastPathRoute = plainRoute;

/**
 * The claim route without the framework on node:http, for the one request a flash crowd sends
 * a million times. The decision is src/api/plain-claim.ts (shared with the Bun front); this
 * writes its answers. Anything it does not take (a key, a body, a bad token, shutting down) goes
 * to `fallback`, Fastify. The request has no body, so it is not resumed here: node:http
 * discards it when the answer is sent.
 */
export function claimFastPath(context: AppContext, isClosing: () => boolean) {
  const plain = plainClaimOf(context, isClosing);

  const write = (response: ServerResponse, answer: ClaimAnswer, started: number): void => {
    response.writeHead(answer.status, headOf(answer)).end(answer.encoded?.bytes ?? answer.body);
    plain.observe(answer.status, started);
  };

  // Answers go out together when the callback that decided them returns (src/api/write-burst.ts).
  const burst = new WriteBurst<Reply>(
    (reply) => write(reply.response, reply.answer, reply.started),
    (reply) => reply.response.destroy(),
  );

  return (request: IncomingMessage, response: ServerResponse, fallback: Handler): boolean => {
    const headers = request.headers;
    if (isClosing()) return false;
    const campaignId = plainCampaignOf(request.method, request.url, (name) => headers[name]);
    if (campaignId === undefined) return false;
    const ticket = headers["queue-ticket"];
    if (Array.isArray(ticket)) return false;
    plain.claim(request.socket, campaignId, headers.authorization, ticket, (outcome: PlainOutcome, started: number) => {
      if (outcome === GONE) return;
      if (outcome === FALLBACK) fallback(request, response);
      else burst.soon({ response, answer: outcome, started });
    });
    return true;
  };
}
