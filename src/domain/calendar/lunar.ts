/**
 * Gregorian ⇄ Chinese lunisolar (农历) dates, from the ICU Chinese calendar that Node ships,
 * corrected to the official calendar (GB/T 33661-2017) by LUNAR_MONTH_OVERRIDES.
 *
 * Dates here are civil dates "YYYY-MM-DD" in Asia/Shanghai: the Chinese calendar's days run from
 * midnight to midnight Beijing time, so the lunar date of a civil date needs no time zone at all.
 * ICU is asked about noon UTC of that civil date with timeZone UTC, which names the same day
 * whatever TZ the process runs under.
 *
 * The calendar is defined (and checked in tests against an independent implementation) for
 * 1900–2100; outside that range ICU's approximation is used as it is.
 */
import { DAY_MS } from "../time.js";
import { civilDateOf, daysInMonth, requireEpochDay } from "./civil-date.js";
import { LUNAR_MONTH_OVERRIDES, type LunarMonthOverride } from "./lunar-overrides.js";

export const FIRST_LUNAR_YEAR = 1900;
export const LAST_LUNAR_YEAR = 2100;

export interface LunarDate {
  /** 1 … 12; a leap month carries the number of the month before it. */
  readonly month: number;
  /** 1 … 30. */
  readonly day: number;
  /** True in a leap (闰) month: the leap 7th month of 2006 is not the 7th month. */
  readonly leap: boolean;
}

let chineseFormat: Intl.DateTimeFormat | undefined;

function chineseFormatter(): Intl.DateTimeFormat {
  if (chineseFormat === undefined) {
    const format = new Intl.DateTimeFormat("en-u-ca-chinese-nu-latn", {
      timeZone: "UTC",
      month: "numeric",
      day: "numeric",
    });
    if (format.resolvedOptions().calendar !== "chinese") {
      throw new Error(
        "this Node has no ICU Chinese calendar (built with small-icu?); lunar special days need full ICU",
      );
    }
    chineseFormat = format;
  }
  return chineseFormat;
}

/** "7" → 7th month; "7bis" → leap 7th month (CLDR's English pattern for leap months). */
const ICU_MONTH = /^(\d{1,2})(bis)?$/;

/** What ICU alone says for a civil date, without the official corrections. For tests and investigation. */
export function icuLunarDateOf(date: string): LunarDate {
  const epochDay = requireEpochDay(date);
  const parts = chineseFormatter().formatToParts(epochDay * DAY_MS + DAY_MS / 2);
  const monthText = parts.find((p) => p.type === "month")?.value ?? "";
  const dayText = parts.find((p) => p.type === "day")?.value ?? "";
  const match = ICU_MONTH.exec(monthText);
  const day = Number(dayText);
  if (match === null || !/^\d{1,2}$/.test(dayText) || day < 1 || day > 30) {
    throw new Error(`unexpected ICU Chinese date for ${date}: month ${JSON.stringify(monthText)}, day ${dayText}`);
  }
  return { month: Number(match[1]), day, leap: match[2] !== undefined };
}

interface IndexedOverride extends LunarMonthOverride {
  readonly first: number;
}

const OVERRIDES: readonly IndexedOverride[] = LUNAR_MONTH_OVERRIDES.map((o) => ({
  ...o,
  first: requireEpochDay(o.start),
}));

/** The override month that covers a civil date, if any (what ICU says there is not used). */
export function overrideFor(date: string): LunarMonthOverride | undefined {
  return overrideOn(requireEpochDay(date));
}

function overrideOn(epochDay: number): IndexedOverride | undefined {
  return OVERRIDES.find((o) => epochDay >= o.first && epochDay < o.first + o.days);
}

/** The Chinese lunisolar date of an Asia/Shanghai civil date "YYYY-MM-DD". Throws RangeError for a non-date. */
export function gregorianToLunar(date: string): LunarDate {
  const epochDay = requireEpochDay(date);
  const official = overrideOn(epochDay);
  if (official !== undefined) return { month: official.month, day: epochDay - official.first + 1, leap: official.leap };
  return icuLunarDateOf(date);
}

/** A small cache: a year's lunar dates, one per day from January 1st. */
const yearTables = new Map<number, readonly LunarDate[]>();
const YEAR_TABLES_KEPT = 8;

function lunarYearTable(year: number): readonly LunarDate[] {
  const cached = yearTables.get(year);
  if (cached !== undefined) return cached;
  const first = requireEpochDay(`${year}-01-01`);
  const length = daysInMonth(year, 2) === 29 ? 366 : 365;
  const table = Array.from({ length }, (_, i) => gregorianToLunar(civilDateOf(first + i)));
  if (yearTables.size >= YEAR_TABLES_KEPT) yearTables.delete(yearTables.keys().next().value as number);
  yearTables.set(year, table);
  return table;
}

/**
 * Every Gregorian date in `year` whose lunar date is day `day` of the regular (not leap) month
 * `month`, sorted. Usually one date; none when that month has 29 days and `day` is 30; two only
 * for the 11th or 12th month, which can straddle New Year's Day (the lunar year before's in January,
 * this lunar year's in December). Qixi in 2006 is 2006-07-31, the 7th day of the regular 7th month,
 * not 2006-08-30 in the leap 7th month.
 */
export function lunarToGregorian(year: number, month: number, day: number): readonly string[] {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`year must be 1000 … 9999: ${year}`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`lunar month must be 1 … 12: ${month}`);
  if (!Number.isInteger(day) || day < 1 || day > 30) throw new RangeError(`lunar day must be 1 … 30: ${day}`);
  const first = requireEpochDay(`${year}-01-01`);
  const dates: string[] = [];
  for (const [i, lunar] of lunarYearTable(year).entries()) {
    if (!lunar.leap && lunar.month === month && lunar.day === day) dates.push(civilDateOf(first + i));
  }
  return dates;
}

/** For logs and messages: "7/7", "leap 7/8". */
export function formatLunarDate(date: LunarDate): string {
  return `${date.leap ? "leap " : ""}${date.month}/${date.day}`;
}
