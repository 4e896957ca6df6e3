import type { ServerResponse } from "node:http";
import { type ClaimAnswer, claimOnce, renderRefusal } from "./claim.js";
import type { AppContext } from "./context.js";
import { errorBody, STATUS_OF } from "./errors.js";
import type { LineLook } from "./line.js";
import type { Place } from "./waiting-room.js";

/** Where a ticket holder stands now, decided nothing. */
export type Standing =
  | { readonly kind: "wait"; readonly place: Place }
  /** The holder's turn has come: a claim now is decided. */
  | { readonly kind: "turn" }
  /** The answer is known without a turn (sold out, ended, already claimed) or the ticket is refused. */
  | { readonly kind: "final"; readonly answer: ClaimAnswer };

export function standingOf(
  context: AppContext,
  campaignId: string,
  userId: string,
  ticket: string,
): Standing | Promise<Standing> {
  const { engine, line } = context;
  const refusal = engine.claimRefusal(campaignId, userId);
  const notStarted = refusal !== undefined && !refusal.ok && refusal.error.code === "NOT_STARTED";
  if (refusal !== undefined && !refusal.ok && !notStarted)
    return { kind: "final", answer: renderRefusal(refusal).answer };
  if (line === undefined) return { kind: "turn" };
  const looked = line.look(campaignId, userId, ticket);
  return looked instanceof Promise ? looked.then(standingFrom) : standingFrom(looked);
}

function standingFrom(verdict: LineLook): Standing {
  if (verdict.kind === "refused")
    return {
      kind: "final",
      answer: { status: STATUS_OF[verdict.code], body: JSON.stringify(errorBody(verdict.code, verdict.message)) },
    };
  return verdict.kind === "wait" ? { kind: "wait", place: verdict.place } : { kind: "turn" };
}

/** The JSON a holder polls: where they stand, or the final answer's status and body. */
export function standingJson(standing: Standing) {
  if (standing.kind === "wait") return { state: "waiting", ...standing.place };
  if (standing.kind === "turn") return { state: "your_turn" };
  return { state: "final", status: standing.answer.status, answer: JSON.parse(standing.answer.body) as unknown };
}

export interface QueueStreamOptions {
  /** Streams open at once, in all. */
  readonly totalMax?: number;
  /** Streams one user may hold open. */
  readonly perUserMax?: number;
  /** A stream is ended after this long, whatever it waits for (the client opens another). */
  readonly lifetimeMs?: number;
  /** Position events at most this often. */
  readonly everyMs?: number;
}

/**
 * Server-sent events for ticket holders: a `place` event whenever the position is told
 * again (at most every `everyMs`), then one `result` event with the claim's answer, decided
 * by the server at the holder's turn, and the stream ends. Bounded in all and per user;
 * the route is a read, so it is refused (503) while the crowd gate is overloaded, before
 * anything that moves money is.
 */
export class QueueStreams {
  readonly #totalMax: number;
  readonly #perUserMax: number;
  readonly #lifetimeMs: number;
  readonly #everyMs: number;
  readonly #byUser = new Map<string, number>();
  #open = 0;

  constructor(options: QueueStreamOptions = {}) {
    this.#totalMax = options.totalMax ?? 10_000;
    this.#perUserMax = options.perUserMax ?? 2;
    this.#lifetimeMs = options.lifetimeMs ?? 10 * 60_000;
    this.#everyMs = options.everyMs ?? 1_000;
  }

  get open(): number {
    return this.#open;
  }

  /** Whether one more stream may open for `userId`. */
  hasRoom(userId: string): boolean {
    return this.#open < this.#totalMax && (this.#byUser.get(userId) ?? 0) < this.#perUserMax;
  }

  /** Runs one stream on `response` (its head not yet sent) until the result is told, or it closes. */
  run(context: AppContext, response: ServerResponse, campaignId: string, userId: string, ticket: string): void {
    this.#open++;
    this.#byUser.set(userId, (this.#byUser.get(userId) ?? 0) + 1);
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      this.#open--;
      const left = (this.#byUser.get(userId) ?? 1) - 1;
      if (left > 0) this.#byUser.set(userId, left);
      else this.#byUser.delete(userId);
      if (!response.writableEnded) response.end();
    };
    const endsAt = performance.now() + this.#lifetimeMs;
    response.on("close", finish);
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    const send = (event: string, data: unknown) => {
      if (!done) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const result = (answer: ClaimAnswer) => {
      send("result", { status: answer.status, answer: JSON.parse(answer.body) as unknown });
      finish();
    };
    const step = () => {
      timer = undefined;
      if (done) return;
      if (performance.now() > endsAt) {
        finish();
        return;
      }
      let standing: Standing | Promise<Standing>;
      try {
        standing = standingOf(context, campaignId, userId, ticket);
      } catch {
        finish();
        return;
      }
      if (standing instanceof Promise) standing.then(told, finish);
      else told(standing);
    };
    const told = (standing: Standing) => {
      if (done) return;
      if (standing.kind === "final") {
        result(standing.answer);
        return;
      }
      if (standing.kind === "wait") {
        send("place", standingJson(standing));
        timer = setTimeout(step, Math.max(100, Math.min(this.#everyMs, standing.place.retryAfterMs)));
        return;
      }
      const decided = claimOnce(context, campaignId, userId, undefined, false, ticket);
      if (decided instanceof Promise) decided.then(answered, finish);
      else answered(decided);
    };
    const answered = (decided: ClaimAnswer) => {
      if (done) return;
      // The writer was full at this turn: the same place, a moment later.
      if (decided.status === 503 && decided.body.includes('"ticket"')) timer = setTimeout(step, this.#everyMs);
      else result(decided);
    };
    step();
  }
}
