import type { FastifyInstance } from "fastify";
import { EVENT_TYPES, type EventType } from "../../domain/events.js";
import { ID_PATTERN, makeId } from "../../domain/ids.js";
import { formatInstant } from "../../domain/time.js";
import type { DeliveryRecord, DeliveryState, EndpointRecord } from "../../webhooks/event-store.js";
import { newEndpointSecret } from "../../webhooks/signature.js";
import { refuseTarget, URL_LENGTH_MAX } from "../../webhooks/target-policy.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { errorResponses } from "../schemas.js";

/** Endpoints a deployment may register: each one's deliveries are work for every event. */
export const WEBHOOK_ENDPOINTS_MAX = 20;
/** How long a rotated secret keeps signing alongside the new one, at most and by default. */
export const SECRET_OVERLAP_SECONDS_MAX = 7 * 24 * 3600;
const SECRET_OVERLAP_SECONDS_DEFAULT = 24 * 3600;
export const DELIVERIES_PAGE_MAX = 100;

const endpointId = { type: "string", pattern: ID_PATTERN.webhookEndpoint, maxLength: 23 } as const;
const idParams = { type: "object", required: ["id"], properties: { id: endpointId } } as const;

const endpointProperties = {
  id: { type: "string" },
  url: { type: "string" },
  eventTypes: { type: "array", items: { type: "string", enum: EVENT_TYPES } },
  createdAt: { type: "string" },
  previousSecretExpiresAt: { type: ["string", "null"] },
  deliveries: {
    type: "object",
    properties: { pending: { type: "integer" }, delivered: { type: "integer" }, failed: { type: "integer" } },
  },
} as const;

const deliverySchema = {
  type: "object",
  properties: {
    eventId: { type: "string" },
    eventType: { type: "string" },
    state: { type: "string", enum: ["pending", "delivered", "failed"] },
    attempts: { type: "integer" },
    nextAttemptAt: { type: ["string", "null"] },
    lastAttemptAt: { type: ["string", "null"] },
    lastStatus: { type: ["integer", "null"] },
    lastError: { type: ["string", "null"] },
    deliveredAt: { type: ["string", "null"] },
  },
} as const;

function endpointView(endpoint: EndpointRecord, now: number): Record<string, unknown> {
  const overlapping = endpoint.previousSecretUntil !== null && endpoint.previousSecretUntil > now;
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    createdAt: formatInstant(endpoint.createdAt),
    previousSecretExpiresAt: overlapping ? formatInstant(endpoint.previousSecretUntil as number) : null,
  };
}

function deliveryView(delivery: DeliveryRecord): Record<string, unknown> {
  const at = (instant: number | null) => (instant === null ? null : formatInstant(instant));
  return {
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    state: delivery.state,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.state === "pending" ? at(delivery.nextAttemptAt) : null,
    lastAttemptAt: at(delivery.lastAttemptAt),
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    deliveredAt: at(delivery.deliveredAt),
  };
}

/** The operator's webhook endpoints: register, list, read with its deliveries, rotate its secret, remove. */
export function webhookRoutes(app: FastifyInstance, context: AppContext): void {
  const events = context.store.events;
  const now = () => Date.now();
  const found = async (id: string) => {
    const endpoint = await events.endpoint(id);
    if (endpoint === undefined) throw new ApiError("WEBHOOK_ENDPOINT_NOT_FOUND", "no such webhook endpoint");
    return endpoint;
  };

  app.post<{ Body: { url: string; eventTypes?: EventType[] } }>(
    "/v1/admin/webhook-endpoints",
    {
      config: { auth: "admin", scope: "webhooks:write" },
      schema: {
        tags: ["webhooks"],
        summary: "Register a webhook endpoint; the answer carries its signing secret, shown only here",
        description:
          "Only http(s) URLs. By default the host must resolve to public addresses only (422 WEBHOOK_TARGET_REFUSED " +
          "otherwise); `hongbao serve --webhook-allow-private` lifts that. The endpoint gets the events that happen " +
          "after it is registered, of the types listed (all when the list is empty or left out).",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["url"],
          properties: {
            url: { type: "string", minLength: 1, maxLength: URL_LENGTH_MAX },
            eventTypes: {
              type: "array",
              maxItems: EVENT_TYPES.length,
              uniqueItems: true,
              items: { type: "string", enum: EVENT_TYPES },
            },
          },
        },
        response: {
          201: { type: "object", properties: { ...endpointProperties, secret: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const refused = await refuseTarget(request.body.url, context.webhookPolicy);
      if (refused !== undefined) throw new ApiError("WEBHOOK_TARGET_REFUSED", refused);
      if ((await events.endpoints()).length >= WEBHOOK_ENDPOINTS_MAX) {
        throw new ApiError("TOO_MANY_WEBHOOK_ENDPOINTS", `at most ${WEBHOOK_ENDPOINTS_MAX} webhook endpoints`, {
          limit: WEBHOOK_ENDPOINTS_MAX,
        });
      }
      const endpoint: EndpointRecord = {
        id: makeId("webhookEndpoint", context.randomBytes(10)),
        url: request.body.url,
        eventTypes: request.body.eventTypes ?? [],
        secret: newEndpointSecret(),
        previousSecret: null,
        previousSecretUntil: null,
        createdAt: now(),
        afterSeq: await events.lastEventSeq(),
      };
      await events.createEndpoint(endpoint);
      void reply.code(201);
      return { ...endpointView(endpoint, now()), secret: endpoint.secret };
    },
  );

  app.get(
    "/v1/admin/webhook-endpoints",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        tags: ["webhooks"],
        summary: "Every webhook endpoint, with its deliveries counted by state",
        response: {
          200: {
            type: "object",
            properties: {
              object: { type: "string", enum: ["list"] },
              data: { type: "array", items: { type: "object", properties: endpointProperties } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const list = await events.endpoints();
      const data = await Promise.all(
        list.map(async (endpoint) => ({
          ...endpointView(endpoint, now()),
          deliveries: await events.deliveryCounts(endpoint.id),
        })),
      );
      return { object: "list", data };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/admin/webhook-endpoints/:id",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        tags: ["webhooks"],
        summary: "One webhook endpoint, with its deliveries counted by state",
        params: idParams,
        response: { 200: { type: "object", properties: endpointProperties }, ...errorResponses },
      },
    },
    async (request) => {
      const endpoint = await found(request.params.id);
      return { ...endpointView(endpoint, now()), deliveries: await events.deliveryCounts(endpoint.id) };
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: { state?: DeliveryState; limit?: string; startingAfter?: string };
  }>(
    "/v1/admin/webhook-endpoints/:id/deliveries",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        tags: ["webhooks"],
        summary: "An endpoint's deliveries, newest event first: attempts, last status or error, next attempt",
        params: idParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            state: { type: "string", enum: ["pending", "delivered", "failed"] },
            limit: { type: "string", pattern: "^[1-9][0-9]{0,2}$", description: `1 to ${DELIVERIES_PAGE_MAX}` },
            startingAfter: { type: "string", pattern: "^evt_[0-9a-f]{20}$", maxLength: 24 },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              object: { type: "string", enum: ["list"] },
              data: { type: "array", items: deliverySchema },
              hasMore: { type: "boolean" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const endpoint = await found(request.params.id);
      const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
      if (limit > DELIVERIES_PAGE_MAX)
        throw new ApiError("VALIDATION_FAILED", `limit is at most ${DELIVERIES_PAGE_MAX}`);
      const before =
        request.query.startingAfter === undefined
          ? undefined
          : Number.parseInt(request.query.startingAfter.slice(4), 16);
      const list = await events.deliveries(endpoint.id, request.query.state, before, limit + 1);
      return { object: "list", data: list.slice(0, limit).map(deliveryView), hasMore: list.length > limit };
    },
  );

  app.post<{ Params: { id: string }; Body: { overlapSeconds?: number } | undefined }>(
    "/v1/admin/webhook-endpoints/:id/rotate-secret",
    {
      config: { auth: "admin", scope: "webhooks:write" },
      schema: {
        tags: ["webhooks"],
        summary: "A new signing secret; the old one keeps signing beside it for `overlapSeconds` (default a day)",
        params: idParams,
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { overlapSeconds: { type: "integer", minimum: 0, maximum: SECRET_OVERLAP_SECONDS_MAX } },
        },
        response: {
          200: { type: "object", properties: { ...endpointProperties, secret: { type: "string" } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await found(request.params.id);
      const overlapSeconds = request.body?.overlapSeconds ?? SECRET_OVERLAP_SECONDS_DEFAULT;
      const secret = newEndpointSecret();
      const rotated = await events.rotateSecret(request.params.id, secret, now() + overlapSeconds * 1000);
      if (rotated === undefined) throw new ApiError("WEBHOOK_ENDPOINT_NOT_FOUND", "no such webhook endpoint");
      return { ...endpointView(rotated, now()), secret };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/admin/webhook-endpoints/:id",
    {
      config: { auth: "admin", scope: "webhooks:write" },
      schema: {
        tags: ["webhooks"],
        summary: "Remove a webhook endpoint and its deliveries; nothing more is sent to it",
        params: idParams,
        response: {
          200: { type: "object", properties: { id: { type: "string" }, deleted: { type: "boolean" } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (!(await events.deleteEndpoint(request.params.id))) {
        throw new ApiError("WEBHOOK_ENDPOINT_NOT_FOUND", "no such webhook endpoint");
      }
      return { id: request.params.id, deleted: true };
    },
  );
}
