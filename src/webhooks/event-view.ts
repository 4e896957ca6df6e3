import { formatInstant } from "../domain/time.js";
import type { StoredEvent } from "./event-store.js";

/**
 * An event as clients see it, in `GET /v1/events` and in a webhook's body alike:
 * `{id, object: "event", type, createdAt, data: {object}}`, instants (`…At`) in ISO 8601.
 */
export function eventView(event: StoredEvent): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.data)) {
    object[key] = key.endsWith("At") && typeof value === "number" ? formatInstant(value) : value;
  }
  return { id: event.id, object: "event", type: event.type, createdAt: formatInstant(event.at), data: { object } };
}
