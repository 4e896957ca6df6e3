import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import sharp from "sharp";
import { createEdgeService } from "../../src/edge/edge-service.js";
import { GENERATIONS_PER_PART } from "../../src/edge/forwarded.js";
import { type OpenStream, openEventStream } from "../support/event-stream.js";
import { ADMIN_TOKEN, startTestApp, type TestApp, WIRE_SECRET } from "../support/harness.js";

const headerOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString());

/**
 * What one edge changes outside the engine (keys, log-outs, covers) holds on every other edge
 * from the change's answer on, and live events reach a user on whichever edge holds the stream.
 * Each request names the edge it goes to.
 */
describe("two edges share identity, covers and live events", () => {
  let app: TestApp;
  let one: FastifyInstance;
  let other: FastifyInstance;
  const streams: OpenStream[] = [];

  const call = (edge: FastifyInstance, method: "GET" | "POST", url: string, token: string, body?: object) =>
    edge.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body }),
    });

  before(async () => {
    app = await startTestApp({ edges: 2 });
    [one, other] = app.edges.map((edge) => edge.app) as [FastifyInstance, FastifyInstance];
  });
  after(async () => {
    for (const stream of streams) stream.close();
    await app.dispose();
  });

  it("a service key revoked through one edge is refused by the other at once", async () => {
    const made = await call(one, "POST", "/v1/admin/keys", ADMIN_TOKEN, { name: "ops", scopes: ["read"] });
    assert.equal(made.statusCode, 201, made.body);
    const { secret, key } = made.json() as { secret: string; key: { id: string } };
    assert.equal((await call(other, "GET", "/v1/admin/ledger", secret)).statusCode, 200);
    const revoked = await call(one, "POST", `/v1/admin/keys/${key.id}/revoke`, ADMIN_TOKEN);
    assert.equal(revoked.statusCode, 200, revoked.body);
    const refused = await call(other, "GET", "/v1/admin/ledger", secret);
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error.code, "TOKEN_REVOKED");
    // The writer's own app heard it too.
    assert.equal((await call(app.app, "GET", "/v1/admin/ledger", secret)).statusCode, 401);
  });

  it("a user logged out everywhere through one edge is refused by the other at once", async () => {
    const user = await app.createUser();
    assert.equal((await call(other, "GET", "/v1/me", user.token)).statusCode, 200);
    assert.equal((await call(one, "POST", "/v1/me/logout", user.token)).statusCode, 200);
    const refused = await call(other, "GET", "/v1/me", user.token);
    assert.equal(refused.statusCode, 401);
    // A claim's fast path checks the same generation.
    const claim = await other.inject({
      method: "POST",
      url: `/v1/campaigns/cmp_${"0".repeat(20)}/claim`,
      headers: { authorization: `Bearer ${user.token}` },
    });
    assert.equal(claim.statusCode, 401);
  });

  it("a signing key retired through one edge is refused by the other at once", async () => {
    const user = await app.createUser();
    const initial = user.token;
    const rotated = await call(one, "POST", "/v1/admin/signing-keys", ADMIN_TOKEN);
    assert.equal(rotated.statusCode, 201, rotated.body);
    const kid = rotated.json().kid as string;
    assert.notEqual(headerOf(initial).kid, kid);
    assert.equal((await call(other, "GET", "/v1/me", initial)).statusCode, 200);
    const retired = await call(other, "POST", `/v1/admin/signing-keys/${headerOf(initial).kid}/retire`, ADMIN_TOKEN);
    assert.equal(retired.statusCode, 200, retired.body);
    assert.equal((await call(one, "GET", "/v1/me", initial)).statusCode, 401);
    // Tokens the other edge issues now are signed with the key rotated in through the first.
    const issued = await (app.edges[1] as TestApp["edges"][number]).context.tokens.issue(user.userId);
    assert.equal(headerOf(issued).kid, kid);
    assert.equal((await call(one, "GET", "/v1/me", issued)).statusCode, 200);
  });

  it("a cover added through one edge is there for a packet sent through the other", async () => {
    const bytes = await sharp({ create: { width: 200, height: 300, channels: 3, background: "#c00" } })
      .png()
      .toBuffer();
    const added = await call(one, "POST", "/v1/admin/covers", ADMIN_TOKEN, {
      name: "福",
      image: bytes.toString("base64"),
    });
    assert.equal(added.statusCode, 201, added.body);
    const coverId = added.json().id as string;
    const listed = await call(other, "GET", "/v1/covers", ADMIN_TOKEN);
    assert.ok(
      (listed.json().covers as { id: string }[]).some((cover) => cover.id === coverId),
      listed.body,
    );
    const image = await other.inject({ method: "GET", url: `/v1/covers/${coverId}` });
    assert.equal(image.statusCode, 200);
    assert.deepEqual(image.rawPayload, bytes);
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 1_000);
    const sent = await other.inject({
      method: "POST",
      url: "/v1/red-packets",
      headers: { authorization: `Bearer ${alice.token}`, "idempotency-key": "cover-packet-1" },
      payload: { kind: "single", amount: 100, to: bob.userId, coverId },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal(sent.json().coverId, coverId);
  });

  it("a live event made through one edge reaches a stream held by the other", async () => {
    await other.listen({ port: 0, host: "127.0.0.1" });
    const address = other.server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const alice = await app.createUser();
    const bob = await app.createUser();
    await app.deposit(alice.userId, 1_000);
    const stream = await openEventStream(`http://127.0.0.1:${port}/v1/me/events`, bob.token);
    streams.push(stream);
    assert.equal(stream.status, 200, stream.body);
    await stream.nextOf("hello");
    const sent = await one.inject({
      method: "POST",
      url: "/v1/transfers",
      headers: { authorization: `Bearer ${alice.token}`, "idempotency-key": "live-transfer-1" },
      payload: { to: bob.userId, amount: 52 },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    const event = JSON.parse((await stream.nextOf("transfer", 30_000)).data);
    assert.equal(event.transfer.id, sent.json().id);
  });

  it("an edge starting late reads every token generation, in parts when they are many", async () => {
    const user = await app.createUser();
    assert.equal((await call(one, "POST", "/v1/me/logout", user.token)).statusCode, 200);
    // Far more users than one frame could name: memory only, as if each had logged out.
    const many = GENERATIONS_PER_PART * 2 + 7;
    for (let i = 0; i < many; i++) app.context.tokens.setGeneration(`usr_many${String(i).padStart(16, "0")}`, 3);
    const late = await createEdgeService({
      writer: { path: join(app.dir, "writer.sock") },
      secret: WIRE_SECRET,
      name: "late-edge",
      logLevel: "silent",
    });
    try {
      assert.equal(late.context.tokens.generation(`usr_many${String(many - 1).padStart(16, "0")}`), 3);
      assert.equal(late.context.tokens.generations().length, app.context.tokens.generations().length);
      const refused = await late.app.inject({
        method: "GET",
        url: "/v1/me",
        headers: { authorization: `Bearer ${user.token}` },
      });
      assert.equal(refused.statusCode, 401);
    } finally {
      await late.close();
    }
  });

  it("an edge that lost its writer answers 503 to authenticated requests until it has read the rows again", async () => {
    const user = await app.createUser();
    const edge = app.edges[0] as TestApp["edges"][number];
    const me = () =>
      edge.app.inject({ method: "GET", url: "/v1/me", headers: { authorization: `Bearer ${user.token}` } });
    assert.equal((await me()).statusCode, 200);
    app.wire?.drop("a cut network, for the test");
    while (edge.writer.connected) await new Promise((resolve) => setTimeout(resolve, 5));
    const away = await me();
    assert.equal(away.statusCode, 503, away.body);
    assert.equal(away.json().error.code, "BUSY");
    // Back, and caught up: the same token is served again (deadline generous for a loaded machine).
    const deadline = Date.now() + 60_000;
    let back = await me();
    while (back.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      back = await me();
    }
    assert.equal(back.statusCode, 200, back.body);
  });
});
