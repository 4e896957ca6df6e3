import type { Result } from "./errors.js";
import type { Fen } from "./money.js";
import { DAY_MS, formatInstant, type Instant } from "./time.js";

/** The caps that a special day may change. */
export interface Caps {
  readonly singlePacketMax: Fen;
  readonly shareMax: Fen;
  readonly shareCountMax: number;
  readonly transferMax: Fen;
  /** Red packets one user may send in one Asia/Shanghai day; absent: no such cap. */
  readonly packetsPerDayMax?: number;
  /** Fen one user may put into red packets in one Asia/Shanghai day; absent: no such cap. */
  readonly packetAmountPerDayMax?: Fen;
}

/** Features a rule set may switch on for date ranges only (festival features); unlisted ones are always on. */
export const FEATURES = ["passwordPackets"] as const;
export type Feature = (typeof FEATURES)[number];

/** Every rule in force at one instant; all of it is data, none of it is code. */
export interface Rules extends Caps {
  readonly singlePacketMin: Fen;
  readonly shareMin: Fen;
  readonly shareCountMin: number;
  readonly transferMin: Fen;
  readonly memoLengthMax: number;
  readonly redPacketExpiryMs: number;
  readonly transferRefundMs: number;
}

export const DEFAULT_RULES: Rules = {
  singlePacketMin: 1,
  singlePacketMax: 20_000,
  shareMin: 1,
  shareMax: 20_000,
  shareCountMin: 1,
  shareCountMax: 100,
  transferMin: 1,
  transferMax: 5_000_000,
  memoLengthMax: 100,
  redPacketExpiryMs: DAY_MS,
  transferRefundMs: DAY_MS,
};

/** A day on which other caps apply, as resolved by a calendar for one instant. */
export interface SpecialDay {
  readonly name: string;
  /** The local (Asia/Shanghai) date, "YYYY-MM-DD". */
  readonly date: string;
  readonly caps: Partial<Caps>;
}

/** The port through which the special-day calendar plugs into the rules. */
export interface Calendar {
  specialDayAt(at: Instant): SpecialDay | null;
  /** The rules of an ordinary day, when the calendar's rule set carries its own. */
  readonly defaults?: Rules;
  /** Whether a feature is on at an instant; a calendar without feature ranges has every feature on. */
  featureOn?(feature: Feature, at: Instant): boolean;
  /** A calendar with one more special day (an operator's addition), or why the rule is refused. */
  withDay?(rule: unknown): Result<Calendar>;
  /** The special days of a Gregorian year, in date order. */
  specialDaysIn?(year: number): readonly SpecialDay[];
}

export const NO_SPECIAL_DAYS: Calendar = { specialDayAt: () => null };

export interface LimitsAt extends Rules {
  readonly at: Instant;
  readonly features: Readonly<Record<Feature, boolean>>;
  readonly specialDay: { readonly name: string; readonly date: string } | null;
  /** Sentences that say why each cap has its value. */
  readonly reasons: readonly string[];
}

export function limitsAt(at: Instant, calendar: Calendar, base: Rules = calendar.defaults ?? DEFAULT_RULES): LimitsAt {
  const day = calendar.specialDayAt(at);
  const features = featuresAt(at, calendar);
  if (day === null) {
    return {
      ...base,
      at,
      features,
      specialDay: null,
      reasons: [`${formatInstant(at)} is an ordinary day: default caps`],
    };
  }
  const reasons = (Object.keys(day.caps) as (keyof Caps)[]).map(
    (cap) => `${day.name} ${day.date}: ${capLabel(cap)} ${String(day.caps[cap])}${isCount(cap) ? "" : " fen"}`,
  );
  return { ...base, ...day.caps, at, features, specialDay: { name: day.name, date: day.date }, reasons };
}

function featuresAt(at: Instant, calendar: Calendar): Record<Feature, boolean> {
  const features = {} as Record<Feature, boolean>;
  for (const feature of FEATURES) features[feature] = calendar.featureOn?.(feature, at) ?? true;
  return features;
}

const CAP_LABELS: Record<keyof Caps, string> = {
  singlePacketMax: "single packet cap",
  shareMax: "share cap",
  shareCountMax: "share count cap",
  transferMax: "transfer cap",
  packetsPerDayMax: "red packets a day",
  packetAmountPerDayMax: "red packet amount a day",
};

/** Caps that count things rather than fen. */
export function isCount(cap: keyof Caps): boolean {
  return cap === "shareCountMax" || cap === "packetsPerDayMax";
}

export function capLabel(cap: keyof Caps): string {
  return CAP_LABELS[cap];
}

/** Memo limits count Unicode code points, not UTF-16 units: "🧧" is one character. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
