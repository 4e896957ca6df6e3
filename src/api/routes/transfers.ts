import type { FastifyInstance } from "fastify";
import { isCalendarDate } from "../../domain/time.js";
import type { Nature } from "../../domain/transfer.js";
import { answerOf, sendAnswer } from "../answers.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import { errorResponses, idempotencyHeader, transferBody, transferId } from "../schemas.js";
import { transferView } from "../views.js";

interface TransferBody {
  to: string;
  amount: number;
  memo?: string;
  nature?: Nature;
  dueDate?: string;
}

const byId = { type: "object", required: ["id"], properties: { id: transferId } } as const;

export function transferRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: TransferBody }>(
    "/v1/transfers",
    {
      config: { auth: "user" },
      schema: {
        tags: ["transfers"],
        summary: "Send a transfer; the money waits in escrow until the recipient answers (24 h at most)",
        headers: idempotencyHeader,
        body: transferBody,
        response: { 201: { $ref: "Transfer#" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { to, amount, memo = "", nature = "unspecified", dueDate } = request.body;
      if (dueDate !== undefined && !isCalendarDate(dueDate)) {
        throw new ApiError("VALIDATION_FAILED", "dueDate is not a calendar date (YYYY-MM-DD)");
      }
      const answer = await context.engine.execute(
        { type: "sendTransfer", request: { from: request.userId, to, amount, memo, nature, dueDate: dueDate ?? null } },
        (result) => answerOf(result, 201, (transfer) => transferView(transfer)),
        idempotencyOf(request, `user:${request.userId}`),
      );
      return sendAnswer(reply, answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/transfers/:id",
    {
      config: { auth: "user" },
      schema: {
        tags: ["transfers"],
        summary: "A transfer, for its sender or recipient",
        params: byId,
        response: { 200: { $ref: "Transfer#" }, ...errorResponses },
      },
    },
    async (request) => {
      const transfer =
        context.engine.state.pending.get(request.params.id) ?? (await context.store.transfer(request.params.id));
      if (transfer === undefined || (transfer.from !== request.userId && transfer.to !== request.userId)) {
        throw new ApiError("TRANSFER_NOT_FOUND", "no such transfer");
      }
      return transferView(transfer);
    },
  );

  for (const answer of ["accept", "decline"] as const) {
    app.post<{ Params: { id: string } }>(
      `/v1/transfers/:id/${answer}`,
      {
        config: { auth: "user" },
        schema: {
          tags: ["transfers"],
          summary: answer === "accept" ? "The recipient takes the money" : "The recipient sends the money back",
          headers: idempotencyHeader,
          params: byId,
          body: { type: ["object", "null"], additionalProperties: false, properties: {}, description: "no fields" },
          response: { 200: { $ref: "Transfer#" }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const result = await context.engine.execute(
          { type: "answerTransfer", transferId: request.params.id, by: request.userId, answer },
          (outcome) => answerOf(outcome, 200, (transfer) => transferView(transfer)),
          idempotencyOf(request, `user:${request.userId}`),
        );
        return sendAnswer(reply, result);
      },
    );
  }
}
