/**
 * The rules document: default caps and the special days, as versioned data an operator can read,
 * write and validate. Pure: parseRuleSet takes parsed JSON (`unknown`) and answers a Result.
 */
import { fail, ok, type Result } from "../errors.js";
import { type Caps, DEFAULT_RULES, FEATURES, type Feature, type Rules } from "../rules.js";
import { daysInMonth, epochDayOf } from "./civil-date.js";

export const RULE_SET_VERSION = 1;
export const RULE_SET_TIME_ZONE = "Asia/Shanghai";
export const MAX_SPECIAL_DAYS = 366;
export const MAX_NAME_LENGTH = 50;

interface RuleBase {
  /** Shown to users and in LimitsAt.reasons: 1 … 50 characters (code points), no control characters. */
  readonly name: string;
  /** At least one cap; each a positive safe integer (fen, or a count for shareCountMax). */
  readonly caps: Partial<Caps>;
}

/** Every year on month/day (a 02-29 rule hits leap years only). */
export interface GregorianDayRule extends RuleBase {
  readonly kind: "gregorian";
  readonly month: number;
  readonly day: number;
}

/** Every year on day/month of the Chinese lunisolar calendar; the regular month only, never a leap month. */
export interface LunarDayRule extends RuleBase {
  readonly kind: "lunar";
  readonly month: number;
  readonly day: number;
}

/** Once, on an Asia/Shanghai date "YYYY-MM-DD". */
export interface DateRule extends RuleBase {
  readonly kind: "date";
  readonly date: string;
}

export type SpecialDayRule = GregorianDayRule | LunarDayRule | DateRule;

/** A feature is on from `from` to `to`, both Asia/Shanghai dates "YYYY-MM-DD", both days included. */
export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** Date ranges a feature may hold at most. */
export const MAX_FEATURE_RANGES = 100;

export interface RuleSet {
  readonly version: typeof RULE_SET_VERSION;
  /** The zone whose midnights bound a special day; version 1 knows only Asia/Shanghai. */
  readonly timeZone: typeof RULE_SET_TIME_ZONE;
  /** Every rule on an ordinary day: amounts in fen, durations in milliseconds. */
  readonly defaults: Rules;
  readonly specialDays: readonly SpecialDayRule[];
  /** Festival features: each listed feature is on in its ranges only; a feature not listed is always on. */
  readonly features?: Readonly<Partial<Record<Feature, readonly DateRange[]>>>;
}

const SPECIAL_CAPS = { singlePacketMax: 52_000 } as const;

/** SPEC's rules: 20 000 fen for one red packet, 52 000 on 02-14, 05-20 and Qixi; every other cap unchanged. */
export const DEFAULT_RULE_SET: RuleSet = deepFreeze({
  version: RULE_SET_VERSION,
  timeZone: RULE_SET_TIME_ZONE,
  defaults: { ...DEFAULT_RULES },
  specialDays: [
    { name: "Valentine's Day", kind: "gregorian", month: 2, day: 14, caps: { ...SPECIAL_CAPS } },
    { name: "520", kind: "gregorian", month: 5, day: 20, caps: { ...SPECIAL_CAPS } },
    { name: "Qixi", kind: "lunar", month: 7, day: 7, caps: { ...SPECIAL_CAPS } },
  ],
});

/** The cap names a special day may change, in the order reasons list them. */
export const CAP_KEYS: readonly (keyof Caps)[] = [
  "singlePacketMax",
  "shareMax",
  "shareCountMax",
  "transferMax",
  "packetsPerDayMax",
  "packetAmountPerDayMax",
];

/** Caps an ordinary day may leave out: without them, nothing is capped. */
const OPTIONAL_RULE_KEYS: readonly (keyof Rules)[] = ["packetsPerDayMax", "packetAmountPerDayMax"];

/** Every field of Rules, with the minimum a cap on that field may not go under. */
const RULE_KEYS: readonly (keyof Rules)[] = [
  "singlePacketMin",
  "singlePacketMax",
  "shareMin",
  "shareMax",
  "shareCountMin",
  "shareCountMax",
  "transferMin",
  "transferMax",
  "memoLengthMax",
  "redPacketExpiryMs",
  "transferRefundMs",
];

const MIN_OF: Partial<Record<keyof Caps, keyof Rules>> = {
  singlePacketMax: "singlePacketMin",
  shareMax: "shareMin",
  shareCountMax: "shareCountMin",
  transferMax: "transferMin",
};

const UNIT_OF = (key: keyof Rules): string =>
  key.endsWith("Ms")
    ? "ms"
    : key.startsWith("shareCount") || key === "memoLengthMax" || key === "packetsPerDayMax"
      ? "count"
      : "fen";

/** At most this many problems are reported for one document. */
const MAX_PROBLEMS = 20;

class Problems {
  readonly list: string[] = [];
  count = 0;
  add(path: string, message: string): void {
    this.count++;
    if (this.list.length < MAX_PROBLEMS) this.list.push(`${path} ${message}`);
  }
  get empty(): boolean {
    return this.count === 0;
  }
  result<T>(what: string): Result<T> {
    const [first] = this.list;
    const more = this.count > 1 ? ` (and ${this.count - 1} more)` : "";
    return fail("VALIDATION_FAILED", `invalid ${what}: ${first}${more}`, { problems: [...this.list] });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  return String(value);
}

function checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: string, problems: Problems) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.add(`${path}.${key}`, `is not a known field (known: ${allowed.join(", ")})`);
  }
}

function positiveInteger(value: unknown, path: string, unit: string, problems: Problems): value is number {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return true;
  problems.add(path, `must be a positive safe integer (${unit}), got ${describe(value)}`);
  return false;
}

function integerIn(value: unknown, min: number, max: number, path: string, problems: Problems): value is number {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return true;
  problems.add(path, `must be an integer ${min} … ${max}, got ${describe(value)}`);
  return false;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function checkName(value: unknown, path: string, problems: Problems): value is string {
  if (typeof value !== "string") {
    problems.add(path, `must be a string, got ${describe(value)}`);
    return false;
  }
  const length = [...value].length;
  if (value.trim() === "" || value.trim() !== value || length > MAX_NAME_LENGTH || CONTROL.test(value)) {
    problems.add(
      path,
      `must be 1 … ${MAX_NAME_LENGTH} characters without control characters or surrounding spaces, got ${describe(value)} (${length} characters)`,
    );
    return false;
  }
  return true;
}

function parseDefaults(json: unknown, problems: Problems): Rules | undefined {
  if (!isRecord(json)) {
    problems.add("defaults", `must be an object with ${RULE_KEYS.join(", ")}, got ${describe(json)}`);
    return undefined;
  }
  checkKeys(json, [...RULE_KEYS, ...OPTIONAL_RULE_KEYS], "defaults", problems);
  const before = problems.count;
  const rules: Partial<Record<keyof Rules, number>> = {};
  for (const key of RULE_KEYS) {
    const value = json[key];
    if (positiveInteger(value, `defaults.${key}`, UNIT_OF(key), problems)) rules[key] = value;
  }
  for (const key of OPTIONAL_RULE_KEYS) {
    const value = json[key];
    if (value !== undefined && positiveInteger(value, `defaults.${key}`, UNIT_OF(key), problems)) rules[key] = value;
  }
  if (problems.count > before) return undefined;
  const complete = rules as Rules;
  for (const cap of CAP_KEYS) {
    const min = MIN_OF[cap];
    if (min === undefined) continue;
    const value = complete[cap];
    if (value !== undefined && value < (complete[min] as number)) {
      problems.add(`defaults.${cap}`, `(${complete[cap]}) must not be under defaults.${min} (${complete[min]})`);
    }
  }
  return complete;
}

function parseCaps(json: unknown, path: string, defaults: Rules | undefined, problems: Problems): Partial<Caps> {
  const caps: Partial<Record<keyof Caps, number>> = {};
  if (!isRecord(json) || Object.keys(json).length === 0) {
    problems.add(path, `must be an object setting at least one of ${CAP_KEYS.join(", ")}, got ${describe(json)}`);
    return caps;
  }
  checkKeys(json, CAP_KEYS, path, problems);
  for (const cap of CAP_KEYS) {
    if (!(cap in json)) continue;
    const value = json[cap];
    if (!positiveInteger(value, `${path}.${cap}`, UNIT_OF(cap), problems)) continue;
    const min = MIN_OF[cap];
    if (defaults !== undefined && min !== undefined && value < (defaults[min] as number)) {
      problems.add(`${path}.${cap}`, `(${value}) must not be under defaults.${min} (${defaults[min]})`);
      continue;
    }
    caps[cap] = value;
  }
  return caps;
}

const RULE_FIELDS = {
  gregorian: ["name", "kind", "month", "day", "caps"],
  lunar: ["name", "kind", "month", "day", "caps"],
  date: ["name", "kind", "date", "caps"],
} as const;

function parseRule(json: unknown, path: string, defaults: Rules | undefined, problems: Problems) {
  if (!isRecord(json)) {
    problems.add(path, `must be an object {name, kind, …, caps}, got ${describe(json)}`);
    return undefined;
  }
  const before = problems.count;
  const kind = json.kind;
  if (kind !== "gregorian" && kind !== "lunar" && kind !== "date") {
    problems.add(`${path}.kind`, `must be "gregorian", "lunar" or "date", got ${describe(kind)}`);
    return undefined;
  }
  checkKeys(json, RULE_FIELDS[kind], path, problems);
  const name = json.name;
  checkName(name, `${path}.name`, problems);
  const caps = parseCaps(json.caps, `${path}.caps`, defaults, problems);
  let rule: SpecialDayRule | undefined;
  if (kind === "date") {
    const date = json.date;
    if (typeof date !== "string" || epochDayOf(date) === undefined) {
      problems.add(`${path}.date`, `must be a real date "YYYY-MM-DD", got ${describe(date)}`);
    } else {
      rule = { name: name as string, kind, date, caps };
    }
  } else {
    const { month, day } = json;
    if (integerIn(month, 1, 12, `${path}.month`, problems)) {
      // Gregorian: the longest that month ever is (02-29 is allowed and hits leap years only).
      const maxDay = kind === "gregorian" ? daysInMonth(2000, month) : 30;
      if (integerIn(day, 1, maxDay, `${path}.day`, problems)) rule = { name: name as string, kind, month, day, caps };
    } else {
      integerIn(day, 1, kind === "gregorian" ? 31 : 30, `${path}.day`, problems);
    }
  }
  return problems.count > before ? undefined : rule;
}

/**
 * Reads a rules document. Unknown fields, missing fields and out-of-range values are all refused
 * (nothing is silently dropped or defaulted); the error's message names the first problem with its
 * path and details.problems lists up to 20.
 */
export function parseRuleSet(json: unknown): Result<RuleSet> {
  const problems = new Problems();
  if (!isRecord(json)) {
    problems.add("the rule set", `must be an object {version, timeZone, defaults, specialDays}, got ${describe(json)}`);
    return problems.result("rule set");
  }
  checkKeys(json, ["version", "timeZone", "defaults", "specialDays", "features"], "rule set", problems);
  if (json.version !== RULE_SET_VERSION) {
    problems.add(
      "version",
      `must be ${RULE_SET_VERSION} (the only version this service reads), got ${describe(json.version)}`,
    );
  }
  if (json.timeZone !== RULE_SET_TIME_ZONE) {
    problems.add(
      "timeZone",
      `must be "${RULE_SET_TIME_ZONE}" (special days run midnight to midnight there), got ${describe(json.timeZone)}`,
    );
  }
  const defaults = parseDefaults(json.defaults, problems);
  const specialDays: SpecialDayRule[] = [];
  const list = json.specialDays;
  if (!Array.isArray(list)) {
    problems.add("specialDays", `must be an array of special days, got ${describe(list)}`);
  } else if (list.length > MAX_SPECIAL_DAYS) {
    problems.add("specialDays", `may hold at most ${MAX_SPECIAL_DAYS} special days, got ${list.length}`);
  } else {
    for (const [i, item] of list.entries()) {
      const rule = parseRule(item, `specialDays[${i}]`, defaults, problems);
      if (rule !== undefined) specialDays.push(rule);
    }
  }
  const features = json.features === undefined ? undefined : parseFeatures(json.features, problems);
  if (!problems.empty || defaults === undefined) return problems.result("rule set");
  return ok(
    deepFreeze({
      version: RULE_SET_VERSION,
      timeZone: RULE_SET_TIME_ZONE,
      defaults,
      specialDays,
      ...(features === undefined ? {} : { features }),
    }),
  );
}

function parseFeatures(json: unknown, problems: Problems): Partial<Record<Feature, DateRange[]>> | undefined {
  if (!isRecord(json)) {
    problems.add("features", `must be an object of feature: [{from, to}], got ${describe(json)}`);
    return undefined;
  }
  checkKeys(json, FEATURES, "features", problems);
  const features: Partial<Record<Feature, DateRange[]>> = {};
  for (const feature of FEATURES) {
    const list = json[feature];
    if (list === undefined) continue;
    const path = `features.${feature}`;
    if (!Array.isArray(list) || list.length > MAX_FEATURE_RANGES) {
      problems.add(path, `must be an array of at most ${MAX_FEATURE_RANGES} {from, to} ranges, got ${describe(list)}`);
      continue;
    }
    const ranges: DateRange[] = [];
    for (const [i, range] of list.entries()) {
      const at = `${path}[${i}]`;
      if (!isRecord(range)) {
        problems.add(at, `must be {from, to}, got ${describe(range)}`);
        continue;
      }
      checkKeys(range, ["from", "to"], at, problems);
      const from = typeof range.from === "string" ? epochDayOf(range.from) : undefined;
      const to = typeof range.to === "string" ? epochDayOf(range.to) : undefined;
      if (from === undefined || to === undefined || to < from) {
        problems.add(
          at,
          `must have real dates "YYYY-MM-DD" with from ≤ to, got ${describe(range.from)} … ${describe(range.to)}`,
        );
        continue;
      }
      ranges.push({ from: range.from as string, to: range.to as string });
    }
    features[feature] = ranges;
  }
  return features;
}

/** Reads one special day on its own (e.g. from the admin API), checking its caps against `defaults`. */
export function parseSpecialDayRule(json: unknown, defaults: Rules = DEFAULT_RULES): Result<SpecialDayRule> {
  const problems = new Problems();
  const rule = parseRule(json, "specialDay", defaults, problems);
  if (rule === undefined || !problems.empty) return problems.result("special day");
  return ok(deepFreeze(rule));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
