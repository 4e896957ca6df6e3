import fc from "fast-check";
import type { Sent } from "../support/http-client.js";
import { EDGE_STRINGS, hostileOf, type JsonSchema, type Known, nested, validOf } from "./schema-arbitraries.js";

/** One operation of the OpenAPI document, as the fuzzer needs it. */
export interface Operation {
  readonly method: string;
  /** The OpenAPI path, with `{id}` where a parameter goes. */
  readonly path: string;
  readonly auth: "none" | "user" | "admin" | "user-or-admin";
  readonly pathParams: readonly { readonly name: string; readonly schema: JsonSchema }[];
  readonly query: readonly { readonly name: string; readonly schema: JsonSchema }[];
  readonly takesKey: boolean;
  readonly body: JsonSchema | undefined;
}

interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<
      string,
      {
        readonly security?: readonly Record<string, string[]>[];
        readonly parameters?: readonly { name: string; in: string; schema: JsonSchema }[];
        readonly requestBody?: { content: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
}

/** Every operation of a served OpenAPI document. */
export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const schemes = (operation.security ?? []).map((requirement) => Object.keys(requirement)[0]).sort();
      const parameters = operation.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        auth: schemes.length === 0 ? "none" : schemes.length === 2 ? "user-or-admin" : (schemes[0] as "user" | "admin"),
        pathParams: parameters.filter((p) => p.in === "path").map(({ name, schema }) => ({ name, schema })),
        query: parameters.filter((p) => p.in === "query").map(({ name, schema }) => ({ name, schema })),
        takesKey: parameters.some((p) => p.in === "header" && p.name === "idempotency-key"),
        body: operation.requestBody?.content["application/json"]?.schema,
      });
    }
  }
  return operations;
}

/** The tokens and records a fuzzed request may name. */
export interface FuzzWorld {
  /** The token a route's rightful caller sends: a user's, or the admin's on admin routes. */
  readonly callerToken: (operation: Operation) => string | undefined;
  /** Tokens that must not work: forged, expired, another user's, the wrong kind, garbage. */
  readonly wrongTokens: readonly string[];
  /** Ids of real records, for path parameters and bodies, by id pattern. */
  readonly known: Known;
  /** A real record's id for a path parameter of `path`. */
  readonly pathValue: (path: string, name: string) => string;
}

const CONTENT_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "application/JSON",
  "application/json, text/plain",
  "application/xml",
  "*/*",
  "",
  "application/json; charset=\u00e9",
];

const BAD_JSON_TEXTS = [
  "{",
  "{'a':1}",
  "[1,",
  "{}x",
  '{"amount":1,"amount":2}',
  "\uFEFF{}",
  '{"amount":1e999}',
  "null",
  "[]",
  '"text"',
  "0",
  `${"[".repeat(5_000)}${"]".repeat(5_000)}`,
  `{"a":"${"\\u0000".repeat(100)}"}`,
  '{"a":"\\ud800"}',
];

const BAD_PATH_VALUES = [
  "",
  "x",
  ".",
  "..",
  "%2e%2e",
  "%00",
  "%2F",
  "%ZZ",
  "%",
  "tr_%20",
  "usr_00000000000000000000",
  "grp_00000000000000000000",
  "rp_00000000000000000000",
  "cmp_00000000000000000000",
  "tr_00000000000000000000",
  "a".repeat(65),
  "a".repeat(300),
  encodeURIComponent("😀"),
  encodeURIComponent("tr_０００００"),
  "tr_00000000000000000000%0d%0aX-Injected:%201",
];

const BAD_KEYS = ["", " ", "k".repeat(256), "ключ", "a\u0080b", "\u00ff", "a b", "k".repeat(4_000)];

const BAD_AUTHORIZATION = [
  "Bearer",
  "Bearer ",
  "Basic dXNlcjpwYXNz",
  "bearer",
  "Bearer a b",
  "Token abc",
  "Bearer \u00e9",
];

type Mutation = "body" | "raw-body" | "content-type" | "path" | "query" | "token" | "key" | "many";

/** Builds the request target with its path parameters and a query string. */
function target(operation: Operation, params: Record<string, string>, query: string): string {
  const path = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) => params[name] ?? "");
  return query === "" ? path : `${path}?${query}`;
}

/** Percent-encodes every byte of `value` in UTF-8 (a lone surrogate becomes U+FFFD, as a client would send it). */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");
  }
}

function encodeQuery(values: Record<string, unknown>): string {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${encode(name)}=${encode(typeof value === "string" ? value : JSON.stringify(value))}`)
    .join("&");
}

/**
 * Hostile requests for one operation, each a valid request with one or more things made
 * wrong, so that every check behind the schema is reached: bodies with fields of the wrong
 * type, edge values, missing and extra fields, deep nesting, text that is not JSON, wrong
 * content types, bad path and query values, wrong tokens and bad Idempotency-Keys.
 */
export function hostileRequests(operation: Operation, world: FuzzWorld): fc.Arbitrary<Sent> {
  const bodySchema = operation.body;
  const validBody = bodySchema === undefined ? fc.constant(undefined) : validOf(bodySchema, world.known);
  const hostileBody = bodySchema === undefined ? hostileOf({ type: "object" }) : hostileOf(bodySchema, world.known);
  const validQuery = fc.record(
    Object.fromEntries(operation.query.map((q) => [q.name, validOf(q.schema, world.known)])),
    { requiredKeys: [] },
  );
  const mutations: Mutation[] = ["body", "raw-body", "content-type", "token", "many"];
  if (operation.pathParams.length > 0) mutations.push("path", "path");
  if (operation.query.length > 0) mutations.push("query", "query");
  if (operation.takesKey) mutations.push("key");
  const pathParams = Object.fromEntries(
    operation.pathParams.map((p) => [p.name, world.pathValue(operation.path, p.name)]),
  );

  return fc
    .record({
      mutation: fc.constantFrom(...mutations),
      body: validBody,
      badBody: hostileBody,
      rawBody: fc.oneof(
        fc.constantFrom(...BAD_JSON_TEXTS),
        fc.string({ maxLength: 50 }),
        fc.constant(JSON.stringify(nested(30, false))),
      ),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      query: validQuery,
      badQuery: fc.oneof(
        fc.constantFrom(
          "%",
          "%ZZ",
          "=&&==",
          "a=1&a=2",
          "unknown=1",
          `q=${"a".repeat(3_000)}`,
          "__proto__[x]=1",
          "at[]=1",
        ),
        fc
          .tuple(
            fc.constantFrom(...(operation.query.length > 0 ? operation.query.map((q) => q.name) : ["q"])),
            fc.constantFrom(...EDGE_STRINGS.filter((s) => s.length < 1_000)),
          )
          .map(([name, value]) => `${name}=${encode(value)}`),
        fc
          .tuple(fc.constantFrom(...(operation.query.length > 0 ? operation.query.map((q) => q.name) : ["q"])))
          .map(([name]) => `${name}=1&${name}=2`),
      ),
      badPath: fc.constantFrom(...BAD_PATH_VALUES),
      token: fc.constantFrom(...world.wrongTokens, ...BAD_AUTHORIZATION.map((a) => `raw:${a}`), "none"),
      key: fc.oneof(fc.constantFrom(...BAD_KEYS), fc.string({ maxLength: 10, unit: "binary" })),
      freshKey: fc.uuid(),
      extra: fc.boolean(),
    })
    .map((r) => {
      const wrong = (m: Mutation) => r.mutation === m || (r.mutation === "many" && r.extra);
      const params = { ...pathParams };
      if (wrong("path")) for (const name of Object.keys(params)) params[name] = r.badPath;
      const query = wrong("query") ? r.badQuery : encodeQuery(r.query);
      const headers: Record<string, string> = {};
      const caller = world.callerToken(operation);
      if (wrong("token")) {
        if (r.token.startsWith("raw:")) headers.authorization = r.token.slice(4);
        else if (r.token !== "none") headers.authorization = `Bearer ${r.token}`;
      } else if (caller !== undefined) {
        headers.authorization = `Bearer ${caller}`;
      }
      if (operation.takesKey) headers["idempotency-key"] = wrong("key") ? r.key : `fuzz-${r.freshKey}`;
      let body: string | undefined;
      if (operation.method === "POST") {
        headers["content-type"] = wrong("content-type") ? r.contentType : "application/json";
        if (wrong("raw-body")) body = r.rawBody;
        else if (wrong("body") || r.mutation === "many") body = JSON.stringify(r.badBody) ?? "";
        else body = r.body === undefined ? undefined : JSON.stringify(r.body);
      }
      return {
        method: operation.method,
        path: target(operation, params, query),
        headers,
        ...(body === undefined ? {} : { body }),
      };
    });
}
