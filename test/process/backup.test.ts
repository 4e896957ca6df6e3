import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  ADMIN_TOKEN,
  Client,
  checkLedger,
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

/** A server that keeps its token secret in the data folder, as one started without HONGBAO_TOKEN_SECRET does. */
const serveEnv = () => childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN });

interface Acknowledged {
  readonly at: number;
  readonly kind: "claim" | "transfer";
  /** The claiming user, or the transfer id. */
  readonly id: string;
}

/** Rewrites the manifest's size and checksum of one file, as someone who tampered with it would. */
function reseal(folder: string, name: string): void {
  const path = join(folder, "manifest.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as {
    files: { name: string; bytes: number; sha256: string }[];
  };
  const bytes = readFileSync(join(folder, name));
  for (const file of manifest.files) {
    if (file.name !== name) continue;
    file.bytes = bytes.length;
    file.sha256 = createHash("sha256").update(bytes).digest("hex");
  }
  writeFileSync(path, JSON.stringify(manifest));
}

function tamper(folder: string, sql: string): void {
  const db = new Database(join(folder, "hongbao.db"));
  db.exec(sql);
  db.close();
  reseal(folder, "hongbao.db");
}

describe("hongbao backup and restore", () => {
  after(cleanup);

  it("backs up while a flash crowd claims and transfers: the restore has every operation acknowledged before it, and a ledger that sums to zero", {
    timeout: 180_000,
  }, async () => {
    const dir = tempDir();
    const db = join(dir, "data", "hongbao.db");
    const { proc, url } = await serve({ db, env: serveEnv() });
    const client = new Client(url);
    const created = await client.request("POST", "/v1/admin/users/bulk", {
      token: ADMIN_TOKEN,
      body: {
        users: Array.from({ length: 3_000 }, (_, i) => ({
          phone: `+86151${String(i).padStart(8, "0")}`,
          name: `u${i}`,
        })),
      },
    });
    assert.equal(created.status, 201, created.text);
    const crowd = created.json().users as { userId: string; token: string }[];
    const campaign = await client.request("POST", "/v1/admin/campaigns", {
      token: ADMIN_TOKEN,
      body: {
        name: "backup crowd",
        budget: 2_000 * 1314,
        amount: { fixed: 1314 },
        startsAt: new Date(Date.now() - 1000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    assert.equal(campaign.status, 201, campaign.text);
    const campaignId = campaign.json().id as string;
    const senders = await Promise.all(Array.from({ length: 8 }, (_, i) => createUser(url, ADMIN_TOKEN, `sender${i}`)));
    for (const sender of senders) await deposit(url, sender.userId, 1_000_000);

    const acknowledged: Acknowledged[] = [];
    let stop = false;
    let next = 0;
    const claimer = async () => {
      while (!stop && next < crowd.length) {
        const user = crowd[next++] as (typeof crowd)[number];
        const reply = await client.request("POST", `/v1/campaigns/${campaignId}/claim`, { token: user.token });
        if (reply.status === 200) acknowledged.push({ at: Date.now(), kind: "claim", id: user.userId });
        else assert.ok([409, 410, 503].includes(reply.status), `claim: ${reply.status} ${reply.text}`);
      }
    };
    let sent = 0;
    const transferrer = async (from: number) => {
      while (!stop) {
        const sender = senders[from] as (typeof senders)[number];
        const to = senders[(from + 1 + (sent % 7)) % senders.length] as (typeof senders)[number];
        sent++;
        const reply = await client.request("POST", "/v1/transfers", {
          token: sender.token,
          key: `backup-${from}-${sent}`,
          body: { to: to.userId, amount: 1 + (sent % 50), memo: `t${sent}` },
        });
        if (reply.status === 201)
          acknowledged.push({ at: Date.now(), kind: "transfer", id: reply.json().id as string });
        else assert.equal(reply.status, 503, `transfer: ${reply.status} ${reply.text}`);
      }
    };
    const load = [...Array.from({ length: 40 }, () => claimer()), ...senders.map((_, i) => transferrer(i))];
    // Under way: both kinds acknowledged, well before the backup starts.
    const loadDeadline = Date.now() + 60_000;
    const count = (kind: Acknowledged["kind"]) => acknowledged.filter((op) => op.kind === kind).length;
    while ((count("claim") < 50 || count("transfer") < 20) && Date.now() < loadDeadline) await sleep(50);
    const backupDir = join(dir, "backup");
    const startedAt = Date.now();
    const backup = await runCli(["backup", "--to", backupDir, "--db", db], { env: childEnv() });
    const endedAt = Date.now();
    const after = acknowledged.length;
    while (acknowledged.length < after + 20 && Date.now() < loadDeadline + 60_000) await sleep(50);
    stop = true;
    await Promise.all(load);
    assert.equal(backup.code, 0, `backup: ${backup.stderr}`);
    assert.equal(backup.stderr, "");
    assert.match(backup.stdout, /taken at .* schema version \d+/);
    const before = acknowledged.filter((op) => op.at < startedAt);
    const during = acknowledged.filter((op) => op.at >= startedAt && op.at <= endedAt);
    assert.ok(before.some((op) => op.kind === "claim") && before.some((op) => op.kind === "transfer"), "load before");
    assert.ok(during.length > 0, "the server kept answering while the backup ran");

    const manifest = JSON.parse(readFileSync(join(backupDir, "manifest.json"), "utf8"));
    assert.deepEqual(
      manifest.files.map((file: { name: string }) => file.name),
      ["hongbao.db", "token-secret", "evidence-key.pem"],
    );
    assert.ok(Date.parse(manifest.takenAt) >= startedAt - 1000 && Date.parse(manifest.takenAt) <= endedAt);
    assert.equal(statSync(join(backupDir, "token-secret")).mode & 0o777, 0o600);

    const restoredDb = join(dir, "restored", "hongbao.db");
    const restore = await runCli(["restore", "--from", backupDir, "--db", restoredDb], { env: childEnv() });
    assert.equal(restore.code, 0, `restore: ${restore.stderr}`);
    assert.match(restore.stdout, /balances sum to 0/);
    checkLedger(restoredDb);
    const file = new Database(restoredDb, { readonly: true });
    const claimed = new Set(
      file.prepare("SELECT user_id FROM campaign_claims WHERE campaign_id = ?").pluck().all(campaignId) as string[],
    );
    const transfers = new Set(file.prepare("SELECT id FROM transfers").pluck().all() as string[]);
    file.close();
    for (const op of before) {
      if (op.kind === "claim") assert.ok(claimed.has(op.id), `claim of ${op.id} acknowledged before the backup`);
      else assert.ok(transfers.has(op.id), `transfer ${op.id} acknowledged before the backup`);
    }

    // The keys came along: old tokens work and evidence is signed by the same key.
    const publicKey = (await request(url, "GET", "/v1/evidence/public-key")).json();
    await proc.kill("SIGTERM");
    client.close();
    const again = await serve({ db: restoredDb, env: serveEnv() });
    const me = await request(again.url, "GET", "/v1/me", { token: senders[0]?.token });
    assert.equal(me.status, 200, me.text);
    assert.deepEqual((await request(again.url, "GET", "/v1/evidence/public-key")).json(), publicKey);
    await again.proc.kill("SIGTERM");
  });

  describe("refusals", () => {
    let dir: string;
    let good: string;
    before(async () => {
      dir = tempDir();
      const db = join(dir, "data", "hongbao.db");
      const { proc, url } = await serve({ db, env: serveEnv() });
      const alice = await createUser(url, ADMIN_TOKEN, "alice");
      const bob = await createUser(url, ADMIN_TOKEN, "bob");
      await deposit(url, alice.userId, 10_000);
      const sent = await request(url, "POST", "/v1/transfers", {
        token: alice.token,
        key: "refusals-1",
        body: { to: bob.userId, amount: 520, memo: "m" },
      });
      assert.equal(sent.status, 201, sent.text);
      await proc.kill("SIGTERM");
      good = join(dir, "good");
      const backup = await runCli(["backup", "--to", good, "--db", db], { env: childEnv() });
      assert.equal(backup.code, 0, backup.stderr);
    });

    let copies = 0;
    /** A fresh copy of the good backup, changed by `damage`, and a target that does not exist yet. */
    const damaged = (damage: (folder: string) => void) => {
      copies++;
      const folder = join(dir, `copy${copies}`);
      cpSync(good, folder, { recursive: true });
      damage(folder);
      return { folder, target: join(dir, `target${copies}`, "hongbao.db") };
    };

    const refused = async (from: string, target: string, message: RegExp) => {
      const result = await runCli(["restore", "--from", from, "--db", target], { env: childEnv() });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
      assert.match(result.stderr, /^hongbao restore: /);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
      assert.ok(!existsSync(join(target, "..", "hongbao.db")), "nothing restored");
    };

    it("restores the good backup", { timeout: 60_000 }, async () => {
      const { folder, target } = damaged(() => undefined);
      const result = await runCli(["restore", "--from", folder, "--db", target], { env: childEnv() });
      assert.equal(result.code, 0, result.stderr);
      const ledger = checkLedger(target);
      assert.equal(ledger.transfers.size, 1);
      for (const name of ["token-secret", "evidence-key.pem"]) {
        assert.deepEqual(readFileSync(join(target, "..", name)), readFileSync(join(dir, "data", name)));
        assert.equal(statSync(join(target, "..", name)).mode & 0o777, 0o600);
      }
    });

    it("refuses a database whose bytes changed", { timeout: 60_000 }, async () => {
      const { folder, target } = damaged((at) => {
        const path = join(at, "hongbao.db");
        const bytes = readFileSync(path);
        const middle = Math.floor(bytes.length / 2);
        bytes[middle] = (bytes[middle] as number) ^ 0xff;
        writeFileSync(path, bytes);
      });
      await refused(folder, target, /hongbao\.db does not match its SHA-256/);
    });

    it("refuses a file whose size changed", { timeout: 60_000 }, async () => {
      const { folder, target } = damaged((at) => appendFileSync(join(at, "token-secret"), "0"));
      await refused(folder, target, /token-secret is \d+ bytes; the manifest says \d+/);
    });

    it("refuses a backup with a file missing", { timeout: 60_000 }, async () => {
      const { folder, target } = damaged((at) => rmSync(join(at, "evidence-key.pem")));
      await refused(folder, target, /evidence-key\.pem is missing/);
    });

    it("refuses a backup that did not finish (no manifest)", { timeout: 60_000 }, async () => {
      const { folder, target } = damaged((at) => rmSync(join(at, "manifest.json")));
      await refused(folder, target, /no manifest\.json .* did not finish/);
    });

    it("refuses a manifest that is not JSON, of another version, or that leaves out a key", {
      timeout: 60_000,
    }, async () => {
      const broken = damaged((at) => writeFileSync(join(at, "manifest.json"), '{"format": "hongbao-backup",'));
      await refused(broken.folder, broken.target, /manifest\.json is not JSON/);
      const edit = (change: (manifest: Record<string, unknown>) => void) =>
        damaged((at) => {
          const manifest = JSON.parse(readFileSync(join(at, "manifest.json"), "utf8"));
          change(manifest);
          writeFileSync(join(at, "manifest.json"), JSON.stringify(manifest));
        });
      const newer = edit((manifest) => {
        manifest.formatVersion = 2;
      });
      await refused(newer.folder, newer.target, /format version 2/);
      const keyless = edit((manifest) => {
        manifest.files = (manifest.files as { name: string }[]).filter((file) => file.name !== "evidence-key.pem");
      });
      await refused(keyless.folder, keyless.target, /does not list evidence-key\.pem/);
      const future = edit((manifest) => {
        manifest.schemaVersion = 999;
      });
      await refused(future.folder, future.target, /schema is version 999/);
    });

    it("refuses a target folder that holds anything, and leaves it as it was", { timeout: 60_000 }, async () => {
      const { folder } = damaged(() => undefined);
      const target = join(dir, "occupied", "hongbao.db");
      mkdirSync(join(dir, "occupied"));
      writeFileSync(join(dir, "occupied", "notes.txt"), "keep me");
      const result = await runCli(["restore", "--from", folder, "--db", target], { env: childEnv() });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^hongbao restore: the target folder .*occupied is not empty/);
      assert.equal(readFileSync(join(dir, "occupied", "notes.txt"), "utf8"), "keep me");
      assert.ok(!existsSync(target));
    });

    it("refuses a ledger that fails the store's checks, even with checksums made to match", {
      timeout: 60_000,
    }, async () => {
      const unbalanced = damaged((at) => tamper(at, "UPDATE entries SET amount = amount + 1 WHERE id = 1"));
      await refused(unbalanced.folder, unbalanced.target, /ledger fails its check: .*does not balance/);
      // A consistent posting that takes a wallet below zero: it balances and sums to zero, and is still
      // refused. The schema's trigger would refuse the row; whoever damaged the file dropped it first.
      const negative = damaged((at) =>
        tamper(
          at,
          `DROP TRIGGER entries_no_negative_balance;
           INSERT INTO postings (id, kind, ref, at) VALUES (1000, 'deposit', 'x', 0);
           INSERT INTO entries (id, posting_id, account, amount, balance_after)
             SELECT 1000, 1000, id, -(balance + 1), -1 FROM balances WHERE id LIKE 'usr_%' ORDER BY id LIMIT 1;
           INSERT INTO entries (id, posting_id, account, amount, balance_after)
             SELECT 1001, 1000, 'funding', -amount, (SELECT balance FROM balances WHERE id = 'funding') - amount
             FROM entries WHERE id = 1000;`,
        ),
      );
      await refused(negative.folder, negative.target, /ledger fails its check: account usr_\S+ is negative/);
    });

    it("backup refuses a missing database and a folder that is not empty", { timeout: 60_000 }, async () => {
      const missing = await runCli(["backup", "--to", join(dir, "nowhere"), "--db", join(dir, "none", "hongbao.db")], {
        env: childEnv(),
      });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^hongbao backup: no database at .*\n$/);
      const full = await runCli(["backup", "--to", good, "--db", join(dir, "data", "hongbao.db")], { env: childEnv() });
      assert.equal(full.code, 1);
      assert.match(full.stderr, /^hongbao backup: the backup folder .*good is not empty\n$/);
    });
  });
});
