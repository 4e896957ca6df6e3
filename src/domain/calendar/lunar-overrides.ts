/**
 * Months where the official Chinese calendar differs from the ICU Chinese calendar that Node ships.
 *
 * The truth is the official calendar: GB/T 33661-2017 "Calculation and promulgation of the Chinese
 * calendar", as published by the Purple Mountain Observatory (紫金山天文台) and tabulated by the
 * Hong Kong Observatory for 1901–2100. ICU computes new moons and solar terms with an approximate
 * ephemeris; when one falls within minutes of midnight Beijing time (UTC+8), ICU can put a month's
 * first day, or a leap month, one day or one month off.
 *
 * How this table was made (see docs/decisions/0008-lunar-calendar.md): every day 1900-01-31 …
 * 2100-12-31 was converted by ICU (Node 20.20.2/ICU 78.2, 22.23.3/78.3 and 24.21.0/78.3 agree
 * exactly) and by lunar-typescript 1.8.6 (寿星天文历 algorithm); they disagree in 417 days, always
 * inside the months below, and the months below agree with the independent Reingold–Dershowitz
 * computation (ICU4X's precomputed China data). Each entry is a whole official month; for a
 * date inside it the entry wins over ICU. test/domain/calendar/lunar.test.ts checks the whole range
 * again against lunar-typescript, so a future ICU that changes anything shows up there.
 *
 * An operator who finds another wrong date adds its whole month here (start, length, number, leap),
 * naming the source; a one-off correction of a single special day can also be a `date` rule.
 */
export interface LunarMonthOverride {
  /** First day of the lunar month, as an Asia/Shanghai civil date "YYYY-MM-DD". */
  readonly start: string;
  /** 29 or 30. */
  readonly days: number;
  /** 1 … 12. */
  readonly month: number;
  /** A leap (闰) month carries the number of the month before it. */
  readonly leap: boolean;
  /** What ICU says instead, for the record. */
  readonly icu: string;
}

export const LUNAR_MONTH_OVERRIDES: readonly LunarMonthOverride[] = Object.freeze([
  // 1917 丁巳: the leap month follows the 2nd month, not the 3rd.
  { start: "1917-03-23", days: 29, month: 2, leap: true, icu: "3rd month from 1917-03-23" },
  { start: "1917-04-21", days: 30, month: 3, leap: false, icu: "leap 3rd month from 1917-04-21" },
  // 1922 壬戌: the leap month follows the 5th month, not the 6th.
  { start: "1922-06-25", days: 29, month: 5, leap: true, icu: "6th month from 1922-06-25" },
  { start: "1922-07-24", days: 30, month: 6, leap: false, icu: "leap 6th month from 1922-07-24" },
  // 1954 甲午: Spring Festival is 1954-02-03.
  { start: "1954-02-03", days: 30, month: 1, leap: false, icu: "1st month from 1954-02-04" },
  { start: "1955-02-22", days: 30, month: 2, leap: false, icu: "2nd month from 1955-02-23" },
  // 1987 丁卯: the leap month follows the 6th month (ICU-23274, tc39/test262#4710), so Qixi is
  // 1987-08-30; ICU puts the 7th month a month early (its Qixi: 1987-08-01).
  { start: "1987-07-26", days: 29, month: 6, leap: true, icu: "7th month from 1987-07-26" },
  { start: "1987-08-24", days: 30, month: 7, leap: false, icu: "leap 7th month from 1987-08-24" },
  { start: "1999-01-17", days: 30, month: 12, leap: false, icu: "12th month from 1999-01-18" },
  // 2012 壬辰: new moon 2012-08-17 23:54 Beijing time, so Qixi is 2012-08-23 (ICU: 2012-08-24).
  { start: "2012-08-17", days: 30, month: 7, leap: false, icu: "7th month from 2012-08-18" },
  // 2018 戊戌: new moon 2018-11-08 00:02 Beijing time.
  { start: "2018-10-09", days: 30, month: 9, leap: false, icu: "9th month of 29 days" },
  { start: "2018-11-08", days: 29, month: 10, leap: false, icu: "10th month from 2018-11-07" },
  // 2027 丁未: Spring Festival is 2027-02-06 (new moon 23:56 Beijing time); ICU says 02-07.
  { start: "2027-02-06", days: 30, month: 1, leap: false, icu: "1st month from 2027-02-07" },
  // 2030 庚戌: Spring Festival is 2030-02-03; ICU says 02-02.
  { start: "2030-01-04", days: 30, month: 12, leap: false, icu: "12th month of 29 days" },
  { start: "2030-02-03", days: 29, month: 1, leap: false, icu: "1st month from 2030-02-02" },
  { start: "2070-03-12", days: 30, month: 2, leap: false, icu: "2nd month from 2070-03-13" },
]);
