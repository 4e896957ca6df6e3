import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { commitmentOf, verifyRevealed } from "../../src/domain/red-packet.js";
import { seededRandomInt } from "../../src/domain/seeded-random.js";
import { equalSplit, luckySplit, type RandomInt } from "../../src/domain/split.js";

const CAP = 20_000;

/** mulberry32, seeded, so the statistical test is repeatable. */
export const seeded = seededRandomInt;

function assertValid(shares: number[], total: number, count: number): void {
  assert.equal(shares.length, count);
  assert.equal(
    shares.reduce((sum, share) => sum + share, 0),
    total,
  );
  for (const share of shares) {
    assert.ok(Number.isSafeInteger(share), `share ${share} is an integer`);
    assert.ok(share >= 1, `share ${share} ≥ 1 fen (no negative or empty last share)`);
    assert.ok(share <= CAP, `share ${share} ≤ the cap`);
  }
}

describe("lucky split", () => {
  it("always gives count shares within [1, cap] that sum to the total", () => {
    const totalAndCount = fc
      .integer({ min: 1, max: 100 })
      .chain((count) => fc.record({ count: fc.constant(count), total: fc.integer({ min: count, max: count * CAP }) }));
    fc.assert(
      fc.property(totalAndCount, fc.integer(), ({ total, count }, seed) => {
        assertValid(luckySplit(total, count, 1, CAP, seeded(seed)), total, count);
      }),
      { numRuns: 2000 },
    );
  });

  it("handles the edges: total = count, total = cap × count, one share, a hundred shares", () => {
    const random = seeded(7);
    assert.deepEqual(luckySplit(100, 100, 1, CAP, random), new Array(100).fill(1));
    assert.deepEqual(luckySplit(CAP * 100, 100, 1, CAP, random), new Array(100).fill(CAP));
    assert.deepEqual(luckySplit(1, 1, 1, CAP, random), [1]);
    assert.deepEqual(luckySplit(CAP, 1, 1, CAP, random), [CAP]);
    assertValid(luckySplit(101, 100, 1, CAP, random), 101, 100);
    assertValid(luckySplit(CAP * 100 - 1, 100, 1, CAP, random), CAP * 100 - 1, 100);
    assertValid(luckySplit(3, 2, 1, CAP, random), 3, 2);
  });

  it("never leaves a negative or zero last share, even when a greedy draw would (the rounding bug)", () => {
    // A generator that always draws its maximum is the worst case for the remainder.
    const greedy: RandomInt = (bound) => bound - 1;
    const stingy: RandomInt = () => 0;
    for (const count of [2, 3, 7, 10, 99, 100]) {
      for (const total of [count, count + 1, count * 3 + 1, count * CAP - 1, count * CAP]) {
        assertValid(luckySplit(total, count, 1, CAP, greedy), total, count);
        assertValid(luckySplit(total, count, 1, CAP, stingy), total, count);
      }
    }
  });

  it("refuses totals that cannot be split within the bounds", () => {
    assert.throws(() => luckySplit(99, 100, 1, CAP, seeded(1)));
    assert.throws(() => luckySplit(CAP * 2 + 1, 2, 1, CAP, seeded(1)));
    assert.throws(() => luckySplit(10, 0, 1, CAP, seeded(1)));
    assert.throws(() => equalSplit(10, 3));
    assert.deepEqual(equalSplit(12, 3), [4, 4, 4]);
  });

  /**
   * 100 000 packets of 10 000 fen in 10 shares, seed 20210814. Every position's mean share
   * must be within 1.5% (15 fen) of total/count = 1 000 fen; a share's standard deviation
   * is under 600 fen, so the standard error of a mean is under 2 fen and the bound is about
   * 8 of them. The chance of being lucky king is also checked per position: 10% ± 0.6
   * percentage points (about 6 standard errors), which an unshuffled double-mean split
   * fails: its last position is king far more often.
   */
  it("gives every grab position the same expected amount and the same chance to be king", () => {
    const packets = 100_000;
    const count = 10;
    const total = 10_000;
    const random = seeded(20_210_814);
    const sums = new Array<number>(count).fill(0);
    const kings = new Array<number>(count).fill(0);
    for (let p = 0; p < packets; p++) {
      const shares = luckySplit(total, count, 1, CAP, random);
      let king = 0;
      for (let i = 0; i < count; i++) {
        sums[i] = (sums[i] as number) + (shares[i] as number);
        if ((shares[i] as number) > (shares[king] as number)) king = i;
      }
      kings[king] = (kings[king] as number) + 1;
    }
    for (let i = 0; i < count; i++) {
      const mean = (sums[i] as number) / packets;
      assert.ok(Math.abs(mean - total / count) <= 15, `position ${i + 1}: mean ${mean.toFixed(2)} fen`);
      const kingShare = (kings[i] as number) / packets;
      assert.ok(Math.abs(kingShare - 0.1) <= 0.006, `position ${i + 1}: king ${(kingShare * 100).toFixed(2)}%`);
    }
  });
});

describe("commitment", () => {
  const id = "rp_0123456789abcdef0123";
  const shares = [120, 5, 875];
  const salt = "ab".repeat(32);

  it("is sha256 over id|shares|salt, as the spec writes it", () => {
    const commitment = commitmentOf(id, shares, salt);
    assert.match(commitment, /^[0-9a-f]{64}$/);
    assert.ok(verifyRevealed({ id, amount: 1000, count: 3, commitment, shares, salt }).ok);
  });

  it("fails when any share, the salt, the order or the id changes", () => {
    const commitment = commitmentOf(id, shares, salt);
    const base = { id, amount: 1000, count: 3, commitment, shares, salt };
    assert.ok(!verifyRevealed({ ...base, shares: [121, 4, 875] }).ok);
    assert.ok(!verifyRevealed({ ...base, shares: [5, 120, 875] }).ok);
    assert.ok(!verifyRevealed({ ...base, salt: `${"ab".repeat(31)}ac` }).ok);
    assert.ok(!verifyRevealed({ ...base, id: "rp_0123456789abcdef0124" }).ok);
    assert.ok(!verifyRevealed({ ...base, grabs: [{ amount: 120 }, { amount: 6 }] }).ok);
  });
});
