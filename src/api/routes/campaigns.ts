import type { FastifyInstance } from "fastify";
import type { AmountRule, Campaign } from "../../domain/campaign.js";
import { CAMPAIGN_AMOUNT_MAX, CAMPAIGN_PER_USER_LIMIT_MAX } from "../../domain/campaign.js";
import { ID_PATTERN } from "../../domain/ids.js";
import type { Fen } from "../../domain/money.js";
import { formatInstant, parseInstant } from "../../domain/time.js";
import { answerOf, sendAnswer } from "../answers.js";
import { claimOnce } from "../claim.js";
import type { AppContext } from "../context.js";
import type { GateVerdict } from "../crowd-gate.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import { QueueStreams, standingJson, standingOf } from "../queue-stream.js";
import { TICKET_LENGTH_MAX } from "../queue-ticket.js";
import { amount, errorResponses, idempotencyHeader, idempotencyHeaderRequired, instant, noBody } from "../schemas.js";
import type { DrawView } from "../waiting-room.js";

const campaignId = { type: "string", pattern: ID_PATTERN.campaign, maxLength: 24 } as const;

export const campaignSchema = {
  $id: "Campaign",
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    budget: { type: "integer" },
    amount: { type: "object", additionalProperties: { type: "integer" } },
    startsAt: { type: "string" },
    endsAt: { type: "string" },
    perUserLimit: { type: "integer" },
    status: { type: "string", enum: ["scheduled", "active", "paused", "sold_out", "ended"] },
    pausedAt: { type: ["string", "null"], description: "since when an operator holds it" },
    closedAt: { type: ["string", "null"], description: "when an operator closed it before its end" },
    claimedCount: { type: "integer" },
    claimedAmount: { type: "integer" },
    remainingBudget: { type: "integer", description: "budget not yet paid out (committed claims)" },
    returned: { type: "integer", description: "unspent budget returned to funding at the end" },
    createdAt: { type: "string" },
    draw: {
      type: "object",
      description:
        "The pre-queue draw: the SHA-256 of its seed from creation on; the seed (hex) and the pre-queue's size once drawn at the start (check with `hongbao verify-draw`)",
      properties: {
        seedHash: { type: "string" },
        seed: { type: "string" },
        preQueueSize: { type: "integer" },
      },
    },
  },
} as const;

/** A claim answered with a place in line: the error of the status (425 NOT_STARTED, 503 BUSY) and the ticket. */
export const queuePlaceSchema = {
  $id: "QueuePlace",
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        details: { type: "object", additionalProperties: true },
      },
    },
    ticket: { type: "string", description: "send it back in the Queue-Ticket header" },
    line: { type: "string", enum: ["pre", "fifo"], description: "pre: asked before the start, placed by the draw" },
    position: {
      type: ["integer", "null"],
      description: "1 is the next to be decided; null in the pre-queue until the draw at the start",
    },
    place: {
      type: ["integer", "null"],
      description: "the place in line since the start, 1 first: the pre-queue's drawn places, then arrivals in order",
    },
    estimatedWaitSeconds: { type: "number" },
    retryAfterMs: { type: "integer", description: "come back after this long (Retry-After, in ms)" },
  },
} as const;

const queueTicketHeader = {
  type: "string",
  maxLength: TICKET_LENGTH_MAX,
  description: "the ticket of an earlier answer (425 or 503): keeps the place in line",
} as const;

export function campaignView(
  campaign: Campaign,
  claimedCount: number,
  claimedAmount: Fen,
  unreserved: Fen,
  now: number,
  draw?: DrawView,
) {
  const status =
    campaign.status === "ended" || now >= campaign.endsAt
      ? "ended"
      : campaign.pausedAt !== null
        ? "paused"
        : now < campaign.startsAt
          ? "scheduled"
          : unreserved < ("fixed" in campaign.amount ? campaign.amount.fixed : 1)
            ? "sold_out"
            : "active";
  return {
    id: campaign.id,
    name: campaign.name,
    budget: campaign.budget,
    amount: campaign.amount,
    startsAt: formatInstant(campaign.startsAt),
    endsAt: formatInstant(campaign.endsAt),
    perUserLimit: campaign.perUserLimit,
    status,
    claimedCount,
    claimedAmount,
    remainingBudget: campaign.budget - claimedAmount,
    returned: campaign.returned,
    pausedAt: campaign.pausedAt === null ? null : formatInstant(campaign.pausedAt),
    closedAt: campaign.closedAt === null ? null : formatInstant(campaign.closedAt),
    createdAt: formatInstant(campaign.createdAt),
    ...(draw === undefined ? {} : { draw }),
  };
}

interface CampaignBody {
  name: string;
  budget: number;
  amount: { fixed: number } | { min: number; max: number };
  startsAt: string;
  endsAt: string;
  perUserLimit?: number;
}

export function campaignRoutes(app: FastifyInstance, context: AppContext): void {
  app.addSchema(campaignSchema);
  app.addSchema(queuePlaceSchema);
  const streams = new QueueStreams();
  const drawOf = (campaign: Campaign) => context.line?.draw(campaign);
  const drawOfNew = (campaign: Campaign) => context.line?.drawOfNew(campaign);

  app.post<{ Body: CampaignBody }>(
    "/v1/admin/campaigns",
    {
      config: { auth: "admin", scope: "campaigns:write" },
      schema: {
        tags: ["campaigns"],
        summary: "Create a campaign and fund its budget account from funding",
        headers: idempotencyHeaderRequired,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "budget", "amount", "startsAt", "endsAt"],
          properties: {
            name: { type: "string", minLength: 1, maxLength: 100 },
            budget: amount,
            amount: {
              oneOf: [
                {
                  type: "object",
                  additionalProperties: false,
                  required: ["fixed"],
                  properties: { fixed: { type: "integer", minimum: 1, maximum: CAMPAIGN_AMOUNT_MAX } },
                },
                {
                  type: "object",
                  additionalProperties: false,
                  required: ["min", "max"],
                  properties: {
                    min: { type: "integer", minimum: 1, maximum: CAMPAIGN_AMOUNT_MAX },
                    max: { type: "integer", minimum: 1, maximum: CAMPAIGN_AMOUNT_MAX },
                  },
                },
              ],
            },
            startsAt: instant,
            endsAt: instant,
            perUserLimit: { type: "integer", minimum: 1, maximum: CAMPAIGN_PER_USER_LIMIT_MAX },
          },
        },
        response: { 201: { $ref: "Campaign#" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const startsAt = parseInstant(body.startsAt);
      const endsAt = parseInstant(body.endsAt);
      if (startsAt === undefined || endsAt === undefined) {
        throw new ApiError("VALIDATION_FAILED", "startsAt and endsAt are ISO 8601 with an offset");
      }
      const answer = await context.engine.execute(
        {
          type: "createCampaign",
          request: {
            name: body.name,
            budget: body.budget,
            amount: body.amount as AmountRule,
            startsAt,
            endsAt,
            perUserLimit: body.perUserLimit ?? 1,
          },
        },
        (result) =>
          answerOf(result, 201, (campaign) =>
            campaignView(campaign, 0, 0, campaign.budget, context.engine.clock.now(), drawOfNew(campaign)),
          ),
        idempotencyOf(request, "admin"),
      );
      return sendAnswer(reply, answer);
    },
  );

  const controls = [
    ["pause", "pauseCampaign", "Hold a campaign: claims get 409 CAMPAIGN_PAUSED until it resumes; its end still comes"],
    ["resume", "resumeCampaign", "Let a paused campaign's claims through again (409 CAMPAIGN_NOT_PAUSED if it is not)"],
    [
      "close",
      "closeCampaign",
      "End a campaign now: its unspent budget goes back to funding at once, exactly once (a second close: 410 ENDED)",
    ],
  ] as const;
  for (const [path, type, summary] of controls) {
    app.post<{ Params: { id: string } }>(
      `/v1/admin/campaigns/:id/${path}`,
      {
        config: { auth: "admin", scope: "campaigns:write" },
        schema: {
          tags: ["campaigns"],
          summary,
          headers: type === "closeCampaign" ? idempotencyHeaderRequired : idempotencyHeader,
          params: { type: "object", required: ["id"], properties: { id: campaignId } },
          body: noBody,
          response: { 200: { $ref: "Campaign#" }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const answer = await context.engine.execute(
          { type, campaignId: request.params.id },
          (result) =>
            answerOf(result, 200, (control) =>
              campaignView(
                control.campaign,
                control.claimedCount,
                control.claimedAmount,
                control.unreserved,
                context.engine.clock.now(),
              ),
            ),
          idempotencyOf(request, "admin"),
        );
        return sendAnswer(reply, answer);
      },
    );
  }

  app.get<{ Params: { id: string } }>(
    "/v1/campaigns/:id",
    {
      config: { auth: "user-or-admin", scope: "read" },
      schema: {
        tags: ["campaigns"],
        summary: "A campaign with live counts",
        params: { type: "object", required: ["id"], properties: { id: campaignId } },
        response: { 200: { $ref: "Campaign#" }, ...errorResponses },
      },
    },
    async (request) => {
      const now = context.engine.clock.now();
      const open = await context.engine.campaignLive(request.params.id);
      if (open !== undefined)
        return campaignView(
          open.campaign,
          open.claimedCount,
          open.claimedAmount,
          open.unreserved,
          now,
          await drawOf(open.campaign),
        );
      const stored = await context.store.campaign(request.params.id);
      if (stored === undefined) throw new ApiError("CAMPAIGN_NOT_FOUND", "no such campaign");
      return campaignView(
        stored.campaign,
        stored.claimedCount,
        stored.claimedAmount,
        0,
        now,
        await drawOf(stored.campaign),
      );
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/campaigns/:id/claim",
    {
      config: { auth: "user" },
      schema: {
        tags: ["campaigns"],
        summary:
          "Claim once: claimed (with the amount), or ALREADY_CLAIMED, SOLD_OUT, NOT_STARTED, ENDED, BUSY (503 + Retry-After); 425 and 503 may carry a place in line (QueuePlace): come back with its ticket in Queue-Ticket; TICKET_INVALID (400), TICKET_NOT_YOURS (403), TICKET_USED (409)",
        headers: {
          ...idempotencyHeader,
          properties: { ...idempotencyHeader.properties, "queue-ticket": queueTicketHeader },
        },
        params: { type: "object", required: ["id"], properties: { id: campaignId } },
        body: noBody,
        response: {
          200: {
            type: "object",
            properties: {
              campaignId: { type: "string" },
              amount: { type: "integer" },
              status: { type: "string", enum: ["claimed"] },
            },
          },
          425: { $ref: "QueuePlace#" },
          503: { $ref: "QueuePlace#" },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const verdict = await new Promise<GateVerdict>((admit) =>
        context.gate.admit(request.raw.socket, admit, request.headers["queue-ticket"] !== undefined),
      );
      const answer = await claimOnce(
        context,
        request.params.id,
        request.userId,
        idempotencyOf(request, `user:${request.userId}`),
        verdict !== "now",
        request.headers["queue-ticket"] as string | undefined,
      );
      if (answer.retryAfterSeconds !== undefined) void reply.header("retry-after", String(answer.retryAfterSeconds));
      return sendAnswer(reply, answer);
    },
  );

  app.get<{ Params: { id: string }; Headers: { "queue-ticket": string } }>(
    "/v1/campaigns/:id/queue",
    {
      config: { auth: "user" },
      schema: {
        tags: ["campaigns"],
        summary:
          "Where a ticket holder stands, decided nothing (JSON); with `Accept: text/event-stream`, a stream of `place` events and, at the holder's turn, one `result` event with the claim's answer (TOO_MANY_STREAMS 429 past the bounds)",
        headers: { type: "object", required: ["queue-ticket"], properties: { "queue-ticket": queueTicketHeader } },
        params: { type: "object", required: ["id"], properties: { id: campaignId } },
        response: {
          200: {
            type: "object",
            properties: {
              state: { type: "string", enum: ["waiting", "your_turn", "final"] },
              ticket: { type: "string" },
              line: { type: "string" },
              position: { type: ["integer", "null"] },
              place: { type: ["integer", "null"] },
              estimatedWaitSeconds: { type: "number" },
              retryAfterMs: { type: "integer" },
              status: { type: "integer", description: "final: the claim's answer status" },
              answer: { type: "object", additionalProperties: true, description: "final: the claim's answer" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const ticket = request.headers["queue-ticket"];
      const standing = await standingOf(context, id, request.userId, ticket);
      if (standing.kind === "final" && standing.answer.status >= 400 && /"code":"TICKET_/.test(standing.answer.body))
        return sendAnswer(reply, standing.answer);
      if (!(request.headers.accept ?? "").includes("text/event-stream")) return standingJson(standing);
      if (!streams.hasRoom(request.userId))
        throw new ApiError("TOO_MANY_STREAMS", "too many queue streams open; poll the JSON instead");
      reply.hijack();
      streams.run(context, reply.raw, id, request.userId, ticket);
      return reply;
    },
  );
}
