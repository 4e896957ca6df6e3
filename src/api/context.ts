import "@fastify/swagger";
import type { KeyObject } from "node:crypto";
import type { TestClock } from "../engine/clock.js";
import type { EngineFront } from "../engine/front.js";
import type { LedgerStore } from "../engine/store-port.js";
import type { CampaignAdmission } from "./admission.js";
import type { CrowdGate } from "./crowd-gate.js";
import type { LoginCodeBook } from "./login-codes.js";
import type { LoginLimits, SharedCounter } from "./login-limits.js";
import type { Metrics } from "./metrics.js";
import type { Tokens } from "./tokens.js";

/** What every route plugin shares; handed over once when the app is built. */
export interface AppContext {
  readonly engine: EngineFront;
  readonly store: LedgerStore;
  readonly tokens: Tokens;
  readonly codes: LoginCodeBook;
  readonly login: {
    /** A verified code for a phone without a user makes its user (--signup). */
    readonly signup: boolean;
    readonly limits: LoginLimits;
  };
  readonly metrics: Metrics;
  readonly admission: CampaignAdmission;
  /** Holds claims while the event loop lags (started only with isolation on). */
  readonly gate: CrowdGate;
  /** Login limits counted where every edge shares them (the writer); each app's own without it. */
  readonly sharedLimits?: SharedCounter;
  /** Present only when the server runs with --test-clock. */
  readonly testClock: TestClock | undefined;
  readonly randomBytes: (size: number) => Uint8Array;
  /** The Ed25519 key pair that signs evidence records. */
  readonly evidenceKey: { readonly privateKey: KeyObject; readonly publicKey: KeyObject };
}

export type Auth = "none" | "user" | "admin" | "user-or-admin";

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: Auth;
  }
  interface FastifyRequest {
    /** The user a user token speaks for; "" on routes without user auth. */
    userId: string;
  }
}
