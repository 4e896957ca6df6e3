import { Packr } from "msgpackr";

/**
 * The edge–writer wire (docs/wire.md): each frame is a 4-byte big-endian length, then that
 * many bytes of one MessagePack value. The length is checked before a byte of the body is
 * kept, so a peer can never make us buffer more than FRAME_BYTES_MAX.
 */
export const WIRE_VERSION = 1;
export const FRAME_BYTES_MAX = 1024 * 1024;
const HEADER_BYTES = 4;

// Plain MessagePack (no record extension): any MessagePack reader can speak the protocol.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export class FrameError extends Error {}

export function encodeFrame(message: unknown): Buffer {
  const body = packr.pack(message);
  if (body.length > FRAME_BYTES_MAX) throw new FrameError(`frame of ${body.length} bytes is over ${FRAME_BYTES_MAX}`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
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
