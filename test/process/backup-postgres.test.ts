/**
 * A backup of the PostgreSQL store is PostgreSQL's own: `pg_dump --format=custom` reads one
 * snapshot, and the token secret and the evidence key are rows of the database, so they go
 * with the ledger. Taken while transfers are answered, restored with `pg_restore` into an
 * empty database, it holds every transfer acknowledged before the dump began, passes the
 * store's load checks with balances that sum to zero, and a writer on it accepts old tokens
 * and signs with the same key. `hongbao backup` refuses a postgres:// URL and says so.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { createDatabase, dropDatabase, queryOnce } from "../support/postgres.js";
import {
  ADMIN_TOKEN,
  childEnv,
  cleanup,
  createUser,
  deposit,
  request,
  runCli,
  serve,
  sleep,
  tempDir,
} from "./support.js";

const run = promisify(execFile);

describe("a PostgreSQL store's backup", () => {
  const databases: string[] = [];
  after(async () => {
    await cleanup();
    for (const name of databases) await dropDatabase(name);
  });

  it("pg_dump while transfers are answered, pg_restore into an empty database: every acknowledged transfer, a ledger at zero, the same keys", {
    timeout: 180_000,
  }, async () => {
    const source = await createDatabase();
    databases.push(source.name);
    // No HONGBAO_TOKEN_SECRET: the token key is the store's own row, and must come back with it.
    const env = childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN });
    const db = join(tempDir(), "data", "hongbao.db");
    const writer = await serve({ db, extraArgs: ["--store", source.url, "--log-level", "info"], env });
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => createUser(writer.url, ADMIN_TOKEN, `u${i}`)));
    for (const user of users) await deposit(writer.url, user.userId, 100_000);

    const acknowledged: { at: number; id: string }[] = [];
    let stop = false;
    let sent = 0;
    const sender = async (from: number) => {
      while (!stop) {
        sent++;
        const to = users[(from + 1 + (sent % 5)) % users.length] as (typeof users)[number];
        const reply = await request(writer.url, "POST", "/v1/transfers", {
          token: (users[from] as (typeof users)[number]).token,
          key: `pg-backup-${from}-${sent}`,
          body: { to: to.userId, amount: 1 + (sent % 30), memo: `t${sent}` },
        });
        if (reply.status === 201) acknowledged.push({ at: Date.now(), id: reply.json().id as string });
        else assert.equal(reply.status, 503, `transfer: ${reply.status} ${reply.text}`);
      }
    };
    const load = users.map((_, i) => sender(i));
    const deadline = Date.now() + 60_000;
    while (acknowledged.length < 50 && Date.now() < deadline) await sleep(20);

    const dump = join(tempDir(), "hongbao.pgdump");
    const startedAt = Date.now();
    await run("pg_dump", ["--format=custom", "--file", dump, source.url], { timeout: 120_000 });
    const endedAt = Date.now();
    const atEnd = acknowledged.length;
    while (acknowledged.length < atEnd + 20 && Date.now() < deadline + 30_000) await sleep(20);
    stop = true;
    await Promise.all(load);
    const before = acknowledged.filter((op) => op.at < startedAt);
    assert.ok(before.length >= 50, "transfers acknowledged before the dump");
    assert.ok(
      acknowledged.some((op) => op.at >= startedAt),
      `the writer kept answering during and after the dump (${endedAt - startedAt} ms)`,
    );
    const publicKey = (await request(writer.url, "GET", "/v1/evidence/public-key")).json();
    writer.proc.child.kill("SIGTERM");
    assert.deepEqual(await writer.proc.waitForExit(20_000), { code: 0, signal: null });

    const target = await createDatabase();
    databases.push(target.name);
    await run("pg_restore", ["--no-owner", "--exit-on-error", "--dbname", target.url, dump], { timeout: 120_000 });
    const restored = new Set(
      (await queryOnce<{ id: string }>(target.url, "SELECT id FROM transfers")).map((row) => row.id),
    );
    for (const op of before) assert.ok(restored.has(op.id), `transfer ${op.id} acknowledged before the dump`);

    // The store's own load checks (every posting balances, no wallet below zero), then the sum.
    const store = await PostgresStore.open({ url: target.url });
    try {
      await store.load();
      assert.equal(await store.balanceSum(), 0);
    } finally {
      await store.close();
    }

    const again = await serve({ db, extraArgs: ["--store", target.url, "--log-level", "info"], env });
    const me = await request(again.url, "GET", "/v1/me", { token: users[0]?.token });
    assert.equal(me.status, 200, `a token made before the backup holds on the restore: ${me.text}`);
    assert.deepEqual((await request(again.url, "GET", "/v1/evidence/public-key")).json(), publicKey);
    again.proc.child.kill("SIGTERM");
    assert.deepEqual(await again.proc.waitForExit(20_000), { code: 0, signal: null });

    const refused = await runCli(["backup", "--to", join(tempDir(), "b"), "--db", source.url], { env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^hongbao backup: .*pg_dump/);
  });
});
