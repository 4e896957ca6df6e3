import type { SpecialDayCalendar } from "../domain/calendar/index.js";
import { type Caps, capLabel, isCount } from "../domain/rules.js";

/** One line a special day: date, weekday, name, and each cap it changes. */
export function printCalendar(calendar: SpecialDayCalendar, year: number, print: (line: string) => void): void {
  const days = calendar.specialDaysIn(year);
  print(`Special days in ${year} (Asia/Shanghai, 00:00 to 24:00):`);
  if (days.length === 0) print("  none");
  for (const day of days) {
    const weekday = new Date(`${day.date}T12:00:00Z`).toLocaleDateString("en-GB", {
      weekday: "short",
      timeZone: "UTC",
    });
    const caps = (Object.keys(day.caps) as (keyof Caps)[])
      .map((cap) => `${capLabel(cap)} ${String(day.caps[cap])}${isCount(cap) ? "" : " fen"}`)
      .join(", ");
    print(`  ${day.date} ${weekday}  ${day.name.padEnd(16)} ${caps}`);
  }
  const d = calendar.defaults;
  print(
    `Other days: single packet cap ${d.singlePacketMax} fen, share cap ${d.shareMax} fen, transfer cap ${d.transferMax} fen.`,
  );
}
