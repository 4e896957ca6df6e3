import { encodeFrame, WIRE_VERSION } from "../../src/wire/frames.js";
import type { EdgeSetup, WriterMessage } from "../../src/wire/messages.js";

/** An edge's setup with nothing configured: tests that look at the wire, not at what edges serve. */
export const EDGE_SETUP: EdgeSetup = {
  tokenSecret: "",
  adminToken: "",
  evidenceKeyPem: "",
  signup: false,
  testClock: false,
  isolation: true,
  exchange: null,
  live: {},
  devCodes: false,
  corsOrigins: [],
  webhookAllowPrivate: false,
  waitingRoom: false,
};

/** What a writer says first when it has nothing to tell: an idle status, no facts, no rules. */
export function welcomeFrame(epoch?: number | null): Buffer {
  const welcome: WriterMessage = {
    t: "welcome",
    v: WIRE_VERSION,
    ...(epoch === undefined ? {} : { epoch }),
    status: {
      ready: true,
      now: Date.now(),
      queueDepth: 0,
      laneDepth: { critical: 0, campaign: 0 },
      queueDelayMs: { critical: 0, campaign: 0 },
    },
    snapshot: { facts: [], rules: null, setup: EDGE_SETUP },
  };
  return encodeFrame(welcome);
}
