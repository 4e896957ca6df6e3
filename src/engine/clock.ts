import type { Instant } from "../domain/time.js";

/** Every rule, expiry and refund reads time through this port, never from Date directly. */
export interface Clock {
  now(): Instant;
  /**
   * For a clock that can jump (the test clock): calls `listener` after every jump, so that
   * whoever sleeps until an instant (the engine's timers) looks again at once. Returns the
   * call that stops it. The real clock never jumps and has none.
   */
  onJump?(listener: () => void): () => void;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until told otherwise (`hongbao serve --test-clock`). */
export class TestClock implements Clock {
  #now: Instant;
  readonly #listeners = new Set<() => void>();

  constructor(start: Instant = Date.now()) {
    this.#now = start;
  }

  now(): Instant {
    return this.#now;
  }

  set(at: Instant): void {
    this.#now = at;
    for (const listener of this.#listeners) listener();
  }

  onJump(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
