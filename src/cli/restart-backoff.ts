/**
 * How long the supervisor waits before starting a process that died: doubling while it keeps
 * dying, from `minMs` to `maxMs`, and back to `minMs` once it serves again.
 */
export class RestartBackoff {
  #nextMs: number;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
  ) {
    this.#nextMs = minMs;
  }

  /** The wait before this restart; the next one waits twice as long, up to `maxMs`. */
  take(): number {
    const wait = this.#nextMs;
    this.#nextMs = Math.min(this.maxMs, wait * 2);
    return wait;
  }

  /** It serves: the next death is restarted after `minMs`. */
  reset(): void {
    this.#nextMs = this.minMs;
  }
}
