import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  DEFAULT_NATURE_TABLES,
  declarationWarnings,
  NATURE_DISCLAIMER,
  type NatureHint,
  type NatureTables,
  natureHints,
  specialNumberOf,
} from "../../src/domain/nature-hints.js";

type Expect = readonly ("gift" | "loan")[];

/**
 * [amount in fen, memo, expected hint natures in order, optional expected reasons].
 * Decisions documented here:
 * - Latin memos match whole words, case-folded: "I love you" is a gift word like 我爱你; "Sloane" is not "loan".
 * - Spaces, punctuation and emoji between characters are ignored ("我 爱 你❤️" is 我爱你).
 * - 还 alone is not a loan word (还好, 还是, 还有 mean "still/also"); 还钱, 还款, 还你, 月底还 … are.
 * - 借 alone is a loan word, except inside 借口, 借鉴, 凭借, 借助, 借记(卡) …
 * - 不用还 ("no need to pay back") is a gift word and cancels the loan word it overlaps (不用还钱).
 * - Negations are not parsed otherwise: "不是借你的" still carries the loan hint 借你.
 */
const CASES: readonly [number, string, Expect, (readonly string[])?][] = [
  // amounts: N fen or N × 100 fen for N in the list
  [520, "", ["gift"], ["5.20 yuan is a special amount (520, 我爱你)"]],
  [52000, "", ["gift"], ["520.00 yuan is a special amount (520, 我爱你)"]],
  [5200, "", []], // 52.00 yuan: not special
  [52001, "", []], // 520.01 yuan: not special
  [52, "", []], // 0.52 yuan
  [521, "", ["gift"]],
  [52100, "", ["gift"]],
  [1314, "", ["gift"], ["13.14 yuan is a special amount (1314, 一生一世)"]],
  [131400, "", ["gift"], ["1314.00 yuan is a special amount (1314, 一生一世)"]],
  [13140, "", []], // 131.40 yuan
  [999, "", ["gift"], ["9.99 yuan is a special amount (999, 长长久久)"]],
  [99900, "", ["gift"]],
  [9999, "", ["gift"]],
  [999900, "", ["gift"], ["9999.00 yuan is a special amount (9999, 长长久久)"]],
  [520100, "", []], // 5201.00 yuan: 5201 is not in the list
  [5201314, "", ["gift"], ["52013.14 yuan is a special amount (5201314, 我爱你一生一世)"]],
  [520131400, "", ["gift"]],
  [1314520, "", ["gift"]],
  [666, "", ["gift"], ["6.66 yuan is a special amount (666, 六六大顺)"]],
  [88800, "", ["gift"], ["888.00 yuan is a special amount (888, 发发发)"]],
  [100, "", []],
  [0, "", []],
  [-52000, "", []],
  [520.5, "", []],
  [Number.NaN, "", []],
  // gift words
  [100, "生日快乐", ["gift"], ['the memo says "生日快乐", a gift word']],
  [100, "节日快乐！", ["gift"]],
  [100, "我 爱 你❤️", ["gift"], ['the memo says "我爱你" (written "我 爱 你"), a gift word']],
  [100, "我❤️爱🧧你", ["gift"]],
  [100, "我愛你", ["gift"], ['the memo says "我爱你" (written "我愛你"), a gift word']],
  [100, "節日快樂", ["gift"]],
  [100, "情人节快乐", ["gift"]],
  [100, "七夕快樂～", ["gift"]],
  [100, "送你的礼物", ["gift", "gift"], ['the memo says "送你", a gift word', 'the memo says "礼物", a gift word']],
  [100, "生日礼物", ["gift"], ['the memo says "生日礼物", a gift word']], // not also 礼物
  [100, "送你回家的车费", []], // a lift home, not a present
  [100, "红包拿去", ["gift"]],
  [100, "生日快乐 生日快乐!!", ["gift"]], // once
  [100, "不用还了", ["gift"]],
  [100, "不用还钱", ["gift"]], // and not 还钱
  [100, "不用还价", []], // no need to haggle
  // loan words
  [100, "借你的", ["loan"], ['the memo says "借你", a loan word']],
  [100, "借给你", ["loan"]],
  [100, "借钱", ["loan"], ['the memo says "借钱", a loan word']], // not also 借
  [100, "借錢", ["loan"], ['the memo says "借钱" (written "借錢"), a loan word']],
  [100, "借 500", ["loan"], ['the memo says "借", a loan word']],
  [100, "借我500，月底还", ["loan", "loan"]],
  [100, "還款", ["loan"]],
  [100, "还钱", ["loan"]],
  [100, "你还我钱", ["loan"]],
  [100, "週轉一下", ["loan"], ['the memo says "周转" (written "週轉"), a loan word']],
  [100, "利息", ["loan"]],
  [100, "先拿著花", ["loan"]],
  [100, "借条", ["loan"]],
  [100, "欠條", ["loan"]],
  [100, "不是借你的", ["loan"]], // negation is not parsed
  // words inside other words
  [100, "别找借口", []],
  [100, "借鉴一下", []],
  [100, "借鑑", []],
  [100, "凭借你的努力", []],
  [100, "借助", []],
  [100, "借记卡", []],
  [100, "还好", []],
  [100, "还是你好", []],
  [100, "还有一件事", []],
  [100, "还钱包", []], // returning a wallet
  [100, "晚饭钱", []],
  // mixed, and amount with memo
  [100, "借你的，不用还", ["loan", "gift"]],
  [52000, "我爱你，借你的", ["gift", "gift", "loan"]],
  [131400, "还钱", ["gift", "loan"]],
  // whitespace, Latin text
  [100, "   ", []],
  [100, "\n\t", []],
  [100, "I love you", ["gift"], ['the memo says "i love you" (written "I love you"), a gift word']],
  [100, "i LOVE   you!!", ["gift"]],
  [100, "love you", ["gift"]],
  [100, "Happy Valentine's Day", ["gift"]],
  [100, "loan for rent", ["loan"]],
  [100, "ＬＯＡＮ", ["loan"]], // full-width
  [100, "Sloane", []],
  [100, "loans", []], // whole words only
  [100, "lovely", []],
];

describe("nature hints", () => {
  it("has at least 45 cases", () => assert.ok(CASES.length >= 45));

  for (const [amount, memo, natures, reasons] of CASES) {
    it(`${amount} fen, ${JSON.stringify(memo)} → [${natures.join(", ")}]`, () => {
      const hints = natureHints(amount, memo);
      assert.deepEqual(
        hints.map((hint) => hint.nature),
        natures,
        JSON.stringify(hints),
      );
      for (const reason of reasons ?? []) {
        assert.ok(
          hints.some((hint) => hint.reason === reason),
          `${JSON.stringify(reason)} not in ${JSON.stringify(hints)}`,
        );
      }
    });
  }

  it("finds every default word as a memo on its own, quoting the word", () => {
    const tables = DEFAULT_NATURE_TABLES;
    for (const [nature, words] of [
      ["gift", tables.giftWords],
      ["loan", tables.loanWords],
    ] as const) {
      for (const word of words) {
        const hints = natureHints(1, word);
        assert.ok(
          hints.some((hint) => hint.nature === nature && hint.reason === `the memo says "${word}", a ${nature} word`),
          `${word}: ${JSON.stringify(hints)}`,
        );
      }
    }
  });

  it("keeps the traditional-character table one character to one different character", () => {
    for (const [from, to] of Object.entries(DEFAULT_NATURE_TABLES.traditionalToSimplified)) {
      assert.equal([...from].length, 1);
      assert.equal([...to].length, 1);
      assert.notEqual(from, to);
    }
  });

  it("takes its tables as data", () => {
    const tables: NatureTables = {
      ...DEFAULT_NATURE_TABLES,
      specialNumbers: [52],
      specialMeanings: {},
      giftWords: ["謝謝", "Thank You"],
      loanWords: ["还"],
    };
    assert.deepEqual(natureHints(5200, "", tables), [
      { nature: "gift", reason: "52.00 yuan is a special amount (52)" },
    ]);
    assert.deepEqual(natureHints(52000, "", tables), []);
    assert.deepEqual(natureHints(1, "谢谢你", tables), [
      { nature: "gift", reason: 'the memo says "谢谢", a gift word' },
    ]);
    assert.deepEqual(
      natureHints(1, "thank  you!", tables).map((hint) => hint.reason),
      ['the memo says "thank you", a gift word'],
    );
    // With 还 listed on its own, the default exclusions still keep "still/also" out.
    assert.deepEqual(natureHints(1, "还好", tables), []);
    assert.deepEqual(natureHints(1, "还是", tables), []);
    assert.deepEqual(
      natureHints(1, "下周还", tables).map((hint) => hint.nature),
      ["loan"],
    );
    // Empty or unusable entries are ignored, never looped on.
    const odd: NatureTables = {
      ...DEFAULT_NATURE_TABLES,
      specialNumbers: [0, -5, 1.5, Number.NaN],
      giftWords: ["", "   ", "❤️"],
      loanWords: [],
    };
    assert.deepEqual(natureHints(0, "❤️ 借钱", odd), []);
    assert.equal(specialNumberOf(150, odd), undefined);
  });

  it("never throws, is deterministic, and never repeats a hint", () => {
    const memo = fc.oneof(
      fc.string({ unit: "binary", maxLength: 1000 }),
      fc.string({ unit: "grapheme", maxLength: 200 }),
      fc
        .array(fc.constantFrom("借", "还", "钱", "我", "爱", "你", "送", "口", " ", "❤️", "I", "love", "you", "不用"), {
          maxLength: 300,
        })
        .map((parts) => parts.join("")),
    );
    const amount = fc.oneof(
      fc.integer({ min: -1e12, max: 1e12 }),
      fc.double(),
      fc.constantFrom(...DEFAULT_NATURE_TABLES.specialNumbers.flatMap((n) => [n, n * 100])),
    );
    fc.assert(
      fc.property(amount, memo, (fen, text) => {
        const hints = natureHints(fen, text);
        assert.deepEqual(natureHints(fen, text), hints);
        assert.equal(new Set(hints.map((hint) => `${hint.nature}:${hint.reason}`)).size, hints.length);
        for (const hint of hints) assert.ok(hint.nature === "gift" || hint.nature === "loan");
        const amountHint = hints.some((hint) => hint.reason.includes("special amount"));
        assert.equal(amountHint, specialNumberOf(fen) !== undefined);
      }),
    );
  });

  it("reads a gift or loan word through any spaces, punctuation or emoji between its characters", () => {
    const separator = fc.array(fc.constantFrom(" ", "❤️", "，", "！", "🧧", "\u200d", "\u3000", "."), { maxLength: 3 });
    const cjk = (words: readonly string[]) => words.filter((word) => !/[a-z]/.test(word));
    const word = fc.oneof(
      fc.constantFrom(...cjk(DEFAULT_NATURE_TABLES.giftWords)).map((w) => ["gift", w] as const),
      fc.constantFrom(...cjk(DEFAULT_NATURE_TABLES.loanWords)).map((w) => ["loan", w] as const),
    );
    fc.assert(
      fc.property(word, fc.array(separator, { minLength: 8, maxLength: 8 }), ([nature, w], seps) => {
        const memo = [...w].map((ch, i) => ch + (seps[i] ?? []).join("")).join("");
        assert.ok(
          natureHints(1, memo).some((hint) => hint.nature === nature),
          memo,
        );
      }),
    );
  });

  it("keeps work bounded on long, repetitive memos", () => {
    const memos = [
      "借".repeat(1000),
      "还钱".repeat(500),
      "借口借钱".repeat(250),
      "我 爱 你 ".repeat(170),
      "love you ".repeat(110),
      "a".repeat(1000),
    ];
    for (const memo of memos) {
      const started = performance.now();
      const hints = natureHints(52000, memo);
      assert.ok(performance.now() - started < 500, `${memo.slice(0, 10)}… took too long`);
      assert.ok(hints.length <= 3, JSON.stringify(hints));
    }
  });
});

describe("declaration warnings", () => {
  const gift: NatureHint[] = natureHints(52000, "");
  const loan: NatureHint[] = natureHints(100, "借钱");
  const both: NatureHint[] = natureHints(52000, "借钱");

  it("warns when a declared loan or repayment looks like a gift, and never changes the declaration", () => {
    assert.deepEqual(declarationWarnings("loan", gift), [
      "declared as a loan, but a court may read this as a gift: 520.00 yuan is a special amount (520, 我爱你)",
    ]);
    assert.equal(declarationWarnings("repayment", gift).length, 1);
    assert.match(declarationWarnings("repayment", both)[0] ?? "", /^declared as a repayment, but a court may read/);
    assert.deepEqual(declarationWarnings("loan", loan), []);
    assert.deepEqual(declarationWarnings("repayment", loan), []);
  });

  it("warns when a declared gift looks like a loan", () => {
    assert.deepEqual(declarationWarnings("gift", loan), [
      'declared as a gift, but a court may read this as a loan: the memo says "借钱", a loan word',
    ]);
    assert.equal(declarationWarnings("gift", both).length, 1);
    assert.deepEqual(declarationWarnings("gift", gift), []);
  });

  it("calls an undeclared transfer with both kinds of hints ambiguous", () => {
    const [warning, ...rest] = declarationWarnings("unspecified", both);
    assert.deepEqual(rest, []);
    assert.match(warning ?? "", /^the record is ambiguous: gift hints \(520\.00 yuan .*\) and loan hints \(.*借钱.*\)/);
    assert.deepEqual(declarationWarnings("unspecified", gift), []);
    assert.deepEqual(declarationWarnings("unspecified", loan), []);
    assert.deepEqual(declarationWarnings("unspecified", []), []);
    assert.deepEqual(declarationWarnings("gift", []), []);
  });

  it("says the hints are not legal advice", () => {
    assert.match(NATURE_DISCLAIMER, /not legal advice/);
  });
});
