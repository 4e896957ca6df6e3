import type { FastifyInstance } from "fastify";
import { GROUP_MEMBERS_MAX, GROUP_NAME_LENGTH_MAX } from "../../domain/group.js";
import { makeId } from "../../domain/ids.js";
import { PACKET_KINDS, PASSWORD_LENGTH_MAX, type PacketKind, type RedPacket } from "../../domain/red-packet.js";
import { formatInstant } from "../../domain/time.js";
import { answerOf, sendAnswer } from "../answers.js";
import { renderRefusal } from "../claim.js";
import type { AppContext } from "../context.js";
import { COVER_ID_PATTERN } from "../covers.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import {
  amount,
  errorResponses,
  groupId,
  idempotencyHeader,
  idempotencyHeaderRequired,
  MEMO_LENGTH_BOUND,
  packetId,
  userId,
} from "../schemas.js";
import { groupView, packetView } from "../views.js";

interface PacketBody {
  kind: PacketKind;
  amount: number;
  count?: number;
  to?: string;
  groupId?: string;
  memberId?: string;
  greeting?: string;
  coverId?: string;
  password?: string;
}

/** Who may read a packet: its sender, its recipient, and the members of its group. */
async function mayRead(context: AppContext, packet: RedPacket, reader: string): Promise<boolean> {
  if (packet.sender === reader || packet.recipient === reader) return true;
  return packet.groupId !== null && (await context.engine.isGroupMember(packet.groupId, reader));
}

export function redPacketRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: { name: string; memberIds: string[] } }>(
    "/v1/groups",
    {
      config: { auth: "user" },
      // A member list of 2 000 ids is about 54 KiB, over the default body limit.
      bodyLimit: 64 * 1024,
      schema: {
        tags: ["red packets"],
        summary: "Create a group; its creator is a member",
        headers: idempotencyHeader,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["name", "memberIds"],
          properties: {
            name: { type: "string", minLength: 1, maxLength: GROUP_NAME_LENGTH_MAX },
            memberIds: { type: "array", items: userId, maxItems: GROUP_MEMBERS_MAX },
          },
        },
        response: { 201: { $ref: "Group#" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const answer = await context.engine.execute(
        {
          type: "createGroup",
          id: makeId("group", context.randomBytes(10)),
          owner: request.userId,
          name: request.body.name,
          memberIds: request.body.memberIds,
        },
        (result) => answerOf(result, 201, groupView),
        idempotencyOf(request, `user:${request.userId}`),
      );
      return sendAnswer(reply, answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/groups/:id",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "A group, for its members",
        params: { type: "object", required: ["id"], properties: { id: groupId } },
        response: { 200: { $ref: "Group#" }, ...errorResponses },
      },
    },
    async (request) => {
      const group = await context.store.group(request.params.id);
      if (group === undefined || !group.memberIds.includes(request.userId)) {
        throw new ApiError("GROUP_NOT_FOUND", "no such group");
      }
      return groupView(group);
    },
  );

  app.post<{ Body: PacketBody }>(
    "/v1/red-packets",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "Send a red packet; the money waits in escrow, the shares are fixed and committed to now",
        headers: idempotencyHeaderRequired,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["kind", "amount"],
          properties: {
            kind: { type: "string", enum: PACKET_KINDS },
            amount,
            count: { type: "integer", minimum: -1_000_000, maximum: 1_000_000 },
            to: userId,
            groupId,
            memberId: userId,
            greeting: { type: "string", maxLength: MEMO_LENGTH_BOUND },
            coverId: { type: "string", pattern: COVER_ID_PATTERN, description: "a cover of GET /v1/covers (封面)" },
            password: { type: "string", minLength: 1, maxLength: PASSWORD_LENGTH_MAX * 2 },
          },
        },
        response: { 201: { $ref: "RedPacket#" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const recipient = body.kind === "single" ? body.to : body.kind === "exclusive" ? body.memberId : undefined;
      if (body.kind === "single" && body.to === undefined)
        throw new ApiError("VALIDATION_FAILED", "a single packet needs `to`");
      if (body.kind !== "single" && body.groupId === undefined) {
        throw new ApiError("VALIDATION_FAILED", `a ${body.kind} packet needs \`groupId\``);
      }
      if (body.kind === "exclusive" && body.memberId === undefined) {
        throw new ApiError("VALIDATION_FAILED", "an exclusive packet needs `memberId`");
      }
      if (body.coverId !== undefined && !context.covers.has(body.coverId)) {
        throw new ApiError("COVER_NOT_FOUND", "no cover with this id in the catalogue");
      }
      const answer = await context.engine.execute(
        {
          type: "sendPacket",
          request: {
            sender: request.userId,
            kind: body.kind,
            amount: body.amount,
            count: body.count ?? 1,
            groupId: body.kind === "single" ? null : (body.groupId ?? null),
            recipient: recipient ?? null,
            greeting: body.greeting ?? "",
            password: body.password ?? null,
            coverId: body.coverId ?? null,
          },
        },
        (result) => answerOf(result, 201, (packet) => packetView(packet)),
        idempotencyOf(request, `user:${request.userId}`),
      );
      return sendAnswer(reply, answer);
    },
  );

  app.post<{ Params: { id: string }; Body: { password?: string } | undefined }>(
    "/v1/red-packets/:id/grab",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "Grab a share: the amount, or SOLD_OUT / ALREADY_GRABBED / EXPIRED / WRONG_PASSWORD …",
        headers: idempotencyHeader,
        params: { type: "object", required: ["id"], properties: { id: packetId } },
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { password: { type: "string", maxLength: PASSWORD_LENGTH_MAX * 2 } },
        },
        response: {
          200: {
            type: "object",
            properties: {
              packetId: { type: "string" },
              amount: { type: "integer" },
              at: { type: "string" },
              remaining: { type: "integer" },
              status: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const idempotency = idempotencyOf(request, `user:${request.userId}`);
      // An edge answers a grab its view knows is refused (already grabbed, sold out, expired) without
      // the writer; with a key the stored answer comes first.
      const known =
        idempotency === undefined ? context.engine.grabRefusal?.(request.params.id, request.userId) : undefined;
      if (known !== undefined && !known.ok) {
        const { answer, outcome } = renderRefusal(known);
        context.metrics.grabs.inc({ outcome });
        return sendAnswer(reply, answer);
      }
      let outcome = "replayed";
      const answer = await context.engine.execute(
        {
          type: "grabPacket",
          packetId: request.params.id,
          userId: request.userId,
          password: request.body?.password ?? null,
        },
        (result) => {
          outcome = result.ok ? "grabbed" : result.error.code.toLowerCase();
          return answerOf(result, 200, ({ packet, grab }) => ({
            packetId: packet.id,
            amount: grab.amount,
            at: formatInstant(grab.at),
            remaining: packet.count - packet.grabs.length,
            status: packet.status,
          }));
        },
        idempotency,
      );
      context.metrics.grabs.inc({ outcome });
      return sendAnswer(reply, answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/red-packets/:id",
    {
      config: { auth: "user" },
      schema: {
        tags: ["red packets"],
        summary: "A packet: status, remaining, grabs, lucky king; shares and salt once finished or expired",
        params: { type: "object", required: ["id"], properties: { id: packetId } },
        response: { 200: { $ref: "RedPacket#" }, ...errorResponses },
      },
    },
    async (request) => {
      const packet = await context.engine.packet(request.params.id);
      if (packet === undefined || !(await mayRead(context, packet, request.userId))) {
        throw new ApiError("PACKET_NOT_FOUND", "no such red packet");
      }
      return packetView(packet);
    },
  );
}
