import { createCipheriv, createHash } from "node:crypto";

/**
 * The pre-queue draw: the people who asked before a campaign's start are put in a random
 * order, from a seed whose SHA-256 was published when the campaign was made. Joiner i (0 the
 * first to join) gets the 32-bit big-endian word that opens block i of the AES-256-CTR
 * keystream of the seed (zero IV: block i is AES(seed, i as a 128-bit big-endian number));
 * places go by that word, smaller first, ties by joining order. Anyone holding the revealed
 * seed and the pre-queue's size can redo it (`hongbao verify-draw`, or a few lines with
 * OpenSSL), and since a joiner's word does not depend on how many joined, the server can tell
 * each one before the start how far into the draw they will fall, to spread their returns.
 */
export const DRAW_SEED_BYTES = 32;
/** People the pre-queue holds at most (a joining number and a word fit in a double's 53 bits). */
export const PRE_QUEUE_MAX = 2_000_000;
const INDEX_SPAN = 2 ** 21;

export function drawSeedHash(seed: Uint8Array): string {
  return createHash("sha256").update(seed).digest("hex");
}

/** Joiner `index`'s word over 2³², in [0, 1): where in the drawn order it falls, whatever the size. */
export function drawFraction(seed: Uint8Array, index: number): number {
  return drawFractions(seed)(index);
}

/**
 * `drawFraction` for one seed and many joiners: one cipher for all of them (ECB holds no state
 * between blocks), which a crowd joining a pre-queue would otherwise set up once a person.
 */
export function drawFractions(seed: Uint8Array): (index: number) => number {
  checkSeed(seed);
  const cipher = createCipheriv("aes-256-ecb", seed, null).setAutoPadding(false);
  const block = Buffer.alloc(16);
  return (index) => {
    if (!Number.isSafeInteger(index) || index < 0) throw new RangeError("a joining number is a whole number from 0");
    block.writeUInt32BE(Math.floor(index / 2 ** 32), 8);
    block.writeUInt32BE(index >>> 0, 12);
    return cipher.update(block).readUInt32BE(0) / 2 ** 32;
  };
}

/** `positions[i]` is the place (0 first) drawn for the i-th person to join the pre-queue. */
export function drawOrder(seed: Uint8Array, size: number): Uint32Array {
  checkSeed(seed);
  if (!Number.isSafeInteger(size) || size < 0 || size > PRE_QUEUE_MAX)
    throw new RangeError(`a pre-queue holds 0 to ${PRE_QUEUE_MAX} people`);
  const stream = createCipheriv("aes-256-ctr", seed, Buffer.alloc(16)).update(Buffer.alloc(size * 16));
  // word × 2²¹ + joining number: one exact double a joiner, so a numeric sort is the draw.
  const keys = new Float64Array(size);
  for (let i = 0; i < size; i++) keys[i] = stream.readUInt32BE(i * 16) * INDEX_SPAN + i;
  keys.sort();
  const positions = new Uint32Array(size);
  for (let place = 0; place < size; place++) positions[(keys[place] as number) % INDEX_SPAN] = place;
  return positions;
}

function checkSeed(seed: Uint8Array): void {
  if (seed.length !== DRAW_SEED_BYTES) throw new RangeError(`a draw seed is ${DRAW_SEED_BYTES} bytes`);
}
