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
  /** Live codes for phones that have a user, at most; past it the oldest is dropped (its owner asks again). */
  readonly userCodesMax: number;
  /**
   * Live codes for phones without a user (sign-up on), at most. They are kept apart from
   * users' codes, so a flood of sign-ups can never drop a user's code.
   */
  readonly signupCodesMax: number;
}

export const DEFAULT_LOGIN_CODE_RULES: LoginCodeRules = {
  codeLifetimeMs: 5 * 60_000,
  attemptsMax: 5,
  userCodesMax: 100_000,
  signupCodesMax: 10_000,
};

/** Whom a code was issued for: a phone with a user, or a phone signing up. */
export type CodeFor = "user" | "signup";

interface LiveCode {
  readonly hash: Buffer;
  readonly expiresAt: number;
  attemptsLeft: number;
}

function hash(code: string): Buffer {
  return createHash("sha256").update(code).digest();
}

/**
 * Live codes by phone, at most `max`, in the order they were issued (a new code for a phone
 * moves it to the end). Every code lives as long, so the oldest are the first to expire:
 * making room drops expired codes from the front, then, if it must, the oldest live one.
 */
class CodeTable {
  readonly #codes = new Map<string, LiveCode>();

  constructor(readonly max: number) {}

  get size(): number {
    return this.#codes.size;
  }

  get(phone: string): LiveCode | undefined {
    return this.#codes.get(phone);
  }

  delete(phone: string): void {
    this.#codes.delete(phone);
  }

  put(phone: string, code: LiveCode, now: number): void {
    this.#codes.delete(phone);
    for (const [oldest, live] of this.#codes) {
      if (live.expiresAt > now && this.#codes.size < this.max) break;
      this.#codes.delete(oldest);
    }
    this.#codes.set(phone, code);
  }
}

/**
 * One-time login codes: six digits, short-lived, few attempts. Codes live in memory only (a
 * restart asks people for a new code), for phones with a user and, with sign-up on, for new
 * phones, each in a bounded table. How often a phone or an address may ask is the HTTP
 * layer's rate limits (src/api/login-limits.ts), the same for every phone.
 */
/**
 * Where login codes are issued and checked: this process's LoginCodes, or an edge's client of
 * the writer's (a code asked for through one edge is checked through another).
 */
export interface LoginCodeBook {
  readonly clock: Clock;
  request(
    phone: string,
    issueFor: CodeFor | undefined,
  ): { expiresInSeconds: number } | Promise<{ expiresInSeconds: number }>;
  verify(phone: string, code: string): CodeFor | Promise<CodeFor>;
}

export class LoginCodes implements LoginCodeBook {
  readonly #users: CodeTable;
  readonly #signups: CodeTable;

  constructor(
    readonly sender: CodeSender,
    readonly clock: Clock,
    readonly rules: LoginCodeRules = DEFAULT_LOGIN_CODE_RULES,
    readonly onSendFailed: (error: unknown) => void = () => {},
  ) {
    this.#users = new CodeTable(rules.userCodesMax);
    this.#signups = new CodeTable(rules.signupCodesMax);
  }

  /** Live codes held, by table. */
  get outstanding(): { readonly users: number; readonly signups: number } {
    return { users: this.#users.size, signups: this.#signups.size };
  }

  /**
   * Issues a code for a phone with a user, or for a phone signing up; for any other phone
   * nothing is kept and nothing is sent. The answer is the same either way.
   */
  request(phone: string, issueFor: CodeFor | undefined): { expiresInSeconds: number } {
    const expiresInSeconds = Math.round(this.rules.codeLifetimeMs / 1000);
    if (issueFor === undefined) return { expiresInSeconds };
    const now = this.clock.now();
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    const table = issueFor === "user" ? this.#users : this.#signups;
    table.put(
      phone,
      { hash: hash(code), expiresAt: now + this.rules.codeLifetimeMs, attemptsLeft: this.rules.attemptsMax },
      now,
    );
    // Not awaited: an answer that waited for the SMS would take longer for a phone that gets one.
    this.sender.send(phone, code).catch(this.onSendFailed);
    return { expiresInSeconds };
  }

  /** Consumes a correct code and says whom it was for; a wrong one costs an attempt. */
  verify(phone: string, code: string): CodeFor {
    const now = this.clock.now();
    const [table, issuedFor] =
      this.#users.get(phone) !== undefined ? [this.#users, "user" as const] : [this.#signups, "signup" as const];
    const live = table.get(phone);
    if (live === undefined) throw new ApiError("INVALID_CODE", "the code is not valid");
    if (live.expiresAt <= now) {
      table.delete(phone);
      throw new ApiError("CODE_EXPIRED", "the code has expired; ask for a new one");
    }
    if (!timingSafeEqual(hash(code), live.hash)) {
      live.attemptsLeft -= 1;
      if (live.attemptsLeft <= 0) {
        table.delete(phone);
        throw new ApiError("TOO_MANY_ATTEMPTS", "too many wrong codes; ask for a new one", undefined, 60);
      }
      throw new ApiError("INVALID_CODE", "the code is not valid");
    }
    table.delete(phone);
    return issuedFor;
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
