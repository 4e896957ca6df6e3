import { createCipheriv, createHash } from "node:crypto";

/**
 * The pre-queue draw: the people who asked before a campaign's start are put in a random
 * order at the start, from a seed whose SHA-256 was published when the campaign was made.
 * The order is a Fisher–Yates shuffle driven by the AES-256-CTR keystream of the seed (zero
 * IV), one 32-bit big-endian word per step: anyone holding the revealed seed and the
 * pre-queue's size can recompute it (`hongbao verify-draw`, or a few lines with OpenSSL).
 */
export const DRAW_SEED_BYTES = 32;
/** People the pre-queue holds at most; later askers join the line after the start. */
export const PRE_QUEUE_MAX = 2_000_000;

export function drawSeedHash(seed: Uint8Array): string {
  return createHash("sha256").update(seed).digest("hex");
}

/**
 * `positions[i]` is the place (0 first) drawn for the i-th person to join the pre-queue.
 * Step k (k = size-1 … 1) swaps slot k with slot ⌊word_k × (k+1) / 2³²⌋, where word_k is
 * the keystream's (size-1-k)-th word.
 */
export function drawOrder(seed: Uint8Array, size: number): Uint32Array {
  if (seed.length !== DRAW_SEED_BYTES) throw new RangeError(`a draw seed is ${DRAW_SEED_BYTES} bytes`);
  if (!Number.isSafeInteger(size) || size < 0 || size > PRE_QUEUE_MAX)
    throw new RangeError(`a pre-queue holds 0 to ${PRE_QUEUE_MAX} people`);
  // slots[place] = joiner; shuffled, then inverted so a joiner's place is one lookup.
  const slots = new Uint32Array(size);
  for (let i = 0; i < size; i++) slots[i] = i;
  if (size > 1) {
    const cipher = createCipheriv("aes-256-ctr", seed, Buffer.alloc(16));
    const stream = cipher.update(Buffer.alloc((size - 1) * 4));
    for (let k = size - 1, w = 0; k >= 1; k--, w += 4) {
      const j = Math.floor((stream.readUInt32BE(w) * (k + 1)) / 4_294_967_296);
      const swap = slots[k] as number;
      slots[k] = slots[j] as number;
      slots[j] = swap;
    }
  }
  const positions = new Uint32Array(size);
  for (let place = 0; place < size; place++) positions[slots[place] as number] = place;
  return positions;
}
