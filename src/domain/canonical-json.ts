/**
 * JSON with object keys sorted and no white space, so equal values give equal bytes:
 * used to hash idempotent requests and to sign evidence records.
 */
export class TooDeepError extends RangeError {}

export function canonicalJson(value: unknown, depthMax = 64, depth = 0): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (depth >= depthMax) throw new TooDeepError(`the value nests deeper than ${depthMax} levels`);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depthMax, depth + 1)).join(",")}]`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key], depthMax, depth + 1)}`);
  return `{${entries.join(",")}}`;
}
