import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createHongbaoClient, type ErrorCode } from "../../src/client/index.js";
import { CLIENT_TYPES_FILE, generateClientTypes, openapiDocument } from "../support/client-types.js";
import { ADMIN_TOKEN, type ListeningApp, startListeningApp } from "../support/harness.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

describe("the typed client (hongbao/client)", () => {
  let app: ListeningApp;
  let baseUrl: string;
  before(async () => {
    app = await startListeningApp();
    baseUrl = app.server.url;
  });
  after(async () => {
    await app?.dispose();
  });

  it("its committed types are what the server documents now (npm run generate:client)", async () => {
    const fresh = await generateClientTypes();
    assert.ok(
      fresh === readFileSync(CLIENT_TYPES_FILE, "utf8"),
      "src/client/openapi.ts is stale: run npm run generate:client",
    );
  });

  it("every documented operation has its own operationId", async () => {
    const document = (await openapiDocument()) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = Object.values(document.paths).flatMap((operations) =>
      Object.values(operations).map((operation) => operation.operationId),
    );
    assert.ok(ids.length >= 40, `${ids.length} operations`);
    assert.ok(
      ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z0-9]+$/.test(id)),
      JSON.stringify(ids),
    );
    assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  });

  it("moves money and reads it back, with typed answers and typed error codes", async () => {
    const admin = createHongbaoClient({ baseUrl, token: ADMIN_TOKEN });
    const phone = (n: number) => `+8613${String(process.pid % 100000).padStart(5, "0")}1${String(n).padStart(3, "0")}`;
    const alice = await admin.POST("/v1/admin/users", { body: { phone: phone(1), name: "alice" } });
    const bob = await admin.POST("/v1/admin/users", { body: { phone: phone(2), name: "bob" } });
    assert.equal(alice.response.status, 201);
    const aliceId = alice.data?.userId as string;
    const bobId = bob.data?.userId as string;
    const deposit = await admin.POST("/v1/admin/deposits", {
      params: { header: { "idempotency-key": randomUUID() } },
      body: { userId: aliceId, amount: 5_000 },
    });
    assert.equal(deposit.data?.balance, 5_000);
    const asAlice = createHongbaoClient({ baseUrl, token: alice.data?.token as string });
    const sent = await asAlice.POST("/v1/transfers", {
      params: { header: { "idempotency-key": randomUUID() } },
      body: { to: bobId, amount: 1_314 },
    });
    assert.equal(sent.data?.status, "pending");
    const read = await asAlice.GET("/v1/transfers/{id}", { params: { path: { id: sent.data?.id as string } } });
    assert.equal(read.data?.amount, 1_314);
    const tooMuch = await asAlice.POST("/v1/transfers", {
      params: { header: { "idempotency-key": randomUUID() } },
      body: { to: bobId, amount: 1_000_000 },
    });
    const code: ErrorCode | undefined = tooMuch.error?.error.code;
    assert.equal(code, "INSUFFICIENT_FUNDS");
    const wallet = await asAlice.GET("/v1/me/wallet");
    assert.equal(wallet.data?.balance, 5_000 - 1_314);
  });

  it("compiles the README's example against the package's own exports", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /<!-- client-example -->\n```ts\n([\s\S]*?)```\n<!-- \/client-example -->/.exec(readme)?.[1];
    assert.ok(block !== undefined, "README has the client example between its markers");
    const dir = join(ROOT, "dist", "readme-example");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "example.ts");
    writeFileSync(file, block);
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    try {
      await promisify(execFile)(
        process.execPath,
        [
          tsc,
          "--noEmit",
          "--strict",
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--target",
          "es2022",
          "--types",
          "node",
          "--skipLibCheck",
          file,
        ],
        { cwd: ROOT, timeout: 300_000 },
      );
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`the README example does not compile:\n${stdout ?? ""}${stderr ?? ""}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
