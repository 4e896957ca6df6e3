import type { FastifyReply } from "fastify";
import type { Result } from "../domain/errors.js";
import type { Answer } from "../engine/engine.js";
import { errorBody, retryAfterSeconds, STATUS_OF } from "./errors.js";

/** Renders an engine result as the HTTP answer that is stored with its idempotency key. */
export function answerOf<T>(result: Result<T>, status: number, view: (value: T) => unknown): Answer {
  if (result.ok) return { status, body: JSON.stringify(view(result.value)) };
  const { code, message, details } = result.error;
  return { status: STATUS_OF[code], body: JSON.stringify(errorBody(code, message, details)) };
}

export function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  if (answer.replayed === true) void reply.header("idempotent-replayed", "true");
  if ((answer.status === 503 || answer.status === 429) && !reply.hasHeader("retry-after")) {
    void reply.header("retry-after", String(retryAfterSeconds("BUSY")));
  }
  return reply.code(answer.status).type("application/json; charset=utf-8").send(answer.body);
}
