import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { skipOnBunEdges, startTestApp, type TestApp, type TestUser } from "../support/harness.js";

/**
 * The dev sender's codes log a person in: the page may read them only from the server's own
 * machine. inject() lets a test choose the socket's peer address, which is what the route trusts.
 */
describe("the dev sender's login codes", {
  skip: skipOnBunEdges("inject's remoteAddress picks the peer in-process; over HTTP every peer is 127.0.0.1"),
}, () => {
  let app: TestApp;
  let user: TestUser;
  before(async () => {
    app = await startTestApp();
    user = await app.createUser("dev");
    const sent = await app.app.inject({ method: "POST", url: "/v1/auth/otp", payload: { phone: user.phone } });
    assert.equal(sent.statusCode, 202, sent.body);
  });
  after(async () => {
    await app.dispose();
  });

  const read = (remoteAddress: string, headers: Record<string, string> = {}) =>
    app.app.inject({
      method: "GET",
      url: `/v1/dev/login-code?phone=${encodeURIComponent(user.phone)}`,
      remoteAddress,
      headers,
    });
  const options = (remoteAddress: string) => app.app.inject({ method: "GET", url: "/v1/auth/options", remoteAddress });

  it("are shown to a client on the server's own machine", async () => {
    for (const peer of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      const answer = await read(peer);
      assert.equal(answer.statusCode, 200, `${peer}: ${answer.body}`);
      assert.match(answer.json().code, /^\d{6}$/);
      assert.equal((await options(peer)).json().devCodes, true);
    }
  });

  it("are not shown to any other address, whatever X-Forwarded-For claims", async () => {
    for (const peer of ["203.0.113.7", "10.0.0.2", "2001:db8::1"]) {
      const answer = await read(peer, { "x-forwarded-for": "127.0.0.1" });
      assert.equal(answer.statusCode, 404, `${peer}: ${answer.body}`);
      assert.equal(answer.json().error.code, "NOT_FOUND");
      assert.doesNotMatch(answer.body, /\d{6}/);
      assert.equal((await options(peer)).json().devCodes, false);
    }
  });
});
