import type { IncomingMessage } from "node:http";
import { compile } from "@fastify/proxy-addr";

/**
 * An app behind the Bun front (src/edge/bun/front.ts) listens on a private Unix socket: every
 * request on it comes from the front, which names the client's address in this header (always
 * overwriting what a client sent). Only requests on that socket read it.
 */
export const PEER_HEADER = "x-hongbao-peer";
/** The longest address a peer header may carry (an IPv6 address with a zone is well under). */
const PEER_LENGTH_MAX = 64;

const PEER = Symbol("hongbao.peer");
type Marked = IncomingMessage & { [PEER]?: string };

/** On the private socket: keeps the peer the front named, and drops the header before any route sees it. */
export function takeFrontPeer(request: IncomingMessage): void {
  const named = request.headers[PEER_HEADER];
  delete request.headers[PEER_HEADER];
  (request as Marked)[PEER] = typeof named === "string" && named.length <= PEER_LENGTH_MAX ? named : "";
}

/** The address of the client that sent `request`: the front's word behind it, else the socket's own peer. */
export function peerOf(request: IncomingMessage): string {
  return (request as Marked)[PEER] ?? request.socket.remoteAddress ?? "";
}

/**
 * Which hops of X-Forwarded-For the app behind the front trusts: the private socket itself
 * (hop 0), so `request.ip` is the address the front appended, and beyond it only the proxies
 * the operator named (the same list `trustProxy` takes without a front).
 */
export function trustBehindFront(operator: string | undefined): (address: string, hop: number) => boolean {
  const proxies = (operator ?? "")
    .split(",")
    .map((proxy) => proxy.trim())
    .filter((proxy) => proxy !== "");
  const trusted = proxies.length === 0 ? () => false : compile(proxies);
  return (address, hop) => hop === 0 || trusted(address, hop - 1);
}
