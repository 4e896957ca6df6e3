import type { FastifyInstance } from "fastify";
import { dayOf, leftToday } from "../../domain/daily-limits.js";
import { limitsAt } from "../../domain/rules.js";
import { formatInstant, parseInstant } from "../../domain/time.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { errorResponses, instant } from "../schemas.js";
import { statementItemView } from "../views.js";

export const STATEMENT_PAGE_MAX = 200;
const STATEMENT_PAGE_DEFAULT = 50;

export function walletRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(
    "/v1/me",
    {
      config: { auth: "user" },
      schema: {
        tags: ["wallet"],
        summary: "The user the token speaks for",
        response: {
          200: {
            type: "object",
            properties: { userId: { type: "string" }, phone: { type: "string" }, name: { type: "string" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const user = await context.store.user(request.userId);
      if (user === undefined) throw new ApiError("USER_NOT_FOUND", "no such user");
      return { userId: user.id, phone: user.phone, name: user.name };
    },
  );

  app.get(
    "/v1/me/wallet",
    {
      config: { auth: "user" },
      schema: {
        tags: ["wallet"],
        summary: "The wallet's committed balance in fen",
        response: {
          200: { type: "object", properties: { userId: { type: "string" }, balance: { type: "integer" } } },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ userId: request.userId, balance: await context.store.balance(request.userId) }),
  );

  app.get<{ Querystring: { cursor?: string; limit?: string } }>(
    "/v1/me/statement",
    {
      config: { auth: "user" },
      schema: {
        tags: ["wallet"],
        summary: "The wallet's entries, newest first, each with the balance after it",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            cursor: { type: "string", pattern: "^[1-9][0-9]{0,15}$", description: "nextCursor of the page before" },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$", description: `1 to ${STATEMENT_PAGE_MAX}` },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              items: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    postingId: { type: "string" },
                    kind: { type: "string" },
                    ref: { type: "string" },
                    at: { type: "string" },
                    amount: { type: "integer" },
                    balance: { type: "integer" },
                  },
                },
              },
              nextCursor: { type: ["string", "null"] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? STATEMENT_PAGE_DEFAULT : Number(request.query.limit);
      if (limit > STATEMENT_PAGE_MAX) throw new ApiError("VALIDATION_FAILED", `limit is at most ${STATEMENT_PAGE_MAX}`);
      const before = request.query.cursor === undefined ? null : Number(request.query.cursor);
      const entries = await context.store.statement(request.userId, before, limit + 1);
      const page = entries.slice(0, limit);
      const more = entries.length > limit;
      return { items: page.map(statementItemView), nextCursor: more ? String(page[page.length - 1]?.entryId) : null };
    },
  );

  app.get<{ Querystring: { at?: string } }>(
    "/v1/limits",
    {
      config: { auth: "none" },
      schema: {
        tags: ["rules"],
        summary: "The rules in force at an instant (default: now), and why",
        querystring: { type: "object", additionalProperties: false, properties: { at: instant } },
        response: {
          200: {
            type: "object",
            properties: {
              at: { type: "string" },
              singlePacketMin: { type: "integer" },
              singlePacketMax: { type: "integer" },
              shareMin: { type: "integer" },
              shareMax: { type: "integer" },
              shareCountMin: { type: "integer" },
              shareCountMax: { type: "integer" },
              transferMin: { type: "integer" },
              transferMax: { type: "integer" },
              memoLengthMax: { type: "integer" },
              redPacketExpirySeconds: { type: "integer" },
              transferRefundSeconds: { type: "integer" },
              specialDay: {
                anyOf: [
                  { type: "null" },
                  { type: "object", properties: { name: { type: "string" }, date: { type: "string" } } },
                ],
              },
              reasons: { type: "array", items: { type: "string" } },
              packetsPerDayMax: { type: ["integer", "null"], description: "red packets one user may send a day" },
              packetAmountPerDayMax: {
                type: ["integer", "null"],
                description: "fen one user may put in packets a day",
              },
              features: {
                type: "object",
                properties: { passwordPackets: { type: "boolean" } },
                description: "festival features, on or off at this instant",
              },
              today: {
                type: "object",
                description: "with a user's token: what the caller sent today and what is left (null: no cap)",
                properties: {
                  date: { type: "string" },
                  packetsSent: { type: "integer" },
                  amountSent: { type: "integer" },
                  packetsLeft: { type: ["integer", "null"] },
                  amountLeft: { type: ["integer", "null"] },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const at = request.query.at === undefined ? context.engine.clock.now() : parseInstant(request.query.at);
      if (at === undefined) throw new ApiError("VALIDATION_FAILED", "at must be ISO 8601 with an offset");
      const { redPacketExpiryMs, transferRefundMs, ...limits } = limitsAt(at, context.engine.calendar);
      const caller = await callerOf(context, request.headers.authorization);
      return {
        ...limits,
        packetsPerDayMax: limits.packetsPerDayMax ?? null,
        packetAmountPerDayMax: limits.packetAmountPerDayMax ?? null,
        at: formatInstant(at),
        redPacketExpirySeconds: redPacketExpiryMs / 1000,
        transferRefundSeconds: transferRefundMs / 1000,
        ...(caller === undefined
          ? {}
          : {
              today: {
                date: dayOf(context.engine.clock.now()),
                ...leftToday(
                  await context.engine.sentToday(caller),
                  limitsAt(context.engine.clock.now(), context.engine.calendar),
                ),
              },
            }),
      };
    },
  );
}

/**
 * The user a request's token names, for a route anyone may call: a valid user token adds the
 * caller's own figures; anything else (none, the admin's, a bad one) answers as for anyone.
 */
async function callerOf(context: AppContext, authorization: string | undefined): Promise<string | undefined> {
  if (authorization === undefined || !authorization.startsWith("Bearer ")) return undefined;
  try {
    const userId = await context.tokens.verifyUser(authorization.slice(7));
    return (await context.engine.hasUser(userId)) ? userId : undefined;
  } catch {
    return undefined;
  }
}
