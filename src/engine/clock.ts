import type { Instant } from "../domain/time.js";

/** Every rule, expiry and refund reads time through this port, never from Date directly. */
export interface Clock {
  now(): Instant;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stands still until told otherwise (`hongbao serve --test-clock`). */
export class TestClock implements Clock {
  #now: Instant;

  constructor(start: Instant = Date.now()) {
    this.#now = start;
  }

  now(): Instant {
    return this.#now;
  }

  set(at: Instant): void {
    this.#now = at;
  }
}
