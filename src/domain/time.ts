/** Instants are milliseconds since the Unix epoch; the service speaks Asia/Shanghai time. */
export type Instant = number;

export const SECOND_MS = 1000;
export const HOUR_MS = 3600 * SECOND_MS;
export const DAY_MS = 24 * HOUR_MS;

/** China has kept UTC+8 without daylight saving since 1992; any instant may be written with it. */
const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;

/** "2021-08-14T13:14:00.000+08:00" */
export function formatInstant(at: Instant): string {
  return `${new Date(at + SHANGHAI_OFFSET_MS).toISOString().slice(0, 23)}+08:00`;
}

/** ISO 8601 with an explicit offset or Z. Returns undefined for anything else. */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseInstant(text: string): Instant | undefined {
  // Date.parse rolls 2026-02-30 over to March; a date that does not exist is refused instead.
  if (!ISO_WITH_OFFSET.test(text) || !isCalendarDate(text.slice(0, 10))) return undefined;
  const [hours, minutes, seconds] = [
    Number(text.slice(11, 13)),
    Number(text.slice(14, 16)),
    Number(text.slice(17, 19) || "0"),
  ];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date "YYYY-MM-DD" that exists (no 02-30). */
export function isCalendarDate(text: string): boolean {
  const match = CALENDAR_DATE.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
