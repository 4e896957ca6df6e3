import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { startTestApp, TEST_STORE, type TestApp } from "../support/harness.js";

/** A real image of the size and format asked for, encoded by sharp (libvips). */
function image(width: number, height: number, format: "png" | "jpeg" | "webp" | "gif"): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 220, g: 20, b: 60 } } })
    .toFormat(format)
    .toBuffer();
}

describe(`red-packet covers (${TEST_STORE})`, () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.dispose();
  });

  const upload = (bytes: Buffer | string, name = "春节") =>
    app.call("POST", "/v1/admin/covers", {
      token: "admin",
      body: { name, image: typeof bytes === "string" ? bytes : bytes.toString("base64") },
    });

  it("publishes PNG, JPEG and WebP covers with the format and size found by decoding them", async () => {
    for (const [format, mediaType] of [
      ["png", "image/png"],
      ["jpeg", "image/jpeg"],
      ["webp", "image/webp"],
    ] as const) {
      const reply = await upload(await image(300, 400, format), `cover ${format}`);
      assert.equal(reply.statusCode, 201, reply.body);
      const cover = reply.json();
      assert.equal(cover.mediaType, mediaType);
      assert.equal(cover.width, 300);
      assert.equal(cover.height, 400);
      assert.match(cover.id, /^cov_[0-9a-f]{20}$/);
      assert.equal(cover.url, `/v1/covers/${cover.id}`);
    }
    const listed = (await app.call("GET", "/v1/covers")).json().covers as { name: string }[];
    assert.deepEqual(
      listed.map((cover) => cover.name),
      ["cover png", "cover jpeg", "cover webp"],
    );
  });

  it("refuses what does not decode as a still PNG, JPEG or WebP within bounds, and keeps nothing of it", async () => {
    const png = await image(300, 300, "png");
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300"/></svg>',
    );
    const cases: [string, Buffer, string][] = [
      ["a GIF", await image(300, 300, "gif"), "format"],
      ["an SVG", svg, "format"],
      ["text named like an image", Buffer.from("this is not an image, whatever its name says"), "decoded"],
      ["a truncated PNG", png.subarray(0, Math.floor(png.length / 2)), "decoded"],
      ["too small", await image(50, 300, "png"), "pixels"],
      ["too wide", await image(3000, 300, "png"), "pixels"],
    ];
    const before = (await app.call("GET", "/v1/covers")).json().covers.length;
    for (const [label, bytes] of cases) {
      const reply = await upload(bytes, label);
      assert.equal(reply.statusCode, 422, `${label}: ${reply.body}`);
      assert.equal(reply.json().error.code, "COVER_INVALID", label);
    }
    const huge = await upload("A".repeat(800_000));
    assert.equal(huge.statusCode, 413);
    const notBase64 = await upload("!!!!");
    assert.equal(notBase64.statusCode, 400);
    assert.equal((await app.call("GET", "/v1/covers")).json().covers.length, before);
    const rows = await app.query<{ n: number }>("SELECT COUNT(*) AS n FROM covers");
    assert.equal(Number(rows[0]?.n), before);
  });

  it("serves a cover's bytes with an ETag, immutable caching and 304 to a matching If-None-Match", async () => {
    const bytes = await image(200, 200, "webp");
    const cover = (await upload(bytes)).json();
    const served = await app.call("GET", cover.url);
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers["content-type"], "image/webp");
    assert.deepEqual(served.rawPayload, bytes);
    assert.equal(served.headers.etag, cover.etag);
    assert.match(String(served.headers["cache-control"]), /immutable/);
    assert.match(String(served.headers["cache-control"]), /max-age=31536000/);
    assert.equal(served.headers["cross-origin-resource-policy"], "cross-origin");
    const again = await app.call("GET", cover.url, { headers: { "if-none-match": cover.etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, "");
    const changed = await app.call("GET", cover.url, { headers: { "if-none-match": '"sha256-other"' } });
    assert.equal(changed.statusCode, 200);
    const missing = await app.call("GET", "/v1/covers/cov_00000000000000000000");
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, "COVER_NOT_FOUND");
  });

  it("a sender picks a cover: the packet and its views carry it; an unknown cover moves nothing", async () => {
    const cover = (await upload(await image(400, 600, "jpeg"), "福")).json();
    const alice = await app.createUser("alice");
    const bob = await app.createUser("bob");
    await app.deposit(alice.userId, 10_000);
    const sent = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "single", amount: 888, to: bob.userId, coverId: cover.id },
    });
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal(sent.json().coverId, cover.id);
    const seen = await app.call("GET", `/v1/red-packets/${sent.json().id}`, { token: bob.token });
    assert.equal(seen.json().coverId, cover.id);
    const plain = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "single", amount: 100, to: bob.userId },
    });
    assert.equal(plain.json().coverId, null);
    const balance = async () => (await app.call("GET", "/v1/me/wallet", { token: alice.token })).json().balance;
    const before = await balance();
    const unknown = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "single", amount: 100, to: bob.userId, coverId: "cov_00000000000000000000" },
    });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, "COVER_NOT_FOUND");
    assert.equal(await balance(), before);
    assert.equal(await app.balanceSum(), 0);
  });

  it("keeps the catalogue and the packets' covers across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-covers-"));
    let first: TestApp | undefined = await startTestApp({ dir });
    let second: TestApp | undefined;
    try {
      const bytes = await image(300, 300, "png");
      const cover = (
        await first.call("POST", "/v1/admin/covers", {
          token: "admin",
          body: { name: "kept", image: bytes.toString("base64") },
        })
      ).json();
      const alice = await first.createUser();
      const bob = await first.createUser();
      await first.deposit(alice.userId, 1_000);
      const packet = (
        await first.call("POST", "/v1/red-packets", {
          token: alice.token,
          body: { kind: "single", amount: 100, to: bob.userId, coverId: cover.id },
        })
      ).json();
      await first.close();
      first = undefined;
      second = await startTestApp({ dir });
      assert.deepEqual(
        (await second.call("GET", "/v1/covers")).json().covers.map((c: { id: string }) => c.id),
        [cover.id],
      );
      assert.deepEqual((await second.call("GET", cover.url)).rawPayload, bytes);
      const grabbed = await second.call("POST", `/v1/red-packets/${packet.id}/grab`, { token: bob.token });
      assert.equal(grabbed.statusCode, 200, grabbed.body);
      const view = await second.call("GET", `/v1/red-packets/${packet.id}`, { token: alice.token });
      assert.equal(view.json().coverId, cover.id);
    } finally {
      await first?.close();
      await second?.dispose();
    }
  });
});
