import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isInternalAddress, type TargetPolicy } from "./target-policy.js";

export type SendResult = { readonly status: number } | { readonly error: string };

/** Resolves a host and keeps only the addresses the policy allows: the address checked is the one connected to. */
function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      const allowed = policy.allowPrivate ? addresses : addresses.filter((a) => !isInternalAddress(a.address));
      const first = allowed[0];
      if (first === undefined) {
        return callback(
          Object.assign(new Error(`${hostname} resolves only to internal addresses`), { code: "EREFUSED" }),
          "",
          0,
        );
      }
      if ((options as { all?: boolean }).all === true)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return callback(null, first.address, first.family);
    });
  };
}

/**
 * POSTs one webhook body; the answer's status, or why there was none. Redirects are not
 * followed (a 3xx is a failed attempt), the answer's body is read and thrown away, and the
 * whole attempt is cut at `timeoutMs`.
 */
export function sendWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  policy: TargetPolicy,
  stop?: AbortSignal,
): Promise<SendResult> {
  return new Promise((resolve) => {
    const url = new URL(target);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (!policy.allowPrivate && isIP(host) !== 0 && isInternalAddress(host)) {
      resolve({ error: "the address is internal (refused by the target policy)" });
      return;
    }
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
      lookup: guardedLookup(policy),
      signal:
        stop === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]),
      agent: false,
    });
    request.on("response", (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0 }));
      response.on("error", () => resolve({ status: response.statusCode ?? 0 }));
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      const aborted = error.name === "AbortError";
      resolve({
        error:
          aborted && stop?.aborted === true
            ? "cut by shutdown"
            : aborted
              ? `no answer in ${timeoutMs} ms`
              : (error.code ?? error.message),
      });
    });
    // Whatever ends the exchange first decides; a close before any answer (the timeout cut a
    // streaming answer, say) is a failed attempt.
    request.on("close", () => resolve({ error: "the connection closed before the answer ended" }));
    request.end(body);
  });
}
