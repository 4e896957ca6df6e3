import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

/**
 * Nothing a client sends may exhaust what other clients need: floods of login-code requests
 * for phones without a user, from one address or from many (forwarded by a trusted proxy),
 * leave every real user able to get a code and log in. inject() comes from 127.0.0.1, which
 * these apps trust as their proxy where they read X-Forwarded-For.
 */

/** 20 000 in `npm test` (twice the table of sign-up codes); `npm run test:login-flood` sends 100 000. */
const FLOOD = Number(process.env.LOGIN_FLOOD ?? 20_000);
const IN_FLIGHT = 500;

/** Captures the codes the app sends, by phone. */
function capture(app: TestApp): Map<string, string[]> {
  const sent = new Map<string, string[]>();
  app.context.codes.sender.send = async (phone, code) => {
    sent.set(phone, [...(sent.get(phone) ?? []), code]);
  };
  return sent;
}

function askCode(app: TestApp, phone: string, from?: string): Promise<LightMyRequestResponse> {
  return app.call("POST", "/v1/auth/otp", {
    body: { phone },
    ...(from === undefined ? {} : { headers: { "x-forwarded-for": from } }),
  });
}

function logIn(app: TestApp, phone: string, code: string, from?: string): Promise<LightMyRequestResponse> {
  return app.call("POST", "/v1/auth/token", {
    body: { phone, code },
    ...(from === undefined ? {} : { headers: { "x-forwarded-for": from } }),
  });
}

/** The i-th address of 10.0.0.0/8: a distinct source for each i below 2^24. */
const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** A phone no user has: +86 170 and eight digits from i. */
const unknownPhone = (i: number) => `+86170${String(i).padStart(8, "0")}`;

function assertRateLimited(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 429, response.body);
  assert.deepEqual(Object.keys(response.json()), ["error"]);
  assert.equal(response.json().error.code, "RATE_LIMITED");
  assert.equal(typeof response.json().error.message, "string");
  assert.match(String(response.headers["retry-after"]), /^[1-9][0-9]*$/);
}

/** Sends `count` requests, `IN_FLIGHT` at a time; returns how many got each status. */
async function flood(count: number, send: (i: number) => Promise<LightMyRequestResponse>) {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const response = await send(next++);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

async function logsIn(app: TestApp, sent: Map<string, string[]>, user: TestUser, from?: string): Promise<void> {
  const asked = await askCode(app, user.phone, from);
  assert.equal(asked.statusCode, 202, asked.body);
  const code = sent.get(user.phone)?.at(-1);
  assert.ok(code !== undefined, "the user's code was sent");
  const loggedIn = await logIn(app, user.phone, code, from);
  assert.equal(loggedIn.statusCode, 200, loggedIn.body);
  assert.equal(loggedIn.json().userId, user.userId);
}

describe("a flood of login-code requests locks no one out", () => {
  it(`${FLOOD} requests for unknown phones from ${FLOOD} addresses, sign-up on: a real user still logs in`, async () => {
    const app = await startTestApp({ signup: true, trustProxy: "127.0.0.1" });
    try {
      const sent = capture(app);
      const alice = await app.createUser("alice");
      const statuses = await flood(FLOOD, (i) => askCode(app, unknownPhone(i), address(i)));
      assert.deepEqual([...statuses], [[202, FLOOD]], "each address and phone asked once: every answer is 202");
      const { users, signups } = app.context.codes.outstanding;
      assert.equal(users, 0);
      const bound = Math.min(FLOOD, app.context.codes.rules.signupCodesMax);
      assert.equal(signups, bound, "sign-up codes stop at their bound");
      await logsIn(app, sent, alice, "192.0.2.1");
      assert.equal(app.context.codes.outstanding.signups, bound);
    } finally {
      await app.dispose();
    }
  });

  it("sign-up off: the same flood keeps and sends nothing for phones without a user", async () => {
    const app = await startTestApp({ trustProxy: "127.0.0.1" });
    try {
      const sent = capture(app);
      const bob = await app.createUser("bob");
      const statuses = await flood(FLOOD, (i) => askCode(app, unknownPhone(i), address(i)));
      assert.deepEqual([...statuses], [[202, FLOOD]]);
      assert.deepEqual(app.context.codes.outstanding, { users: 0, signups: 0 });
      assert.equal(sent.size, 0, "no code was sent");
      await logsIn(app, sent, bob, "192.0.2.1");
    } finally {
      await app.dispose();
    }
  });

  it("one address flooding gets 429 with Retry-After past its quota; other addresses still get codes", async () => {
    const app = await startTestApp({ signup: true, trustProxy: "127.0.0.1" });
    try {
      const sent = capture(app);
      const carol = await app.createUser("carol");
      const quota = app.context.login.limits.codesPerSource.max;
      const statuses = await flood(5_000, (i) => askCode(app, unknownPhone(i), "203.0.113.7"));
      assert.deepEqual([...statuses].sort(), [
        [202, quota],
        [429, 5_000 - quota],
      ]);
      assertRateLimited(await askCode(app, unknownPhone(9_999_999), "203.0.113.7"));
      assert.equal(app.context.codes.outstanding.signups, quota, "one address holds at most its quota of codes");
      assert.equal((await askCode(app, unknownPhone(5_000), "198.51.100.1")).statusCode, 202);
      await logsIn(app, sent, carol, "198.51.100.2");
    } finally {
      await app.dispose();
    }
  });

  it("without a trusted proxy X-Forwarded-For is ignored: the socket's address is the source", async () => {
    const app = await startTestApp();
    try {
      const quota = app.context.login.limits.codesPerSource.max;
      const statuses = await flood(quota + 10, (i) => askCode(app, unknownPhone(i), address(i)));
      assert.deepEqual([...statuses].sort(), [
        [202, quota],
        [429, 10],
      ]);
    } finally {
      await app.dispose();
    }
    // Nor from a hop that is not the configured proxy.
    const behind = await startTestApp({ trustProxy: "10.9.9.9" });
    try {
      const quota = behind.context.login.limits.codesPerSource.max;
      const statuses = await flood(quota + 1, (i) => askCode(behind, unknownPhone(i), address(i)));
      assert.equal(statuses.get(429), 1);
    } finally {
      await behind.dispose();
    }
  });

  it("addresses in one IPv6 /64 are one source", async () => {
    const app = await startTestApp({ trustProxy: "127.0.0.1" });
    try {
      const quota = app.context.login.limits.codesPerSource.max;
      const statuses = await flood(quota + 5, (i) =>
        askCode(app, unknownPhone(i), `2001:db8:7:7::${(i + 1).toString(16)}`),
      );
      assert.equal(statuses.get(429), 5);
      assert.equal(
        (await askCode(app, unknownPhone(99), "2001:db8:7:8::1")).statusCode,
        202,
        "the next /64 is another source",
      );
    } finally {
      await app.dispose();
    }
  });

  it("a phone asked for again within a minute is 429 with Retry-After from any address, with a user or without, alike", async () => {
    const app = await startTestApp({ trustProxy: "127.0.0.1" });
    try {
      const dave = await app.createUser("dave");
      const stranger = unknownPhone(42);
      const first = [await askCode(app, dave.phone, "192.0.2.10"), await askCode(app, stranger, "192.0.2.11")];
      const again = [await askCode(app, dave.phone, "192.0.2.12"), await askCode(app, stranger, "192.0.2.13")];
      for (const response of first) assert.equal(response.statusCode, 202, response.body);
      assert.equal(first[0]?.body, first[1]?.body);
      for (const response of again) assertRateLimited(response);
      assert.equal(again[0]?.body, again[1]?.body);
      assert.equal(again[0]?.headers["retry-after"], again[1]?.headers["retry-after"]);
    } finally {
      await app.dispose();
    }
  });

  it("codes tried from one address are limited across phones", async () => {
    const app = await startTestApp({ trustProxy: "127.0.0.1" });
    try {
      const erin = await app.createUser("erin");
      const limit = app.context.login.limits.loginsPerSource.max;
      const statuses = await flood(limit + 3, (i) => logIn(app, unknownPhone(i), "123456", "203.0.113.9"));
      assert.deepEqual([...statuses].sort(), [
        [401, limit],
        [429, 3],
      ]);
      assertRateLimited(await logIn(app, erin.phone, "123456", "203.0.113.9"));
      assert.equal((await logIn(app, erin.phone, "123456", "203.0.113.10")).statusCode, 401, "another address may try");
    } finally {
      await app.dispose();
    }
  });
});

describe("sign-up", () => {
  it("off (the default): a phone without a user gets the same 202, no code, and no code logs it in", async () => {
    const app = await startTestApp();
    try {
      const sent = capture(app);
      const known = await app.createUser();
      const stranger = unknownPhone(7);
      const forKnown = await askCode(app, known.phone);
      const forStranger = await askCode(app, stranger);
      assert.equal(forStranger.statusCode, 202);
      assert.equal(forStranger.body, forKnown.body);
      assert.equal(sent.get(stranger), undefined);
      for (const code of ["000000", "123456", sent.get(known.phone)?.at(-1) as string]) {
        const refused = await logIn(app, stranger, code);
        assert.equal(refused.statusCode, 401, refused.body);
        assert.equal(refused.json().error.code, "INVALID_CODE");
      }
      assert.equal(await app.context.store.userByPhone(stranger), undefined, "no user was made");
    } finally {
      await app.dispose();
    }
  });

  it("on: a verified code for a new phone makes its user; the next login finds the same user", async () => {
    const app = await startTestApp({ signup: true, testClock: true });
    try {
      const clock = app.context.testClock;
      assert.ok(clock !== undefined);
      const start = Date.parse("2026-08-19T08:00:00+08:00");
      clock.set(start);
      const sent = capture(app);
      const known = await app.createUser();
      const stranger = unknownPhone(8);
      const forKnown = await askCode(app, known.phone);
      const forStranger = await askCode(app, stranger);
      assert.equal(forStranger.statusCode, forKnown.statusCode);
      assert.equal(forStranger.body, forKnown.body, "the answer does not tell whether the phone has a user");
      const code = sent.get(stranger)?.at(-1);
      assert.ok(code !== undefined, "a sign-up code was sent");
      const wrong = await logIn(app, stranger, code === "000000" ? "000001" : "000000");
      assert.equal(wrong.statusCode, 401, wrong.body);
      assert.equal(await app.context.store.userByPhone(stranger), undefined, "a wrong code makes no user");

      const signedUp = await app.call("POST", "/v1/auth/token", {
        body: { phone: stranger, code, name: "Zhu Yingtai" },
      });
      assert.equal(signedUp.statusCode, 200, signedUp.body);
      const { userId, token } = signedUp.json();
      assert.equal((await app.context.store.userByPhone(stranger))?.id, userId);
      const me = await app.call("GET", "/v1/me", { token });
      assert.equal(me.statusCode, 200, me.body);
      assert.deepEqual([me.json().phone, me.json().name], [stranger, "Zhu Yingtai"]);
      const wallet = await app.call("GET", "/v1/me/wallet", { token });
      assert.deepEqual(wallet.json(), { userId, balance: 0 });

      clock.set(start + 61_000);
      assert.equal((await askCode(app, stranger)).statusCode, 202);
      const again = await logIn(app, stranger, sent.get(stranger)?.at(-1) as string);
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().userId, userId, "the phone's user, not a second one");
      assert.equal(app.context.codes.outstanding.signups, 0);
    } finally {
      await app.dispose();
    }
  });
});
