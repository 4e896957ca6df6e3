import type { FastifyInstance } from "fastify";
import { NATURE_DISCLAIMER } from "../../domain/nature-hints.js";
import { limitsAt } from "../../domain/rules.js";
import { formatInstant, isCalendarDate } from "../../domain/time.js";
import { checkTransfer, type Nature, natureOf, type Transfer, type TransferRequest } from "../../domain/transfer.js";
import { answerOf, sendAnswer } from "../answers.js";
import type { AppContext } from "../context.js";
import { ApiError } from "../errors.js";
import { idempotencyOf } from "../idempotency.js";
import {
  amount,
  errorResponses,
  idempotencyHeaderRequired,
  natureHintSchema,
  noBody,
  transferBody,
  transferId,
} from "../schemas.js";
import { transferView } from "../views.js";

interface TransferBody {
  to: string;
  amount: number;
  memo?: string;
  nature?: Nature;
  dueDate?: string;
}

const byId = { type: "object", required: ["id"], properties: { id: transferId } } as const;

/** A send or preview body as the engine's request, with defaults; dueDate must be a real date. */
function transferRequestOf(body: TransferBody, from: string): Omit<TransferRequest, "id"> {
  const { to, amount, memo = "", nature = "unspecified", dueDate } = body;
  if (dueDate !== undefined && !isCalendarDate(dueDate)) {
    throw new ApiError("VALIDATION_FAILED", "dueDate is not a calendar date (YYYY-MM-DD)");
  }
  return { from, to, amount, memo, nature, dueDate: dueDate ?? null };
}

/** A transfer its reader is a party to; to anyone else it does not exist. */
export async function transferForParty(context: AppContext, id: string, reader: string): Promise<Transfer> {
  const transfer = await context.engine.transfer(id);
  if (transfer === undefined || (transfer.from !== reader && transfer.to !== reader)) {
    throw new ApiError("TRANSFER_NOT_FOUND", "no such transfer");
  }
  return transfer;
}

export function transferRoutes(app: FastifyInstance, context: AppContext): void {
  app.post<{ Body: TransferBody }>(
    "/v1/transfers",
    {
      config: { auth: "user" },
      schema: {
        tags: ["transfers"],
        summary: "Send a transfer; the money waits in escrow until the recipient answers (24 h at most)",
        headers: idempotencyHeaderRequired,
        body: transferBody,
        response: { 201: { $ref: "Transfer#" }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const answer = await context.engine.execute(
        { type: "sendTransfer", request: transferRequestOf(request.body, request.userId) },
        (result) => answerOf(result, 201, (transfer) => transferView(transfer)),
        idempotencyOf(request, `user:${request.userId}`),
      );
      return sendAnswer(reply, answer);
    },
  );

  app.post<{ Body: TransferBody }>(
    "/v1/transfers/preview",
    {
      config: { auth: "user" },
      schema: {
        tags: ["transfers"],
        summary:
          "How a transfer would be read (gift or loan hints, warnings) and whether its rules hold; no money moves",
        body: transferBody,
        response: {
          200: {
            type: "object",
            properties: {
              natureHints: { type: "array", items: natureHintSchema },
              warnings: { type: "array", items: { type: "string" } },
              disclaimer: { type: "string" },
              limits: { type: "object", additionalProperties: true },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const preview = { ...transferRequestOf(request.body, request.userId), id: "tr_preview" };
      if (!(await context.engine.hasUser(preview.to)))
        throw new ApiError("USER_NOT_FOUND", "the recipient does not exist");
      const limits = limitsAt(context.engine.clock.now(), context.engine.calendar);
      const checked = checkTransfer(preview, limits);
      if (!checked.ok) throw ApiError.of(checked.error);
      return {
        ...natureOf(preview),
        disclaimer: NATURE_DISCLAIMER,
        limits: { transferMax: limits.transferMax, memoLengthMax: limits.memoLengthMax, specialDay: limits.specialDay },
      };
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
      return transferView(await transferForParty(context, request.params.id, request.userId));
    },
  );

  app.post<{ Body: { amount: number } }>(
    "/v1/withdrawals",
    {
      config: { auth: "user" },
      schema: {
        tags: ["wallet"],
        summary: "Pay money out of the wallet to the payout rail (funding), under the transfer caps",
        headers: idempotencyHeaderRequired,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["amount"],
          properties: { amount },
        },
        response: {
          201: {
            type: "object",
            properties: {
              id: { type: "string" },
              userId: { type: "string" },
              amount: { type: "integer" },
              balance: { type: "integer", description: "the wallet after the withdrawal" },
              status: { type: "string", enum: ["paid"] },
              createdAt: { type: "string" },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const answer = await context.engine.execute(
        { type: "withdraw", userId: request.userId, amount: request.body.amount },
        (result) =>
          answerOf(result, 201, (paid) => ({
            id: paid.id,
            userId: paid.userId,
            amount: paid.amount,
            balance: paid.balance,
            status: "paid",
            createdAt: formatInstant(paid.at),
          })),
        idempotencyOf(request, `user:${request.userId}`),
      );
      return sendAnswer(reply, answer);
    },
  );

  /** A party acts on a transfer by its id: one route each, all keyed, all answering the transfer. */
  const actions = [
    ["accept", "The recipient takes the money", (id: string, by: string) => answer(id, by, "accept")],
    ["decline", "The recipient sends the money back", (id: string, by: string) => answer(id, by, "decline")],
    [
      "acknowledge-loan",
      "The recipient acknowledges a transfer declared as a loan (确认借款); the acknowledgement joins the evidence",
      (transferId: string, by: string) => ({ type: "acknowledgeLoan", transferId, by }) as const,
    ],
    [
      "cancel",
      "The sender takes back a transfer not yet answered: the money returns at once, once; an accept after it gets 409",
      (transferId: string, by: string) => ({ type: "cancelTransfer", transferId, by }) as const,
    ],
  ] as const;
  for (const [path, summary, commandOf] of actions) {
    app.post<{ Params: { id: string } }>(
      `/v1/transfers/:id/${path}`,
      {
        config: { auth: "user" },
        schema: {
          tags: ["transfers"],
          summary,
          headers: idempotencyHeaderRequired,
          params: byId,
          body: noBody,
          response: { 200: { $ref: "Transfer#" }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const result = await context.engine.execute(
          commandOf(request.params.id, request.userId),
          (outcome) => answerOf(outcome, 200, (transfer: Transfer) => transferView(transfer)),
          idempotencyOf(request, `user:${request.userId}`),
        );
        return sendAnswer(reply, result);
      },
    );
  }
}

function answer(transferId: string, by: string, answer: "accept" | "decline") {
  return { type: "answerTransfer", transferId, by, answer } as const;
}
