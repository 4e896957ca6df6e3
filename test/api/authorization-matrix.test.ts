import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SCOPES } from "../../src/api/identity.js";
import {
  ADMIN_TOKEN,
  INPUT_TESTS_GATE,
  type ListeningApp,
  startListeningApp,
  TOKEN_SECRET,
} from "../support/harness.js";
import { Client, type Reply } from "../support/http-client.js";
import { LedgerReader, type LedgerSnapshot } from "../support/ledger-snapshot.js";
import { assertErrorContract } from "../support/raw-http.js";
import { signToken } from "../support/tokens.js";

/**
 * Every route of the OpenAPI document × every kind of wrong token, against a real listening
 * server: the right 401/403/404 in the error shape, and nothing changed in the store. The
 * routes come from the served document, so a route added without a row here fails the test.
 */

type Auth = "none" | "user" | "admin" | "user-or-admin";

interface World {
  readonly alice: Party;
  readonly bob: Party;
  readonly carol: Party;
  /** alice → bob, declared a loan, pending. */
  readonly transferId: string;
  /** alice's group of alice and bob. */
  readonly groupId: string;
  /** alice's lucky packet to that group. */
  readonly packetId: string;
  /** A campaign that starts in a year: a claim is refused, whoever sends it. */
  readonly campaignId: string;
  /** A live service key's id. */
  readonly keyId: string;
  /** alice's place in that campaign's pre-queue. */
  readonly ticket: string;
  /** A webhook endpoint at a public address (documentation range: nothing answers). */
  readonly webhookEndpointId: string;
}

interface Party {
  readonly userId: string;
  readonly token: string;
}

interface Call {
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** How a route answers a user who is not the party its path names. */
type Stranger =
  /** The route acts only for its caller: the stranger acts for themself, here refused by a rule or harmless. */
  | { readonly acts: "for-caller"; readonly status: number; readonly code?: string }
  /** The path names someone else's record: refused with this status and code. */
  | { readonly acts: "refused"; readonly status: number; readonly code: string };

interface Row {
  readonly auth: Auth;
  /** The party the request is built for (its path names their record): a user route's rightful caller. */
  readonly owner?: "alice" | "bob";
  readonly stranger?: Stranger;
  /** A request that the owner (or the admin) could send; `n` makes each one distinct. */
  readonly call: (w: World, n: number) => Call;
}

const phoneOf = (n: number) => `+86137${String(process.pid % 10000).padStart(4, "0")}${String(n).padStart(4, "0")}`;
const DAY_MS = 24 * 3600 * 1000;
const inAYear = (plusMs = 0) => new Date(Date.now() + 365 * DAY_MS + plusMs).toISOString();

/** The expectations, one row a route: "METHOD /path" as the OpenAPI document spells it. */
const ROWS: Readonly<Record<string, Row>> = {
  "POST /v1/auth/otp": { auth: "none", call: (_w, n) => ({ path: "/v1/auth/otp", body: { phone: phoneOf(n) } }) },
  "POST /v1/auth/token": {
    auth: "none",
    call: (_w, n) => ({ path: "/v1/auth/token", body: { phone: phoneOf(n), code: "000000" } }),
  },
  "POST /v1/admin/users": {
    auth: "admin",
    call: (_w, n) => ({ path: "/v1/admin/users", body: { phone: phoneOf(5000 + n), name: "matrix" } }),
  },
  "POST /v1/admin/users/bulk": {
    auth: "admin",
    call: (_w, n) => ({ path: "/v1/admin/users/bulk", body: { users: [{ phone: phoneOf(6000 + n), name: "m" }] } }),
  },
  "POST /v1/admin/deposits": {
    auth: "admin",
    call: (w) => ({ path: "/v1/admin/deposits", body: { userId: w.alice.userId, amount: 100 } }),
  },
  "GET /v1/admin/ledger": { auth: "admin", call: () => ({ path: "/v1/admin/ledger" }) },
  "POST /v1/admin/clock": { auth: "admin", call: () => ({ path: "/v1/admin/clock", body: { now: inAYear() } }) },
  "GET /v1/me": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me" }),
  },
  "GET /v1/me/wallet": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/wallet" }),
  },
  "GET /v1/me/statement": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/statement" }),
  },
  "GET /v1/limits": { auth: "none", call: () => ({ path: "/v1/limits" }) },
  "GET /v1/me/groups": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/groups" }),
  },
  "GET /v1/me/transfers/pending": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/transfers/pending" }),
  },
  "GET /v1/groups/{id}/packets": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "GROUP_NOT_FOUND" },
    call: (w) => ({ path: `/v1/groups/${w.groupId}/packets` }),
  },
  "GET /v1/me/events": {
    auth: "user",
    owner: "alice",
    // carol's own stream: it opens, and ends on its own on this server (SHORT_LIVED_STREAMS).
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/events" }),
  },
  "GET /v1/auth/options": { auth: "none", call: () => ({ path: "/v1/auth/options" }) },
  "GET /v1/dev/login-code": {
    auth: "none",
    call: (_w, n) => ({ path: `/v1/dev/login-code?phone=${encodeURIComponent(phoneOf(n))}` }),
  },
  "POST /v1/transfers": {
    auth: "user",
    owner: "alice",
    // carol has no money: her own transfer is refused by the rules, alice's wallet is not touched.
    stranger: { acts: "for-caller", status: 422, code: "INSUFFICIENT_FUNDS" },
    call: (w) => ({ path: "/v1/transfers", body: { to: w.bob.userId, amount: 100 } }),
  },
  "POST /v1/transfers/preview": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: (w) => ({ path: "/v1/transfers/preview", body: { to: w.bob.userId, amount: 100 } }),
  },
  "POST /v1/transfers/{id}/acknowledge-loan": {
    auth: "user",
    owner: "bob",
    stranger: { acts: "refused", status: 404, code: "TRANSFER_NOT_FOUND" },
    call: (w) => ({ path: `/v1/transfers/${w.transferId}/acknowledge-loan` }),
  },
  "GET /v1/transfers/{id}": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "TRANSFER_NOT_FOUND" },
    call: (w) => ({ path: `/v1/transfers/${w.transferId}` }),
  },
  "POST /v1/transfers/{id}/accept": {
    auth: "user",
    owner: "bob",
    stranger: { acts: "refused", status: 404, code: "TRANSFER_NOT_FOUND" },
    call: (w) => ({ path: `/v1/transfers/${w.transferId}/accept` }),
  },
  "POST /v1/transfers/{id}/decline": {
    auth: "user",
    owner: "bob",
    stranger: { acts: "refused", status: 404, code: "TRANSFER_NOT_FOUND" },
    call: (w) => ({ path: `/v1/transfers/${w.transferId}/decline` }),
  },
  "POST /v1/groups": {
    auth: "user",
    owner: "alice",
    // A group of someone unknown is refused for anyone: the stranger's call changes nothing either.
    stranger: { acts: "for-caller", status: 404, code: "USER_NOT_FOUND" },
    call: () => ({ path: "/v1/groups", body: { name: "matrix", memberIds: ["usr_00000000000000000000"] } }),
  },
  "GET /v1/groups/{id}": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "GROUP_NOT_FOUND" },
    call: (w) => ({ path: `/v1/groups/${w.groupId}` }),
  },
  "POST /v1/red-packets": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 422, code: "INSUFFICIENT_FUNDS" },
    call: (w) => ({ path: "/v1/red-packets", body: { kind: "single", amount: 100, to: w.bob.userId } }),
  },
  "POST /v1/red-packets/{id}/grab": {
    auth: "user",
    owner: "bob",
    stranger: { acts: "refused", status: 403, code: "NOT_A_MEMBER" },
    call: (w) => ({ path: `/v1/red-packets/${w.packetId}/grab` }),
  },
  "GET /v1/red-packets/{id}": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "PACKET_NOT_FOUND" },
    call: (w) => ({ path: `/v1/red-packets/${w.packetId}` }),
  },
  "GET /v1/evidence/public-key": { auth: "none", call: () => ({ path: "/v1/evidence/public-key" }) },
  "GET /v1/transfers/{id}/evidence": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "TRANSFER_NOT_FOUND" },
    call: (w) => ({ path: `/v1/transfers/${w.transferId}/evidence` }),
  },
  "GET /v1/red-packets/{id}/evidence": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "PACKET_NOT_FOUND" },
    call: (w) => ({ path: `/v1/red-packets/${w.packetId}/evidence` }),
  },
  "GET /v1/special-days": { auth: "none", call: () => ({ path: "/v1/special-days" }) },
  "POST /v1/admin/special-days": {
    auth: "admin",
    call: () => ({
      path: "/v1/admin/special-days",
      body: { name: "matrix day", kind: "gregorian", month: 3, day: 3, caps: { transferMax: 100 } },
    }),
  },
  "POST /v1/admin/campaigns": {
    auth: "admin",
    call: () => ({
      path: "/v1/admin/campaigns",
      body: { name: "matrix", budget: 100, amount: { fixed: 1 }, startsAt: inAYear(), endsAt: inAYear(DAY_MS) },
    }),
  },
  "GET /v1/campaigns/{id}": {
    auth: "user-or-admin",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: (w) => ({ path: `/v1/campaigns/${w.campaignId}` }),
  },
  "POST /v1/campaigns/{id}/claim": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 425, code: "NOT_STARTED" },
    call: (w) => ({ path: `/v1/campaigns/${w.campaignId}/claim` }),
  },
  "POST /v1/admin/keys": {
    auth: "admin",
    call: () => ({ path: "/v1/admin/keys", body: { name: "matrix", scopes: ["read"] } }),
  },
  "GET /v1/admin/keys": { auth: "admin", call: () => ({ path: "/v1/admin/keys" }) },
  "POST /v1/admin/keys/{id}/revoke": { auth: "admin", call: (w) => ({ path: `/v1/admin/keys/${w.keyId}/revoke` }) },
  "POST /v1/admin/keys/{id}/rotate": { auth: "admin", call: (w) => ({ path: `/v1/admin/keys/${w.keyId}/rotate` }) },
  "GET /v1/admin/signing-keys": { auth: "admin", call: () => ({ path: "/v1/admin/signing-keys" }) },
  "POST /v1/admin/signing-keys": { auth: "admin", call: () => ({ path: "/v1/admin/signing-keys" }) },
  "POST /v1/admin/signing-keys/{kid}/retire": {
    auth: "admin",
    call: () => ({ path: "/v1/admin/signing-keys/initial/retire" }),
  },
  "POST /v1/admin/users/{id}/logout": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/users/${w.alice.userId}/logout` }),
  },
  "POST /v1/me/logout": {
    auth: "user",
    owner: "alice",
    // carol logs herself out: alice's tokens hold (her token is renewed after, for the rows that follow).
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/logout" }),
  },
  "POST /v1/auth/exchange": {
    auth: "none",
    call: () => ({ path: "/v1/auth/exchange", body: { assertion: "a.b.c" } }),
  },
  "POST /v1/admin/covers": {
    auth: "admin",
    // Not an image: were the token accepted, the answer would be 422, and nothing is kept either way.
    call: () => ({ path: "/v1/admin/covers", body: { name: "matrix", image: "bm90IGFuIGltYWdl" } }),
  },
  "GET /v1/covers": { auth: "none", call: () => ({ path: "/v1/covers" }) },
  "GET /v1/covers/{id}": { auth: "none", call: () => ({ path: "/v1/covers/cov_00000000000000000000" }) },
  "POST /v1/transfers/{id}/cancel": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "TRANSFER_NOT_FOUND" },
    call: (w) => ({ path: `/v1/transfers/${w.transferId}/cancel` }),
  },
  "POST /v1/withdrawals": {
    auth: "user",
    owner: "alice",
    // carol has no money: her own withdrawal is refused by the rules, alice's wallet is not touched.
    stranger: { acts: "for-caller", status: 422, code: "INSUFFICIENT_FUNDS" },
    call: () => ({ path: "/v1/withdrawals", body: { amount: 100 } }),
  },
  "GET /v1/me/transfers": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/transfers?filter=pending" }),
  },
  "GET /v1/me/red-packets": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/me/red-packets?role=received" }),
  },
  "GET /v1/groups/{id}/red-packets": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 404, code: "GROUP_NOT_FOUND" },
    call: (w) => ({ path: `/v1/groups/${w.groupId}/red-packets` }),
  },
  "GET /v1/admin/campaigns": { auth: "admin", call: () => ({ path: "/v1/admin/campaigns?limit=5" }) },
  "GET /v1/admin/users": { auth: "admin", call: () => ({ path: "/v1/admin/users?limit=5" }) },
  "POST /v1/admin/campaigns/{id}/pause": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/campaigns/${w.campaignId}/pause` }),
  },
  "POST /v1/admin/campaigns/{id}/resume": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/campaigns/${w.campaignId}/resume` }),
  },
  "POST /v1/admin/campaigns/{id}/close": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/campaigns/${w.campaignId}/close` }),
  },
  "GET /v1/campaigns/{id}/queue": {
    auth: "user",
    owner: "alice",
    stranger: { acts: "refused", status: 403, code: "TICKET_NOT_YOURS" },
    call: (w) => ({ path: `/v1/campaigns/${w.campaignId}/queue`, headers: { "queue-ticket": w.ticket } }),
  },
  "GET /v1/events": {
    auth: "user-or-admin",
    owner: "alice",
    stranger: { acts: "for-caller", status: 200 },
    call: () => ({ path: "/v1/events" }),
  },
  "POST /v1/admin/webhook-endpoints": {
    auth: "admin",
    call: () => ({ path: "/v1/admin/webhook-endpoints", body: { url: "https://203.0.113.7/hooks" } }),
  },
  "GET /v1/admin/webhook-endpoints": { auth: "admin", call: () => ({ path: "/v1/admin/webhook-endpoints" }) },
  "GET /v1/admin/webhook-endpoints/{id}": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/webhook-endpoints/${w.webhookEndpointId}` }),
  },
  "DELETE /v1/admin/webhook-endpoints/{id}": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/webhook-endpoints/${w.webhookEndpointId}` }),
  },
  "GET /v1/admin/webhook-endpoints/{id}/deliveries": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/webhook-endpoints/${w.webhookEndpointId}/deliveries` }),
  },
  "POST /v1/admin/webhook-endpoints/{id}/rotate-secret": {
    auth: "admin",
    call: (w) => ({ path: `/v1/admin/webhook-endpoints/${w.webhookEndpointId}/rotate-secret`, body: {} }),
  },
  "GET /healthz": { auth: "none", call: () => ({ path: "/healthz" }) },
  "GET /readyz": { auth: "none", call: () => ({ path: "/readyz" }) },
};

/** The codes that say the token was the matter. */
const TOKEN_CODES = ["UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED", "FORBIDDEN"];

/** The kinds of wrong token; each route is sent every one that applies to it. */
const VARIANTS = [
  "no token",
  "forged",
  "expired",
  "another user's",
  "user on admin",
  "admin on user",
  "service key on user",
  "key without the scope",
  "revoked key",
  "logged-out user's",
] as const;
type Variant = (typeof VARIANTS)[number];

interface Expected {
  readonly status: number;
  readonly code?: string;
  /** The store may change (the caller acted for themself); the owner's wallet still may not. */
  readonly mayChange?: boolean;
}

/** What `variant` must get on a route of `row`, or undefined where the variant means nothing there. */
function expected(row: Row, variant: Variant): Expected | "same as no token" | undefined {
  if (row.auth === "none") return variant === "no token" ? undefined : "same as no token";
  switch (variant) {
    case "no token":
      return { status: 401, code: "UNAUTHORIZED" };
    case "forged":
      return { status: 401, code: "INVALID_TOKEN" };
    case "expired":
      return { status: 401, code: "TOKEN_EXPIRED" };
    case "user on admin":
      return row.auth === "admin" ? { status: 403, code: "FORBIDDEN" } : undefined;
    case "admin on user":
    case "service key on user":
      return row.auth === "user" ? { status: 403, code: "FORBIDDEN" } : undefined;
    case "key without the scope":
      return row.auth === "user" ? undefined : { status: 403, code: "FORBIDDEN" };
    case "revoked key":
    case "logged-out user's":
      return { status: 401, code: "TOKEN_REVOKED" };
    case "another user's": {
      if (row.auth === "admin") return { status: 403, code: "FORBIDDEN" };
      const stranger = row.stranger;
      assert.ok(stranger !== undefined, "a user route says how it answers a stranger");
      return {
        status: stranger.status,
        ...(stranger.code === undefined ? {} : { code: stranger.code }),
        mayChange: stranger.acts === "for-caller" && stranger.status < 300,
      };
    }
  }
}

const sign = signToken;

describe("authorization matrix: every route of the OpenAPI document × every wrong token", () => {
  let app: ListeningApp;
  let client: Client;
  let reader: LedgerReader;
  let world: World;
  let routes: { key: string; method: string; auth: Auth; scope: string | undefined }[];
  /** For each scope, a live key that has every scope but that one. */
  const lacking = new Map<string, string>();
  /** A live key with every scope: it acts for no user. */
  let everyScope: string;
  const tokenFor = (variant: Variant, scope: string | undefined) => {
    if (variant === "key without the scope") return lacking.get(scope ?? "");
    if (variant === "service key on user") return everyScope;
    return tokens.get(variant);
  };
  const tokens = new Map<Variant, string | undefined>();

  /**
   * One request; a 503 (a user's read shed for a second after a slow turn of claims on a
   * loaded machine) is sent again after a pause, as a client told to retry would.
   */
  const send = async (method: string, call: Call, token: string | undefined): Promise<Reply> => {
    for (let attempt = 0; ; attempt++) {
      const reply = await sendOnce(method, call, token);
      if (reply.status !== 503 || attempt >= 40) return reply;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  const sendOnce = (method: string, call: Call, token: string | undefined): Promise<Reply> =>
    client.send({
      method,
      path: call.path,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(method === "POST" ? { "idempotency-key": randomUUID() } : {}),
        ...(call.body === undefined ? {} : { "content-type": "application/json" }),
        ...call.headers,
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    });

  const json = (reply: Reply) => JSON.parse(reply.body) as Record<string, unknown>;

  before(async () => {
    app = await startListeningApp({ testClock: true, gate: INPUT_TESTS_GATE });
    client = new Client(app.port);
    const as = async (token: string, method: string, call: Call, status: number) => {
      const reply = await send(method, call, token);
      assert.equal(reply.status, status, `${method} ${call.path}: ${reply.body}`);
      return json(reply);
    };
    const user = async (name: string, n: number): Promise<Party> => {
      const made = await as(
        ADMIN_TOKEN,
        "POST",
        { path: "/v1/admin/users", body: { phone: phoneOf(9000 + n), name } },
        201,
      );
      return { userId: made.userId as string, token: made.token as string };
    };
    const [alice, bob, carol] = [await user("alice", 1), await user("bob", 2), await user("carol", 3)];
    await as(ADMIN_TOKEN, "POST", { path: "/v1/admin/deposits", body: { userId: alice.userId, amount: 100_000 } }, 201);
    const transfer = await as(
      alice.token,
      "POST",
      { path: "/v1/transfers", body: { to: bob.userId, amount: 1_000, nature: "loan" } },
      201,
    );
    const group = await as(
      alice.token,
      "POST",
      { path: "/v1/groups", body: { name: "g", memberIds: [bob.userId] } },
      201,
    );
    const packet = await as(
      alice.token,
      "POST",
      { path: "/v1/red-packets", body: { kind: "lucky", amount: 1_000, count: 2, groupId: group.id } },
      201,
    );
    const campaign = await as(
      ADMIN_TOKEN,
      "POST",
      {
        path: "/v1/admin/campaigns",
        body: { name: "later", budget: 1_000, amount: { fixed: 10 }, startsAt: inAYear(), endsAt: inAYear(DAY_MS) },
      },
      201,
    );
    const key = (scopes: readonly string[]) =>
      as(ADMIN_TOKEN, "POST", { path: "/v1/admin/keys", body: { name: "matrix", scopes } }, 201) as Promise<{
        key: { id: string };
        secret: string;
      }>;
    for (const scope of SCOPES) lacking.set(scope, (await key(SCOPES.filter((s) => s !== scope))).secret);
    everyScope = (await key(SCOPES)).secret;
    const revoked = await key(SCOPES);
    await as(ADMIN_TOKEN, "POST", { path: `/v1/admin/keys/${revoked.key.id}/revoke` }, 200);
    tokens.set("revoked key", revoked.secret);
    const dave = await user("dave", 4);
    await as(dave.token, "POST", { path: "/v1/me/logout" }, 200);
    tokens.set("logged-out user's", dave.token);
    const endpoint = await as(
      ADMIN_TOKEN,
      "POST",
      { path: "/v1/admin/webhook-endpoints", body: { url: "https://203.0.113.7/hooks" } },
      201,
    );
    world = {
      webhookEndpointId: endpoint.id as string,
      alice,
      bob,
      carol,
      transferId: transfer.id as string,
      groupId: group.id as string,
      packetId: packet.id as string,
      campaignId: campaign.id as string,
      keyId: (await key(["read"])).key.id,
      // A claim without a key, as an app sends it, gets a place in the pre-queue.
      ticket: json(
        await client.send({
          method: "POST",
          path: `/v1/campaigns/${campaign.id}/claim`,
          headers: { authorization: `Bearer ${alice.token}` },
        }),
      ).ticket as string,
    };
    const now = Math.floor(Date.now() / 1000);
    tokens.set("no token", undefined);
    tokens.set(
      "forged",
      await sign({ sub: alice.userId, iat: now, exp: now + 3600 }, "a-different-secret-that-is-also-32-bytes-long"),
    );
    tokens.set("expired", await sign({ sub: alice.userId, iat: now - 7200, exp: now - 3600 }, TOKEN_SECRET));
    tokens.set("another user's", carol.token);
    tokens.set("user on admin", alice.token);
    tokens.set("admin on user", ADMIN_TOKEN);

    const document = JSON.parse((await send("GET", { path: "/openapi.json" }, undefined)).body) as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; "x-required-scope"?: string }>>;
    };
    routes = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schemes = (operation.security ?? []).map((requirement) => Object.keys(requirement).join("+")).sort();
        const auth: Auth =
          schemes.length === 0 ? "none" : schemes.length === 2 ? "user-or-admin" : (schemes[0] as "user" | "admin");
        routes.push({
          key: `${method.toUpperCase()} ${path}`,
          method: method.toUpperCase(),
          auth,
          scope: operation["x-required-scope"],
        });
      }
    }
    reader = new LedgerReader(app.db);
  });

  after(async () => {
    client?.close();
    reader?.close();
    await app?.dispose();
  });

  it("has a row for every route of the document, and no row for a route it lacks", () => {
    const documented = routes.map((route) => route.key).sort();
    assert.ok(documented.length >= 30, `${documented.length} routes`);
    assert.deepEqual(documented, Object.keys(ROWS).sort());
  });

  it("the document names the token each route takes, as the matrix expects", () => {
    for (const route of routes) assert.equal(route.auth, ROWS[route.key]?.auth, route.key);
  });

  it("names the scope of every operator's route, and only of those", () => {
    for (const route of routes) {
      const operators = route.auth === "admin" || route.auth === "user-or-admin";
      assert.equal(route.scope !== undefined, operators, route.key);
      if (route.scope !== undefined) assert.ok((SCOPES as readonly string[]).includes(route.scope), route.key);
    }
  });

  it("refuses every wrong token with the right status and code, and changes nothing it refuses", async () => {
    let cases = 0;
    let n = 0;
    for (const route of routes) {
      const row = ROWS[route.key] as Row;
      let baseline: Reply | undefined;
      for (const variant of VARIANTS) {
        const want = expected(row, variant);
        if (want === undefined && variant !== "no token") continue;
        n += 1;
        const call = row.call(world, n);
        const before_: LedgerSnapshot = reader.snapshot();
        const reply = await send(route.method, call, tokenFor(variant, route.scope));
        const label = `${route.key} with ${variant}`;
        if (route.key === "POST /v1/me/logout" && variant === "another user's") {
          tokens.set("another user's", await app.server.context.tokens.issue(world.carol.userId));
        }
        cases += 1;
        if (reply.status >= 400) assertErrorContract(reply.status, reply.headers["content-type"], reply.body, label);
        if (row.auth === "none") {
          // A route that takes no token answers the same whatever token comes along.
          baseline ??= reply;
          const code = reply.status >= 400 ? (json(reply).error as { code: string }).code : undefined;
          assert.ok(!TOKEN_CODES.includes(code ?? ""), `${label}: ${reply.body}`);
          // A login route may limit its rate: 429 is the same answer, later.
          if (reply.status !== 429) assert.equal(reply.status, baseline.status, `${label}: ${reply.body}`);
          continue;
        }
        if (want === undefined || want === "same as no token") continue;
        assert.equal(reply.status, want.status, `${label}: ${reply.body}`);
        if (want.code !== undefined) assert.equal((json(reply).error as { code: string }).code, want.code, label);
        const after_ = reader.snapshot();
        if (want.mayChange === true) {
          assert.equal(after_.balances[`user:${world.alice.userId}`], before_.balances[`user:${world.alice.userId}`]);
        } else {
          assert.deepEqual(after_, before_, `${label} changed the store`);
        }
      }
    }
    assert.ok(cases >= 150, `${cases} cases`);
    console.log(`authorization matrix: ${cases} cases over ${routes.length} routes`);
  });
});
