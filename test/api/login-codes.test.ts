import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiError } from "../../src/api/errors.js";
import { DEFAULT_LOGIN_CODE_RULES, LoginCodes } from "../../src/api/login-codes.js";
import { TestClock } from "../../src/engine/clock.js";

/** The tables of live codes: bounded, never refusing, and users' codes apart from sign-ups'. */
describe("login codes", () => {
  function codesWith(userCodesMax: number, signupCodesMax: number) {
    const clock = new TestClock();
    clock.set(Date.parse("2026-08-19T08:00:00+08:00"));
    const sent = new Map<string, string>();
    const codes = new LoginCodes(
      {
        async send(phone, code) {
          sent.set(phone, code);
        },
      },
      clock,
      { ...DEFAULT_LOGIN_CODE_RULES, userCodesMax, signupCodesMax },
    );
    return { clock, sent, codes };
  }
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof ApiError ? error.code : String(error);
    }
    return "accepted";
  };

  it("a full table drops its oldest code to make room; it never refuses one", () => {
    const { sent, codes } = codesWith(3, 3);
    for (const phone of ["+861", "+862", "+863", "+864"]) codes.request(phone, "user");
    assert.deepEqual(codes.outstanding, { users: 3, signups: 0 });
    assert.equal(
      refusal(() => codes.verify("+861", sent.get("+861") as string)),
      "INVALID_CODE",
    );
    for (const phone of ["+862", "+863", "+864"]) assert.equal(codes.verify(phone, sent.get(phone) as string), "user");
    assert.deepEqual(codes.outstanding, { users: 0, signups: 0 });
  });

  it("expired codes go first, and a new code for a phone replaces its old one", () => {
    const { clock, sent, codes } = codesWith(2, 2);
    codes.request("+861", "user");
    clock.set(clock.now() + DEFAULT_LOGIN_CODE_RULES.codeLifetimeMs);
    codes.request("+862", "user");
    codes.request("+862", "user");
    codes.request("+863", "user");
    assert.deepEqual(codes.outstanding, { users: 2, signups: 0 });
    assert.equal(codes.verify("+862", sent.get("+862") as string), "user");
    assert.equal(codes.verify("+863", sent.get("+863") as string), "user");
  });

  it("sign-up codes have their own table: a flood of them leaves users' codes alone", () => {
    const { sent, codes } = codesWith(2, 5);
    codes.request("+86100", "user");
    for (let i = 0; i < 1_000; i++) codes.request(`+86200${i}`, "signup");
    assert.deepEqual(codes.outstanding, { users: 1, signups: 5 });
    assert.equal(codes.verify("+86100", sent.get("+86100") as string), "user");
    assert.equal(codes.verify("+86200999", sent.get("+86200999") as string), "signup");
  });

  it("a phone asked for without a user and without sign-up keeps and sends nothing", () => {
    const { sent, codes } = codesWith(2, 2);
    assert.deepEqual(codes.request("+86300", undefined), { expiresInSeconds: 300 });
    assert.deepEqual(codes.request("+86301", "user"), { expiresInSeconds: 300 });
    assert.deepEqual(codes.outstanding, { users: 1, signups: 0 });
    assert.equal(sent.has("+86300"), false);
    assert.equal(
      refusal(() => codes.verify("+86300", "123456")),
      "INVALID_CODE",
    );
  });
});
