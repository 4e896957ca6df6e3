/**
 * Civil (wall-calendar) dates "YYYY-MM-DD" and the Asia/Shanghai date of an instant.
 * Pure: Intl only, never the process time zone (TZ) and never the current time.
 */
import { DAY_MS, type Instant } from "../time.js";

/** Years a civil date may have here: four digits, so "YYYY-MM-DD" sorts as text. */
export const FIRST_CIVIL_YEAR = 1000;
export const LAST_CIVIL_YEAR = 9999;

const CIVIL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a real date "YYYY-MM-DD"; undefined for anything else (2026-02-29, 2026-13-01). */
export function epochDayOf(date: string): number | undefined {
  const match = CIVIL_DATE.exec(date);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return ms / DAY_MS;
}

/** The date "YYYY-MM-DD" that is `epochDay` days after 1970-01-01. */
export function civilDateOf(epochDay: number): string {
  const date = new Date(epochDay * DAY_MS);
  const year = date.getUTCFullYear();
  if (!Number.isSafeInteger(epochDay) || year < FIRST_CIVIL_YEAR || year > LAST_CIVIL_YEAR) {
    throw new RangeError(`epoch day ${epochDay} is outside years ${FIRST_CIVIL_YEAR}–${LAST_CIVIL_YEAR}`);
  }
  return date.toISOString().slice(0, 10);
}

/** Like epochDayOf, for dates the caller already knows are real; a bad one is a programming error. */
export function requireEpochDay(date: string): number {
  const day = epochDayOf(date);
  if (day === undefined) throw new RangeError(`not a calendar date "YYYY-MM-DD": ${JSON.stringify(date)}`);
  return day;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

let shanghaiFormat: Intl.DateTimeFormat | undefined;

/**
 * The Asia/Shanghai calendar date of an instant, e.g. 2021-08-13T16:00:00Z → "2021-08-14".
 * Uses the IANA zone through Intl (so China's 1986–1991 summer time is honoured), whatever TZ the
 * process runs under.
 */
export function shanghaiDateOf(at: Instant): string {
  if (!Number.isFinite(at)) throw new RangeError(`not an instant: ${String(at)}`);
  shanghaiFormat ??= new Intl.DateTimeFormat("en-US-u-ca-gregory-nu-latn", {
    timeZone: "Asia/Shanghai",
    era: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  const parts = shanghaiFormat.formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const year = Number(part("year"));
  if (part("era") !== "AD" || !Number.isInteger(year) || year < FIRST_CIVIL_YEAR || year > LAST_CIVIL_YEAR) {
    throw new RangeError(`instant ${at} is outside years ${FIRST_CIVIL_YEAR}–${LAST_CIVIL_YEAR}`);
  }
  return `${String(year)}-${part("month")}-${part("day")}`;
}
