import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** A client's own id is taken when it is short and plain: it goes into logs and a header verbatim. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** W3C Trace Context, version 00: `00-<trace id>-<parent id>-<flags>`; an all-zero id is invalid. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
const ZERO_TRACE = "0".repeat(32);

export const REQUEST_ID_HEADER = "x-request-id";

const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));
/** This process's 48 random bits, the last group of each id it makes. */
const NODE = randomBytes(6).toString("hex");
let counter = randomBytes(4).readUInt32BE(0);
let stampedAt = -1;
let stamp = "";

/**
 * A new UUID version 7 (RFC 9562): the Unix time in ms, then a 26-bit counter (§6.2, method
 * 1) and this process's random bits. Unique without drawing random bytes for each request:
 * node's randomUUID refills its pool from the CSPRNG every 128 ids, 2–3 % of an edge's CPU
 * for a sold-out answer. The counter wraps only after 67 million ids, never within one ms.
 */
export function newRequestId(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    const hex = now.toString(16).padStart(12, "0");
    stamp = `${hex.slice(0, 8)}-${hex.slice(8)}-7`;
  }
  counter = (counter + 1) & 0x3ffffff;
  const variant = 8 | ((counter >>> 12) & 3);
  return `${stamp}${HEX3[counter >>> 14]}-${variant.toString(16)}${HEX3[counter & 0xfff]}-${NODE}`;
}

/**
 * The id of a request: its `X-Request-Id` when that is plain and at most 128 characters,
 * else the trace id of a valid `traceparent`, else a new UUID (`newRequestId`). Anything else a client
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
  return newRequestId();
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
