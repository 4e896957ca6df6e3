import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";

/**
 * The calendar must answer the same whatever TZ the process runs under: it reads Asia/Shanghai
 * dates through Intl, never the local zone. Each child imports the compiled calendar and prints
 * its answers for instants around the boundaries of special days.
 */
const run = promisify(execFile);
const calendarModule = new URL("../../../src/domain/calendar/special-day-calendar.js", import.meta.url).href;
const lunarModule = new URL("../../../src/domain/calendar/lunar.js", import.meta.url).href;

const INSTANTS = [
  "2021-08-13T23:59:59.999+08:00",
  "2021-08-14T00:00:00.000+08:00",
  "2021-08-14T23:59:59.999+08:00",
  "2021-08-15T00:00:00.000+08:00",
  "2026-02-13T23:59:59.999+08:00",
  "2026-02-14T00:00:00.000+08:00",
  "2026-05-20T23:59:59.999+08:00",
  "2026-05-21T00:00:00.000+08:00",
  "2027-08-08T00:00:00.000+08:00",
  "2027-08-07T23:59:59.999+08:00",
  "2012-08-23T00:00:00.000+08:00",
  "2012-08-24T00:00:00.000+08:00",
];

const SCRIPT = `
import { SpecialDayCalendar } from ${JSON.stringify(calendarModule)};
import { gregorianToLunar, lunarToGregorian } from ${JSON.stringify(lunarModule)};
const calendar = new SpecialDayCalendar();
const instants = ${JSON.stringify(INSTANTS)};
const answers = {
  days: instants.map((text) => [text, calendar.specialDayAt(Date.parse(text))]),
  year: calendar.specialDaysIn(2027),
  qixi: [1987, 2006, 2012, 2021, 2025, 2026, 2027].map((year) => lunarToGregorian(year, 7, 7)),
  lunar: ["2027-02-06", "2030-02-02", "2006-08-30"].map((date) => gregorianToLunar(date)),
  localMidnight: new Date(2021, 7, 14).toISOString(),
};
process.stdout.write(JSON.stringify(answers));
`;

async function answersUnder(tz: string): Promise<{ localMidnight: string; [key: string]: unknown }> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", SCRIPT], {
    env: { ...process.env, TZ: tz },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as { localMidnight: string };
}

describe("the calendar under another process time zone", () => {
  it("gives the same answers under TZ=Asia/Shanghai, UTC, America/New_York and Pacific/Kiritimati", async () => {
    const zones = ["Asia/Shanghai", "UTC", "America/New_York", "Pacific/Kiritimati"];
    const all = await Promise.all(zones.map(answersUnder));
    // The children really ran under different zones…
    assert.equal(new Set(all.map((answers) => answers.localMidnight)).size, zones.length);
    const [reference, ...others] = all.map(({ localMidnight: _, ...answers }) => answers);
    // …and the calendar did not notice.
    for (const [i, answers] of others.entries()) assert.deepEqual(answers, reference, zones[i + 1]);
    const days = (reference?.days ?? []) as [string, { name: string } | null][];
    assert.deepEqual(
      days.map(([text, day]) => `${text} ${day?.name ?? "-"}`),
      [
        "2021-08-13T23:59:59.999+08:00 -",
        "2021-08-14T00:00:00.000+08:00 Qixi",
        "2021-08-14T23:59:59.999+08:00 Qixi",
        "2021-08-15T00:00:00.000+08:00 -",
        "2026-02-13T23:59:59.999+08:00 -",
        "2026-02-14T00:00:00.000+08:00 Valentine's Day",
        "2026-05-20T23:59:59.999+08:00 520",
        "2026-05-21T00:00:00.000+08:00 -",
        "2027-08-08T00:00:00.000+08:00 Qixi",
        "2027-08-07T23:59:59.999+08:00 -",
        "2012-08-23T00:00:00.000+08:00 Qixi",
        "2012-08-24T00:00:00.000+08:00 -",
      ],
    );
    assert.deepEqual(reference?.qixi, [
      ["1987-08-30"],
      ["2006-07-31"],
      ["2012-08-23"],
      ["2021-08-14"],
      ["2025-08-29"],
      ["2026-08-19"],
      ["2027-08-08"],
    ]);
  });
});
