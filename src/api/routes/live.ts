import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { errorResponses } from "../schemas.js";

const STREAM_DESCRIPTION = [
  "Server-sent events, each once the batch that made it is durable:",
  "`packet` (a new packet in one of the user's groups: `{ packet }`),",
  "`grab` (someone grabbed a packet in one of the user's groups: `{ packetId, groupId, userId, amount, status }`),",
  "`transfer` (a transfer to the user, or an answer to one of the user's: `{ transfer }`),",
  "`wallet` (a deposit to the user: `{ amount, balance }`),",
  "`resync` (events were shed while the service was crowded: reload what is shown),",
  "and a `hello` when the stream opens. A comment line every 15 s keeps an idle stream open;",
  "the stream ends after 30 min and the client reconnects with its current token.",
].join(" ");

/** The web app's live updates: one stream per open page, lowest priority of all. */
export function liveRoutes(app: FastifyInstance, context: AppContext): void {
  app.get(
    "/v1/me/events",
    {
      // A HEAD would hold a connection open with nothing to send.
      exposeHeadRoute: false,
      config: { auth: "user" },
      schema: {
        tags: ["wallet"],
        summary:
          "Live updates for the user: new packets and grabs in their groups, transfers, deposits (server-sent events)",
        description: `${STREAM_DESCRIPTION} At most 3 streams per user (429 TOO_MANY_STREAMS); refused with 503 BUSY and Retry-After while a crowd is served or the server holds its most streams.`,
        response: {
          200: {
            description: "An event stream (text/event-stream) that stays open",
            content: { "text/event-stream": { schema: { type: "string" } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      context.live.admit(request.userId);
      // From here the stream writes to the socket itself; Fastify sends nothing more.
      reply.hijack();
      context.live.attach(request.userId, reply.raw);
    },
  );
}
