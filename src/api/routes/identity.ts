import type { FastifyInstance } from "fastify";
import { formatInstant } from "../../domain/time.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { ROTATION_GRACE_SECONDS_MAX, SCOPES, type Scope, type ServiceKeyView } from "../identity.js";
import { errorResponses, userId } from "../schemas.js";
import { TOKEN_LENGTH_MAX } from "../tokens.js";
import { signUp } from "./auth.js";

const KEY_ID = { type: "string", pattern: "^[0-9a-f]{16}$" } as const;
const KID = { type: "string", pattern: "^(initial|k[0-9a-f]{12})$" } as const;
const when = { type: ["string", "null"], description: "ISO 8601 with offset" } as const;

const serviceKeySchema = {
  type: "object",
  required: ["id", "name", "scopes", "createdAt", "rotatedAt", "revokedAt", "previousValidUntil"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    scopes: { type: "array", items: { type: "string", enum: SCOPES } },
    createdAt: { type: "string" },
    rotatedAt: when,
    revokedAt: when,
    previousValidUntil: { ...when, description: "until when the secret before the last rotation is still taken" },
  },
} as const;
const keyWithSecret = {
  type: "object",
  required: ["key", "secret"],
  properties: {
    key: serviceKeySchema,
    secret: { type: "string", description: "the key to send as `Authorization: Bearer`; shown only in this answer" },
  },
} as const;
const signingKeySchema = {
  type: "object",
  required: ["kid", "createdAt", "retiredAt", "current"],
  properties: { kid: { type: "string" }, createdAt: { type: "string" }, retiredAt: when, current: { type: "boolean" } },
} as const;
const tokenAnswer = {
  type: "object",
  required: ["token", "userId"],
  properties: { token: { type: "string" }, userId: { type: "string" } },
} as const;

const at = (ms: number | null) => (ms === null ? null : formatInstant(ms));
const keyView = (key: ServiceKeyView) => ({
  ...key,
  createdAt: formatInstant(key.createdAt),
  rotatedAt: at(key.rotatedAt),
  revokedAt: at(key.revokedAt),
  previousValidUntil: at(key.previousValidUntil),
});

/** Operators' service keys, token signing keys, logging out everywhere, and products' own tokens. */
export function identityRoutes(app: FastifyInstance, context: AppContext): void {
  const { identity } = context;

  app.post<{ Body: { name: string; scopes: Scope[] } }>(
    "/v1/admin/keys",
    {
      config: { auth: "admin", scope: "keys:write" },
      schema: {
        operationId: "createServiceKey",
        tags: ["identity"],
        summary: "Create a service key with scopes; its secret is in this answer only (it is kept hashed)",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "scopes"],
          properties: {
            name: { type: "string", minLength: 1, maxLength: 100 },
            scopes: { type: "array", minItems: 1, maxItems: SCOPES.length, items: { type: "string", enum: SCOPES } },
          },
        },
        response: { 201: keyWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const made = await identity.createKey(request.body.name, request.body.scopes);
      return reply.code(201).send({ key: keyView(made.key), secret: made.secret });
    },
  );

  app.get(
    "/v1/admin/keys",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        operationId: "listServiceKeys",
        tags: ["identity"],
        summary: "Every service key, revoked ones included, without secrets",
        response: {
          200: { type: "object", required: ["keys"], properties: { keys: { type: "array", items: serviceKeySchema } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ keys: identity.listKeys().map(keyView) }),
  );

  app.post<{ Params: { id: string } }>(
    "/v1/admin/keys/:id/revoke",
    {
      config: { auth: "admin", scope: "keys:write" },
      schema: {
        operationId: "revokeServiceKey",
        tags: ["identity"],
        summary: "Revoke a service key: its next request is refused (401 TOKEN_REVOKED)",
        params: { type: "object", required: ["id"], properties: { id: KEY_ID } },
        response: { 200: serviceKeySchema, ...errorResponses },
      },
    },
    async (request) => keyView(await identity.revokeKey(request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { graceSeconds?: number } | undefined }>(
    "/v1/admin/keys/:id/rotate",
    {
      config: { auth: "admin", scope: "keys:write" },
      schema: {
        operationId: "rotateServiceKey",
        tags: ["identity"],
        summary:
          "A new secret for a service key, same id and scopes; the old secret is refused from now on, or after `graceSeconds`",
        params: { type: "object", required: ["id"], properties: { id: KEY_ID } },
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { graceSeconds: { type: "integer", minimum: 0, maximum: ROTATION_GRACE_SECONDS_MAX } },
        },
        response: { 200: keyWithSecret, ...errorResponses },
      },
    },
    async (request) => {
      const rotated = await identity.rotateKey(request.params.id, request.body?.graceSeconds ?? 0);
      return { key: keyView(rotated.key), secret: rotated.secret };
    },
  );

  app.get(
    "/v1/admin/signing-keys",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        operationId: "listSigningKeys",
        tags: ["identity"],
        summary: "The keys that sign user tokens, by kid; `current` signs new tokens",
        response: {
          200: { type: "object", required: ["keys"], properties: { keys: { type: "array", items: signingKeySchema } } },
          ...errorResponses,
        },
      },
    },
    async () => ({
      keys: identity
        .listSigningKeys()
        .map((key) => ({ ...key, createdAt: formatInstant(key.createdAt), retiredAt: at(key.retiredAt) })),
    }),
  );

  app.post(
    "/v1/admin/signing-keys",
    {
      config: { auth: "admin", scope: "keys:write" },
      schema: {
        operationId: "rotateSigningKey",
        tags: ["identity"],
        summary: "Make a new signing key current; tokens of older keys stay valid until those keys are retired",
        response: {
          201: { type: "object", required: ["kid"], properties: { kid: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => reply.code(201).send(await identity.rotateSigningKey()),
  );

  app.post<{ Params: { kid: string } }>(
    "/v1/admin/signing-keys/:kid/retire",
    {
      config: { auth: "admin", scope: "keys:write" },
      schema: {
        operationId: "retireSigningKey",
        tags: ["identity"],
        summary:
          "Retire a signing key: every token it signed is refused from now on (409 SIGNING_KEY_IN_USE for the current key)",
        params: { type: "object", required: ["kid"], properties: { kid: KID } },
        response: {
          200: {
            type: "object",
            required: ["kid", "retired"],
            properties: { kid: { type: "string" }, retired: { type: "boolean" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await identity.retireSigningKey(request.params.kid);
      return { kid: request.params.kid, retired: true };
    },
  );

  const loggedOut = {
    type: "object",
    required: ["userId", "tokensRevoked"],
    properties: { userId: { type: "string" }, tokensRevoked: { type: "boolean" } },
  } as const;

  app.post<{ Params: { id: string } }>(
    "/v1/admin/users/:id/logout",
    {
      config: { auth: "admin", scope: "users:write" },
      schema: {
        operationId: "logOutUserEverywhere",
        tags: ["identity"],
        summary: "Revoke every token of a user issued so far",
        params: { type: "object", required: ["id"], properties: { id: userId } },
        response: { 200: loggedOut, ...errorResponses },
      },
    },
    async (request) => {
      if (!(await context.engine.hasUser(request.params.id))) throw new ApiError("USER_NOT_FOUND", "no such user");
      await identity.logOutEverywhere(request.params.id);
      return { userId: request.params.id, tokensRevoked: true };
    },
  );

  app.post(
    "/v1/me/logout",
    {
      config: { auth: "user" },
      schema: {
        operationId: "logOutEverywhere",
        tags: ["identity"],
        summary:
          "Log out everywhere: every token of this user issued so far, this one included, is refused from now on",
        response: { 200: loggedOut, ...errorResponses },
      },
    },
    async (request) => {
      await identity.logOutEverywhere(request.userId);
      return { userId: request.userId, tokensRevoked: true };
    },
  );

  app.post<{ Body: { assertion: string } }>(
    "/v1/auth/exchange",
    {
      config: { auth: "none" },
      schema: {
        operationId: "exchangeProductToken",
        tags: ["auth"],
        summary: "Exchange the product's own signed token (JWT, checked against its JWKS) for a user token",
        description:
          "The product's token needs `iss` and `aud` as configured, `sub`, `iat` (at most 10 minutes old) and `exp`. " +
          "A subject seen before gets its user; a new one is linked to the user with the token's `phone_number`, " +
          "made (named by `name`) when the phone has none. 404 EXCHANGE_NOT_CONFIGURED when no product is configured.",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["assertion"],
          properties: { assertion: { type: "string", minLength: 1, maxLength: 4 * TOKEN_LENGTH_MAX } },
        },
        response: { 200: tokenAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const product = context.productTokens;
      if (product === undefined) {
        throw new ApiError("EXCHANGE_NOT_CONFIGURED", "this server takes no product tokens (see --exchange-jwks-url)");
      }
      const who = await product.verify(request.body.assertion);
      let user = await identity.store.externalUser(who.issuer, who.subject);
      if (user === undefined) {
        if (who.phone === undefined) {
          throw new ApiError("INVALID_TOKEN", "a subject seen for the first time needs a phone_number claim");
        }
        const userPhone = who.phone;
        const existing = await context.engine.userIdByPhone(userPhone);
        const made = existing ?? (await signUp(context, userPhone, who.name));
        user = await identity.store.linkExternalUser(who.issuer, who.subject, made, context.codes.clock.now());
      }
      if (!(await context.engine.hasUser(user)))
        throw new ApiError("USER_NOT_FOUND", "the subject's user does not exist");
      return { token: await context.tokens.issue(user), userId: user };
    },
  );
}
