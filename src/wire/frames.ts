import { Packr } from "msgpackr";

/**
 * The edge–writer wire (docs/wire.md): each frame is a 4-byte big-endian length, then that
 * many bytes of one MessagePack value. The length is checked before a byte of the body is
 * kept, so a peer can never make us buffer more than FRAME_BYTES_MAX.
 */
export const WIRE_VERSION = 4;
export const FRAME_BYTES_MAX = 1024 * 1024;
const HEADER_BYTES = 4;

// Plain MessagePack (no record extension): any MessagePack reader can speak the protocol.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export class FrameError extends Error {}

export function encodeFrame(message: unknown): Buffer {
  const body = packr.pack(message);
  if (body.length > FRAME_BYTES_MAX) throw new FrameError(`frame of ${body.length} bytes is over ${FRAME_BYTES_MAX}`);
  return framed(body);
}

function framed(body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, HEADER_BYTES);
  return frame;
}

/**
 * Items a batch frame carries at most. A frame is decoded only once all of it is read, so a
 * frame of ten thousand replies made the edge wait for all of them before it sent more calls,
 * and the writer then took ten thousand claims in one batch with nothing arriving meanwhile
 * (BENCHMARKS.md, "writer's capacity"). 256 replies are about 30 KiB: one socket read.
 */
export const BATCH_ITEMS_MAX = 256;

/** The messages that carry many items: a turn's calls from an edge, a turn's replies from the writer. */
export type BatchKind = "calls" | "replies";

/**
 * Items of one kind as `{ t: kind, [kind]: items }` frames of at most BATCH_ITEMS_MAX items; a
 * part over the byte bound is halved until each half fits (one pack a frame in the usual case).
 * An item over the bound alone goes to `oversized`, which may give a small item in its place.
 */
export function encodeBatch(
  kind: BatchKind,
  items: readonly unknown[],
  oversized: (item: unknown) => unknown,
  maxBytes = FRAME_BYTES_MAX,
): Buffer[] {
  const frames: Buffer[] = [];
  const add = (part: readonly unknown[], replaced = false): void => {
    if (part.length > BATCH_ITEMS_MAX) {
      for (let i = 0; i < part.length; i += BATCH_ITEMS_MAX) add(part.slice(i, i + BATCH_ITEMS_MAX));
      return;
    }
    const body = packr.pack({ t: kind, [kind]: part });
    if (body.length <= maxBytes) frames.push(framed(body));
    else if (part.length > 1) {
      const half = part.length >> 1;
      add(part.slice(0, half));
      add(part.slice(half));
    } else if (!replaced) {
      const instead = oversized(part[0]);
      if (instead !== undefined) add([instead], true);
    }
  };
  add(items);
  return frames;
}

/** Cuts a byte stream into decoded values; throws FrameError on an oversized or undecodable frame. */
export class FrameDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #maxBytes: number;

  constructor(maxBytes = FRAME_BYTES_MAX) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer, deliver: (message: unknown) => void): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    for (;;) {
      if (this.#pendingBytes < HEADER_BYTES) return;
      const head = this.#joined();
      const length = head.readUInt32BE(0);
      if (length > this.#maxBytes)
        throw new FrameError(`frame of ${length} bytes announced; at most ${this.#maxBytes}`);
      if (head.length < HEADER_BYTES + length) return;
      const body = head.subarray(HEADER_BYTES, HEADER_BYTES + length);
      const rest = head.subarray(HEADER_BYTES + length);
      this.#pending = rest.length === 0 ? [] : [rest];
      this.#pendingBytes = rest.length;
      let message: unknown;
      try {
        message = packr.unpack(body);
      } catch (error) {
        throw new FrameError(`undecodable frame: ${(error as Error).message}`);
      }
      deliver(message);
    }
  }

  #joined(): Buffer {
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
    return this.#pending[0] as Buffer;
  }
}
