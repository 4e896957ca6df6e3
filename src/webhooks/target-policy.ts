import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Where webhooks may go. Only http(s) URLs without credentials, at most 2048 characters.
 * By default only public addresses: an operator who registers an endpoint must not be able
 * to make the service probe its own network (loopback, private, link-local and unique-local
 * ranges, cloud metadata at 169.254.169.254). `allowPrivate` lifts that for deployments
 * whose receivers live inside (and for tests, which listen on 127.0.0.1). The check is made
 * when the endpoint is registered and again on every delivery, on the address connected to,
 * so a name that later resolves inside is refused too.
 */
export interface TargetPolicy {
  readonly allowPrivate: boolean;
}

export const URL_LENGTH_MAX = 2048;

const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  INTERNAL.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, "ipv6");
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && address.toLowerCase().startsWith("::ffff:")) {
    const mapped = address.slice(7);
    if (isIP(mapped) === 4) return INTERNAL.check(mapped, "ipv4");
  }
  return INTERNAL.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** Why a URL may not be an endpoint, or undefined when it may (the host is resolved). */
export async function refuseTarget(text: string, policy: TargetPolicy): Promise<string | undefined> {
  if (text.length > URL_LENGTH_MAX) return `a URL is at most ${URL_LENGTH_MAX} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "only http and https URLs";
  if (url.username !== "" || url.password !== "") return "credentials in the URL are refused; use the signature";
  if (url.hash !== "") return "a URL with a fragment is refused";
  if (policy.allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `the host ${host} does not resolve`;
  }
  if (addresses.some(isInternalAddress)) return `the host ${host} is a loopback, private or link-local address`;
  return undefined;
}
