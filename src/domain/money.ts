/** An amount of money in fen (1 yuan = 100 fen). Always a safe integer; never a float. */
export type Fen = number;

export function isFen(value: unknown): value is Fen {
  return typeof value === "number" && Number.isSafeInteger(value);
}

/** Programmer-error guard: money that is not an integer must never reach the ledger. */
export function assertFen(value: unknown, what: string): asserts value is Fen {
  if (!isFen(value)) throw new Error(`${what} is not an integer amount of fen: ${String(value)}`);
}

/** "1314" → "13.14"; for messages only, never for arithmetic. */
export function formatYuan(amount: Fen): string {
  const sign = amount < 0 ? "-" : "";
  const abs = Math.abs(amount);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
