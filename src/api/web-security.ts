import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/** Origins are `scheme://host[:port]` exactly as a browser sends them: no path, no wildcard. */
const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/;
export const CORS_ORIGINS_MAX = 100;
/** What a browser on an allowed origin may read besides the safelisted headers. */
const EXPOSED = ["x-request-id", "retry-after", "idempotent-replayed", "etag", "location"];

/** The operator's allowlist, checked: a typo must stop the start, not open or close the API silently. */
export function parseCorsOrigins(value: string | undefined): string[] {
  if (value === undefined || value.trim() === "") return [];
  const origins = value
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
  if (origins.length > CORS_ORIGINS_MAX) throw new Error(`at most ${CORS_ORIGINS_MAX} CORS origins`);
  for (const origin of origins) {
    if (!ORIGIN.test(origin)) throw new Error(`CORS origin ${JSON.stringify(origin)} is not scheme://host[:port]`);
  }
  return origins;
}

/**
 * CORS for the allowlisted origins only (an empty list answers no CORS headers, so browsers
 * on other origins are refused by the browser), and security headers on every Fastify answer
 * (helmet's defaults, framing forbidden). The API reads tokens from Authorization, never
 * cookies, so credentials are not allowed across origins.
 */
export async function registerWebSecurity(app: FastifyInstance, corsOrigins: readonly string[]): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { directives: { "frame-ancestors": ["'none'"] } },
    frameguard: { action: "deny" },
  });
  if (corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: [...corsOrigins],
    methods: ["GET", "HEAD", "POST"],
    allowedHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", "traceparent"],
    exposedHeaders: EXPOSED,
    credentials: false,
    maxAge: 600,
    hideOptionsRoute: true,
  });
}
