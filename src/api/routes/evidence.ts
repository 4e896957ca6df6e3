import type { FastifyInstance, FastifyReply } from "fastify";
import { documentText, keyIdOf, type Party, packetRecord, signRecord, transferRecord } from "../../domain/evidence.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { evidenceHtml } from "../evidence-html.js";
import { errorResponses, packetId, transferId } from "../schemas.js";
import { transferForParty } from "./transfers.js";

const formatQuery = {
  type: "object",
  additionalProperties: false,
  properties: { format: { type: "string", enum: ["json", "html"], description: "html: a page to print" } },
} as const;

export function evidenceRoutes(app: FastifyInstance, context: AppContext): void {
  const publicKey = context.evidenceKey.publicKey;

  async function partyOf(userId: string): Promise<Party> {
    const user = await context.store.user(userId);
    return { userId, name: user?.name ?? "", phone: user?.phone ?? "" };
  }

  function send(reply: FastifyReply, record: Record<string, unknown>, format: string | undefined) {
    const document = signRecord(record, context.evidenceKey.privateKey);
    const text = documentText(document);
    if (format === "html") return reply.type("text/html; charset=utf-8").send(evidenceHtml(document, text));
    return reply
      .type("application/json; charset=utf-8")
      .header("content-disposition", `attachment; filename="${String(record.id)}.evidence.json"`)
      .send(text);
  }

  app.get(
    "/v1/evidence/public-key",
    {
      config: { auth: "none" },
      schema: {
        tags: ["evidence"],
        summary: "The Ed25519 public key that signs evidence records",
        response: {
          200: {
            type: "object",
            properties: {
              algorithm: { type: "string" },
              keyId: { type: "string" },
              publicKeyPem: { type: "string" },
              jwk: { type: "object", additionalProperties: true },
            },
          },
        },
      },
    },
    async () => ({
      algorithm: "Ed25519",
      keyId: keyIdOf(publicKey),
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
      jwk: publicKey.export({ format: "jwk" }),
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { format?: string } }>(
    "/v1/transfers/:id/evidence",
    {
      config: { auth: "user" },
      schema: {
        tags: ["evidence"],
        summary: "A signed record of a transfer, for its sender or recipient (JSON, or ?format=html to print)",
        params: { type: "object", required: ["id"], properties: { id: transferId } },
        querystring: formatQuery,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const transfer = await transferForParty(context, id, request.userId);
      const parties = { sender: await partyOf(transfer.from), recipient: await partyOf(transfer.to) };
      const record = transferRecord(transfer, parties, await context.store.postingsOf(id), context.engine.clock.now());
      return send(reply, record, request.query.format);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { format?: string } }>(
    "/v1/red-packets/:id/evidence",
    {
      config: { auth: "user" },
      schema: {
        tags: ["evidence"],
        summary: "A signed record of a red packet, for its sender, its recipient and those who grabbed it",
        params: { type: "object", required: ["id"], properties: { id: packetId } },
        querystring: formatQuery,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const id = request.params.id;
      const packet = await context.engine.packet(id);
      const isParty =
        packet !== undefined &&
        (packet.sender === request.userId ||
          packet.recipient === request.userId ||
          packet.grabs.some((grab) => grab.userId === request.userId));
      if (packet === undefined || !isParty) throw new ApiError("PACKET_NOT_FOUND", "no such red packet");
      const parties = {
        sender: await partyOf(packet.sender),
        recipient: packet.recipient === null ? null : await partyOf(packet.recipient),
        grabbers: await Promise.all(packet.grabs.map((grab) => partyOf(grab.userId))),
      };
      const record = packetRecord(packet, parties, await context.store.postingsOf(id), context.engine.clock.now());
      return send(reply, record, request.query.format);
    },
  );
}
