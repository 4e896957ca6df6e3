/**
 * The special-day calendar: a RuleSet (data) behind the rules' Calendar port.
 *
 * A special day runs from 00:00 to 24:00 Asia/Shanghai time. The local date of an instant comes
 * from Intl with timeZone "Asia/Shanghai", never from the process TZ; a lunar rule matches when
 * the official lunar date of that local date (see lunar.ts) is its regular month and day.
 *
 * When several rules hit the same date (say an operator's "date" rule on Qixi), the day is one
 * special day: its name joins the distinct rule names with " + " in rule-set order, and each cap is
 * the largest any of them sets (a cap only one of them sets is taken as it is). Special days raise
 * caps; two of them on one day never lower each other's.
 */
import { fail, ok, type Result } from "../errors.js";
import { type Calendar, type Caps, type Feature, limitsAt, type Rules, type SpecialDay } from "../rules.js";
import { DAY_MS, type Instant } from "../time.js";
import { civilDateOf, daysInMonth, epochDayOf, shanghaiDateOf } from "./civil-date.js";
import { gregorianToLunar, type LunarDate, lunarToGregorian } from "./lunar.js";
import {
  CAP_KEYS,
  DEFAULT_RULE_SET,
  MAX_SPECIAL_DAYS,
  parseRuleSet,
  parseSpecialDayRule,
  type RuleSet,
  type SpecialDayRule,
} from "./rule-set.js";

/** Dates remembered by specialDayOn; most instants asked about fall on today. */
const CACHED_DATES = 1024;

export class SpecialDayCalendar implements Calendar {
  /** The validated document this calendar was built from, deep-frozen: serialise it to save it. */
  readonly ruleSet: RuleSet;
  readonly #cache = new Map<string, SpecialDay | null>();

  /** Throws if `ruleSet` is not valid (see parseRuleSet); use fromJson for untrusted input. */
  constructor(ruleSet: RuleSet = DEFAULT_RULE_SET) {
    const parsed = parseRuleSet(ruleSet);
    if (!parsed.ok) throw new Error(parsed.error.message);
    this.ruleSet = parsed.value;
  }

  static fromJson(json: unknown): Result<SpecialDayCalendar> {
    const parsed = parseRuleSet(json);
    return parsed.ok ? ok(new SpecialDayCalendar(parsed.value)) : parsed;
  }

  /** The rules of an ordinary day: pass them as limitsAt's `base`. */
  get defaults(): Rules {
    return this.ruleSet.defaults;
  }

  /** A feature the rule set lists is on in its date ranges only (Asia/Shanghai days); one it does not list is on. */
  featureOn(feature: Feature, at: Instant): boolean {
    const ranges = this.ruleSet.features?.[feature];
    if (ranges === undefined) return true;
    const date = shanghaiDateOf(at);
    // "YYYY-MM-DD" strings order as the dates do.
    return ranges.some((range) => range.from <= date && date <= range.to);
  }

  /** The special day in force at an instant (Asia/Shanghai midnight to midnight), or null. */
  specialDayAt(at: Instant): SpecialDay | null {
    return this.specialDayOn(shanghaiDateOf(at));
  }

  /** The special day on an Asia/Shanghai date "YYYY-MM-DD", or null. Throws RangeError for a non-date. */
  specialDayOn(date: string): SpecialDay | null {
    const cached = this.#cache.get(date);
    if (cached !== undefined) return cached;
    if (epochDayOf(date) === undefined)
      throw new RangeError(`not a calendar date "YYYY-MM-DD": ${JSON.stringify(date)}`);
    const month = Number(date.slice(5, 7));
    const day = Number(date.slice(8, 10));
    let lunar: LunarDate | undefined;
    const hits = this.ruleSet.specialDays.filter((rule) => {
      if (rule.kind === "date") return rule.date === date;
      if (rule.kind === "gregorian") return rule.month === month && rule.day === day;
      lunar ??= gregorianToLunar(date);
      return !lunar.leap && lunar.month === rule.month && lunar.day === rule.day;
    });
    const found = hits.length === 0 ? null : mergeRules(date, hits);
    if (this.#cache.size >= CACHED_DATES) this.#cache.clear();
    this.#cache.set(date, found);
    return found;
  }

  /** Every special day in a Gregorian year (1000 … 9999), sorted by date: for `hongbao calendar 2027`. */
  specialDaysIn(year: number): readonly SpecialDay[] {
    if (!Number.isInteger(year) || year < 1000 || year > 9999)
      throw new RangeError(`year must be 1000 … 9999: ${year}`);
    const byDate = new Map<string, SpecialDayRule[]>();
    const hit = (date: string, rule: SpecialDayRule) => byDate.set(date, [...(byDate.get(date) ?? []), rule]);
    for (const rule of this.ruleSet.specialDays) {
      switch (rule.kind) {
        case "date":
          if (rule.date.startsWith(`${year}-`)) hit(rule.date, rule);
          break;
        case "gregorian":
          if (rule.day <= daysInMonth(year, rule.month)) hit(gregorianDate(year, rule.month, rule.day), rule);
          break;
        case "lunar":
          for (const date of lunarToGregorian(year, rule.month, rule.day)) hit(date, rule);
          break;
      }
    }
    return [...byDate.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([date, rules]) => mergeRules(date, rules));
  }

  /** A new calendar with one more special day (the admin API's "add a day"); this one is unchanged. */
  withDay(rule: unknown): Result<SpecialDayCalendar> {
    const parsed = parseSpecialDayRule(rule, this.ruleSet.defaults);
    if (!parsed.ok) return parsed;
    if (this.ruleSet.specialDays.length >= MAX_SPECIAL_DAYS) {
      return fail("VALIDATION_FAILED", `a rule set holds at most ${MAX_SPECIAL_DAYS} special days`, {
        limit: MAX_SPECIAL_DAYS,
      });
    }
    return ok(new SpecialDayCalendar({ ...this.ruleSet, specialDays: [...this.ruleSet.specialDays, parsed.value] }));
  }
}

function gregorianDate(year: number, month: number, day: number): string {
  return civilDateOf(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** One special day from the rules that hit `date`, in rule-set order (see the module comment). */
function mergeRules(date: string, rules: readonly SpecialDayRule[]): SpecialDay {
  const names = [...new Set(rules.map((rule) => rule.name))];
  const caps: Partial<Record<keyof Caps, number>> = {};
  for (const cap of CAP_KEYS) {
    for (const rule of rules) {
      const value = rule.caps[cap];
      if (value !== undefined) caps[cap] = Math.max(caps[cap] ?? value, value);
    }
  }
  return Object.freeze({ name: names.join(" + "), date, caps: Object.freeze(caps) });
}

/**
 * The sentences LimitsAt.reasons gives for a special day, one per cap it sets, e.g.
 * "Qixi 2021-08-14: single packet cap 52000 fen". Made by limitsAt itself, so they cannot drift.
 */
export function describeSpecialDay(day: SpecialDay): readonly string[] {
  return limitsAt(0, { specialDayAt: () => day }).reasons;
}
