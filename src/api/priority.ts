/**
 * The admission classes of DESIGN's priorities: transfers and person-to-person packets
 * (money between people) first, campaign claims after, users' reads last. Operations
 * routes (health, metrics, docs) and the operator's admin routes are not classed, and a
 * read made with the admin token is not shed (src/api/app.ts): an operator can see and act
 * during a crowd.
 */
export type PriorityClass = "critical" | "campaign" | "read";

const CRITICAL = /^\/v1\/(transfers|red-packets|groups)(\/|$)/;
const CLAIM = "/v1/campaigns/:id/claim";

/** The class of a request by its method and route pattern (Fastify's `routeOptions.url`). */
export function priorityOf(method: string, route: string | undefined): PriorityClass | undefined {
  if (route === undefined || !route.startsWith("/v1/") || route.startsWith("/v1/admin/")) return undefined;
  if (route === CLAIM) return "campaign";
  if (method === "GET" || method === "HEAD") return route === "/v1/evidence/public-key" ? undefined : "read";
  return CRITICAL.test(route) ? "critical" : undefined;
}
