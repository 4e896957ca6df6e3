import type { Fen } from "./money.js";

/** A source of uniform random integers in [0, bound): the caller owns the randomness. */
export type RandomInt = (bound: number) => number;

/**
 * A lucky (拼手气) split: `count` shares, each within [shareMin, shareMax], summing exactly
 * to `total`. Shares are drawn by the bounded "double mean" rule (each draw at most twice
 * the mean of what is left) and then shuffled uniformly. The shuffle makes the grab
 * positions exchangeable, so every position has exactly the same expected amount
 * (total / count); without it the last shares carry the remainder and skew (see
 * docs/decisions/0009-lucky-split.md).
 */
export function luckySplit(total: Fen, count: number, shareMin: Fen, shareMax: Fen, randomInt: RandomInt): Fen[] {
  if (!Number.isSafeInteger(total) || !Number.isSafeInteger(count) || count < 1) {
    throw new Error(`bad split: ${total} in ${count}`);
  }
  if (total < count * shareMin || total > count * shareMax)
    throw new Error(`split out of bounds: ${total} in ${count}`);
  const shares: Fen[] = [];
  let left = total;
  for (let remaining = count; remaining > 1; remaining--) {
    const low = Math.max(shareMin, left - (remaining - 1) * shareMax);
    const high = Math.min(shareMax, left - (remaining - 1) * shareMin, Math.floor((2 * left) / remaining));
    const share = low + randomInt(high - low + 1);
    shares.push(share);
    left -= share;
  }
  shares.push(left);
  shuffle(shares, randomInt);
  return shares;
}

export function equalSplit(total: Fen, count: number): Fen[] {
  if (total % count !== 0) throw new Error(`${total} does not divide by ${count}`);
  return new Array<Fen>(count).fill(total / count);
}

/** Fisher–Yates: every order equally likely. */
export function shuffle<T>(items: T[], randomInt: RandomInt): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
