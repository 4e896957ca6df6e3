import type { FastifyInstance } from "fastify";
import { makeId } from "../../domain/ids.js";
import { formatInstant, parseInstant } from "../../domain/time.js";
import { answerOf, sendAnswer } from "../answers.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import {
  amount,
  errorResponses,
  idempotencyHeader,
  idempotencyHeaderRequired,
  instant,
  phone,
  userId,
} from "../schemas.js";

const ADMIN_SCOPE = "admin";
/** Users one bulk call creates at most: a million-user crowd is a hundred calls. */
export const BULK_USERS_MAX = 10_000;

export function adminRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: { phone: string; name: string } }>(
    "/v1/admin/users",
    {
      config: { auth: "admin", scope: "users:write" },
      schema: {
        tags: ["admin"],
        summary: "Create a user; answers the user's id and a token for it",
        headers: idempotencyHeader,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["phone", "name"],
          properties: { phone, name: { type: "string", minLength: 1, maxLength: 50 } },
        },
        response: {
          201: {
            type: "object",
            properties: {
              userId: { type: "string" },
              token: { type: "string" },
              phone: { type: "string" },
              name: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const idempotency = idempotencyOf(request, ADMIN_SCOPE);
      const id = makeId("user", context.randomBytes(10));
      const { phone: userPhone, name } = request.body;
      // The token is made for the user the result names: a replay names the user made the first time.
      const answer = await context.engine.execute(
        { type: "createUser", id, phone: userPhone, name },
        (result) =>
          answerOf(result, 201, (user) => ({
            userId: user.id,
            token: context.tokens.issueNow(user.id),
            phone: user.phone,
            name: user.name,
          })),
        idempotency,
      );
      return sendAnswer(reply, answer);
    },
  );

  app.post<{ Body: { users: { phone: string; name: string }[] } }>(
    "/v1/admin/users/bulk",
    {
      config: { auth: "admin", scope: "users:write" },
      bodyLimit: 1024 * 1024,
      schema: {
        tags: ["admin"],
        summary: `Create up to ${BULK_USERS_MAX} users in one durable batch, all or none; answers each one's id and token`,
        headers: idempotencyHeader,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["users"],
          properties: {
            users: {
              type: "array",
              minItems: 1,
              maxItems: BULK_USERS_MAX,
              items: {
                type: "object",
                additionalProperties: false,
                required: ["phone", "name"],
                properties: { phone, name: { type: "string", minLength: 1, maxLength: 50 } },
              },
            },
          },
        },
        response: {
          201: {
            type: "object",
            properties: {
              users: {
                type: "array",
                items: {
                  type: "object",
                  properties: { userId: { type: "string" }, token: { type: "string" }, phone: { type: "string" } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const users = request.body.users.map((user) => ({ ...user, id: makeId("user", context.randomBytes(10)) }));
      const tokens = await Promise.all(users.map((user) => context.tokens.issue(user.id)));
      const answer = await context.engine.execute(
        { type: "createUsers", users },
        (result) =>
          answerOf(result, 201, () => ({
            users: users.map((user, i) => ({ userId: user.id, token: tokens[i], phone: user.phone })),
          })),
        idempotencyOf(request, ADMIN_SCOPE),
      );
      return sendAnswer(reply, answer);
    },
  );

  app.post<{ Body: { userId: string; amount: number } }>(
    "/v1/admin/deposits",
    {
      config: { auth: "admin", scope: "deposits:write" },
      schema: {
        tags: ["admin"],
        summary: "Top up a wallet from the funding account",
        headers: idempotencyHeaderRequired,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["userId", "amount"],
          properties: { userId, amount },
        },
        response: {
          201: {
            type: "object",
            properties: { userId: { type: "string" }, amount: { type: "integer" }, balance: { type: "integer" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const answer = await context.engine.execute(
        { type: "deposit", userId: request.body.userId, amount: request.body.amount },
        (result) => answerOf(result, 201, (deposit) => deposit),
        idempotencyOf(request, ADMIN_SCOPE),
      );
      return sendAnswer(reply, answer);
    },
  );

  app.get(
    "/v1/admin/ledger",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        tags: ["admin"],
        summary: "The ledger's health: the sum of all balances (always 0), funding and escrow",
        response: {
          200: {
            type: "object",
            properties: { balanceSum: { type: "integer" }, funding: { type: "integer" }, escrow: { type: "integer" } },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({
      balanceSum: await context.store.balanceSum(),
      funding: await context.store.balance("funding"),
      escrow: await context.store.balance("escrow"),
    }),
  );

  if (context.testClock === undefined) return;
  const testClock = context.testClock;
  app.post<{ Body: { now: string } }>(
    "/v1/admin/clock",
    {
      config: { auth: "admin", scope: "clock:write" },
      schema: {
        tags: ["admin"],
        summary: "Set the test clock (only with --test-clock); due timers run before the answer",
        body: { type: "object", additionalProperties: false, required: ["now"], properties: { now: instant } },
        response: { 200: { type: "object", properties: { now: { type: "string" } } }, ...errorResponses },
      },
    },
    async (request) => {
      const at = parseInstant(request.body.now);
      if (at === undefined) throw new ApiError("VALIDATION_FAILED", "now must be ISO 8601 with an offset");
      testClock.set(at);
      await context.engine.runDueTimers();
      return { now: formatInstant(testClock.now()) };
    },
  );
}
