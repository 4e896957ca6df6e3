import "@fastify/swagger";
import type { KeyObject } from "node:crypto";
import type { TestClock } from "../engine/clock.js";
import type { EngineFront } from "../engine/front.js";
import type { LedgerStore } from "../engine/store-port.js";
import type { TargetPolicy } from "../webhooks/target-policy.js";
import type { CampaignAdmission } from "./admission.js";
import type { Covers } from "./covers.js";
import type { CrowdGate } from "./crowd-gate.js";
import type { ProductTokens } from "./exchange.js";
import type { Identity, Scope } from "./identity.js";
import type { Line } from "./line.js";
import type { LiveEvents } from "./live-events.js";
import type { LoginCodeBook } from "./login-codes.js";
import type { LoginLimits, SharedCounter } from "./login-limits.js";
import type { Metrics } from "./metrics.js";
import type { MemoryAnswers } from "./return-load.js";
import type { Tokens } from "./tokens.js";

/** What every route plugin shares; handed over once when the app is built. */
export interface AppContext {
  readonly engine: EngineFront;
  readonly store: LedgerStore;
  readonly tokens: Tokens;
  /** Service keys, signing keys and users' token generations. */
  readonly identity: Identity;
  /**
   * False while the identity this process checks against may be behind the writer's (an edge
   * between losing its writer and reading every shared row again): authentication waits.
   */
  readonly identityCurrent?: () => boolean;
  /** A product's own tokens taken in exchange for user tokens; undefined when not configured. */
  readonly productTokens: ProductTokens | undefined;
  /** The operator's catalogue of red-packet covers. */
  readonly covers: Covers;
  readonly codes: LoginCodeBook;
  readonly login: {
    /** A verified code for a phone without a user makes its user (--signup). */
    readonly signup: boolean;
    readonly limits: LoginLimits;
  };
  /** Present only while login codes go to the dev sender (no real SMS sender configured). */
  readonly devCodes?: { last(phone: string): string | undefined | Promise<string | undefined> } | undefined;
  readonly metrics: Metrics;
  readonly admission: CampaignAdmission;
  /** The web app's live event streams (GET /v1/me/events). */
  readonly live: LiveEvents;
  /**
   * Answers claims that cannot be decided at once with a place in line: the waiting room where
   * the engine is, asked over the wire from an edge; undefined when off.
   */
  readonly line: Line | undefined;
  /** Holds claims while the event loop lags (started only with isolation on). */
  readonly gate: CrowdGate;
  /** Counts the claims answered from memory, which the waiting room beside it does not see; undefined without a room here. */
  readonly answeredFromMemory?: MemoryAnswers | undefined;
  /** Login limits counted where every edge shares them (the writer); each app's own without it. */
  readonly sharedLimits?: SharedCounter;
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
    /** What an operator's key needs on an "admin" or "user-or-admin" route. */
    scope?: Scope;
  }
  interface FastifyRequest {
    /** The user a user token speaks for; "" on routes without user auth. */
    userId: string;
  }
}
