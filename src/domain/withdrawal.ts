import { FUNDING } from "./accounts.js";
import { fail, ok, type Result } from "./errors.js";
import { move, type Posting } from "./ledger.js";
import { type Fen, formatYuan } from "./money.js";
import type { LimitsAt } from "./rules.js";
import type { Instant } from "./time.js";

/**
 * Money out: a wallet pays to `funding`, the account that mirrors money outside the system,
 * under the same amount caps as a transfer. The balance is the engine's to check.
 */
export function withdrawal(
  id: string,
  userId: string,
  amount: Fen,
  at: Instant,
  limits: Pick<LimitsAt, "transferMin" | "transferMax">,
): Result<Posting> {
  if (amount < limits.transferMin) {
    return fail("AMOUNT_BELOW_MIN", `a withdrawal is at least ${limits.transferMin} fen`, {
      cap: "transferMin",
      limit: limits.transferMin,
    });
  }
  if (amount > limits.transferMax) {
    return fail(
      "AMOUNT_ABOVE_MAX",
      `a withdrawal is at most ${limits.transferMax} fen (${formatYuan(limits.transferMax)} yuan)`,
      { cap: "transferMax", limit: limits.transferMax },
    );
  }
  return ok({ kind: "withdrawal", ref: id, at, legs: move(userId, FUNDING, amount) });
}
