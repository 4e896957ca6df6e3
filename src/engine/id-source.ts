import { ID_PREFIXES, type IdKind } from "../domain/ids.js";
import type { Clock } from "./clock.js";

/** Ids count milliseconds from here: 44 bits of them last until the year 2577. */
const EPOCH_MS = Date.UTC(2020, 0, 1);
const RANDOM_HEX = 9;

/**
 * Time-ordered ids for what the engine creates (transfers, packets, campaigns): 11 hex
 * digits of milliseconds, then 9 of randomness, 20 in all like every id. New rows then land
 * at the right end of their B-tree instead of on a random page each, which halved the
 * SQLite write-ahead log written per transfer (docs/decisions/0013). The engine is the
 * only writer, so it also makes ids unique: time never runs backwards here, and a random
 * part already given out in the same millisecond is drawn again.
 */
export class IdSource {
  #lastMs = 0;
  readonly #issued = new Set<string>();

  constructor(
    private readonly random: (size: number) => Uint8Array,
    private readonly clock: Clock,
  ) {}

  next(kind: IdKind): string {
    const ms = Math.max(Math.floor(this.clock.now()) - EPOCH_MS, this.#lastMs, 0);
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#issued.clear();
    }
    const time = ms.toString(16).padStart(11, "0").slice(-11);
    for (;;) {
      const tail = Buffer.from(this.random(5)).toString("hex").slice(0, RANDOM_HEX);
      if (this.#issued.has(tail)) continue;
      this.#issued.add(tail);
      return `${ID_PREFIXES[kind]}${time}${tail}`;
    }
  }
}
