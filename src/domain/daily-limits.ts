import { epochDayOf, shanghaiDateOf } from "./calendar/civil-date.js";
import { fail, type Result } from "./errors.js";
import type { Fen } from "./money.js";
import type { Feature, LimitsAt } from "./rules.js";
import { DAY_MS, HOUR_MS, type Instant } from "./time.js";

/** What one user has put into red packets on one Asia/Shanghai day. */
export interface SentToday {
  readonly count: number;
  readonly amount: Fen;
}

export const NOTHING_SENT: SentToday = Object.freeze({ count: 0, amount: 0 });

/** The Asia/Shanghai date "YYYY-MM-DD" a per-day cap counts in. */
export function dayOf(at: Instant): string {
  return shanghaiDateOf(at);
}

/** The first instant of a Shanghai date (UTC+8 since 1992: the days a ledger counts are recent). */
export function dayStart(at: Instant): Instant {
  return (epochDayOf(dayOf(at)) as number) * DAY_MS - 8 * HOUR_MS;
}

/** Why one more packet of `amount` would pass a per-day cap, naming the cap; undefined when it would not. */
export function dailyRefusal(
  sent: SentToday,
  amount: Fen,
  limits: Pick<LimitsAt, "packetsPerDayMax" | "packetAmountPerDayMax">,
): Result<never> | undefined {
  const { packetsPerDayMax, packetAmountPerDayMax } = limits;
  if (packetsPerDayMax !== undefined && sent.count + 1 > packetsPerDayMax) {
    return fail("DAILY_LIMIT_REACHED", `at most ${packetsPerDayMax} red packets a day; try again tomorrow`, {
      limit: "packetsPerDayMax",
      max: packetsPerDayMax,
      used: sent.count,
    });
  }
  if (packetAmountPerDayMax !== undefined && sent.amount + amount > packetAmountPerDayMax) {
    return fail(
      "DAILY_LIMIT_REACHED",
      `at most ${packetAmountPerDayMax} fen in red packets a day; ${packetAmountPerDayMax - sent.amount} fen are left today`,
      { limit: "packetAmountPerDayMax", max: packetAmountPerDayMax, used: sent.amount },
    );
  }
  return undefined;
}

/** A festival feature asked for while the rules have it off. */
export function featureRefusal(feature: Feature, limits: Pick<LimitsAt, "features">): Result<never> | undefined {
  if (limits.features[feature]) return undefined;
  return fail("FEATURE_OFF", `${feature} is switched on for festival dates only, not today`, { feature });
}

/** What is left of each per-day cap, for GET /v1/limits; null where there is no such cap. */
export function leftToday(sent: SentToday, limits: Pick<LimitsAt, "packetsPerDayMax" | "packetAmountPerDayMax">) {
  return {
    packetsSent: sent.count,
    amountSent: sent.amount,
    packetsLeft: limits.packetsPerDayMax === undefined ? null : Math.max(0, limits.packetsPerDayMax - sent.count),
    amountLeft:
      limits.packetAmountPerDayMax === undefined ? null : Math.max(0, limits.packetAmountPerDayMax - sent.amount),
  };
}
