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
import { amount, errorResponses, idempotencyHeader, idempotencyHeaderRequired, instant, noBody } from "../schemas.js";

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
  },
} as const;

export function campaignView(
  campaign: Campaign,
  claimedCount: number,
  claimedAmount: Fen,
  unreserved: Fen,
  now: number,
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
            campaignView(campaign, 0, 0, campaign.budget, context.engine.clock.now()),
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
        return campaignView(open.campaign, open.claimedCount, open.claimedAmount, open.unreserved, now);
      const stored = await context.store.campaign(request.params.id);
      if (stored === undefined) throw new ApiError("CAMPAIGN_NOT_FOUND", "no such campaign");
      return campaignView(stored.campaign, stored.claimedCount, stored.claimedAmount, 0, now);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/campaigns/:id/claim",
    {
      config: { auth: "user" },
      schema: {
        tags: ["campaigns"],
        summary:
          "Claim once: claimed (with the amount), or ALREADY_CLAIMED, SOLD_OUT, NOT_STARTED, ENDED, BUSY (503 + Retry-After)",
        headers: idempotencyHeader,
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
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const verdict = await new Promise<GateVerdict>((admit) => context.gate.admit(request.raw.socket, admit));
      const answer = await claimOnce(
        context,
        request.params.id,
        request.userId,
        idempotencyOf(request, `user:${request.userId}`),
        verdict !== "now",
      );
      if (answer.retryAfterSeconds !== undefined) void reply.header("retry-after", String(answer.retryAfterSeconds));
      return sendAnswer(reply, answer);
    },
  );
}
