import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RULE_SET, parseRuleSet, parseSpecialDayRule } from "../../../src/domain/calendar/rule-set.js";
import { DEFAULT_RULES } from "../../../src/domain/rules.js";

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
type Doc = Record<string, unknown> & { defaults: Record<string, unknown>; specialDays: Record<string, unknown>[] };
const doc = (): Doc => clone(DEFAULT_RULE_SET) as unknown as Doc;

function problemsOf(json: unknown): { message: string; problems: string[] } {
  const result = parseRuleSet(json);
  assert.ok(!result.ok, "expected the document to be refused");
  assert.equal(result.error.code, "VALIDATION_FAILED");
  return { message: result.error.message, problems: result.error.details?.problems as string[] };
}

describe("the rules document", () => {
  it("holds SPEC's defaults: 20 000 fen, 52 000 on 02-14, 05-20 and Qixi, other caps unchanged", () => {
    assert.deepEqual(DEFAULT_RULE_SET.defaults, DEFAULT_RULES);
    assert.equal(DEFAULT_RULE_SET.defaults.singlePacketMax, 20_000);
    assert.deepEqual(
      DEFAULT_RULE_SET.specialDays.map((rule) => [rule.name, rule.kind, rule.caps]),
      [
        ["Valentine's Day", "gregorian", { singlePacketMax: 52_000 }],
        ["520", "gregorian", { singlePacketMax: 52_000 }],
        ["Qixi", "lunar", { singlePacketMax: 52_000 }],
      ],
    );
    assert.ok(Object.isFrozen(DEFAULT_RULE_SET.specialDays[0]?.caps));
  });

  it("reads back what it writes", () => {
    const parsed = parseRuleSet(JSON.parse(JSON.stringify(DEFAULT_RULE_SET)));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value, DEFAULT_RULE_SET);
    const withDate = doc();
    withDate.specialDays.push({
      name: "New Year 2027",
      kind: "date",
      date: "2027-01-01",
      caps: { transferMax: 9_999_900 },
    });
    withDate.specialDays.push({ name: "Leap day", kind: "gregorian", month: 2, day: 29, caps: { shareCountMax: 200 } });
    const again = parseRuleSet(withDate);
    assert.ok(again.ok, again.ok ? "" : again.error.message);
    assert.equal(again.value.specialDays.length, 5);
  });

  it("does not keep a reference to the document it was given", () => {
    const input = doc();
    const parsed = parseRuleSet(input);
    assert.ok(parsed.ok);
    (input.specialDays[0]?.caps as Record<string, number>).singlePacketMax = 1;
    assert.equal(parsed.value.specialDays[0]?.caps.singlePacketMax, 52_000);
  });

  it("refuses bad documents and says where and why", () => {
    const cases: [string, (d: Doc) => unknown, RegExp][] = [
      ["not an object", () => [], /^the rule set must be an object/],
      ["wrong version", (d) => ({ ...d, version: 2 }), /^version must be 1 .*got 2$/],
      ["wrong zone", (d) => ({ ...d, timeZone: "UTC" }), /^timeZone must be "Asia\/Shanghai".*got "UTC"$/],
      ["unknown field", (d) => ({ ...d, extra: true }), /^rule set\.extra is not a known field/],
      [
        "missing default",
        (d) => ({ ...d, defaults: { ...d.defaults, transferMax: undefined } }),
        /^defaults\.transferMax must be a positive safe integer \(fen\), got nothing$/,
      ],
      [
        "zero default",
        (d) => ({ ...d, defaults: { ...d.defaults, memoLengthMax: 0 } }),
        /^defaults\.memoLengthMax must be a positive safe integer \(count\), got 0$/,
      ],
      [
        "max under min",
        (d) => ({ ...d, defaults: { ...d.defaults, transferMin: 10, transferMax: 5 } }),
        /^defaults\.transferMax \(5\) must not be under defaults\.transferMin \(10\)$/,
      ],
      ["not a list", (d) => ({ ...d, specialDays: {} }), /^specialDays must be an array/],
      [
        "unknown kind",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], kind: "weekly" }] }),
        /^specialDays\[0\]\.kind must be "gregorian", "lunar" or "date", got "weekly"$/,
      ],
      [
        "02-30",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], day: 30 }] }),
        /^specialDays\[0\]\.day must be an integer 1 … 29, got 30$/,
      ],
      [
        "month 13",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[2], month: 13 }] }),
        /^specialDays\[0\]\.month must be an integer 1 … 12, got 13$/,
      ],
      [
        "lunar day 31",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[2], day: 31 }] }),
        /^specialDays\[0\]\.day must be an integer 1 … 30, got 31$/,
      ],
      [
        "bad date",
        (d) => ({ ...d, specialDays: [{ name: "x", kind: "date", date: "2027-02-29", caps: { shareMax: 1 } }] }),
        /^specialDays\[0\]\.date must be a real date "YYYY-MM-DD", got "2027-02-29"$/,
      ],
      [
        "date rule with a month",
        (d) => ({
          ...d,
          specialDays: [{ name: "x", kind: "date", date: "2027-01-01", month: 1, caps: { shareMax: 1 } }],
        }),
        /^specialDays\[0\]\.month is not a known field/,
      ],
      [
        "long name",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], name: "七".repeat(51) }] }),
        /^specialDays\[0\]\.name must be 1 … 50 characters.*\(51 characters\)$/,
      ],
      [
        "empty name",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], name: " " }] }),
        /^specialDays\[0\]\.name must be 1 … 50 characters/,
      ],
      [
        "control character",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], name: "a\nb" }] }),
        /^specialDays\[0\]\.name must be/,
      ],
      [
        "no caps",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], caps: {} }] }),
        /^specialDays\[0\]\.caps must be an object setting at least one of singlePacketMax/,
      ],
      [
        "unknown cap",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], caps: { memoLengthMax: 5 } }] }),
        /^specialDays\[0\]\.caps\.memoLengthMax is not a known field/,
      ],
      [
        "negative cap",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], caps: { singlePacketMax: -5 } }] }),
        /^specialDays\[0\]\.caps\.singlePacketMax must be a positive safe integer \(fen\), got -5$/,
      ],
      [
        "fractional cap",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], caps: { shareCountMax: 1.5 } }] }),
        /^specialDays\[0\]\.caps\.shareCountMax must be a positive safe integer \(count\), got 1\.5$/,
      ],
      [
        "unsafe cap",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], caps: { transferMax: 2 ** 53 } }] }),
        /transferMax must be a positive safe integer/,
      ],
      [
        "string cap",
        (d) => ({ ...d, specialDays: [{ ...d.specialDays[0], caps: { transferMax: "52000" } }] }),
        /got "52000"$/,
      ],
      [
        "cap under the minimum",
        (d) => ({
          ...d,
          defaults: { ...d.defaults, shareMin: 100 },
          specialDays: [{ ...d.specialDays[0], caps: { shareMax: 50 } }],
        }),
        /^specialDays\[0\]\.caps\.shareMax \(50\) must not be under defaults\.shareMin \(100\)$/,
      ],
      [
        "too many days",
        (d) => ({ ...d, specialDays: Array.from({ length: 367 }, () => d.specialDays[0]) }),
        /^specialDays may hold at most 366 special days, got 367$/,
      ],
    ];
    for (const [what, make, expected] of cases) {
      const { message, problems } = problemsOf(make(doc()));
      assert.match(problems[0] ?? "", expected, what);
      assert.ok(message.startsWith(`invalid rule set: ${problems[0]}`), `${what}: ${message}`);
    }
    assert.ok(
      parseRuleSet({ ...doc(), specialDays: Array.from({ length: 366 }, () => doc().specialDays[0]) }).ok,
      "366 is allowed",
    );
  });

  it("lists every problem, up to twenty", () => {
    const { message, problems } = problemsOf({
      version: 0,
      timeZone: 8,
      defaults: {},
      specialDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    });
    assert.equal(problems.length, 20);
    assert.match(message, /^invalid rule set: version must be 1 .* \(and 23 more\)$/);
  });

  it("reads one special day on its own, for the admin API", () => {
    const rule = parseSpecialDayRule({
      name: "Double 11",
      kind: "gregorian",
      month: 11,
      day: 11,
      caps: { singlePacketMax: 111_100 },
    });
    assert.ok(rule.ok);
    assert.deepEqual(rule.value, {
      name: "Double 11",
      kind: "gregorian",
      month: 11,
      day: 11,
      caps: { singlePacketMax: 111_100 },
    });
    const bad = parseSpecialDayRule({
      name: "Double 11",
      kind: "gregorian",
      month: 11,
      day: 31,
      caps: { singlePacketMax: 111_100 },
    });
    assert.ok(!bad.ok);
    assert.equal(bad.error.message, "invalid special day: specialDay.day must be an integer 1 … 30, got 31");
  });
});
