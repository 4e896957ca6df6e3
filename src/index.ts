/** The library face of hongbao: run the service in-process, or use the ledger core directly. */
export { buildApp } from "./api/app.js";
export type { DomainError, ErrorCode, Result } from "./domain/errors.js";
export { EVENT_TYPES, type EventType } from "./domain/events.js";
export { type Calendar, DEFAULT_RULES, limitsAt, type Rules } from "./domain/rules.js";
export { type Clock, systemClock, TestClock } from "./engine/clock.js";
export type { Command, CommandResults } from "./engine/commands.js";
export { Engine, type EngineOptions } from "./engine/engine.js";
export type { LedgerStore } from "./engine/store-port.js";
export { createService, type ServerConfig, startServer } from "./server.js";
export { SqliteStore } from "./store/sqlite/sqlite-store.js";
export {
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  signatureHeader,
  verifySignature,
} from "./webhooks/signature.js";
