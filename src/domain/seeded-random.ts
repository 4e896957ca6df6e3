import type { RandomInt } from "./split.js";

/**
 * mulberry32: a small seeded generator of numbers in [0, 1). Not for secrets: for
 * repeatable tests, benchmarks and load runs that replay from the seed they print.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The same generator as a RandomInt, the shape the split functions take. */
export function seededRandomInt(seed: number): RandomInt {
  const next = seededRandom(seed);
  return (bound) => Math.floor(next() * bound);
}
