import type { CodeSender } from "./login-codes.js";

/** Phones whose last dev code is kept at most; the oldest is forgotten first. */
export const DEV_CODES_MAX = 10_000;

/**
 * The dev sender's outbox: the last code sent to each phone, so a person trying hongbao
 * without SMS can read it in the web app. It exists only while the dev sender is in use;
 * a server with a real sender has no outbox and no route that reads one.
 */
export class DevCodeOutbox {
  readonly #codes = new Map<string, string>();

  constructor(readonly codesMax = DEV_CODES_MAX) {}

  /** Wraps the dev sender so that what it sends is also kept here. */
  keeping(sender: CodeSender): CodeSender {
    return {
      send: async (phone, code) => {
        this.#codes.delete(phone);
        if (this.#codes.size >= this.codesMax) {
          const oldest = this.#codes.keys().next().value;
          if (oldest !== undefined) this.#codes.delete(oldest);
        }
        this.#codes.set(phone, code);
        await sender.send(phone, code);
      },
    };
  }

  last(phone: string): string | undefined {
    return this.#codes.get(phone);
  }
}
