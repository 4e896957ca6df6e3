/**
 * The `hongbao` command as an operator runs it: help and bad flags, `serve` on a fresh file,
 * the generated admin token, a graceful SIGTERM under load, the test clock, and the defaults
 * `npm start` relies on (./data/hongbao.db in the working folder).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  ADMIN_TOKEN,
  Client,
  checkLedger,
  childEnv,
  cleanup,
  createUser,
  deposit,
  Proc,
  RawConnection,
  type Reply,
  request,
  runCli,
  serve,
  sleep,
  TOKEN_SECRET,
  tempDir,
  type User,
} from "./support.js";

const PKG = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
const SLOW = { timeout: 60_000 };

/** Signals the server (unless `signalled` says that was done) and expects a clean exit. */
async function stop(proc: Proc, signal: NodeJS.Signals = "SIGTERM", signalled = false): Promise<void> {
  if (!signalled) proc.child.kill(signal);
  const exit = await proc.waitForExit(20_000);
  assert.deepEqual(exit, { code: 0, signal: null }, `${signal} stops the server cleanly\n${proc.describe()}`);
  assert.ok(
    proc.lines.some((line) => line.msg === "closed"),
    `the server logs "closed" once the last batch is committed\n${proc.describe()}`,
  );
}

interface SigtermRun {
  readonly proc: Proc;
  readonly db: string;
  readonly client: Client;
  readonly acknowledged: Map<string, { from: string; to: string; amount: number; memo: string }>;
  readonly statuses: Map<number, number>;
}

/** Starts a server, keeps 80 transfers in flight, and sends SIGTERM once a random number were answered. */
async function sigtermUnderLoad(): Promise<SigtermRun> {
  const db = join(tempDir(), "hongbao.db");
  const { proc, url } = await serve({ db });
  const users: User[] = await Promise.all(Array.from({ length: 10 }, (_, i) => createUser(url, undefined, `s${i}`)));
  await Promise.all(users.map((user) => deposit(url, user.userId, 500_000)));
  const client = new Client(url);
  const run: SigtermRun = { proc, db, client, acknowledged: new Map(), statuses: new Map() };
  let n = 0;
  let signalled = false;
  const signalAfter = 40 + Math.floor(Math.random() * 120);
  const worker = async () => {
    for (;;) {
      n += 1;
      const memo = `term-${n}`;
      const from = users[n % users.length] as User;
      let to = users[(n * 7 + 3) % users.length] as User;
      if (to === from) to = users[(n + 1) % users.length] as User;
      const amount = 1 + (n % 3000);
      let reply: Reply;
      try {
        reply = await client.request("POST", "/v1/transfers", {
          token: from.token,
          body: { to: to.userId, amount, memo },
        });
      } catch {
        return; // the server has stopped listening or is gone
      }
      run.statuses.set(reply.status, (run.statuses.get(reply.status) ?? 0) + 1);
      if (reply.status !== 201) return;
      const sent = reply.json() as { id: string };
      run.acknowledged.set(sent.id, { from: from.userId, to: to.userId, amount, memo });
      if (!signalled && run.acknowledged.size >= signalAfter) {
        signalled = true;
        proc.child.kill("SIGTERM");
      }
    }
  };
  await Promise.all(Array.from({ length: 80 }, worker));
  assert.ok(signalled, `SIGTERM was sent under load (statuses ${JSON.stringify([...run.statuses])})`);
  return run;
}

/**
 * A transfer whose headers reach the server before SIGTERM and whose body follows once the
 * server has begun shutting down, on a keep-alive connection the test holds.
 */
/** With `pipelined`, a second transfer is written right behind the first body, so it is read while closing. */
async function transferAcrossSigterm(pipelined = false) {
  const db = join(tempDir(), "hongbao.db");
  const { proc, url } = await serve({ db });
  const [alice, bob] = (await Promise.all([
    createUser(url, undefined, "alice"),
    createUser(url, undefined, "bob"),
  ])) as [User, User];
  await deposit(url, alice.userId, 10_000);
  const connection = await RawConnection.open(url);
  connection.write(connection.head("GET", "/healthz", undefined, undefined));
  assert.equal((await connection.response()).status, 200);
  const body = JSON.stringify({ to: bob.userId, amount: 1_234, memo: "across SIGTERM" });
  connection.write(connection.head("POST", "/v1/transfers", alice.token, body));
  await sleep(500); // the server reads the headers and routes the request
  proc.child.kill("SIGTERM");
  await proc.waitForLine((line) => String(line.msg).startsWith("shutting down"), 20_000, '"shutting down"');
  await sleep(100);
  connection.write(pipelined ? body + connection.head("POST", "/v1/transfers", alice.token, body) + body : body);
  const answer = await connection.response();
  return { proc, db, connection, answer, alice, bob, body };
}

describe("hongbao CLI", () => {
  after(cleanup);

  it("--help prints usage with the serve command and exits 0", SLOW, async () => {
    const run = await runCli(["--help"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Usage: hongbao/);
    assert.match(run.stdout, /\bserve\b/);
  });

  it("serve --help prints its options and environment and exits 0", SLOW, async () => {
    const run = await runCli(["serve", "--help"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Usage: hongbao serve/);
    for (const option of [
      "--port",
      "--host",
      "--db",
      "--test-clock",
      "--log-level",
      "--rules",
      "--no-isolation",
      "--signup",
      "HONGBAO_SIGNUP",
      "--trust-proxy",
      "HONGBAO_TRUST_PROXY",
      "HONGBAO_ADMIN_TOKEN",
      "HONGBAO_TOKEN_SECRET",
    ]) {
      assert.ok(run.stdout.includes(option), `serve --help mentions ${option}:\n${run.stdout}`);
    }
  });

  it("--version prints the package version", SLOW, async () => {
    const run = await runCli(["--version"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), PKG.version);
  });

  it("an invalid --port exits non-zero with a message and creates no database", SLOW, async () => {
    const dir = tempDir();
    await Promise.all(
      ["70000", "65536", "abc", "-1", "1.5", "80x"].map(async (bad, i) => {
        const db = join(dir, `bad-${i}.db`);
        const run = await runCli(["serve", "--edges", "0", "--port", bad, "--db", db]);
        assert.notEqual(run.code, 0, `--port ${JSON.stringify(bad)} must fail\n${run.stdout}\n${run.stderr}`);
        assert.match(run.stderr, /port/i, `--port ${JSON.stringify(bad)} explains itself: ${run.stderr}`);
        assert.equal(existsSync(db), false, `--port ${JSON.stringify(bad)} creates no database`);
      }),
    );
  });

  it("an invalid --event-retention-days exits non-zero with a message and creates no database", SLOW, async () => {
    const dir = tempDir();
    await Promise.all(
      ["0", "3651", "abc", "-1", "1.5", ""].map(async (bad, i) => {
        const db = join(dir, `retention-${i}.db`);
        const run = await runCli(["serve", "--edges", "0", "--port", "0", "--event-retention-days", bad, "--db", db]);
        assert.notEqual(
          run.code,
          0,
          `--event-retention-days ${JSON.stringify(bad)} must fail\n${run.stdout}\n${run.stderr}`,
        );
        assert.match(
          run.stderr,
          /days/,
          `--event-retention-days ${JSON.stringify(bad)} explains itself: ${run.stderr}`,
        );
        assert.equal(existsSync(db), false);
      }),
    );
  });

  it("a port that is not written as a decimal number is refused too", SLOW, async () => {
    const dir = tempDir();
    await Promise.all(
      ["", " ", "0x0", "0e5", "0b0"].map(async (bad, i) => {
        const db = join(dir, `odd-${i}.db`);
        const proc = new Proc(["serve", "--edges", "0", "--port", bad, "--db", db], {
          env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN }),
        });
        // Whichever comes first: the refusal, or the server listening on a port nobody asked for.
        const listened = proc
          .waitForLine((line) => line.msg === "listening", 30_000, '"listening"')
          .then(
            (line) => line,
            () => undefined,
          );
        const outcome = await Promise.race([proc.exited, listened]);
        await proc.kill("SIGKILL");
        assert.ok(
          outcome !== undefined && "code" in outcome && outcome.code !== 0,
          `--port ${JSON.stringify(bad)} must be refused, but the server started: ${JSON.stringify(outcome)}`,
        );
      }),
    );
  });

  it("a port already in use exits non-zero with a message", SLOW, async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const run = await runCli(
        ["serve", "--edges", "0", "--port", String(port), "--db", join(tempDir(), "hongbao.db")],
        {
          env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET }),
        },
      );
      assert.notEqual(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(`${run.stdout}\n${run.stderr}`, /EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("serve on a fresh temp db answers /healthz within 10 s, and SIGINT stops it", SLOW, async () => {
    const db = join(tempDir(), "fresh", "hongbao.db");
    const started = Date.now();
    const { proc, url } = await serve({ db, extraArgs: [], readyTimeoutMs: 10_000 });
    const health = await request(url, "GET", "/healthz", { timeoutMs: 10_000 });
    const elapsed = Date.now() - started;
    assert.equal(health.status, 200, health.text);
    assert.deepEqual(health.json(), { status: "ok" });
    assert.ok(elapsed < 10_000, `/healthz answered ${elapsed} ms after spawn`);
    const ready = await request(url, "GET", "/readyz");
    assert.equal(ready.status, 200, ready.text);
    assert.equal(ready.json().status, "ready");
    const openapi = await request(url, "GET", "/openapi.json");
    assert.equal(openapi.status, 200);
    assert.ok(existsSync(db), "the database file exists");
    await stop(proc, "SIGINT");
  });

  it(
    "--trust-proxy counts the forwarded address for login limits; HONGBAO_SIGNUP=1 lets a new phone sign up",
    SLOW,
    async () => {
      const db = join(tempDir(), "hongbao.db");
      const env = childEnv({
        HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN,
        HONGBAO_TOKEN_SECRET: TOKEN_SECRET,
        HONGBAO_SIGNUP: "1",
      });
      const { proc, url } = await serve({ db, env, extraArgs: ["--trust-proxy", "127.0.0.1", "--log-level", "info"] });
      const askCode = (phone: string, from: string) =>
        fetch(`${url}/v1/auth/otp`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": from },
          body: JSON.stringify({ phone }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++)
        statuses.push((await askCode(`+8617000000${String(i).padStart(3, "0")}`, "203.0.113.5")).status);
      assert.deepEqual(statuses, [...Array(20).fill(202), 429]);
      const limited = await askCode("+8617000000999", "203.0.113.5");
      assert.equal(limited.status, 429);
      assert.match(String(limited.headers.get("retry-after")), /^[1-9][0-9]*$/);
      assert.equal(((await limited.json()) as { error: { code: string } }).error.code, "RATE_LIMITED");
      // Another forwarded address is another source; its new phone signs up with the code from the log.
      const phone = "+8617000001000";
      assert.equal((await askCode(phone, "203.0.113.6")).status, 202);
      const line = await proc.waitForLine((l) => l.phone === phone && typeof l.code === "string", 10_000, "the code");
      const token = await fetch(`${url}/v1/auth/token`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.6" },
        body: JSON.stringify({ phone, code: line.code }),
      });
      assert.equal(token.status, 200);
      const { userId } = (await token.json()) as { userId: string };
      assert.match(userId, /^usr_/);
      await stop(proc, "SIGTERM");
      const file = new Database(db, { readonly: true });
      try {
        assert.deepEqual(file.prepare("SELECT id FROM users WHERE phone = ?").all(phone), [{ id: userId }]);
      } finally {
        file.close();
      }
    },
  );

  it(
    "without HONGBAO_ADMIN_TOKEN makes an admin token on first start, shows it once outside the log, keeps it; user tokens outlive a restart",
    SLOW,
    async () => {
      const dir = tempDir();
      const db = join(dir, "hongbao.db");
      const env = childEnv(); // neither HONGBAO_ADMIN_TOKEN nor HONGBAO_TOKEN_SECRET
      const first = await serve({ db, env });
      const kept = join(dir, "admin-token");
      assert.ok(existsSync(kept), "the admin token is kept in the data folder");
      assert.equal(statSync(kept).mode & 0o077, 0, "the kept admin token is readable by its owner only");
      const adminToken = readFileSync(kept, "utf8").trim();
      assert.ok(adminToken.length >= 16, "the made token is long enough");
      await first.proc.waitForOutput(() => first.proc.stderr.includes(adminToken), 5_000, "the token on stderr");
      assert.match(first.proc.stderr, /first start/, "it says why it is shown");
      assert.ok(!first.proc.stdout.includes(adminToken), "the token is in no log line");

      const refused = await request(first.url, "POST", "/v1/admin/users", {
        token: "not-the-admin-token-0123456789",
        body: { phone: "+8613000000001", name: "nobody" },
      });
      assert.equal(refused.status, 401, refused.text);
      const user = await createUser(first.url, adminToken, "first");
      const wallet = await request(first.url, "GET", "/v1/me/wallet", { token: user.token });
      assert.equal(wallet.status, 200, wallet.text);
      assert.equal(wallet.json().balance, 0);
      const secret = join(dir, "token-secret");
      assert.ok(existsSync(secret), "without HONGBAO_TOKEN_SECRET the key is kept beside the database");
      assert.equal(statSync(secret).mode & 0o077, 0, "the kept key is readable by its owner only");
      await stop(first.proc);

      const second = await serve({ db, env });
      assert.ok(!`${second.proc.stdout}${second.proc.stderr}`.includes(adminToken), "it is shown only once");
      const again = await createUser(second.url, adminToken, "again");
      assert.ok(again.userId.startsWith("usr_"), "the kept admin token works after a restart");
      const stillValid = await request(second.url, "GET", "/v1/me/wallet", { token: user.token });
      assert.equal(stillValid.status, 200, `a user token outlives the restart: ${stillValid.text}`);
      await stop(second.proc);
    },
  );

  it("HONGBAO_ADMIN_TOKEN_FILE names the admin token's file; HONGBAO_ADMIN_TOKEN still works", SLOW, async () => {
    const dir = tempDir();
    const secretFile = join(dir, "admin-secret");
    writeFileSync(secretFile, "file-admin-token-0123456789abcdef\n", { mode: 0o600 });
    const fromFile = await serve({
      db: join(dir, "a", "hongbao.db"),
      env: childEnv({ HONGBAO_ADMIN_TOKEN_FILE: secretFile }),
    });
    const made = await createUser(fromFile.url, "file-admin-token-0123456789abcdef", "from-file");
    assert.ok(made.userId.startsWith("usr_"));
    assert.equal(existsSync(join(dir, "a", "admin-token")), false, "no token is made when one is given");
    assert.ok(!fromFile.proc.stderr.includes("file-admin-token"), "a given token is not shown");
    await stop(fromFile.proc);
    const direct = await serve({ db: join(dir, "b", "hongbao.db") }); // HONGBAO_ADMIN_TOKEN
    assert.ok((await createUser(direct.url, ADMIN_TOKEN, "direct")).userId.startsWith("usr_"));
    assert.equal(existsSync(join(dir, "b", "admin-token")), false);
    await stop(direct.proc);
  });

  it("SIGTERM while transfers are in flight exits 0 and keeps every acknowledged transfer", SLOW, async () => {
    const run = await sigtermUnderLoad();
    // The clients hang up once they have their answers (see the todo test below for why).
    run.client.close();
    await stop(run.proc, "SIGTERM", true);
    for (const status of run.statuses.keys()) {
      assert.ok(status === 201 || status === 503, `during shutdown a request is answered 201 or 503, not ${status}`);
    }
    const ledger = checkLedger(run.db);
    for (const [id, sent] of run.acknowledged) {
      const row = ledger.transfers.get(id);
      assert.ok(row !== undefined, `acknowledged transfer ${id} is in the file`);
      assert.deepEqual(
        { from: row.from_user, to: row.to_user, amount: row.amount, memo: row.memo, status: row.status },
        { ...sent, status: "pending" },
      );
    }
    assert.equal(
      ledger.transfers.size,
      run.acknowledged.size,
      "a graceful stop commits nothing it did not acknowledge",
    );
  });

  it(
    "a transfer whose body arrives after SIGTERM is answered and committed; the next request gets 503 or a closed connection; exit 0",
    SLOW,
    async () => {
      const run = await transferAcrossSigterm();
      assert.equal(run.answer.status, 201, `the request under way when SIGTERM came is served: ${run.answer.text}`);
      const sent = JSON.parse(run.answer.text) as { id: string };
      // While draining, idle keep-alive connections are closed (so they cannot hold the stop
      // up); a request that still makes it in gets 503. Either way it moves nothing.
      run.connection.write(run.connection.head("POST", "/v1/transfers", run.alice.token, run.body));
      const refused = await run.connection.response().catch(() => undefined);
      if (refused !== undefined)
        assert.equal(refused.status, 503, `a new request while shutting down is refused: ${refused.text}`);
      await stop(run.proc, "SIGTERM", true);
      const ledger = checkLedger(run.db);
      assert.equal(ledger.transfers.get(sent.id)?.status, "pending", "the answered transfer is in the file");
      assert.equal(ledger.transfers.size, 1, "the refused request moved nothing");
    },
  );

  it("a 503 while shutting down carries Retry-After and the error shape", SLOW, async () => {
    const run = await transferAcrossSigterm(true);
    const refused = await run.connection.response();
    assert.equal(refused.status, 503, refused.text);
    assert.ok(refused.headers.has("retry-after"), `Retry-After on a 503: ${[...refused.headers].join("; ")}`);
    assert.equal(
      typeof (JSON.parse(refused.text) as { error?: { code?: unknown } }).error?.code,
      "string",
      refused.text,
    );
  });

  it(
    "SIGTERM is not held up by a client that keeps its keep-alive connection open after its answer",
    SLOW,
    async () => {
      const run = await transferAcrossSigterm();
      assert.equal(run.answer.status, 201, run.answer.text);
      // The client keeps the connection, as HTTP clients and load balancers do.
      const exit = await Promise.race([run.proc.exited, sleep(10_000).then(() => undefined)]);
      run.connection.destroy();
      assert.deepEqual(exit, { code: 0, signal: null }, "the process exits within 10 s of SIGTERM");
    },
  );

  it(
    "--test-clock exposes POST /v1/admin/clock and refunds follow it; without the flag the route is 404",
    SLOW,
    async () => {
      const clocked = await serve({ db: join(tempDir(), "hongbao.db"), testClock: true });
      const plain = await serve({ db: join(tempDir(), "hongbao.db") });
      try {
        const { url } = clocked;
        const [alice, bob] = await Promise.all([
          createUser(url, undefined, "alice"),
          createUser(url, undefined, "bob"),
        ]);
        await deposit(url, alice.userId, 10_000);
        const sent = await request(url, "POST", "/v1/transfers", {
          token: alice.token,
          body: { to: bob.userId, amount: 2_500 },
        });
        assert.equal(sent.status, 201, sent.text);
        const transfer = sent.json() as { id: string; refundAt: string };

        const later = Date.now() + 25 * 3600 * 1000;
        const iso = new Date(later).toISOString();
        const asUser = await request(url, "POST", "/v1/admin/clock", { token: alice.token, body: { now: iso } });
        assert.equal(asUser.status, 403, asUser.text);
        const noToken = await request(url, "POST", "/v1/admin/clock", { body: { now: iso } });
        assert.equal(noToken.status, 401, noToken.text);
        const badInstant = await request(url, "POST", "/v1/admin/clock", {
          token: ADMIN_TOKEN,
          body: { now: "tomorrow" },
        });
        assert.equal(badInstant.status, 400, badInstant.text);

        const set = await request(url, "POST", "/v1/admin/clock", { token: ADMIN_TOKEN, body: { now: iso } });
        assert.equal(set.status, 200, set.text);
        assert.equal(Date.parse(set.json().now), later, `the clock reads what it was set to: ${set.text}`);
        const limits = await request(url, "GET", "/v1/limits");
        assert.equal(limits.status, 200, limits.text);
        assert.equal(Date.parse(limits.json().at), later, "the rules are read at the test clock's time");

        const read = await request(url, "GET", `/v1/transfers/${transfer.id}`, { token: alice.token });
        assert.equal(read.status, 200, read.text);
        assert.equal(
          read.json().status,
          "refunded",
          "a transfer nobody answered is refunded once the clock passes 24 h",
        );
        const wallet = await request(url, "GET", "/v1/me/wallet", { token: alice.token });
        assert.equal(wallet.json().balance, 10_000);

        const missing = await request(plain.url, "POST", "/v1/admin/clock", { token: ADMIN_TOKEN, body: { now: iso } });
        assert.equal(missing.status, 404, `without --test-clock the route does not exist: ${missing.text}`);
        const plainLimits = await request(plain.url, "GET", "/v1/limits");
        assert.ok(
          Math.abs(Date.parse(plainLimits.json().at) - Date.now()) < 3600 * 1000,
          "without the flag the clock is the system's",
        );
      } finally {
        await Promise.all([stop(clocked.proc), stop(plain.proc)]);
      }
    },
  );

  it("--log-format pretty writes readable lines, not JSON, up to the last one before exit", SLOW, async () => {
    const proc = new Proc(["serve", "--port", "0", "--db", join(tempDir(), "hongbao.db"), "--log-format", "pretty"], {
      env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN }),
    });
    // pino-pretty: "[time] INFO (pid): listening", then the line's fields one a line (url: "…").
    // With edges the writer names its own port first ("writer port listening"): the public one follows "listening".
    const address = /\): listening\n(?: {4}.*\n)*? {4}url: "(http:\/\/127\.0\.0\.1:\d+)"/;
    await proc.waitForOutput(() => address.test(proc.stdout), 30_000, "a readable listening line and its url");
    assert.match(proc.stdout, /^\[[\d:.]+\] INFO \(\d+\): listening$/m);
    const url = address.exec(proc.stdout)?.[1] as string;
    assert.equal((await request(url, "GET", "/healthz")).status, 200);
    proc.child.kill("SIGTERM");
    assert.deepEqual(await proc.waitForExit(20_000), { code: 0, signal: null });
    assert.match(proc.stdout, /INFO.*closed/, "the last line is out before the process exits");
    assert.equal(
      proc.stdout.split("\n").filter((line) => line.startsWith("{")).length,
      0,
      `no JSON lines:\n${proc.stdout}`,
    );
  });

  it("serve with no --db in a fresh folder creates ./data/hongbao.db there (what `npm start` runs)", SLOW, async () => {
    const cwd = tempDir("hongbao-cwd-");
    const { proc, url } = await serve({ cwd });
    const listening = proc.lines.find((line) => line.msg === "listening");
    assert.equal(listening?.db, "./data/hongbao.db");
    const file = join(cwd, "data", "hongbao.db");
    assert.ok(existsSync(file), `${file} exists`);
    const user = await createUser(url, undefined, "npm-start");
    await stop(proc);
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      assert.equal(db.prepare("SELECT COUNT(*) FROM users WHERE id = ?").pluck().get(user.userId), 1);
    } finally {
      db.close();
    }
  });
});
