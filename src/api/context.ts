import "@fastify/swagger";
import type { KeyObject } from "node:crypto";
import type { TestClock } from "../engine/clock.js";
import type { Engine } from "../engine/engine.js";
import type { LedgerStore } from "../engine/store-port.js";
import type { TargetPolicy } from "../webhooks/target-policy.js";
import type { CampaignAdmission } from "./admission.js";
import type { CrowdGate } from "./crowd-gate.js";
import type { LoginCodes } from "./login-codes.js";
import type { LoginLimits } from "./login-limits.js";
import type { Metrics } from "./metrics.js";
import type { Tokens } from "./tokens.js";

/** What every route plugin shares; handed over once when the app is built. */
export interface AppContext {
  readonly engine: Engine;
  readonly store: LedgerStore;
  readonly tokens: Tokens;
  readonly codes: LoginCodes;
  readonly login: {
    /** A verified code for a phone without a user makes its user (--signup). */
    readonly signup: boolean;
    readonly limits: LoginLimits;
  };
  readonly metrics: Metrics;
  readonly admission: CampaignAdmission;
  /** Holds claims while the event loop lags (started only with isolation on). */
  readonly gate: CrowdGate;
  /** Present only when the server runs with --test-clock. */
  readonly testClock: TestClock | undefined;
  readonly randomBytes: (size: number) => Uint8Array;
  /** Where webhook endpoints may point (src/webhooks/target-policy.ts). */
  readonly webhookPolicy: TargetPolicy;
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
