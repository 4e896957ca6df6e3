/**
 * `hongbao store copy`: a SQLite deployment, stopped, moves to an empty PostgreSQL database;
 * a writer started on the copy serves the same users with the same balances and tokens; a
 * second copy onto the now non-empty database is refused and changes nothing.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createDatabase, dropDatabase, queryOnce } from "../support/postgres.js";
import { ADMIN_TOKEN, childEnv, cleanup, createUser, deposit, request, runCli, serve, tempDir } from "./support.js";

describe("hongbao store copy", () => {
  const databases: string[] = [];
  after(async () => {
    await cleanup();
    for (const name of databases) await dropDatabase(name);
  });

  it("moves a stopped SQLite deployment to an empty PostgreSQL database, and refuses a non-empty one", {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir();
    const db = join(dir, "hongbao.db");
    // The token key as a file beside the database (no HONGBAO_TOKEN_SECRET): the copy must carry it over.
    writeFileSync(join(dir, "token-secret"), "ab".repeat(32));
    const env = childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN });
    const sqlite = await serve({ db, env });
    const alice = await createUser(sqlite.url, ADMIN_TOKEN, "alice");
    const bob = await createUser(sqlite.url, ADMIN_TOKEN, "bob");
    await deposit(sqlite.url, alice.userId, 10_000);
    const sent = await request(sqlite.url, "POST", "/v1/transfers", {
      token: alice.token,
      key: "copy-1",
      body: { to: bob.userId, amount: 1_314, memo: "七夕快乐" },
    });
    assert.equal(sent.status, 201, sent.text);
    // Identity and covers go over too: a service key, a rotated signing key, a cover.
    const key = await request(sqlite.url, "POST", "/v1/admin/keys", {
      token: ADMIN_TOKEN,
      body: { name: "copy", scopes: ["read"] },
    });
    assert.equal(key.status, 201, key.text);
    assert.equal((await request(sqlite.url, "POST", "/v1/admin/signing-keys", { token: ADMIN_TOKEN })).status, 201);
    const carol = await createUser(sqlite.url, ADMIN_TOKEN, "carol");
    const png = (await import("sharp")).default({
      create: { width: 120, height: 120, channels: 3, background: { r: 200, g: 0, b: 0 } },
    });
    const cover = await request(sqlite.url, "POST", "/v1/admin/covers", {
      token: ADMIN_TOKEN,
      body: { name: "copy", image: (await png.png().toBuffer()).toString("base64") },
    });
    assert.equal(cover.status, 201, cover.text);
    sqlite.proc.child.kill("SIGTERM");
    assert.deepEqual(await sqlite.proc.waitForExit(20_000), { code: 0, signal: null });

    const target = await createDatabase();
    databases.push(target.name);
    const copied = await runCli(["store", "copy", "--from", db, "--to", target.url], { timeoutMs: 60_000 });
    assert.equal(copied.code, 0, copied.stderr);
    assert.match(copied.stdout, /copied 3 users and 5 accounts; balances sum to 0/);

    const pgServer = await serve({ extraArgs: ["--store", target.url, "--log-level", "info"], env });
    const wallet = await request(pgServer.url, "GET", "/v1/me/wallet", { token: alice.token });
    assert.equal(wallet.status, 200, "a token made by the SQLite deployment holds on the copy");
    assert.equal(wallet.json().balance, 10_000 - 1_314);
    const ledger = await request(pgServer.url, "GET", "/v1/admin/ledger", { token: key.json().secret });
    assert.equal(ledger.status, 200, "a service key made on SQLite holds on the copy");
    assert.equal((await request(pgServer.url, "GET", "/v1/me", { token: carol.token })).status, 200);
    const image = await request(pgServer.url, "GET", cover.json().url);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get("etag"), cover.json().etag);
    const accepted = await request(pgServer.url, "POST", `/v1/transfers/${sent.json().id}/accept`, {
      token: bob.token,
      key: "copy-accept",
    });
    assert.equal(accepted.status, 200, accepted.text);
    const replay = await request(pgServer.url, "POST", "/v1/transfers", {
      token: alice.token,
      key: "copy-1",
      body: { to: bob.userId, amount: 1_314, memo: "七夕快乐" },
    });
    assert.equal(replay.status, 201, "an idempotency key used before the move answers the first answer");
    assert.equal(replay.json().id, sent.json().id);
    pgServer.proc.child.kill("SIGTERM");
    assert.deepEqual(await pgServer.proc.waitForExit(20_000), { code: 0, signal: null });

    const entriesBefore = await queryOnce<{ n: number }>(target.url, "SELECT COUNT(*)::int AS n FROM entries");
    const again = await runCli(["store", "copy", "--from", db, "--to", target.url], { timeoutMs: 60_000 });
    assert.equal(again.code, 2, again.stdout);
    assert.match(again.stderr, /not empty/);
    assert.deepEqual(await queryOnce(target.url, "SELECT COUNT(*)::int AS n FROM entries"), entriesBefore);
  });
});
