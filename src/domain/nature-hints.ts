/**
 * How a transfer is likely to be read (SPEC "Nature of a transfer (gift or loan)"): hints from
 * the amount and the memo, and warnings when a declaration contradicts them. Pure and
 * table-driven: every word, number and character mapping is data the caller may replace.
 *
 * Matching, in short:
 * - A special amount is N × 100 fen (N yuan) or N fen (N/100 yuan) for N in `specialNumbers`.
 * - The memo is folded before matching: NFKC (full-width → half-width), lower case, traditional →
 *   simplified through `traditionalToSimplified` (only the characters listed there), and then
 *   everything that is not a letter or a digit (spaces, punctuation, emoji, variation selectors)
 *   is dropped, so "我 爱 你❤️" reads as 我爱你.
 * - Table words made only of Latin letters and digits ("i love you", "loan") match whole words
 *   of the memo instead (case-folded, punctuation as a separator, apostrophes dropped), so
 *   "Sloane" is not "loan".
 * - A word found where an exclusion phrase of its own nature overlaps it does not count: 借 in
 *   借口 (excuse) or 凭借 (relying on), 送你 in 送你回家 (a lift home), 还钱 in 不用还钱.
 * - A word found inside a longer word that was also found says nothing more: 借钱 reports 借钱,
 *   not also 借.
 * Work is linear in the memo for a fixed table (one indexOf scan per table entry, prefix sums for
 * exclusions and containment).
 */
import { type Fen, formatYuan } from "./money.js";
import type { Nature } from "./transfer.js";

/** Same shape as the wire's `natureHints` items (src/api/views.ts). */
export interface NatureHint {
  readonly nature: "gift" | "loan";
  readonly reason: string;
}

export interface NatureTables {
  /** N such that N yuan (N × 100 fen) and N fen are special amounts; positive integers. */
  readonly specialNumbers: readonly number[];
  /** What a special number says, quoted in the reason; a number without a meaning is still special. */
  readonly specialMeanings: Readonly<Record<number, string>>;
  /** Memo words that hint at a gift. Simplified or traditional, any case; folded like the memo. */
  readonly giftWords: readonly string[];
  /** Memo words that hint at a loan (or its repayment). */
  readonly loanWords: readonly string[];
  /** Phrases that, where they overlap a gift word, cancel it (送你回家 is a lift, not a gift). */
  readonly giftExclusions: readonly string[];
  /** Phrases that, where they overlap a loan word, cancel it (借口 is an excuse, not a loan). */
  readonly loanExclusions: readonly string[];
  /** Traditional → simplified, one character to one character, for the characters of the tables. */
  readonly traditionalToSimplified: Readonly<Record<string, string>>;
}

/** Said with any hints: hints and evidence, not a verdict. */
export const NATURE_DISCLAIMER =
  "These hints only describe how a transfer might be read and are kept as evidence; they are not legal advice, and only a court decides whether a transfer was a gift or a loan.";

const SPECIAL_MEANINGS: Readonly<Record<number, string>> = {
  520: "我爱你",
  521: "我爱你",
  1314: "一生一世",
  999: "长长久久",
  9999: "长长久久",
  5201314: "我爱你一生一世",
  1314520: "一生一世我爱你",
  666: "六六大顺",
  888: "发发发",
};

const TRADITIONAL_TO_SIMPLIFIED: Readonly<Record<string, string>> = {
  節: "节",
  樂: "乐",
  愛: "爱",
  禮: "礼",
  紅: "红",
  歲: "岁",
  聖: "圣",
  誕: "诞",
  親: "亲",
  兒: "儿",
  師: "师",
  給: "给",
  壓: "压",
  錢: "钱",
  隨: "随",
  賀: "贺",
  結: "结",
  發: "发",
  財: "财",
  還: "还",
  無: "无",
  須: "须",
  條: "条",
  據: "据",
  債: "债",
  賬: "账",
  帳: "账",
  貸: "贷",
  歸: "归",
  償: "偿",
  著: "着",
  週: "周",
  轉: "转",
  個: "个",
  資: "资",
  鑒: "鉴",
  鑑: "鉴",
  憑: "凭",
  題: "题",
  揮: "挥",
  獻: "献",
  東: "东",
  風: "风",
  屍: "尸",
  勢: "势",
  記: "记",
  價: "价",
  們: "们",
  過: "过",
  這: "这",
  為: "为",
  爲: "为",
  會: "会",
  時: "时",
  長: "长",
  見: "见",
  現: "现",
  後: "后",
  別: "别",
  歡: "欢",
  萬: "万",
  壽: "寿",
  順: "顺",
  慶: "庆",
  雙: "双",
  說: "说",
  話: "话",
  謝: "谢",
  對: "对",
  來: "来",
  幫: "帮",
  買: "买",
  賣: "卖",
  裡: "里",
  裏: "里",
  讓: "让",
  點: "点",
  邊: "边",
  開: "开",
  關: "关",
  號: "号",
  張: "张",
  寫: "写",
  處: "处",
  頭: "头",
};

export const DEFAULT_NATURE_TABLES: NatureTables = {
  // SPEC: 520, 521, 1314, 999, 9999, 5201314, 1314520; and 666 (六六大顺) and 888 (发发发), the
  // two luck numbers most often sent as a gift red packet (6.66, 8.88, 666.00, 888.00 yuan).
  // Not 52 or 5200: SPEC says 52.00 yuan is not special.
  specialNumbers: [520, 521, 1314, 999, 9999, 5201314, 1314520, 666, 888],
  specialMeanings: SPECIAL_MEANINGS,
  giftWords: [
    "节日快乐",
    "生日快乐",
    "我爱你",
    "情人节快乐",
    "七夕快乐",
    "新年快乐",
    "春节快乐",
    "中秋快乐",
    "圣诞快乐",
    "元旦快乐",
    "母亲节快乐",
    "父亲节快乐",
    "教师节快乐",
    "儿童节快乐",
    "新婚快乐",
    "百年好合",
    "恭喜发财",
    "送你",
    "送给你",
    "礼物",
    "生日礼物",
    "贺礼",
    "礼金",
    "随礼",
    "份子钱",
    "压岁钱",
    "红包拿去",
    "不用还",
    "不必还",
    "无需还",
    "不需要还",
    "不用你还",
    "i love you",
    "love you",
    "happy birthday",
    "happy new year",
    "happy valentines day",
    "merry christmas",
    "gift",
  ],
  loanWords: [
    "借",
    "借你",
    "借给",
    "借我",
    "借款",
    "借钱",
    "借贷",
    "借条",
    "借据",
    "欠条",
    "欠款",
    "欠你",
    "还款",
    "还钱",
    "还你",
    "还给",
    "还我",
    "还清",
    "还债",
    "还账",
    "还贷",
    "归还",
    "偿还",
    "月底还",
    "下月还",
    "下个月还",
    "发工资还",
    "先拿着花",
    "周转",
    "利息",
    "loan",
    "lend",
    "lent",
    "borrow",
    "borrowed",
    "repay",
    "repayment",
    "pay back",
    "pay me back",
    "iou",
  ],
  giftExclusions: [
    // 送你 as "see you off / give you a lift", not a present
    "送你回",
    "送你去",
    "送你到",
    "送你上",
    "送你走",
    // 不用还价: no need to haggle
    "还价",
  ],
  loanExclusions: [
    // 借 in words that are not about lending
    "借口",
    "借鉴",
    "凭借",
    "借助",
    "借此",
    "借光",
    "借故",
    "借势",
    "借记",
    "假借",
    "借题发挥",
    "借花献佛",
    "借东风",
    "借尸还魂",
    // 还 as "still / also", for tables that list 还 on its own
    "还好",
    "还是",
    "还有",
    "还要",
    "还在",
    "还没",
    "还会",
    "还可以",
    // returning a wallet is not repaying money
    "还钱包",
    // "no need to pay back": a gift word, not a loan word
    "不用还",
    "不必还",
    "无需还",
    "不需要还",
    "不用你还",
  ],
  traditionalToSimplified: TRADITIONAL_TO_SIMPLIFIED,
};

/** The special number behind an amount, or undefined. */
export function specialNumberOf(amount: Fen, tables: NatureTables = DEFAULT_NATURE_TABLES): number | undefined {
  if (!Number.isSafeInteger(amount) || amount <= 0) return undefined;
  for (const n of tables.specialNumbers) {
    if (!Number.isSafeInteger(n) || n <= 0) continue;
    if (amount === n * 100 || amount === n) return n;
  }
  return undefined;
}

export function natureHints(amount: Fen, memo: string, tables: NatureTables = DEFAULT_NATURE_TABLES): NatureHint[] {
  const hints: NatureHint[] = [];
  const special = specialNumberOf(amount, tables);
  if (special !== undefined) {
    const meaning = Object.hasOwn(tables.specialMeanings, special) ? tables.specialMeanings[special] : undefined;
    const what = meaning ? `${special}, ${meaning}` : `${special}`;
    hints.push({ nature: "gift", reason: `${formatYuan(amount)} yuan is a special amount (${what})` });
  }
  if (typeof memo !== "string" || memo.length === 0) return hints;
  const t2s = charMap(tables.traditionalToSimplified);
  const folded = foldMemo(memo, t2s);
  const patterns = compilePatterns(tables, t2s);
  const found = [
    ...matchIn(folded.compact, folded.compactOrigin, patterns.compact, 0),
    ...matchIn(folded.words, folded.wordsOrigin, patterns.words, 1),
  ];
  found.sort(
    (a, b) =>
      a.from - b.from ||
      b.to - a.to ||
      a.haystack - b.haystack ||
      (a.nature === b.nature ? 0 : a.nature === "gift" ? -1 : 1) ||
      (a.word < b.word ? -1 : a.word > b.word ? 1 : 0),
  );
  const seen = new Set<string>();
  for (const match of found) {
    const key = `${match.nature}\u0000${match.word}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const written = writtenAs(folded.chars, match.from, match.to);
    const quoted = written === match.word ? `"${match.word}"` : `"${match.word}" (written "${written}")`;
    hints.push({ nature: match.nature, reason: `the memo says ${quoted}, a ${match.nature} word` });
  }
  return hints;
}

/** Warnings for a declaration the hints contradict; the declaration stands either way. */
export function declarationWarnings(declared: Nature, hints: readonly NatureHint[]): string[] {
  const gift = hints.filter((hint) => hint.nature === "gift").map((hint) => hint.reason);
  const loan = hints.filter((hint) => hint.nature === "loan").map((hint) => hint.reason);
  const warnings: string[] = [];
  if ((declared === "loan" || declared === "repayment") && gift.length > 0) {
    warnings.push(`declared as a ${declared}, but a court may read this as a gift: ${gift.join("; ")}`);
  }
  if (declared === "gift" && loan.length > 0) {
    warnings.push(`declared as a gift, but a court may read this as a loan: ${loan.join("; ")}`);
  }
  if (declared === "unspecified" && gift.length > 0 && loan.length > 0) {
    warnings.push(
      `the record is ambiguous: gift hints (${gift.join("; ")}) and loan hints (${loan.join("; ")}); declaring the nature would make it clearer`,
    );
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------

type HintNature = NatureHint["nature"];

interface Pattern {
  /** The needle as it appears in its haystack (word patterns are padded with spaces). */
  readonly needle: string;
  /** The folded table word, quoted in the reason. */
  readonly word: string;
  readonly nature: HintNature;
}

interface Patterns {
  readonly compact: { words: Pattern[]; exclusions: Map<HintNature, string[]> };
  readonly words: { words: Pattern[]; exclusions: Map<HintNature, string[]> };
}

interface Found {
  /** Index of the first and last matched character in the folded memo's characters. */
  readonly from: number;
  readonly to: number;
  readonly haystack: number;
  readonly nature: HintNature;
  readonly word: string;
}

interface FoldedMemo {
  /** The memo after NFKC, one code point per element (case and script as written). */
  readonly chars: readonly string[];
  /** Letters and digits only, folded; for CJK words. */
  readonly compact: string;
  /** Per UTF-16 unit of `compact`: the index in `chars` it came from. */
  readonly compactOrigin: readonly number[];
  /** Latin words and digits separated by single spaces, padded with a space at each end. */
  readonly words: string;
  readonly wordsOrigin: readonly number[];
}

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const WORD_CHAR = /^[\p{Script=Latin}\p{N}]$/u;
const APOSTROPHE = /^['\u2019\u02bc]$/u;
const HAS_LATIN = /\p{Script=Latin}/u;
const WRITTEN_MAX = 40;

function charMap(table: Readonly<Record<string, string>>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [from, to] of Object.entries(table)) {
    if (typeof to === "string" && [...from].length === 1 && [...to].length === 1) map.set(from, to);
  }
  return map;
}

/** The folded form of one code point: lower case, then traditional → simplified. */
function foldChar(ch: string, t2s: ReadonlyMap<string, string>): string {
  let out = "";
  for (const c of ch.toLowerCase()) out += t2s.get(c) ?? c;
  return out;
}

function foldMemo(memo: string, t2s: ReadonlyMap<string, string>): FoldedMemo {
  const chars = [...memo.normalize("NFKC")];
  let compact = "";
  const compactOrigin: number[] = [];
  let words = " ";
  const wordsOrigin: number[] = [-1];
  chars.forEach((ch, i) => {
    if (APOSTROPHE.test(ch)) return; // "valentine's" reads as "valentines"
    for (const c of foldChar(ch, t2s)) {
      if (LETTER_OR_DIGIT.test(c)) {
        compact += c;
        for (let k = 0; k < c.length; k++) compactOrigin.push(i);
      }
      if (WORD_CHAR.test(c)) {
        words += c;
        for (let k = 0; k < c.length; k++) wordsOrigin.push(i);
      } else if (!words.endsWith(" ")) {
        words += " ";
        wordsOrigin.push(i);
      }
    }
  });
  if (!words.endsWith(" ")) {
    words += " ";
    wordsOrigin.push(chars.length);
  }
  return { chars, compact, compactOrigin, words, wordsOrigin };
}

/** A table entry folded like the memo: compact ("我爱你") or word ("i love you"); "" if nothing is left. */
function foldEntry(entry: string, t2s: ReadonlyMap<string, string>): { kind: "compact" | "words"; text: string } {
  const folded = [...String(entry).normalize("NFKC")]
    .filter((ch) => !APOSTROPHE.test(ch))
    .map((ch) => foldChar(ch, t2s))
    .join("");
  const kept = [...folded].filter((c) => LETTER_OR_DIGIT.test(c));
  if (HAS_LATIN.test(folded) && kept.every((c) => WORD_CHAR.test(c))) {
    const spaced = [...folded]
      .map((c) => (WORD_CHAR.test(c) ? c : " "))
      .join("")
      .trim()
      .replace(/ +/g, " ");
    return { kind: "words", text: spaced };
  }
  return { kind: "compact", text: kept.join("") };
}

function compilePatterns(tables: NatureTables, t2s: ReadonlyMap<string, string>): Patterns {
  const patterns: Patterns = {
    compact: {
      words: [],
      exclusions: new Map([
        ["gift", []],
        ["loan", []],
      ]),
    },
    words: {
      words: [],
      exclusions: new Map([
        ["gift", []],
        ["loan", []],
      ]),
    },
  };
  const seen = new Set<string>();
  const lists: [HintNature, readonly string[], readonly string[]][] = [
    ["gift", tables.giftWords, tables.giftExclusions],
    ["loan", tables.loanWords, tables.loanExclusions],
  ];
  for (const [nature, words, exclusions] of lists) {
    for (const entry of words) {
      const { kind, text } = foldEntry(entry, t2s);
      const key = `${nature}\u0000${kind}\u0000${text}`;
      if (text === "" || seen.has(key)) continue;
      seen.add(key);
      patterns[kind].words.push({ needle: kind === "words" ? ` ${text} ` : text, word: text, nature });
    }
    for (const entry of exclusions) {
      const { kind, text } = foldEntry(entry, t2s);
      if (text !== "") patterns[kind].exclusions.get(nature)?.push(kind === "words" ? ` ${text} ` : text);
    }
  }
  return patterns;
}

/** Start offsets of every occurrence of needle in haystack, overlapping ones included. */
function occurrences(haystack: string, needle: string): number[] {
  const at: number[] = [];
  if (needle.length === 0) return at;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) at.push(i);
  return at;
}

/** covered[k] = how many offsets before k lie inside some occurrence of the phrases. */
function coverage(haystack: string, phrases: readonly string[]): Int32Array {
  const diff = new Int32Array(haystack.length + 1);
  for (const phrase of phrases) {
    for (const start of occurrences(haystack, phrase)) {
      diff[start] = (diff[start] ?? 0) + 1;
      diff[start + phrase.length] = (diff[start + phrase.length] ?? 0) - 1;
    }
  }
  const covered = new Int32Array(haystack.length + 1);
  let depth = 0;
  for (let k = 0; k < haystack.length; k++) {
    depth += diff[k] ?? 0;
    covered[k + 1] = (covered[k] ?? 0) + (depth > 0 ? 1 : 0);
  }
  return covered;
}

function matchIn(
  haystack: string,
  origin: readonly number[],
  patterns: Patterns["compact"],
  haystackIndex: number,
): Found[] {
  if (haystack.trim() === "" || patterns.words.length === 0) return [];
  const covered = new Map<HintNature, Int32Array>();
  for (const [nature, phrases] of patterns.exclusions) covered.set(nature, coverage(haystack, phrases));
  // Every occurrence no exclusion overlaps.
  const kept: { start: number; end: number; pattern: Pattern }[] = [];
  for (const pattern of patterns.words) {
    const cover = covered.get(pattern.nature);
    for (const start of occurrences(haystack, pattern.needle)) {
      const end = start + pattern.needle.length;
      if (cover && (cover[end] ?? 0) - (cover[start] ?? 0) > 0) continue;
      kept.push({ start, end, pattern });
    }
  }
  // Drop an occurrence strictly inside a longer one (借 inside 借钱).
  const endAt = new Int32Array(haystack.length + 1).fill(-1);
  for (const { start, end } of kept) endAt[start] = Math.max(endAt[start] ?? -1, end);
  const endBefore = new Int32Array(haystack.length + 1).fill(-1);
  for (let s = 1; s <= haystack.length; s++) endBefore[s] = Math.max(endBefore[s - 1] ?? -1, endAt[s - 1] ?? -1);
  const found: Found[] = [];
  for (const { start, end, pattern } of kept) {
    if ((endBefore[start] ?? -1) >= end || (endAt[start] ?? -1) > end) continue;
    // Word needles carry a separator at each end; the word itself is inside them.
    const first = pattern.needle.startsWith(" ") ? start + 1 : start;
    const last = pattern.needle.endsWith(" ") ? end - 2 : end - 1;
    found.push({
      from: origin[first] ?? 0,
      to: origin[last] ?? 0,
      haystack: haystackIndex,
      nature: pattern.nature,
      word: pattern.word,
    });
  }
  return found;
}

/** The memo's own characters for a match, whitespace collapsed, at most WRITTEN_MAX characters. */
function writtenAs(chars: readonly string[], from: number, to: number): string {
  const slice = chars
    .slice(from, to + 1)
    .join("")
    .replace(/\s+/gu, " ");
  const points = [...slice];
  return points.length > WRITTEN_MAX ? `${points.slice(0, WRITTEN_MAX - 1).join("")}…` : slice;
}
