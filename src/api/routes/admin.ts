import type { FastifyInstance } from "fastify";
import { makeId } from "../../domain/ids.js";
import { formatInstant, parseInstant } from "../../domain/time.js";
import { answerOf, sendAnswer } from "../answers.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import { amount, errorResponses, idempotencyHeader, instant, phone, userId } from "../schemas.js";

const ADMIN_SCOPE = "admin";

export function adminRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: { phone: string; name: string } }>(
    "/v1/admin/users",
    {
      config: { auth: "admin" },
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
      const token = await context.tokens.issue(id);
      const { phone: userPhone, name } = request.body;
      const answer = await context.engine.execute(
        { type: "createUser", id, phone: userPhone, name },
        (result) => answerOf(result, 201, (user) => ({ userId: user.id, token, phone: user.phone, name: user.name })),
        idempotency,
      );
      return sendAnswer(reply, answer);
    },
  );

  app.post<{ Body: { userId: string; amount: number } }>(
    "/v1/admin/deposits",
    {
      config: { auth: "admin" },
      schema: {
        tags: ["admin"],
        summary: "Top up a wallet from the funding account",
        headers: idempotencyHeader,
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

  if (context.testClock === undefined) return;
  const testClock = context.testClock;
  app.post<{ Body: { now: string } }>(
    "/v1/admin/clock",
    {
      config: { auth: "admin" },
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
