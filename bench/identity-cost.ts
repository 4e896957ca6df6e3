/**
 * What the identity work adds to each request on the claim fast path, measured in-process
 * against a baseline in the same run: a request id (`requestIdOf`, with and without a
 * client's X-Request-Id) against an empty function call, and a user token's check with
 * key ids and generations (`Tokens.verifyUserNow`) against the same HMAC check done bare
 * (createHmac + constant-time compare, the cost decision 0005 measured).
 *
 *   npm run build && node dist/bench/identity-cost.js [rounds]
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { requestIdOf } from "../src/api/request-id.js";
import { Tokens } from "../src/api/tokens.js";

const rounds = Number(process.argv[2] ?? 5);
const N = 200_000;
const secret = Buffer.from("bench-token-secret-that-is-at-least-32-bytes");
const tokens = new Tokens({ secret, adminToken: "bench-admin-token-0123", clock: { now: () => Date.now() } });
const users = Array.from({ length: 1000 }, (_, i) => `usr_${String(i).padStart(20, "0")}`);
for (let i = 0; i < 100; i++) tokens.setGeneration(users[i * 7] as string, 0);
const issued = await Promise.all(users.map((user) => tokens.issue(user)));

function bareCheck(token: string): boolean {
  const last = token.lastIndexOf(".");
  const expected = createHmac("sha256", secret).update(token.slice(0, last)).digest();
  const given = Buffer.from(token.slice(last + 1), "base64url");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function perSecond(run: (i: number) => unknown): number {
  const started = performance.now();
  for (let i = 0; i < N; i++) run(i);
  return N / ((performance.now() - started) / 1000);
}

const plain = { "user-agent": "bench" };
const withId = { "x-request-id": "checkout-42.a:b_c" };
const noop = (_: unknown) => 0;
const results: Record<string, number[]> = { verify: [], bare: [], idNew: [], idGiven: [], empty: [] };
for (let r = 0; r < rounds; r++) {
  results.verify?.push(perSecond((i) => tokens.verifyUserNow(issued[i % issued.length] as string)));
  results.bare?.push(perSecond((i) => bareCheck(issued[i % issued.length] as string)));
  results.idNew?.push(perSecond(() => requestIdOf(plain)));
  results.idGiven?.push(perSecond(() => requestIdOf(withId)));
  results.empty?.push(perSecond((i) => noop(i)));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const us = (perSec: number) => (1e6 / perSec).toFixed(2);
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)])) as Record<string, number>;
console.log(`rounds ${rounds} × ${N} calls, medians:`);
console.log(
  `token check (kid + generation): ${us(m.verify as number)} µs; bare HMAC check ${us(m.bare as number)} µs; ratio bare/ours ${((m.verify as number) / (m.bare as number)).toFixed(2)}`,
);
console.log(
  `request id, new UUID: ${us(m.idNew as number)} µs; client's id: ${us(m.idGiven as number)} µs; empty call ${us(m.empty as number)} µs`,
);
