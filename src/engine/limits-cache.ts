import { type Calendar, type LimitsAt, limitsAt } from "../domain/rules.js";
import type { Instant } from "../domain/time.js";

const HOUR_MS = 3_600_000;

/**
 * The rules in force, worked out once per hour of the clock rather than once per command.
 * A special day starts and ends at local midnight, which in Asia/Shanghai (UTC+8, and UTC+9
 * in the summers of 1986–1991) always falls on a whole UTC hour, so every instant of one
 * UTC hour has the same rules. Only `at` differs, and it is set per call.
 */
export class LimitsCache {
  #hour = Number.NaN;
  #calendar: Calendar | undefined;
  #limits: LimitsAt | undefined;

  at(at: Instant, calendar: Calendar): LimitsAt {
    const hour = Math.floor(at / HOUR_MS);
    if (hour !== this.#hour || calendar !== this.#calendar || this.#limits === undefined) {
      this.#limits = limitsAt(at, calendar);
      this.#hour = hour;
      this.#calendar = calendar;
    }
    return this.#limits.at === at ? this.#limits : { ...this.#limits, at };
  }
}
