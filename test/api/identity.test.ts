import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { skipOnBunEdges, startTestApp, TEST_STORE, type TestApp } from "../support/harness.js";

/**
 * Operators' service keys with scopes, user tokens revoked by logging out everywhere,
 * token signing keys rotated by kid, and products' own tokens exchanged against a real
 * JWKS endpoint on loopback; on the store the suite runs on, across restarts.
 */

const headerOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString());

describe(`identity (${TEST_STORE})`, () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.dispose();
  });

  const createKey = async (scopes: string[], token = "admin") => {
    const reply = await app.call("POST", "/v1/admin/keys", {
      token,
      body: { name: `key ${scopes.join(" ")}`, scopes },
    });
    assert.equal(reply.statusCode, 201, reply.body);
    return reply.json() as { key: { id: string; scopes: string[]; revokedAt: string | null }; secret: string };
  };

  it("a service key does what its scopes allow, and is 403 everywhere else", async () => {
    const user = await app.createUser();
    const depositor = await createKey(["deposits:write"]);
    assert.match(depositor.secret, /^hk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(depositor.key.scopes, ["deposits:write"]);
    const deposit = await app.call("POST", "/v1/admin/deposits", {
      token: depositor.secret,
      body: { userId: user.userId, amount: 500 },
    });
    assert.equal(deposit.statusCode, 201, deposit.body);
    for (const [method, url, body] of [
      ["POST", "/v1/admin/users", { phone: "+8613500000001", name: "x" }],
      ["GET", "/v1/admin/ledger", undefined],
      ["POST", "/v1/admin/keys", { name: "escalate", scopes: ["keys:write"] }],
      ["GET", `/v1/campaigns/cmp_00000000000000000000`, undefined],
    ] as const) {
      const refused = await app.call(method, url, { token: depositor.secret, ...(body === undefined ? {} : { body }) });
      assert.equal(refused.statusCode, 403, `${method} ${url}: ${refused.body}`);
      assert.equal(refused.json().error.code, "FORBIDDEN");
    }
    const onUserRoute = await app.call("GET", "/v1/me", { token: depositor.secret });
    assert.equal(onUserRoute.statusCode, 403);
    const reader = await createKey(["read"]);
    assert.equal((await app.call("GET", "/v1/admin/ledger", { token: reader.secret })).statusCode, 200);
    assert.equal((await app.call("GET", "/v1/admin/keys", { token: reader.secret })).statusCode, 200);
    assert.equal((await app.call("POST", "/v1/admin/signing-keys", { token: reader.secret })).statusCode, 403);
    // A user's token on an operator's route is 403, as before.
    assert.equal((await app.call("GET", "/v1/admin/keys", { token: user.token })).statusCode, 403);
  });

  it("keeps only a hash of each key, and lists keys without secrets", async () => {
    const made = await createKey(["read"]);
    const listed = (await app.call("GET", "/v1/admin/keys", { token: "admin" })).json() as {
      keys: Record<string, unknown>[];
    };
    const mine = listed.keys.find((key) => key.id === made.key.id);
    assert.ok(mine);
    assert.equal(JSON.stringify(listed).includes(made.secret.slice(20)), false);
    const rows = await app.query<Record<string, unknown>>("SELECT * FROM api_keys WHERE id = ?", made.key.id);
    assert.equal(rows.length, 1);
    // hk_<16 hex id>_<secret>: the secret is base64url, which may itself hold "_".
    const secretPart = made.secret.slice("hk_".length + 16 + 1);
    assert.equal(JSON.stringify(rows).includes(secretPart), false);
    assert.match(String(rows[0]?.secret_hash), /^[0-9a-f]{64}$/);
  });

  it("refuses a revoked key at once, a rotated key's old secret at once, and a wrong secret", async () => {
    const key = await createKey(["read"]);
    const ledger = (token: string) => app.call("GET", "/v1/admin/ledger", { token });
    assert.equal((await ledger(key.secret)).statusCode, 200);
    const rotated = await app.call("POST", `/v1/admin/keys/${key.key.id}/rotate`, { token: "admin" });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const fresh = rotated.json().secret as string;
    assert.equal(fresh.slice(0, 19), key.secret.slice(0, 19), "same id");
    const old = await ledger(key.secret);
    assert.equal(old.statusCode, 401);
    assert.equal(old.json().error.code, "INVALID_TOKEN");
    assert.equal((await ledger(fresh)).statusCode, 200);
    const revoked = await app.call("POST", `/v1/admin/keys/${key.key.id}/revoke`, { token: "admin" });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    const after = await ledger(fresh);
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().error.code, "TOKEN_REVOKED");
    assert.equal((await ledger(`hk_${"0".repeat(16)}_${"A".repeat(43)}`)).json().error.code, "INVALID_TOKEN");
    assert.equal((await ledger("hk_short")).statusCode, 401);
    const missing = await app.call("POST", `/v1/admin/keys/${"0".repeat(16)}/revoke`, { token: "admin" });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, "KEY_NOT_FOUND");
    const badScope = await app.call("POST", "/v1/admin/keys", {
      token: "admin",
      body: { name: "x", scopes: ["root"] },
    });
    assert.equal(badScope.statusCode, 400);
  });

  it("a rotation with a grace period takes the old secret until the period ends, then refuses it", {
    skip: skipOnBunEdges("the writer's test clock moves; an edge in another process follows it only later"),
  }, async () => {
    const timed = await startTestApp({ testClock: true });
    try {
      const clock = timed.context.testClock;
      assert.ok(clock !== undefined);
      const made = (
        await timed.call("POST", "/v1/admin/keys", { token: "admin", body: { name: "deploy", scopes: ["read"] } })
      ).json();
      const rotated = await timed.call("POST", `/v1/admin/keys/${made.key.id}/rotate`, {
        token: "admin",
        body: { graceSeconds: 600 },
      });
      assert.equal(rotated.statusCode, 200, rotated.body);
      assert.ok(rotated.json().key.previousValidUntil);
      const ledger = (token: string) => timed.call("GET", "/v1/admin/ledger", { token });
      assert.equal((await ledger(made.secret)).statusCode, 200, "the old secret holds during the grace period");
      assert.equal((await ledger(rotated.json().secret)).statusCode, 200);
      clock.set(clock.now() + 601_000);
      assert.equal((await ledger(made.secret)).statusCode, 401, "and not after it");
      assert.equal((await ledger(rotated.json().secret)).statusCode, 200);
      const tooLong = await timed.call("POST", `/v1/admin/keys/${made.key.id}/rotate`, {
        token: "admin",
        body: { graceSeconds: 8 * 24 * 3600 },
      });
      assert.equal(tooLong.statusCode, 400);
    } finally {
      await timed.dispose();
    }
  });

  it("logs a user out everywhere: every token issued so far is refused, new ones work", async () => {
    const user = await app.createUser();
    const second = await app.context.tokens.issue(user.userId);
    assert.equal((await app.call("GET", "/v1/me", { token: second })).statusCode, 200);
    const out = await app.call("POST", "/v1/me/logout", { token: user.token });
    assert.equal(out.statusCode, 200, out.body);
    for (const token of [user.token, second]) {
      const refused = await app.call("GET", "/v1/me", { token });
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.json().error.code, "TOKEN_REVOKED");
    }
    const fresh = await app.context.tokens.issue(user.userId);
    assert.equal((await app.call("GET", "/v1/me", { token: fresh })).statusCode, 200);
    const byOperator = await app.call("POST", `/v1/admin/users/${user.userId}/logout`, { token: "admin" });
    assert.equal(byOperator.statusCode, 200);
    assert.equal((await app.call("GET", "/v1/me", { token: fresh })).json().error.code, "TOKEN_REVOKED");
    const unknown = await app.call("POST", "/v1/admin/users/usr_00000000000000000000/logout", { token: "admin" });
    assert.equal(unknown.statusCode, 404);
  });

  it("rotates signing keys by kid: old tokens hold until their key is retired", async () => {
    const user = await app.createUser();
    const before = await app.context.tokens.issue(user.userId);
    const rotated = await app.call("POST", "/v1/admin/signing-keys", { token: "admin" });
    assert.equal(rotated.statusCode, 201, rotated.body);
    const kid = rotated.json().kid as string;
    const after = await app.context.tokens.issue(user.userId);
    assert.equal(headerOf(after).kid, kid);
    assert.notEqual(headerOf(before).kid, kid);
    for (const token of [before, after]) assert.equal((await app.call("GET", "/v1/me", { token })).statusCode, 200);
    const inUse = await app.call("POST", `/v1/admin/signing-keys/${kid}/retire`, { token: "admin" });
    assert.equal(inUse.statusCode, 409);
    assert.equal(inUse.json().error.code, "SIGNING_KEY_IN_USE");
    const oldKid = headerOf(before).kid as string;
    const retired = await app.call("POST", `/v1/admin/signing-keys/${oldKid}/retire`, { token: "admin" });
    assert.equal(retired.statusCode, 200, retired.body);
    const refused = await app.call("GET", "/v1/me", { token: before });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error.code, "INVALID_TOKEN");
    assert.equal((await app.call("GET", "/v1/me", { token: after })).statusCode, 200);
    const listed = (await app.call("GET", "/v1/admin/signing-keys", { token: "admin" })).json().keys as {
      kid: string;
      current: boolean;
      retiredAt: string | null;
    }[];
    assert.equal(listed.find((key) => key.current)?.kid, kid);
    assert.ok(listed.find((key) => key.kid === oldKid)?.retiredAt);
  });

  it("keeps keys, revocations and signing keys across a restart", async () => {
    const dir = (await import("node:fs")).mkdtempSync(`${(await import("node:os")).tmpdir()}/hongbao-identity-`);
    let first: TestApp | undefined = await startTestApp({ dir });
    let second: TestApp | undefined;
    try {
      const user = await first.createUser();
      const revokedKey = (
        await first.call("POST", "/v1/admin/keys", { token: "admin", body: { name: "r", scopes: ["read"] } })
      ).json().secret as string;
      const liveKey = (
        await first.call("POST", "/v1/admin/keys", { token: "admin", body: { name: "l", scopes: ["read"] } })
      ).json().secret as string;
      await first.call("POST", `/v1/admin/keys/${revokedKey.slice(3, 19)}/revoke`, { token: "admin" });
      const kid = (await first.call("POST", "/v1/admin/signing-keys", { token: "admin" })).json().kid as string;
      const signedByNew = await first.context.tokens.issue(user.userId);
      assert.equal((await first.call("POST", "/v1/me/logout", { token: user.token })).statusCode, 200);
      assert.equal(
        (await first.call("POST", "/v1/admin/signing-keys/initial/retire", { token: "admin" })).statusCode,
        200,
      );
      const afterLogout = await first.context.tokens.issue(user.userId);
      await first.close();
      first = undefined;
      second = await startTestApp({ dir });
      assert.equal((await second.call("GET", "/v1/admin/ledger", { token: liveKey })).statusCode, 200);
      assert.equal(
        (await second.call("GET", "/v1/admin/ledger", { token: revokedKey })).json().error.code,
        "TOKEN_REVOKED",
      );
      assert.equal((await second.call("GET", "/v1/me", { token: user.token })).statusCode, 401);
      assert.equal((await second.call("GET", "/v1/me", { token: signedByNew })).json().error.code, "TOKEN_REVOKED");
      assert.equal((await second.call("GET", "/v1/me", { token: afterLogout })).statusCode, 200);
      assert.equal(headerOf(await second.context.tokens.issue(user.userId)).kid, kid);
    } finally {
      await first?.close();
      await second?.dispose();
    }
  });
});

describe(`products' own tokens exchanged against a JWKS on loopback (${TEST_STORE})`, () => {
  const ISSUER = "https://chat.example.test";
  const AUDIENCE = "hongbao";
  let jwks: Server;
  const published: JWK[] = [];
  let fetches = 0;
  let app: TestApp;
  let plain: TestApp;
  let signer: { privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"]; kid: string };

  const sign = (
    claims: Record<string, unknown>,
    options: { key?: typeof signer; iat?: number; exp?: string | number } = {},
  ) => {
    const key = options.key ?? signer;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(options.iat)
      .setExpirationTime(options.exp ?? "5m")
      .sign(key.privateKey);
  };
  const newKey = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    published.push({ ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" });
    return { privateKey, kid };
  };
  const exchange = (assertion: string, on = app) => on.call("POST", "/v1/auth/exchange", { body: { assertion } });

  before(async () => {
    jwks = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const address = jwks.address();
    assert.ok(address !== null && typeof address === "object");
    signer = await newKey("product-1");
    app = await startTestApp({
      exchange: {
        jwksUrl: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
        issuer: ISSUER,
        audience: AUDIENCE,
        keySetCooldownMs: 0,
      },
    });
    plain = await startTestApp();
  });
  after(async () => {
    await app?.dispose();
    await plain?.dispose();
    jwks?.close();
  });

  it("makes the user on first sight from phone_number, then finds it by subject", async () => {
    const phone = `+8613${String(process.pid % 100000).padStart(5, "0")}0777`;
    const first = await exchange(await sign({ sub: "chat-user-1", phone_number: phone, name: "小明" }));
    assert.equal(first.statusCode, 200, first.body);
    const { token, userId } = first.json() as { token: string; userId: string };
    const me = (await app.call("GET", "/v1/me", { token })).json();
    assert.deepEqual(me, { userId, phone, name: "小明" });
    const again = await exchange(await sign({ sub: "chat-user-1" }));
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().userId, userId);
    const links = await app.query<{ user_id: string }>(
      "SELECT user_id FROM external_subjects WHERE issuer = ? AND subject = ?",
      ISSUER,
      "chat-user-1",
    );
    assert.deepEqual(links, [{ user_id: userId }]);
    // A subject seen for the first time without a phone cannot be placed.
    const unplaced = await exchange(await sign({ sub: "chat-user-2" }));
    assert.equal(unplaced.statusCode, 401);
  });

  it("links a subject to the user that already has its phone", async () => {
    const existing = await app.createUser("existing");
    const reply = await exchange(await sign({ sub: "chat-user-3", phone_number: existing.phone }));
    assert.equal(reply.json().userId, existing.userId);
  });

  it("refuses tokens with the wrong audience, issuer, key, age or expiry", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = { privateKey: (await generateKeyPair("ES256")).privateKey, kid: "product-1" };
    const cases: [string, Promise<string>, string][] = [
      ["expired", sign({ sub: "s" }, { iat: now - 120, exp: now - 60 }), "TOKEN_EXPIRED"],
      ["other key", sign({ sub: "s" }, { key: stranger }), "INVALID_TOKEN"],
      [
        "other audience",
        new SignJWT({ sub: "s" })
          .setProtectedHeader({ alg: "ES256", kid: signer.kid })
          .setIssuer(ISSUER)
          .setAudience("someone-else")
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(signer.privateKey),
        "INVALID_TOKEN",
      ],
      [
        "other issuer",
        new SignJWT({ sub: "s" })
          .setProtectedHeader({ alg: "ES256", kid: signer.kid })
          .setIssuer("https://evil.test")
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(signer.privateKey),
        "INVALID_TOKEN",
      ],
      ["too old", sign({ sub: "s" }, { iat: now - 3600, exp: "5m" }), "TOKEN_EXPIRED"],
      ["not a JWT", Promise.resolve("not.a.jwt"), "INVALID_TOKEN"],
    ];
    for (const [label, assertion, code] of cases) {
      const reply = await exchange(await assertion);
      assert.equal(reply.statusCode, 401, `${label}: ${reply.body}`);
      assert.equal(reply.json().error.code, code, label);
    }
  });

  it("follows the product's key rotation: a new kid makes it read the key set again", async () => {
    const before = fetches;
    const rotated = await newKey("product-2");
    const reply = await exchange(await sign({ sub: "chat-user-1" }, { key: rotated }));
    assert.equal(reply.statusCode, 200, reply.body);
    assert.ok(fetches > before);
  });

  it("answers 404 EXCHANGE_NOT_CONFIGURED where no product is configured", async () => {
    const reply = await exchange(await sign({ sub: "chat-user-1" }), plain);
    assert.equal(reply.statusCode, 404);
    assert.equal(reply.json().error.code, "EXCHANGE_NOT_CONFIGURED");
  });
});
