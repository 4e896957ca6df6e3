/**
 * `hongbao doctor` on real data folders: a healthy one made by a real start, then one broken
 * thing at a time, each named with what to fix and a non-zero exit.
 */
import assert from "node:assert/strict";
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runDoctor, runDoctorOnPostgres } from "../../src/cli/doctor.js";
import { createService } from "../../src/server.js";
import { freshPostgresUrl, queryOnce } from "../support/postgres.js";
import { ADMIN_TOKEN, childEnv, cleanup, createUser, deposit, runCli, serve, tempDir } from "./support.js";

const SLOW = { timeout: 120_000 };

/** A data folder as a real server leaves it: database with postings, both keys, the admin token. */
async function healthyFolder(): Promise<string> {
  const dir = join(tempDir(), "data");
  mkdirSync(dir);
  // The admin token as a first start leaves it, with a value the helpers know.
  writeFileSync(join(dir, "admin-token"), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
  const { proc, url } = await serve({ db: join(dir, "hongbao.db"), env: childEnv() });
  const user = await createUser(url, ADMIN_TOKEN, "doctor");
  await deposit(url, user.userId, 1_000);
  proc.child.kill("SIGTERM");
  await proc.waitForExit(20_000);
  return dir;
}

function copyOf(dir: string): string {
  const copy = join(tempDir(), "data");
  cpSync(dir, copy, { recursive: true, preserveTimestamps: true });
  return copy;
}

function doctor(dir: string, env: NodeJS.ProcessEnv = {}, nowMs = Date.now) {
  const findings = runDoctor({ db: join(dir, "hongbao.db"), env, nowMs });
  const by = (check: string) => {
    const found = findings.find((f) => f.check === check);
    assert.ok(found !== undefined, `a finding for ${check}: ${JSON.stringify(findings)}`);
    return found;
  };
  return { findings, by };
}

describe("hongbao doctor", () => {
  let healthy: string;
  before(async () => {
    healthy = await healthyFolder();
  });
  after(cleanup);

  it("a folder a server made and left is all good, over the real command too", SLOW, async () => {
    const { findings } = doctor(healthy);
    assert.deepEqual(
      findings.filter((f) => f.verdict !== "ok"),
      [],
      JSON.stringify(findings, null, 1),
    );
    assert.deepEqual(
      findings.map((f) => f.check),
      [
        "data folder",
        "disk fsync",
        "file system",
        "token-secret",
        "evidence-key.pem",
        "admin-token",
        "store schema",
        "clock",
      ],
    );
    const run = await runCli(["doctor", "--db", join(healthy, "hongbao.db")]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /fsync works: median \d+\.\d\d ms/);
    assert.match(run.stdout, /version \d+, current/);
    assert.match(run.stdout, /after the store's last posting/);
    assert.match(run.stdout, /all good\.$/m);
    assert.equal(readdirSync(healthy).filter((name) => name.startsWith(".doctor")).length, 0, "no scratch file left");
  });

  it("a missing folder, or a file in its place, fails and says so", SLOW, async () => {
    const dir = tempDir();
    const missing = doctor(join(dir, "nowhere"));
    assert.equal(missing.by("data folder").verdict, "FAIL");
    assert.match(missing.by("data folder").say, /no such file or folder: create it/);
    writeFileSync(join(dir, "file"), "");
    const file = doctor(join(dir, "file"));
    assert.match(file.by("data folder").say, /is not a folder/);
    const run = await runCli(["doctor", "--db", join(dir, "nowhere", "hongbao.db")]);
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stdout, /1 to fix before serving/);
  });

  it(
    "a key readable by others, a missing key beside a database, a damaged key: each is named with its fix",
    SLOW,
    () => {
      const open = copyOf(healthy);
      chmodSync(join(open, "token-secret"), 0o644);
      assert.equal(doctor(open).by("token-secret").verdict, "FAIL");
      assert.match(doctor(open).by("token-secret").say, /readable by others \(mode 644\): chmod 600 /);

      const lost = copyOf(healthy);
      rmSync(join(lost, "evidence-key.pem"));
      rmSync(join(lost, "admin-token"));
      assert.equal(doctor(lost).by("evidence-key.pem").verdict, "FAIL");
      assert.match(
        doctor(lost).by("evidence-key.pem").say,
        /database exists but .* does not: .*restore it from a backup/,
      );
      assert.equal(doctor(lost).by("admin-token").verdict, "ok", "a new admin token harms nothing");

      const damaged = copyOf(healthy);
      writeFileSync(join(damaged, "token-secret"), "not hex", { mode: 0o600 });
      assert.match(doctor(damaged).by("token-secret").say, /is not 32 bytes of hex/);

      const fromEnv = doctor(lost, { HONGBAO_TOKEN_SECRET: "x".repeat(32) }).by("token-secret");
      assert.match(fromEnv.say, /comes from HONGBAO_TOKEN_SECRET/);
    },
  );

  it("a store made by a newer version fails; an older one is migrated at the next start", SLOW, () => {
    const newer = copyOf(healthy);
    const db = new Database(join(newer, "hongbao.db"));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', ?)").run(
      new Date(0).toISOString(),
    );
    db.close();
    assert.equal(doctor(newer).by("store schema").verdict, "FAIL");
    assert.match(doctor(newer).by("store schema").say, /version 999, made by a newer hongbao/);

    const older = copyOf(healthy);
    const old = new Database(join(older, "hongbao.db"));
    const top = old.prepare("SELECT MAX(version) FROM schema_migrations").pluck().get() as number;
    old.prepare("DELETE FROM schema_migrations WHERE version = ?").run(top);
    // Versions need not be contiguous (numbers are handed out per feature): the one left on top.
    const left = old.prepare("SELECT MAX(version) FROM schema_migrations").pluck().get() as number;
    old.close();
    assert.equal(doctor(older).by("store schema").verdict, "ok");
    assert.match(
      doctor(older).by("store schema").say,
      new RegExp(`version ${left} of ${top}: the next start migrates it`),
    );

    const notDb = copyOf(healthy);
    for (const name of readdirSync(notDb)) if (name.startsWith("hongbao.db")) rmSync(join(notDb, name));
    writeFileSync(join(notDb, "hongbao.db"), "this is not a database");
    assert.equal(doctor(notDb).by("store").verdict, "FAIL");
  });

  it("a clock behind the store's last posting fails; one after it is ok", SLOW, () => {
    const db = new Database(join(healthy, "hongbao.db"), { readonly: true });
    const lastMs = db.prepare("SELECT at FROM postings ORDER BY id DESC LIMIT 1").pluck().get() as number;
    db.close();
    const behind = doctor(healthy, {}, () => lastMs - 3_600_000).by("clock");
    assert.equal(behind.verdict, "FAIL");
    assert.match(behind.say, /60\.0 min behind the store's last posting .*set the clock right/);
    const after = doctor(healthy, {}, () => lastMs + 5_000).by("clock");
    assert.equal(after.verdict, "ok");
    assert.match(after.say, /5\.0 s after the store's last posting/);
  });

  it("a data folder in memory (tmpfs) is a warning: nothing survives a reboot", {
    ...SLOW,
    skip: !existsSync("/dev/shm"),
  }, () => {
    const dir = `/dev/shm/hongbao-doctor-${process.pid}`;
    try {
      rmSync(dir, { recursive: true, force: true });
      cpSync(healthy, dir, { recursive: true });
      const fs = doctor(dir).by("file system");
      assert.equal(fs.verdict, "warn");
      assert.match(fs.say, /tmpfs .*lost at reboot/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("in-process services make the same files the doctor checks", SLOW, async () => {
    const dir = tempDir();
    const service = await createService({
      db: join(dir, "hongbao.db"),
      adminToken: ADMIN_TOKEN,
      tokenSecret: undefined,
      testClock: false,
      logLevel: "silent",
    });
    await service.close();
    const { findings } = doctor(dir);
    assert.deepEqual(
      findings.filter((f) => f.verdict !== "ok").map((f) => f.check),
      [],
      JSON.stringify(findings),
    );
  });
});

describe("hongbao doctor on PostgreSQL", () => {
  after(cleanup);

  it(
    "a store a writer made is all good; an empty database, a newer schema, a key gone, a clock behind and no server each say so",
    SLOW,
    async () => {
      const url = await freshPostgresUrl();
      const dir = join(tempDir(), "data");
      mkdirSync(dir);
      const env = childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN });
      const check = async (store: string, nowMs = Date.now, environment: NodeJS.ProcessEnv = {}) => {
        const findings = await runDoctorOnPostgres({ db: join(dir, "hongbao.db"), store, env: environment, nowMs });
        return (name: string) => {
          const found = findings.find((f) => f.check === name);
          assert.ok(found !== undefined, `a finding for ${name}: ${JSON.stringify(findings)}`);
          return found;
        };
      };

      const empty = await check(url);
      assert.match(empty("store schema").say, /empty database: the first start makes the schema/);

      // No HONGBAO_TOKEN_SECRET: the writer stores both keys in service_keys.
      const { proc, url: served } = await serve({ db: join(dir, "hongbao.db"), extraArgs: ["--store", url], env });
      const user = await createUser(served, ADMIN_TOKEN, "doctor");
      await deposit(served, user.userId, 1_000);
      proc.child.kill("SIGTERM");
      await proc.waitForExit(20_000);

      const healthy = await runDoctorOnPostgres({ db: join(dir, "hongbao.db"), store: url, env: {}, nowMs: Date.now });
      assert.deepEqual(
        healthy.filter((f) => f.verdict !== "ok"),
        [],
        JSON.stringify(healthy, null, 1),
      );
      assert.deepEqual(
        healthy.map((f) => f.check),
        [
          "data folder",
          "disk fsync",
          "file system",
          "admin-token",
          "store schema",
          "clock",
          "token-secret",
          "evidence-key.pem",
        ],
      );
      const run = await runCli(["doctor", "--db", join(dir, "hongbao.db"), "--store", url]);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /version \d+, current/);
      assert.match(run.stdout, /in the store \(service_keys 'evidence-key'\), readable/);
      assert.match(run.stdout, /all good\.$/m);

      const [last] = await queryOnce<{ at: string }>(
        url,
        "SELECT at::text FROM postings ORDER BY shard DESC, id DESC LIMIT 1",
      );
      const behind = (await check(url, () => Number(last?.at) - 3_600_000))("clock");
      assert.equal(behind.verdict, "FAIL");
      assert.match(behind.say, /60\.0 min behind the store's last posting/);

      await queryOnce(
        url,
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', to_timestamp(0))",
      );
      assert.match((await check(url))("store schema").say, /version 999, made by a newer hongbao/);
      await queryOnce(url, "DELETE FROM service_keys WHERE name = 'token-secret'");
      const keyGone = (await check(url))("token-secret");
      assert.equal(keyGone.verdict, "FAIL");
      assert.match(keyGone.say, /postings but no user-token key/);
      assert.equal(
        (await check(url, Date.now, { HONGBAO_TOKEN_SECRET: "x".repeat(32) }))("token-secret").verdict,
        "ok",
      );

      const nowhere = new URL(url);
      nowhere.port = "9";
      const down = (await check(nowhere.toString()))("store");
      assert.equal(down.verdict, "FAIL");
      assert.match(down.say, /cannot connect to PostgreSQL: .*connection refused/);
      const refused = await runCli(["doctor", "--store", "mysql://x"]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /^hongbao doctor: --store takes a postgres:\/\/ connection string .*\n$/);
    },
  );
});
