import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Lunar } from "lunar-typescript";
import { DEFAULT_RULE_SET, type RuleSet } from "../../../src/domain/calendar/rule-set.js";
import { describeSpecialDay, SpecialDayCalendar } from "../../../src/domain/calendar/special-day-calendar.js";
import { limitsAt } from "../../../src/domain/rules.js";

const calendar = new SpecialDayCalendar();
const at = (text: string) => Date.parse(text);
const nameAt = (text: string) => calendar.specialDayAt(at(text))?.name ?? null;

describe("the special-day calendar", () => {
  it("makes Qixi run from 00:00 to 24:00 Asia/Shanghai time", () => {
    assert.equal(nameAt("2021-08-13T23:59:59.999+08:00"), null);
    assert.equal(nameAt("2021-08-14T00:00:00.000+08:00"), "Qixi");
    assert.equal(nameAt("2021-08-14T13:14:00.000+08:00"), "Qixi");
    assert.equal(nameAt("2021-08-14T23:59:59.999+08:00"), "Qixi");
    assert.equal(nameAt("2021-08-15T00:00:00.000+08:00"), null);
    // The same instants written in UTC: Qixi 2021 starts at 2021-08-13T16:00Z.
    assert.equal(nameAt("2021-08-13T15:59:59.999Z"), null);
    assert.equal(nameAt("2021-08-13T16:00:00.000Z"), "Qixi");
    assert.deepEqual(calendar.specialDayAt(at("2021-08-14T12:00:00+08:00")), {
      name: "Qixi",
      date: "2021-08-14",
      caps: { singlePacketMax: 52_000 },
    });
  });

  it("knows 02-14, 05-20 and SPEC's Qixi dates", () => {
    for (const [date, name] of [
      ["2026-02-14", "Valentine's Day"],
      ["2026-05-20", "520"],
      ["2021-08-14", "Qixi"],
      ["2025-08-29", "Qixi"],
      ["2026-08-19", "Qixi"],
      ["2027-08-08", "Qixi"],
      ["2028-02-14", "Valentine's Day"],
    ] as const) {
      assert.equal(nameAt(`${date}T00:00:00+08:00`), name, date);
      assert.equal(nameAt(`${date}T23:59:59.999+08:00`), name, date);
    }
    for (const date of [
      "2026-02-13",
      "2026-02-15",
      "2026-05-19",
      "2026-05-21",
      "2026-08-18",
      "2026-08-20",
      "2026-01-01",
    ]) {
      assert.equal(nameAt(`${date}T12:00:00+08:00`), null, date);
    }
  });

  it("skips the leap 7th month: 2006-08-30 is leap 7/7, not Qixi", () => {
    assert.equal(nameAt("2006-07-31T12:00:00+08:00"), "Qixi");
    assert.equal(nameAt("2006-08-30T12:00:00+08:00"), null);
  });

  it("lists a year's special days in order, Qixi matching the independent library 1990–2060", () => {
    assert.deepEqual(calendar.specialDaysIn(2027), [
      { name: "Valentine's Day", date: "2027-02-14", caps: { singlePacketMax: 52_000 } },
      { name: "520", date: "2027-05-20", caps: { singlePacketMax: 52_000 } },
      { name: "Qixi", date: "2027-08-08", caps: { singlePacketMax: 52_000 } },
    ]);
    for (let year = 1990; year <= 2060; year++) {
      const qixi = calendar.specialDaysIn(year).filter((day) => day.name === "Qixi");
      assert.deepEqual(
        qixi.map((day) => day.date),
        [Lunar.fromYmd(year, 7, 7).getSolar().toYmd()],
        `Qixi ${year}`,
      );
    }
  });

  it("lists the same days that it answers for instants", () => {
    const withExtras = new SpecialDayCalendar({
      ...DEFAULT_RULE_SET,
      specialDays: [
        ...DEFAULT_RULE_SET.specialDays,
        { name: "Spring Festival", kind: "lunar", month: 1, day: 1, caps: { transferMax: 8_888_800 } },
        { name: "Winter 20th", kind: "lunar", month: 11, day: 20, caps: { shareMax: 30_000 } },
        { name: "Leap day", kind: "gregorian", month: 2, day: 29, caps: { shareCountMax: 200 } },
      ],
    });
    for (const year of [2012, 2024, 2027, 2030]) {
      const listed = withExtras.specialDaysIn(year);
      const scanned = [];
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
        const day = withExtras.specialDayAt(t + 12 * 3_600_000);
        if (day !== null) scanned.push(day);
      }
      assert.deepEqual(listed, scanned, String(year));
    }
    assert.deepEqual(
      withExtras.specialDaysIn(2027).map((day) => `${day.date} ${day.name}`),
      [
        "2027-02-06 Spring Festival",
        "2027-02-14 Valentine's Day",
        "2027-05-20 520",
        "2027-08-08 Qixi",
        "2027-12-17 Winter 20th",
      ],
    );
    assert.deepEqual(
      withExtras
        .specialDaysIn(2024)
        .map((day) => day.date)
        .filter((date) => date.startsWith("2024-02-29")),
      ["2024-02-29"],
    );
    assert.equal(
      withExtras.specialDaysIn(2026).find((day) => day.name === "Leap day"),
      undefined,
    );
  });

  it("merges rules that hit the same date: names joined, the larger of each cap", () => {
    const merged = new SpecialDayCalendar({
      ...DEFAULT_RULE_SET,
      specialDays: [
        ...DEFAULT_RULE_SET.specialDays,
        { name: "Launch", kind: "date", date: "2027-08-08", caps: { singlePacketMax: 30_000, transferMax: 6_000_000 } },
        { name: "Qixi", kind: "date", date: "2027-08-08", caps: { singlePacketMax: 99_900 } },
      ],
    });
    const day = merged.specialDayAt(at("2027-08-08T09:00:00+08:00"));
    assert.deepEqual(day, {
      name: "Qixi + Launch",
      date: "2027-08-08",
      caps: { singlePacketMax: 99_900, transferMax: 6_000_000 },
    });
    assert.deepEqual(
      merged.specialDaysIn(2027).filter((d) => d.date === "2027-08-08"),
      [day],
    );
  });

  it("takes an added day at once, and leaves the old calendar as it was", () => {
    const christmas = { name: "Christmas", kind: "gregorian", month: 12, day: 25, caps: { transferMax: 5_200_000 } };
    const added = calendar.withDay(christmas);
    assert.ok(added.ok);
    const next = added.value;
    assert.deepEqual(next.specialDayAt(at("2026-12-25T00:00:00+08:00")), {
      name: "Christmas",
      date: "2026-12-25",
      caps: { transferMax: 5_200_000 },
    });
    assert.equal(next.specialDayAt(at("2026-12-24T23:59:59.999+08:00")), null);
    assert.equal(calendar.specialDayAt(at("2026-12-25T12:00:00+08:00")), null, "the old calendar is unchanged");
    assert.equal(next.ruleSet.specialDays.length, 4);
    const limits = limitsAt(at("2026-12-25T12:00:00+08:00"), next, next.defaults);
    assert.equal(limits.transferMax, 5_200_000);
    assert.equal(limits.singlePacketMax, 20_000);

    const lunarDay = next.withDay({
      name: "Mid-Autumn",
      kind: "lunar",
      month: 8,
      day: 15,
      caps: { singlePacketMax: 80_000 },
    });
    assert.ok(lunarDay.ok);
    assert.equal(lunarDay.value.specialDayAt(at("2026-09-25T20:00:00+08:00"))?.name, "Mid-Autumn");

    const bad = calendar.withDay({ ...christmas, caps: { transferMax: 0 } });
    assert.ok(!bad.ok);
    assert.equal(bad.error.code, "VALIDATION_FAILED");
    assert.match(bad.error.message, /specialDay\.caps\.transferMax must be a positive safe integer/);

    const full: RuleSet = { ...DEFAULT_RULE_SET, specialDays: Array.from({ length: 366 }, () => christmas as never) };
    const tooMany = new SpecialDayCalendar(full).withDay(christmas);
    assert.ok(!tooMany.ok);
    assert.match(tooMany.error.message, /at most 366 special days/);
  });

  it("builds from JSON, refusing a bad document", () => {
    const good = SpecialDayCalendar.fromJson(JSON.parse(JSON.stringify(DEFAULT_RULE_SET)));
    assert.ok(good.ok);
    const bad = SpecialDayCalendar.fromJson({ ...DEFAULT_RULE_SET, version: 2 });
    assert.ok(!bad.ok);
    assert.throws(() => new SpecialDayCalendar({ ...DEFAULT_RULE_SET, version: 2 as 1 }), /version must be 1/);
  });

  it("feeds limitsAt's reasons with the name and local date", () => {
    const qixi = limitsAt(at("2021-08-14T23:30:00+08:00"), calendar);
    assert.equal(qixi.singlePacketMax, 52_000);
    assert.equal(qixi.shareMax, 20_000);
    assert.equal(qixi.transferMax, 5_000_000);
    assert.deepEqual(qixi.specialDay, { name: "Qixi", date: "2021-08-14" });
    assert.deepEqual(qixi.reasons, ["Qixi 2021-08-14: single packet cap 52000 fen"]);
    const day = calendar.specialDayAt(at("2021-08-14T23:30:00+08:00"));
    assert.ok(day !== null);
    assert.deepEqual(describeSpecialDay(day), qixi.reasons);
    assert.deepEqual(
      describeSpecialDay({ name: "A + B", date: "2027-01-01", caps: { shareCountMax: 200, transferMax: 6_000_000 } }),
      ["A + B 2027-01-01: share count cap 200", "A + B 2027-01-01: transfer cap 6000000 fen"],
    );
    const ordinary = limitsAt(at("2021-08-15T00:00:00+08:00"), calendar);
    assert.equal(ordinary.singlePacketMax, 20_000);
    assert.equal(ordinary.specialDay, null);
  });

  it("refuses what is not an instant, a date or a year", () => {
    assert.throws(() => calendar.specialDayAt(Number.NaN), RangeError);
    assert.throws(() => calendar.specialDayOn("2026-02-30"), RangeError);
    assert.throws(() => calendar.specialDaysIn(2026.5), RangeError);
    assert.throws(() => calendar.specialDaysIn(10_000), RangeError);
  });
});
