import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./openapi.js";

export type { components, operations, paths } from "./openapi.js";

/** The error every failed call answers, `{"error": {"code", "message", "details"}}`; `code` is one of a documented enum. */
export type HongbaoError = components["schemas"]["Error"];
export type ErrorCode = HongbaoError["error"]["code"];

export interface HongbaoClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** Where the server listens, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** A user token, a service key or the admin token, sent as `Authorization: Bearer`. */
  readonly token?: string;
}

export type HongbaoClient = Client<paths>;

/**
 * A typed client of the HTTP API (openapi-fetch over the generated `paths`): every path,
 * parameter, body and answer is checked by the compiler, and errors come back as `error`.
 */
export function createHongbaoClient(options: HongbaoClientOptions): HongbaoClient {
  const { token, headers, ...rest } = options;
  return createClient<paths>({
    ...rest,
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(headers as object) },
  });
}
