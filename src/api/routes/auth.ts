import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { errorResponses, phone } from "../schemas.js";

export function authRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: { phone: string } }>(
    "/v1/auth/otp",
    {
      config: { auth: "none" },
      schema: {
        tags: ["auth"],
        summary: "Send a login code to a phone",
        description: "Answers the same whether or not the phone belongs to a user, so phones cannot be probed.",
        body: { type: "object", additionalProperties: false, required: ["phone"], properties: { phone } },
        response: {
          202: { type: "object", properties: { sent: { type: "boolean" }, expiresInSeconds: { type: "integer" } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const hasUser = context.engine.userIdByPhone(request.body.phone) !== undefined;
      const { expiresInSeconds } = await context.codes.request(request.body.phone, hasUser);
      return reply.code(202).send({ sent: true, expiresInSeconds });
    },
  );

  app.post<{ Body: { phone: string; code: string } }>(
    "/v1/auth/token",
    {
      config: { auth: "none" },
      schema: {
        tags: ["auth"],
        summary: "Exchange a login code for a user token",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["phone", "code"],
          properties: { phone, code: { type: "string", pattern: "^[0-9]{6}$" } },
        },
        response: {
          200: { type: "object", properties: { token: { type: "string" }, userId: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      context.codes.verify(request.body.phone, request.body.code);
      const userId = context.engine.userIdByPhone(request.body.phone) as string;
      return { token: await context.tokens.issue(userId), userId };
    },
  );
}
