import type { FastifyInstance } from "fastify";
import { EVENT_ID_PATTERN, EVENT_TYPES, type EventType, seqOfEventId } from "../../domain/events.js";
import { eventView } from "../../webhooks/event-view.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { errorResponses } from "../schemas.js";

export const EVENTS_PAGE_MAX = 100;
const EVENTS_PAGE_DEFAULT = 20;

export const eventSchema = {
  $id: "Event",
  type: "object",
  required: ["id", "object", "type", "createdAt", "data"],
  properties: {
    id: { type: "string", pattern: EVENT_ID_PATTERN },
    object: { type: "string", enum: ["event"] },
    type: { type: "string", enum: EVENT_TYPES },
    createdAt: { type: "string" },
    data: {
      type: "object",
      properties: { object: { type: "object", additionalProperties: true } },
    },
  },
} as const;

interface EventsQuery {
  limit?: number;
  startingAfter?: string;
  order?: "asc" | "desc";
  type?: string;
}

export function eventRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Querystring: EventsQuery }>(
    "/v1/events",
    {
      config: { auth: "user-or-admin", scope: "read" },
      schema: {
        tags: ["events"],
        summary: "Events: a user's own (the transfers and packets they are party to); the operator's: all",
        description:
          "Cursor pages: `startingAfter` is the last event id of the page before. `order=desc` (default) is newest first; " +
          "`order=asc` follows the outbox in order, for a reader that catches up. `type` filters by one or more " +
          "event types, comma-separated. Events are kept 30 days by default (the server's event retention), then deleted.",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$", description: `1 to ${EVENTS_PAGE_MAX}` },
            startingAfter: { type: "string", pattern: EVENT_ID_PATTERN, maxLength: 24 },
            order: { type: "string", enum: ["asc", "desc"] },
            type: { type: "string", maxLength: 300, pattern: "^[a-z_.]+(,[a-z_.]+)*$" },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["object", "data", "hasMore"],
            properties: {
              object: { type: "string", enum: ["list"] },
              data: { type: "array", items: { $ref: "Event#" } },
              hasMore: { type: "boolean" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? EVENTS_PAGE_DEFAULT : Number(request.query.limit);
      if (limit > EVENTS_PAGE_MAX) throw new ApiError("VALIDATION_FAILED", `limit is at most ${EVENTS_PAGE_MAX}`);
      const types = typesOf(request.query.type);
      const startingAfter =
        request.query.startingAfter === undefined ? undefined : seqOfEventId(request.query.startingAfter);
      const events = await context.store.events.events({
        userId: request.userId === "" ? undefined : request.userId,
        startingAfter,
        limit: limit + 1,
        order: request.query.order ?? "desc",
        types,
      });
      return { object: "list", data: events.slice(0, limit).map(eventView), hasMore: events.length > limit };
    },
  );
}

function typesOf(text: string | undefined): EventType[] | undefined {
  if (text === undefined) return undefined;
  const types = [...new Set(text.split(","))];
  for (const type of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      throw new ApiError("VALIDATION_FAILED", `unknown event type ${type}; known: ${EVENT_TYPES.join(", ")}`);
    }
  }
  return types as EventType[];
}
