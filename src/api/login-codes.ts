import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { Clock } from "../engine/clock.js";
import { ApiError } from "./errors.js";

/** Delivers a login code; the dev sender writes it to the log, a real one sends an SMS. */
export interface CodeSender {
  send(phone: string, code: string): Promise<void>;
}

export interface LoginCodeRules {
  readonly codeLifetimeMs: number;
  readonly attemptsMax: number;
  readonly resendIntervalMs: number;
  readonly codesPerHourMax: number;
  /** Phones with a live code or recent requests kept in memory at most. */
  readonly phonesMax: number;
}

export const DEFAULT_LOGIN_CODE_RULES: LoginCodeRules = {
  codeLifetimeMs: 5 * 60_000,
  attemptsMax: 5,
  resendIntervalMs: 60_000,
  codesPerHourMax: 5,
  phonesMax: 100_000,
};

interface PhoneState {
  codeHash: Buffer | null;
  expiresAt: number;
  attemptsLeft: number;
  /** When codes were sent in the last hour, oldest first. */
  sentAt: number[];
}

const HOUR_MS = 3_600_000;

function hash(code: string): Buffer {
  return createHash("sha256").update(code).digest();
}

/**
 * One-time login codes: six digits, short-lived, few attempts, and a phone may ask only
 * so often. Codes live in memory only (a restart asks people for a new code).
 */
export class LoginCodes {
  readonly #phones = new Map<string, PhoneState>();

  constructor(
    readonly sender: CodeSender,
    readonly clock: Clock,
    readonly rules: LoginCodeRules = DEFAULT_LOGIN_CODE_RULES,
  ) {}

  /** Sends a code when the phone belongs to a user; answers the same either way. */
  async request(phone: string, hasUser: boolean): Promise<{ expiresInSeconds: number }> {
    const now = this.clock.now();
    const state = this.#stateFor(phone, now);
    state.sentAt = state.sentAt.filter((at) => at > now - HOUR_MS);
    const last = state.sentAt[state.sentAt.length - 1];
    if (last !== undefined && now - last < this.rules.resendIntervalMs) {
      throw new ApiError(
        "RATE_LIMITED",
        "a code was sent a moment ago; wait before asking again",
        undefined,
        Math.ceil((this.rules.resendIntervalMs - (now - last)) / 1000),
      );
    }
    if (state.sentAt.length >= this.rules.codesPerHourMax) {
      const oldest = state.sentAt[0] as number;
      throw new ApiError(
        "RATE_LIMITED",
        "too many codes asked for this phone; wait before asking again",
        undefined,
        Math.ceil((oldest + HOUR_MS - now) / 1000),
      );
    }
    state.sentAt.push(now);
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    state.codeHash = hasUser ? hash(code) : null;
    state.expiresAt = now + this.rules.codeLifetimeMs;
    state.attemptsLeft = this.rules.attemptsMax;
    if (hasUser) await this.sender.send(phone, code);
    return { expiresInSeconds: Math.round(this.rules.codeLifetimeMs / 1000) };
  }

  /** Consumes a correct code; a wrong one costs an attempt. */
  verify(phone: string, code: string): void {
    const now = this.clock.now();
    const state = this.#phones.get(phone);
    if (state === undefined || state.codeHash === null) throw new ApiError("INVALID_CODE", "the code is not valid");
    if (state.expiresAt <= now) {
      state.codeHash = null;
      throw new ApiError("CODE_EXPIRED", "the code has expired; ask for a new one");
    }
    if (state.attemptsLeft <= 0) {
      throw new ApiError("TOO_MANY_ATTEMPTS", "too many wrong codes; ask for a new one", undefined, 60);
    }
    const given = hash(code);
    if (!timingSafeEqual(given, state.codeHash)) {
      state.attemptsLeft -= 1;
      if (state.attemptsLeft <= 0) {
        state.codeHash = null;
        throw new ApiError("TOO_MANY_ATTEMPTS", "too many wrong codes; ask for a new one", undefined, 60);
      }
      throw new ApiError("INVALID_CODE", "the code is not valid");
    }
    state.codeHash = null;
  }

  #stateFor(phone: string, now: number): PhoneState {
    const existing = this.#phones.get(phone);
    if (existing !== undefined) return existing;
    if (this.#phones.size >= this.rules.phonesMax) this.#evict(now);
    if (this.#phones.size >= this.rules.phonesMax) {
      throw new ApiError("RATE_LIMITED", "too many login codes outstanding; retry shortly", undefined, 30);
    }
    const state: PhoneState = { codeHash: null, expiresAt: 0, attemptsLeft: 0, sentAt: [] };
    this.#phones.set(phone, state);
    return state;
  }

  /** Drops phones with no live code and nothing sent in the last hour. */
  #evict(now: number): void {
    for (const [phone, state] of this.#phones) {
      const lastSent = state.sentAt[state.sentAt.length - 1] ?? 0;
      if (state.expiresAt <= now && lastSent <= now - HOUR_MS) this.#phones.delete(phone);
    }
  }
}

/** The dev sender: the code goes to the log, for a developer to read. */
export function logSender(log: (phone: string, code: string) => void): CodeSender {
  return {
    async send(phone, code) {
      log(phone, code);
    },
  };
}
