import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** A client's own id is taken when it is short and plain: it goes into logs and a header verbatim. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** W3C Trace Context, version 00: `00-<trace id>-<parent id>-<flags>`; an all-zero id is invalid. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = "0".repeat(32);

export const REQUEST_ID_HEADER = "x-request-id";

/**
 * The id of a request: its `X-Request-Id` when that is plain and at most 128 characters,
 * else the trace id of a valid `traceparent`, else a fresh UUID. Anything else a client
 * sends is ignored, never echoed: the id lands in every log line of the request.
 */
export function requestIdOf(headers: IncomingMessage["headers"]): string {
  const given = headers[REQUEST_ID_HEADER];
  if (typeof given === "string" && CLIENT_ID.test(given)) return given;
  const parent = headers.traceparent;
  if (typeof parent === "string") {
    const trace = TRACEPARENT.exec(parent)?.[1];
    if (trace !== undefined && trace !== ZERO_TRACE) return trace;
  }
  return randomUUID();
}

const ID = Symbol("hongbao.requestId");
type Tagged = IncomingMessage & { [ID]?: string };

/**
 * Names a request before anything answers it, the claim fast path included: the id goes on
 * the response at once (node:http merges it into whatever head is written later) and is
 * kept on the request for Fastify's logger (`idOfTagged`).
 */
export function tagRequest(request: IncomingMessage, response: ServerResponse): void {
  const id = requestIdOf(request.headers);
  (request as Tagged)[ID] = id;
  response.setHeader(REQUEST_ID_HEADER, id);
}

/** The id `tagRequest` gave, or a new one for a request that did not pass it (injected requests). */
export function idOfTagged(request: IncomingMessage): string {
  return (request as Tagged)[ID] ?? requestIdOf(request.headers);
}
