import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Lunar, LunarMonth, LunarYear, Solar } from "lunar-typescript";
import {
  formatLunarDate,
  gregorianToLunar,
  icuLunarDateOf,
  type LunarDate,
  lunarToGregorian,
  overrideFor,
} from "../../../src/domain/calendar/lunar.js";
import { LUNAR_MONTH_OVERRIDES } from "../../../src/domain/calendar/lunar-overrides.js";

/**
 * The independent reference: lunar-typescript (6tail, 寿星天文历 algorithm by 许剑伟), a dev
 * dependency only. It agrees with the Reingold–Dershowitz computation wherever ICU does not
 * (docs/decisions/0008-lunar-calendar.md).
 */
function reference(date: string): LunarDate {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const lunar = Solar.fromYmd(y, m, d).getLunar();
  return { month: Math.abs(lunar.getMonth()), day: lunar.getDay(), leap: lunar.getMonth() < 0 };
}

function referenceQixi(year: number): string {
  return Lunar.fromYmd(year, 7, 7).getSolar().toYmd();
}

const iso = (epochDay: number) => new Date(epochDay * 86_400_000).toISOString().slice(0, 10);
const epochDay = (date: string) => Date.parse(`${date}T00:00:00Z`) / 86_400_000;
const show = (lunar: LunarDate) => `${lunar.leap ? "L" : ""}${lunar.month}/${lunar.day}`;

describe("lunar dates", () => {
  it("agree with the official calendar on every day 1900-01-31 … 2100-12-31", () => {
    const wrong: string[] = [];
    for (let day = epochDay("1900-01-31"); day <= epochDay("2100-12-31"); day++) {
      const date = iso(day);
      const ours = show(gregorianToLunar(date));
      const theirs = show(reference(date));
      if (ours !== theirs) wrong.push(`${date}: ours ${ours}, official ${theirs}`);
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} days differ`);
  });

  it("need the override table only where ICU is wrong, and the table is right there", () => {
    let corrected = 0;
    for (const entry of LUNAR_MONTH_OVERRIDES) {
      assert.ok(entry.days === 29 || entry.days === 30, entry.start);
      const first = Solar.fromYmd(...(entry.start.split("-").map(Number) as [number, number, number])).getLunar();
      assert.equal(first.getDay(), 1, `${entry.start} starts a month`);
      assert.equal(Math.abs(first.getMonth()), entry.month, entry.start);
      assert.equal(first.getMonth() < 0, entry.leap, entry.start);
      assert.equal(LunarMonth.fromYm(first.getYear(), first.getMonth())?.getDayCount(), entry.days, entry.start);
      for (let day = epochDay(entry.start); day < epochDay(entry.start) + entry.days; day++) {
        if (show(icuLunarDateOf(iso(day))) !== show(reference(iso(day)))) corrected++;
      }
    }
    // On Node 20.20 (ICU 78.2), 22.23 and 24.21 (ICU 78.3) ICU is wrong on 417 of these days. A newer
    // ICU that fixes some of them makes this smaller, never larger (the whole-range test above holds).
    assert.ok(corrected > 0 && corrected <= 417, `ICU is wrong on ${corrected} overridden days`);
    const starts = LUNAR_MONTH_OVERRIDES.map((entry) => entry.start);
    assert.deepEqual(starts, [...starts].sort(), "overrides are sorted and do not overlap");
  });

  it("put Qixi where the official calendar does, 1990–2060, and on SPEC's dates", () => {
    for (let year = 1990; year <= 2060; year++) {
      assert.deepEqual(lunarToGregorian(year, 7, 7), [referenceQixi(year)], `Qixi ${year}`);
    }
    assert.deepEqual(lunarToGregorian(2021, 7, 7), ["2021-08-14"]);
    assert.deepEqual(lunarToGregorian(2025, 7, 7), ["2025-08-29"]);
    assert.deepEqual(lunarToGregorian(2026, 7, 7), ["2026-08-19"]);
    assert.deepEqual(lunarToGregorian(2027, 7, 7), ["2027-08-08"]);
  });

  it("count only the regular 7th month in years with a leap 7th month", () => {
    const leapSeventh = [];
    for (let year = 1900; year <= 2100; year++)
      if (LunarYear.fromYear(year).getLeapMonth() === 7) leapSeventh.push(year);
    assert.deepEqual(leapSeventh, [1919, 1938, 1949, 1968, 2006, 2044, 2063, 2082]);
    for (const year of leapSeventh) {
      const qixi = lunarToGregorian(year, 7, 7);
      assert.deepEqual(qixi, [referenceQixi(year)], `Qixi ${year}`);
      const leapQixi = Lunar.fromYmd(year, -7, 7).getSolar().toYmd();
      assert.deepEqual(gregorianToLunar(leapQixi), { month: 7, day: 7, leap: true }, `leap 7/7 of ${year}`);
    }
    assert.deepEqual(lunarToGregorian(2006, 7, 7), ["2006-07-31"]);
    assert.deepEqual(gregorianToLunar("2006-08-30"), { month: 7, day: 7, leap: true });
  });

  it("correct the Qixi ICU gets wrong: 1987 and 2012", () => {
    assert.deepEqual(
      icuLunarDateOf("1987-08-01"),
      { month: 7, day: 7, leap: false },
      "ICU's 1987 (if this fails, ICU was fixed)",
    );
    assert.deepEqual(lunarToGregorian(1987, 7, 7), ["1987-08-30"]);
    assert.deepEqual(gregorianToLunar("1987-08-01"), { month: 6, day: 7, leap: true });
    assert.deepEqual(lunarToGregorian(2012, 7, 7), ["2012-08-23"]);
    assert.deepEqual(lunarToGregorian(2027, 1, 1), ["2027-02-06"], "Spring Festival 2027");
    assert.equal(overrideFor("2012-08-23")?.start, "2012-08-17");
    assert.equal(overrideFor("2021-08-14"), undefined);
    assert.equal(formatLunarDate(gregorianToLunar("1987-08-01")), "leap 6/7");
  });

  it("find no date for a 30th day in a 29-day month, and two for an 11th month straddling New Year", () => {
    // The 7th month of 2026 has 29 days (2026-08-13 … 2026-09-10); that of 2021 has 30.
    assert.equal(LunarMonth.fromYm(2026, 7)?.getDayCount(), 29);
    assert.deepEqual(lunarToGregorian(2026, 7, 30), []);
    assert.deepEqual(lunarToGregorian(2026, 7, 29), ["2026-09-10"]);
    assert.deepEqual(lunarToGregorian(2021, 7, 30), ["2021-09-06"]);
    const twice = [];
    for (let year = 1990; year <= 2060; year++) {
      const dates = lunarToGregorian(year, 11, 20);
      if (dates.length === 2) twice.push(year);
      for (const date of dates) assert.deepEqual(reference(date), { month: 11, day: 20, leap: false }, date);
    }
    assert.ok(twice.length > 0, "some years have lunar 11/20 both in January and in December");
  });

  it("refuse what is not a date", () => {
    assert.throws(() => gregorianToLunar("2026-02-29"), RangeError);
    assert.throws(() => gregorianToLunar("2026-8-19"), RangeError);
    assert.throws(() => lunarToGregorian(2026, 13, 1), RangeError);
    assert.throws(() => lunarToGregorian(2026, 7, 31), RangeError);
    assert.throws(() => lunarToGregorian(2026.5, 7, 7), RangeError);
  });
});
