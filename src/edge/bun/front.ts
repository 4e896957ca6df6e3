import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JSON_TYPE } from "../../api/claim.js";
import type { AppContext } from "../../api/context.js";
import type { GatePeer } from "../../api/crowd-gate.js";
import { errorBody } from "../../api/errors.js";
import { PEER_HEADER } from "../../api/front-peer.js";
import { FALLBACK, GONE, type PlainOutcome, plainCampaignOf, plainClaimOf } from "../../api/plain-claim.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../../api/request-id.js";

/**
 * The largest body the front reads for any route: the largest a route takes (an operator's
 * rules document, 1 MiB). Each route's own, smaller bound is the app's to enforce.
 */
export const ROUTE_BODY_BYTES_MAX = 1024 * 1024;
/**
 * Bun's own bound, above ours so that ours answers in the contract's shape; Bun's (an empty
 * 413) is only met by a body that claims to be larger still.
 */
const BUN_BODY_BYTES_MAX = 2 * ROUTE_BODY_BYTES_MAX;
/**
 * Bun.serve closes a connection idle this long (its default, 10 s, is under the live events'
 * 15 s heartbeat); node:http's keep-alive is 72 s.
 */
const IDLE_TIMEOUT_S = 75;

/** Headers of one hop only (RFC 9110 §7.6.1): never passed on in either direction. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"];

/** The slice of Bun's API the front uses (Bun's own types are not a dependency of the Node build). */
interface BunServer {
  readonly port: number;
  requestIP(request: Request): { readonly address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
interface BunServeOptions {
  readonly hostname: string;
  readonly port: number;
  readonly reusePort: boolean;
  readonly maxRequestBodySize: number;
  readonly idleTimeout: number;
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
}
interface BunRuntime {
  serve(options: BunServeOptions): BunServer;
}
/** Bun's fetch takes a Unix socket and switches it can leave off: decompression, its own timeout. */
type BunFetchInit = RequestInit & { unix: string; decompress: false; timeout: false };

export interface FrontOptions {
  readonly host: string;
  readonly port: number;
  /** Several processes' fronts share the port (SO_REUSEPORT): the kernel spreads connections. */
  readonly reusePort?: boolean;
  readonly context: AppContext;
  /** Starts the app behind the front, listening on `path` (a Unix socket). */
  listenApp(path: string): Promise<void>;
}

export interface BunFront {
  readonly port: number;
  /** The app's private socket. */
  readonly socketPath: string;
  /** Stops taking requests, lets those under way finish, and removes the private socket's folder. */
  close(closeApp: () => Promise<void>): Promise<void>;
}

/** The Bun runtime, or an error that says the front needs it. */
function bunRuntime(): BunRuntime {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun === undefined) throw new Error("the Bun front runs on Bun only (--http node serves with node:http)");
  return bun;
}

const errorResponse = (status: number, code: "BODY_TOO_LARGE" | "BUSY", message: string, extra = {}) =>
  new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { "content-type": JSON_TYPE, ...extra },
  });

/** The request's path and query, from Bun's absolute URL. */
function pathOf(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

/**
 * The body, read whole up to `ROUTE_BODY_BYTES_MAX`; a longer one is undefined (the caller
 * answers 413). A longer one is still read to its end and dropped (Bun's own bound,
 * `BUN_BODY_BYTES_MAX`, ends it): answered and closed with bytes unread, the connection is
 * reset and the client may never see the 413.
 */
async function boundedBody(request: Request): Promise<Uint8Array | null | undefined> {
  if (request.body === null) return null;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length <= ROUTE_BODY_BYTES_MAX) chunks.push(value);
    else chunks.length = 0;
  }
  return length > ROUTE_BODY_BYTES_MAX ? undefined : Buffer.concat(chunks, length);
}

/**
 * An edge's HTTP front on Bun (Bun.serve, decision 0063): it answers plain claims itself from
 * the same decision as node:http's fast path (src/api/plain-claim.ts), and passes every other
 * request to the edge's Fastify app on a Unix socket in a folder only this user can open. The
 * app learns the client's address from the front's `X-Hongbao-Peer`, which the front always
 * overwrites (src/api/front-peer.ts). Streams (live events, the waiting room's queue) are passed
 * on as they come, never gathered.
 */
export async function startBunFront(options: FrontOptions): Promise<BunFront> {
  const bun = bunRuntime();
  // mkdtemp makes the folder 0700: no other user can connect to the app behind the front.
  const folder = await mkdtemp(join(tmpdir(), "hongbao-front-"));
  const socketPath = join(folder, "app.sock");
  await options.listenApp(socketPath);
  let closing = false;
  const plain = plainClaimOf(options.context, () => closing);

  const forward = async (request: Request, path: string, peer: string): Promise<Response> => {
    const headers = new Headers(request.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    const forwardedFor = headers.get("x-forwarded-for");
    headers.set("x-forwarded-for", forwardedFor === null ? peer : `${forwardedFor}, ${peer}`);
    headers.set(PEER_HEADER, peer);
    let body: Uint8Array | null | undefined = null;
    if (request.method !== "GET" && request.method !== "HEAD") {
      body = await boundedBody(request);
      if (body === undefined) {
        return errorResponse(413, "BODY_TOO_LARGE", "the request body is too large", { connection: "close" });
      }
    }
    let answer: Response;
    try {
      const init: BunFetchInit = {
        unix: socketPath,
        method: request.method,
        headers,
        body,
        redirect: "manual",
        signal: request.signal,
        decompress: false,
        timeout: false,
      };
      answer = await fetch(`http://edge${path}`, init);
    } catch {
      // The app behind is gone (closing) or the client left: retryable, never a fault of the request.
      return errorResponse(503, "BUSY", "the edge is not answering; retry shortly", { "retry-after": "1" });
    }
    const out = new Headers(answer.headers);
    for (const name of HOP_BY_HOP) out.delete(name);
    return new Response(answer.body, { status: answer.status, headers: out });
  };

  const claimAnswer = (outcome: PlainOutcome & object, id: string, started: number): Response => {
    const head: Record<string, string> = { "content-type": JSON_TYPE, [REQUEST_ID_HEADER]: id };
    if (outcome.retryAfterSeconds !== undefined) head["retry-after"] = String(outcome.retryAfterSeconds);
    plain.observe(outcome.status, started);
    return new Response(outcome.encoded?.bytes ?? outcome.body, { status: outcome.status, headers: head });
  };

  const server = bun.serve({
    hostname: options.host,
    port: options.port,
    reusePort: options.reusePort === true,
    maxRequestBodySize: BUN_BODY_BYTES_MAX,
    idleTimeout: IDLE_TIMEOUT_S,
    fetch(request, server) {
      const path = pathOf(request.url);
      const headers = request.headers;
      const campaignId = closing
        ? undefined
        : plainCampaignOf(request.method, path, (name) => headers.get(name) ?? undefined);
      // The peer is read only for what goes on to the app: a plain claim's answer does not name it.
      const peerOf = () => server.requestIP(request)?.address ?? "";
      if (campaignId === undefined) return forward(request, path, peerOf());
      const id = requestIdOf({
        [REQUEST_ID_HEADER]: headers.get(REQUEST_ID_HEADER) ?? undefined,
        traceparent: headers.get("traceparent") ?? undefined,
      });
      const gatePeer: GatePeer = {
        get destroyed() {
          return request.signal.aborted;
        },
      };
      // Most claims are decided before `claim` returns (sold out, a refusal from memory): their
      // answer goes back as a Response, not a promise of one, which Bun takes on a shorter path.
      let now: Response | Promise<Response> | undefined;
      let later: ((answer: Response | Promise<Response>) => void) | undefined;
      plain.claim(
        gatePeer,
        campaignId,
        headers.get("authorization") ?? undefined,
        headers.get("queue-ticket") ?? undefined,
        (outcome, started) => {
          const answer =
            outcome === GONE
              ? new Response(null, { status: 204 })
              : outcome === FALLBACK
                ? forward(request, path, peerOf())
                : claimAnswer(outcome, id, started);
          if (later === undefined) now = answer;
          else later(answer);
        },
      );
      return (
        now ??
        new Promise<Response>((resolve) => {
          later = resolve;
        })
      );
    },
  });

  return {
    port: server.port,
    socketPath,
    async close(closeApp) {
      closing = true;
      // Stops listening now; requests under way finish, and open streams end when the app closes them.
      const stopped = server.stop(false);
      try {
        await closeApp();
        await stopped;
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  };
}
