import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { peerOf } from "../front-peer.js";
import { errorResponses, groupId, phone } from "../schemas.js";
import { groupView, packetView, transferView } from "../views.js";

/**
 * The dev sender's codes are readable only by a client on this machine: the socket's own peer
 * (behind the Bun front, the peer the front saw), not X-Forwarded-For, so a proxy in front cannot hand anyone's login code to the internet.
 */
function fromLoopback(request: FastifyRequest): boolean {
  const peer = peerOf(request.raw);
  return peer === "::1" || peer.startsWith("127.") || peer.startsWith("::ffff:127.");
}

/** What one list answers at most; the web app shows the newest. */
export const WEB_LIST_MAX = 100;

/**
 * The reads the web app needs that the contract's routes do not give: a user's groups, a
 * group's packets, a user's pending transfers, and (dev sender only) the last login code.
 * They scan the engine's memory; the maps they scan are bounded by the engine's own caps.
 */
export function webRoutes(app: FastifyInstance, context: AppContext): void {
  const engine = context.engine;
  const devCodes = context.devCodes;
  app.get(
    "/v1/auth/options",
    {
      config: { auth: "none" },
      schema: {
        tags: ["auth"],
        summary: "What the login page may offer: sign-up of new phones (--signup), and the dev sender's codes",
        response: {
          200: {
            type: "object",
            properties: { signup: { type: "boolean" }, devCodes: { type: "boolean" } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ signup: context.login.signup, devCodes: devCodes !== undefined && fromLoopback(request) }),
  );
  if (devCodes !== undefined) {
    app.get<{ Querystring: { phone: string } }>(
      "/v1/dev/login-code",
      {
        config: { auth: "none" },
        schema: {
          tags: ["auth"],
          summary:
            "The last login code the dev sender sent to a phone (only while no real sender is configured, and only to a client on the server's own machine)",
          querystring: { type: "object", additionalProperties: false, required: ["phone"], properties: { phone } },
          response: { 200: { type: "object", properties: { code: { type: "string" } } }, ...errorResponses },
        },
      },
      async (request) => {
        if (!fromLoopback(request))
          throw new ApiError("NOT_FOUND", "login codes are shown only on the server's own machine");
        const code = await devCodes.last(request.query.phone);
        if (code === undefined) throw new ApiError("NOT_FOUND", "no code was sent to this phone");
        return { code };
      },
    );
  }

  app.get(
    "/v1/me/groups",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "The groups the user is a member of (newest first, at most 100)",
        response: {
          200: {
            type: "object",
            properties: { items: { type: "array", items: { $ref: "Group#" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const newest = await engine.groupsOf(request.userId, WEB_LIST_MAX);
      const groups = await Promise.all(newest.map((id) => context.store.group(id)));
      return {
        items: groups.flatMap((group) => (group === undefined ? [] : [groupView(group)])),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/groups/:id/packets",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "A group's open and recently finished red packets, newest first (at most 100)",
        params: { type: "object", required: ["id"], properties: { id: groupId } },
        response: {
          200: { type: "object", properties: { items: { type: "array", items: { $ref: "RedPacket#" } } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (!(await engine.isGroupMember(request.params.id, request.userId))) {
        throw new ApiError("GROUP_NOT_FOUND", "no such group");
      }
      return { items: (await engine.groupPackets(request.params.id, WEB_LIST_MAX)).map(packetView) };
    },
  );

  app.get(
    "/v1/me/transfers/pending",
    {
      config: { auth: "user" },
      schema: {
        tags: ["transfers"],
        summary: "The user's transfers waiting for an answer: incoming and outgoing (at most 100 each)",
        response: {
          200: {
            type: "object",
            properties: {
              incoming: { type: "array", items: { $ref: "Transfer#" } },
              outgoing: { type: "array", items: { $ref: "Transfer#" } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { incoming, outgoing } = await engine.pendingTransfersOf(request.userId, WEB_LIST_MAX);
      return { incoming: incoming.map(transferView), outgoing: outgoing.map(transferView) };
    },
  );
}
