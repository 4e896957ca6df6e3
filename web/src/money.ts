/** "12.34" yuan → 1234 fen, without floating point; null when it is not an amount. */
export function parseYuan(text: string): number | null {
  const match = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (match === null) return null;
  const fen = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  return Number.isSafeInteger(fen) ? fen : null;
}

/** 1234 fen → "12.34" */
export function yuan(fen: number): string {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** 52000 fen → "520", 1314 → "13.14": whole yuan without the fen, as a day's cap is announced. */
export function yuanPlain(fen: number): string {
  return fen % 100 === 0 ? String(fen / 100) : yuan(fen);
}
