import type { FastifyInstance } from "fastify";
import { ID_PATTERN } from "../../domain/ids.js";
import { formatInstant } from "../../domain/time.js";
import type { Transfer } from "../../domain/transfer.js";
import type { PacketList, TransferFilter } from "../../engine/store-port.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { listSchema, listView, type PageQuery, pageQuerystring, pageRequestOf } from "../lists.js";
import { errorResponses, groupId } from "../schemas.js";
import { packetView, transferView } from "../views.js";
import { campaignView } from "./campaigns.js";

const TRANSFER_FILTERS = ["all", "incoming", "outgoing", "pending"] as const;
const PACKET_ROLES = ["sent", "received"] as const;

const cursorOf = (kind: keyof typeof ID_PATTERN) =>
  ({ type: "string", pattern: ID_PATTERN[kind], maxLength: 24 }) as const;

/** A transfer in a list: while it waits for an answer, how long until it goes back to the sender. */
function transferItemView(transfer: Transfer, now: number) {
  return {
    ...transferView(transfer),
    refundInSeconds: transfer.status === "pending" ? Math.max(0, Math.ceil((transfer.refundAt - now) / 1000)) : null,
  };
}

const userItem = {
  type: "object",
  properties: {
    id: { type: "string" },
    phone: { type: "string" },
    name: { type: "string" },
    balance: { type: "integer" },
    createdAt: { type: "string" },
  },
} as const;

/**
 * Lists, Stripe-style: `limit` (1 to 100, 20 by default), `startingAfter` or `endingBefore`
 * an id from a page, newest first, `hasMore`. Each reads the store down one index
 * (src/store/lists.ts), so a page costs the same at a million users as at ten.
 */
export function listRoutes(app: FastifyInstance, context: AppContext): void {
  app.get<{ Querystring: PageQuery & { filter?: TransferFilter } }>(
    "/v1/me/transfers",
    {
      config: { auth: "user" },
      schema: {
        tags: ["transfers"],
        summary:
          "My transfers, newest first: all, incoming, outgoing, or pending (each with the seconds left before its refund)",
        querystring: pageQuerystring(cursorOf("transfer"), {
          filter: { type: "string", enum: TRANSFER_FILTERS, description: "all (default), incoming, outgoing, pending" },
        }),
        response: {
          200: listSchema({
            allOf: [
              { $ref: "Transfer#" },
              { type: "object", properties: { refundInSeconds: { type: ["integer", "null"] } } },
            ],
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const page = await context.store.lists.transfers(
        request.userId,
        request.query.filter ?? "all",
        pageRequestOf(request.query),
      );
      const now = context.engine.clock.now();
      return listView(page, (transfer) => transferItemView(transfer, now));
    },
  );

  app.get<{ Querystring: PageQuery & { role?: (typeof PACKET_ROLES)[number] } }>(
    "/v1/me/red-packets",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "Red packets I sent, or those I received a share of, newest first",
        querystring: pageQuerystring(cursorOf("redPacket"), {
          role: { type: "string", enum: PACKET_ROLES, description: "sent (default) or received" },
        }),
        response: { 200: listSchema({ $ref: "RedPacket#" }), ...errorResponses },
      },
    },
    async (request) => {
      const list: PacketList =
        request.query.role === "received"
          ? { by: "grabber", id: request.userId }
          : { by: "sender", id: request.userId };
      return listView(await context.store.lists.packets(list, pageRequestOf(request.query)), packetView);
    },
  );

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    "/v1/groups/:id/red-packets",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "A group's red packets, newest first, for its members",
        params: { type: "object", required: ["id"], properties: { id: groupId } },
        querystring: pageQuerystring(cursorOf("redPacket")),
        response: { 200: listSchema({ $ref: "RedPacket#" }), ...errorResponses },
      },
    },
    async (request) => {
      // To anyone outside it, a group does not exist (as GET /v1/groups/:id answers).
      if (!(await context.engine.isGroupMember(request.params.id, request.userId))) {
        throw new ApiError("GROUP_NOT_FOUND", "no such group");
      }
      const page = pageRequestOf(request.query);
      return listView(await context.store.lists.packets({ by: "group", id: request.params.id }, page), packetView);
    },
  );

  app.get<{ Querystring: PageQuery }>(
    "/v1/admin/campaigns",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        tags: ["campaigns"],
        summary: "The operator's campaigns, newest first, with live counts while they run",
        querystring: pageQuerystring(cursorOf("campaign")),
        response: { 200: listSchema({ $ref: "Campaign#" }), ...errorResponses },
      },
    },
    async (request) => {
      const page = await context.store.lists.campaigns(pageRequestOf(request.query));
      const now = context.engine.clock.now();
      const lives = await Promise.all(page.items.map((stored) => context.engine.campaignLive(stored.campaign.id)));
      const liveOf = new Map(lives.flatMap((live) => (live === undefined ? [] : [[live.campaign.id, live] as const])));
      return listView(page, (stored) => {
        const live = liveOf.get(stored.campaign.id);
        if (live !== undefined)
          return campaignView(live.campaign, live.claimedCount, live.claimedAmount, live.unreserved, now);
        return campaignView(stored.campaign, stored.claimedCount, stored.claimedAmount, 0, now);
      });
    },
  );

  app.get<{ Querystring: PageQuery }>(
    "/v1/admin/users",
    {
      config: { auth: "admin", scope: "read" },
      schema: {
        tags: ["admin"],
        summary: "Users, newest first, with their balances",
        querystring: pageQuerystring(cursorOf("user")),
        response: { 200: listSchema(userItem), ...errorResponses },
      },
    },
    async (request) => {
      const page = await context.store.lists.users(pageRequestOf(request.query));
      // Committed balances, as the wallet shows them: memory may hold a batch not yet durable.
      const balances = await Promise.all(page.items.map((user) => context.store.balance(user.id)));
      return listView(page, (user) => ({
        id: user.id,
        phone: user.phone,
        name: user.name,
        balance: balances[page.items.indexOf(user)] ?? 0,
        createdAt: formatInstant(user.createdAt),
      }));
    },
  );
}
