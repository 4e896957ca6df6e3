import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import { describe, it } from "node:test";
import { drawFraction, drawFractions, drawOrder, drawSeedHash } from "../../src/domain/draw.js";

const seed = createHash("sha256").update("a committed seed").digest();

describe("the pre-queue draw", () => {
  it("is a permutation, the same for the same seed and size, another for another seed", () => {
    const order = drawOrder(seed, 5_000);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: 5_000 }, (_, i) => i),
    );
    assert.deepEqual(drawOrder(seed, 5_000), order);
    assert.notDeepEqual(drawOrder(createHash("sha256").update("another").digest(), 5_000), order);
    assert.deepEqual(drawOrder(seed, 0), new Uint32Array(0));
    assert.throws(() => drawOrder(seed.subarray(1), 3), RangeError);
  });

  it("orders joiners by the first word of their AES-256-CTR keystream block, as the docs say anyone can redo", () => {
    const size = 300;
    const stream = createCipheriv("aes-256-ctr", seed, Buffer.alloc(16)).update(Buffer.alloc(size * 16));
    const byWord = Array.from({ length: size }, (_, i) => i).sort(
      (a, b) => stream.readUInt32BE(a * 16) - stream.readUInt32BE(b * 16) || a - b,
    );
    const order = drawOrder(seed, size);
    for (const [place, joiner] of byWord.entries()) assert.equal(order[joiner], place);
  });

  it("tells each joiner, before anyone knows the size, where in the order they fall", () => {
    const order = drawOrder(seed, 2_000);
    const byPlace = [...order.keys()].sort((a, b) => (order[a] as number) - (order[b] as number));
    for (let k = 1; k < byPlace.length; k++)
      assert.ok(drawFraction(seed, byPlace[k] as number) >= drawFraction(seed, byPlace[k - 1] as number));
    // A joiner's place in a larger draw keeps the same order against the earlier joiners.
    const larger = drawOrder(seed, 4_000);
    for (let i = 1; i < 2_000; i++)
      assert.equal((order[i] as number) < (order[0] as number), (larger[i] as number) < (larger[0] as number));
    assert.match(drawSeedHash(seed), /^[0-9a-f]{64}$/);
  });

  it("gives the same word from one kept cipher as from a cipher a joiner, in any order of asking", () => {
    const fractionOf = drawFractions(seed);
    for (const index of [7, 0, 2 ** 32 + 5, 1_999_999, 7, 3])
      assert.equal(fractionOf(index), drawFraction(seed, index));
    assert.throws(() => fractionOf(-1), RangeError);
    assert.throws(() => fractionOf(1.5), RangeError);
    assert.throws(() => drawFractions(seed.subarray(1)), RangeError);
  });
});
