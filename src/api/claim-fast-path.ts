import type { IncomingMessage, ServerResponse } from "node:http";
import { claimOnce } from "./claim.js";
import type { AppContext } from "./context.js";

const CLAIM_PATH = /^\/v1\/campaigns\/(cmp_[0-9a-f]{20})\/claim$/;
const BEARER = /^Bearer ([\x21-\x7e]{1,1024})$/i;
const ROUTE = "/v1/campaigns/:id/claim";

/**
 * The claim route without the framework, for the one request a flash crowd sends a million
 * times. It takes only the plain case: POST, no body, no Idempotency-Key, a valid user
 * token. Anything else (a key, a body, a bad token, shutting down) returns false and goes
 * through Fastify, which validates it and answers errors in the one shape. The decision
 * itself is `claimOnce`, the same code the Fastify route runs.
 */
export function claimFastPath(context: AppContext, isClosing: () => boolean) {
  return (request: IncomingMessage, response: ServerResponse): boolean => {
    if (request.method !== "POST" || request.url === undefined || !request.url.startsWith("/v1/campaigns/"))
      return false;
    const match = CLAIM_PATH.exec(request.url);
    if (match === null || isClosing()) return false;
    const headers = request.headers;
    if (headers["idempotency-key"] !== undefined || headers["transfer-encoding"] !== undefined) return false;
    if (headers["content-length"] !== undefined && headers["content-length"] !== "0") return false;
    const bearer = BEARER.exec(headers.authorization ?? "");
    if (bearer === null) return false;
    let userId: string;
    try {
      userId = context.tokens.verifyUserNow(bearer[1] as string);
    } catch {
      return false;
    }
    if (!context.engine.state.hasUser(userId)) return false;
    const started = performance.now();
    request.resume();
    const answer = claimOnce(context, match[1] as string, userId, undefined);
    const send = (result: Awaited<typeof answer>) => {
      const head: Record<string, string | number> = {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(result.body),
      };
      if (result.retryAfterSeconds !== undefined) head["retry-after"] = result.retryAfterSeconds;
      response.writeHead(result.status, head).end(result.body);
      context.metrics.observeRequest("POST", ROUTE, result.status, (performance.now() - started) / 1000);
    };
    if (answer instanceof Promise) {
      answer.then(send, () => {
        response.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "1" });
        response.end(JSON.stringify({ error: { code: "BUSY", message: "retry shortly" } }));
      });
    } else {
      send(answer);
    }
    return true;
  };
}
