import type { FastifyInstance } from "fastify";
import { makeId } from "../../domain/ids.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { limiter } from "../login-limits.js";
import { errorResponses, phone } from "../schemas.js";

const NAME_LENGTH_MAX = 50;

/** A new user for a phone whose code was verified (sign-up); the user the phone has if one was made meanwhile. */
export async function signUp(context: AppContext, userPhone: string, name: string | undefined): Promise<string> {
  const made = await context.engine.submit({
    type: "createUser",
    id: makeId("user", context.randomBytes(10)),
    phone: userPhone,
    name: name ?? `用户${userPhone.slice(-4)}`,
  });
  if (made.ok) return made.value.id;
  const existing = await context.engine.userIdByPhone(userPhone);
  if (made.error.code === "PHONE_TAKEN" && existing !== undefined) return existing;
  throw ApiError.of(made.error);
}

export function authRoutes(app: FastifyInstance, context: AppContext): void {
  const { limits, signup } = context.login;
  const codesPerSource = limiter(
    app,
    limits.codesPerSource,
    "too many login codes asked from this address; wait before asking again",
  );
  const phoneOf = (request: { body: unknown }) => (request.body as { phone: string }).phone;
  const codesPerPhoneMinute = limiter(
    app,
    limits.codesPerPhoneMinute,
    "a code was asked for this phone a moment ago; wait before asking again",
    phoneOf,
  );
  const codesPerPhoneHour = limiter(
    app,
    limits.codesPerPhoneHour,
    "too many codes asked for this phone; wait before asking again",
    phoneOf,
  );
  const loginsPerSource = limiter(app, limits.loginsPerSource, "too many login attempts from this address; wait");

  app.post<{ Body: { phone: string } }>(
    "/v1/auth/otp",
    {
      config: { auth: "none" },
      // The address is counted before the body is read; the phone once the body is valid.
      onRequest: codesPerSource,
      preHandler: async (request) => {
        await codesPerPhoneMinute(request);
        await codesPerPhoneHour(request);
      },
      schema: {
        tags: ["auth"],
        summary: "Send a login code to a phone",
        description:
          "Answers the same whether or not the phone belongs to a user, so phones cannot be probed. " +
          "429 RATE_LIMITED with Retry-After past the limits per address and per phone.",
        body: { type: "object", additionalProperties: false, required: ["phone"], properties: { phone } },
        response: {
          202: { type: "object", properties: { sent: { type: "boolean" }, expiresInSeconds: { type: "integer" } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const asked = request.body.phone;
      const issueFor =
        (await context.engine.userIdByPhone(asked)) !== undefined ? "user" : signup ? "signup" : undefined;
      const { expiresInSeconds } = await context.codes.request(asked, issueFor);
      return reply.code(202).send({ sent: true, expiresInSeconds });
    },
  );

  app.post<{ Body: { phone: string; code: string; name?: string } }>(
    "/v1/auth/token",
    {
      config: { auth: "none" },
      onRequest: loginsPerSource,
      schema: {
        tags: ["auth"],
        summary: signup
          ? "Exchange a login code for a user token; a phone without a user signs up (`name` names the new user)"
          : "Exchange a login code for a user token",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["phone", "code"],
          properties: {
            phone,
            code: { type: "string", pattern: "^[0-9]{6}$" },
            name: { type: "string", minLength: 1, maxLength: NAME_LENGTH_MAX },
          },
        },
        response: {
          200: { type: "object", properties: { token: { type: "string" }, userId: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { phone: userPhone, code, name } = request.body;
      const issuedFor = await context.codes.verify(userPhone, code);
      let userId = await context.engine.userIdByPhone(userPhone);
      if (userId === undefined) {
        // Only a sign-up code is ever issued for a phone without a user.
        if (issuedFor !== "signup") throw new ApiError("INVALID_CODE", "the code is not valid");
        userId = await signUp(context, userPhone, name);
      }
      return { token: await context.tokens.issue(userId), userId };
    },
  );
}
