import type { FastifyInstance } from "fastify";
import { describeSpecialDay } from "../../domain/calendar/index.js";
import { answerOf, sendAnswer } from "../answers.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import { errorResponses, idempotencyHeader } from "../schemas.js";

const capsSchema = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    singlePacketMax: { type: "integer", minimum: 1, maximum: 100_000_000 },
    shareMax: { type: "integer", minimum: 1, maximum: 100_000_000 },
    shareCountMax: { type: "integer", minimum: 1, maximum: 10_000 },
    transferMax: { type: "integer", minimum: 1, maximum: 100_000_000_00 },
  },
} as const;

const dayRuleSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name", "kind", "caps"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 50 },
    kind: { type: "string", enum: ["gregorian", "lunar", "date"] },
    month: { type: "integer", minimum: 1, maximum: 12 },
    day: { type: "integer", minimum: 1, maximum: 31 },
    date: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
    caps: capsSchema,
  },
} as const;

export function specialDayRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Querystring: { year?: string } }>(
    "/v1/special-days",
    {
      config: { auth: "none" },
      schema: {
        tags: ["rules"],
        summary: "The special days of a year (default: this year) and the caps each brings",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { year: { type: "string", pattern: "^[12][0-9]{3}$" } },
        },
        response: {
          200: {
            type: "object",
            properties: {
              year: { type: "integer" },
              days: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    date: { type: "string" },
                    name: { type: "string" },
                    caps: { type: "object", additionalProperties: { type: "integer" } },
                    reasons: { type: "array", items: { type: "string" } },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const year =
        request.query.year === undefined
          ? new Date(context.engine.clock.now()).getUTCFullYear()
          : Number(request.query.year);
      const calendar = context.engine.calendar;
      if (calendar.specialDaysIn === undefined) return { year, days: [] };
      return { year, days: calendar.specialDaysIn(year).map((day) => ({ ...day, reasons: describeSpecialDay(day) })) };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    "/v1/admin/special-days",
    {
      config: { auth: "admin", scope: "special-days:write" },
      schema: {
        tags: ["admin"],
        summary: "Add a special day (Gregorian every year, lunar every year, or one date) with its own caps",
        headers: idempotencyHeader,
        body: dayRuleSchema,
        response: {
          201: { type: "object", properties: { rule: { type: "object", additionalProperties: true } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (
        (body.kind === "date") !== (body.date !== undefined) ||
        (body.kind !== "date") !== (body.month !== undefined && body.day !== undefined)
      ) {
        throw new ApiError(
          "VALIDATION_FAILED",
          "a date rule takes `date`; a gregorian or lunar rule takes `month` and `day`",
        );
      }
      const answer = await context.engine.execute(
        { type: "addSpecialDay", rule: body },
        (result) => answerOf(result, 201, (added) => added),
        idempotencyOf(request, "admin"),
      );
      return sendAnswer(reply, answer);
    },
  );
}
