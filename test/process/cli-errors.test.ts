/**
 * Every `hongbao` command answers bad input, a missing file, a missing --url and an HTTP error
 * with one line on stderr and a non-zero exit, never a stack trace.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServer } from "../../src/server.js";
import { ADMIN_TOKEN, childEnv, cleanup, runCli, tempDir } from "./support.js";

const SLOW = { timeout: 180_000 };
/** CLI processes at once: each loads the whole server, and the machine has two cores. */
const PARALLEL = 3;

interface Case {
  readonly args: readonly string[];
  /** What the one line must say. */
  readonly says: RegExp;
  readonly env?: Record<string, string>;
  /** A verdict (the file does not verify) is the command's answer, on stdout. */
  readonly on?: "stdout";
}

/** Runs the cases, a few at a time; each must exit non-zero with exactly one line on stderr that says what it should. */
async function failInOneLine(cases: readonly Case[]): Promise<void> {
  const queue = [...cases];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await failsInOneLine(next);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

async function failsInOneLine({ args, says, env, on }: Case): Promise<void> {
  const run = await runCli(args, { env: childEnv(env), timeoutMs: 60_000 });
  const what = `hongbao ${args.join(" ")}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
  assert.ok(run.code !== null && run.code !== 0, `exits non-zero: ${what}`);
  // commander may add a suggestion to its own one-line usage error
  const text = on === "stdout" ? run.stdout : run.stderr;
  const lines = text
    .trimEnd()
    .split("\n")
    .filter((line) => !/^\(Did you mean .*\?\)$/.test(line));
  assert.equal(lines.length, 1, `one line on ${on ?? "stderr"}: ${what}`);
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /^\s+at |node:internal|\.js:\d+/m, `no stack trace: ${what}`);
  assert.match(lines[0] as string, says, what);
}

/** A loopback port nobody listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the CLI fails in one line", () => {
  let server: RunningServer;
  let dir: string;
  let nowhere: string;
  const files: Record<string, string> = {};

  before(async () => {
    dir = tempDir();
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      db: ":memory:",
      adminToken: ADMIN_TOKEN,
      tokenSecret: undefined,
      testClock: false,
      logLevel: "silent",
    });
    nowhere = `http://127.0.0.1:${await closedPort()}`;
    const write = (name: string, text: string) => {
      files[name] = join(dir, name);
      writeFileSync(files[name], text);
    };
    write("not-json", "{ this is not json");
    write("array.json", "[1, 2, 3]");
    write("rules-wrong.json", JSON.stringify({ defaults: "none" }));
    write("not-a-key.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    write("evidence.json", JSON.stringify({ record: {}, signature: "x" }));
    write("short-token", "short\n");
    mkdirSync(join(dir, "a-folder"));
  });
  after(async () => {
    await server.close();
    await cleanup();
  });

  it("calendar: a bad year, a missing rules file, rules that are not JSON or not rules", SLOW, async () => {
    await failInOneLine([
      { args: ["calendar", "abc"], says: /^hongbao calendar: a year is four digits/ },
      { args: ["calendar", "2027", "--rules", join(dir, "missing.json")], says: /missing\.json.*no such file/ },
      { args: ["calendar", "2027", "--rules", files["not-json"] as string], says: /not-json/ },
      { args: ["calendar", "2027", "--rules", files["rules-wrong.json"] as string], says: /rules-wrong\.json/ },
      { args: ["calendar", "2027", "--rules", join(dir, "a-folder")], says: /a-folder.*folder/ },
      { args: ["calendar"], says: /missing required argument/ },
    ]);
  });

  it("verify-packet: a missing file, not JSON, not a packet, an id without --url, a bad --url", SLOW, async () => {
    await failInOneLine([
      { args: ["verify-packet", join(dir, "missing.json")], says: /cannot read the packet file .*no such file/ },
      { args: ["verify-packet", files["not-json"] as string], says: /is not JSON/ },
      { args: ["verify-packet", files["array.json"] as string], says: /is not a red packet's view/ },
      { args: ["verify-packet", "rp_0123abc"], says: /looks like a packet id: give --url/ },
      { args: ["verify-packet", "rp_0123abc", "--url", "ftp://example"], says: /--url ftp:\/\/example is not an http/ },
      { args: ["verify-packet", "rp_0123abc", "--url", nowhere], says: /cannot reach .*connection refused/ },
    ]);
  });

  it("verify-packet: an HTTP error names the status and the error code", SLOW, async () => {
    await failInOneLine([
      {
        args: ["verify-packet", "rp_0123abc", "--url", server.url, "--token", "not-a-token"],
        says: /answered 401 INVALID_TOKEN/,
      },
      { args: ["verify-packet", "rp_0123abc", "--url", server.url], says: /answered 401/ },
    ]);
  });

  it("verify-draw: a missing file, not JSON, an id without --url, a bad --url, an HTTP error", SLOW, async () => {
    await failInOneLine([
      { args: ["verify-draw", join(dir, "missing.json")], says: /cannot read the campaign file .*no such file/ },
      { args: ["verify-draw", files["not-json"] as string], says: /is not JSON/ },
      { args: ["verify-draw", "cmp_0123abc"], says: /looks like a campaign id: give --url/ },
      { args: ["verify-draw", "cmp_0123abc", "--url", "ftp://example"], says: /--url ftp:\/\/example is not an http/ },
      { args: ["verify-draw", "cmp_0123abc", "--url", nowhere], says: /cannot reach .*connection refused/ },
      {
        args: ["verify-draw", "cmp_0123abc", "--url", server.url, "--token", "not-a-token"],
        says: /answered 401 INVALID_TOKEN/,
      },
      { args: ["verify-draw"], says: /missing required argument/ },
    ]);
  });

  it("edge: no --writer, no wire secret, a writer address that is not HOST:PORT", SLOW, async () => {
    const secret = { HONGBAO_WIRE_SECRET: "a-wire-secret-of-24-chars" };
    await failInOneLine([
      { args: ["edge"], env: secret, says: /^hongbao edge: give --writer HOST:PORT or --store/ },
      { args: ["edge", "--writer", "127.0.0.1:9", "--port", "0"], says: /^hongbao edge: HONGBAO_WIRE_SECRET/ },
      {
        args: ["edge", "--writer", "nowhere", "--port", "0"],
        env: secret,
        says: /^hongbao edge: nowhere: give HOST:PORT/,
      },
      { args: ["edge", "--writer", "127.0.0.1:99999"], env: secret, says: /give HOST:PORT/ },
      { args: ["edge", "--writer", "127.0.0.1:9", "--port", "http"], env: secret, says: /a port is a whole number/ },
    ]);
  });

  it("store copy: a missing or unreadable source, a target that is not PostgreSQL or not reachable", SLOW, async () => {
    const pgNowhere = `postgres://postgres@${new URL(nowhere).host}/hongbao`;
    await failInOneLine([
      {
        args: ["store", "copy", "--from", join(dir, "missing.db"), "--to", pgNowhere],
        says: /^hongbao store copy: .*missing\.db: no such SQLite file/,
      },
      {
        args: ["store", "copy", "--from", files["not-json"] as string, "--to", pgNowhere],
        says: /^hongbao store copy: .*not-json: not a SQLite database/,
      },
      {
        args: ["store", "copy", "--from", join(dir, "a-folder"), "--to", pgNowhere],
        says: /^hongbao store copy: .*a-folder: not a SQLite database/,
      },
      {
        args: ["store", "copy", "--from", files["not-json"] as string, "--to", "mysql://x"],
        says: /^hongbao store copy: --to takes a postgres:\/\/ connection string/,
      },
      { args: ["store", "copy", "--from", join(dir, "x.db")], says: /required option '--to/ },
    ]);
  });

  it("backup and restore: a PostgreSQL URL, a missing database or backup", SLOW, async () => {
    const pgUrl = "postgres://hongbao@127.0.0.1:5432/hongbao";
    await failInOneLine([
      { args: ["backup", "--to", join(dir, "b1"), "--db", pgUrl], says: /^hongbao backup: .*pg_dump/ },
      { args: ["restore", "--from", join(dir, "b1"), "--db", pgUrl], says: /^hongbao restore: .*pg_dump/ },
      { args: ["backup", "--to", join(dir, "b2"), "--db", join(dir, "missing.db")], says: /no database at/ },
      {
        args: ["backup", "--to", join(dir, "b3"), "--db", join(dir, "missing.db")],
        env: { HONGBAO_STORE: pgUrl },
        says: /^hongbao backup: .*pg_dump/,
      },
      { args: ["restore", "--from", join(dir, "nothing"), "--db", join(dir, "r", "h.db")], says: /no backup at/ },
      { args: ["backup", "--db", join(dir, "missing.db")], says: /required option '--to/ },
    ]);
  });

  it("evidence verify: a missing file, a missing or bad key, a file that is not evidence", SLOW, async () => {
    await failInOneLine([
      { args: ["evidence", "verify", join(dir, "missing.json")], says: /cannot read the evidence file/ },
      {
        args: ["evidence", "verify", files["evidence.json"] as string, "--key", join(dir, "missing.pem")],
        says: /cannot read the key file .*missing\.pem/,
      },
      {
        args: ["evidence", "verify", files["evidence.json"] as string, "--key", files["not-a-key.pem"] as string],
        says: /holds no public key/,
      },
      {
        args: ["evidence", "verify", files["not-json"] as string],
        says: /^NOT VALID: the file is not JSON/,
        on: "stdout",
      },
      { args: ["evidence", "verify"], says: /missing required argument/ },
    ]);
  });

  it("flash-crowd: bad numbers, a target nobody serves, a target that refuses the admin token", SLOW, async () => {
    await failInOneLine([
      { args: ["flash-crowd", "--users", "many"], says: /--users/ },
      { args: ["flash-crowd", "--target", server.url], says: /--target and --admin-token go together/ },
      {
        args: ["flash-crowd", "--users", "10", "--target", nowhere, "--admin-token", ADMIN_TOKEN, "--no-progress"],
        says: /^hongbao flash-crowd: .*connection refused/,
      },
      {
        args: [
          "flash-crowd",
          "--users",
          "10",
          "--target",
          server.url,
          "--admin-token",
          "wrong-admin-token-0123456789",
          "--no-progress",
        ],
        says: /^hongbao flash-crowd: .*401/,
      },
    ]);
  });

  it("serve: a missing rules file, an unreadable or short admin token, a bad log format or level", SLOW, async () => {
    const db = (name: string) => join(dir, name, "hongbao.db");
    await failInOneLine([
      {
        args: ["serve", "--edges", "0", "--port", "0", "--db", db("r"), "--rules", join(dir, "no-rules.json")],
        says: /no-rules\.json/,
      },
      {
        args: ["serve", "--edges", "0", "--port", "0", "--db", db("f")],
        env: { HONGBAO_ADMIN_TOKEN_FILE: join(dir, "no-token") },
        says: /HONGBAO_ADMIN_TOKEN_FILE: cannot read .*no-token/,
      },
      {
        args: ["serve", "--edges", "0", "--port", "0", "--db", db("s")],
        env: { HONGBAO_ADMIN_TOKEN_FILE: files["short-token"] as string },
        says: /at least 16 characters/,
      },
      {
        args: ["serve", "--edges", "0", "--port", "0", "--db", db("b")],
        env: { HONGBAO_ADMIN_TOKEN_FILE: files["short-token"] as string, HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN },
        says: /not both/,
      },
      {
        args: ["serve", "--edges", "0", "--port", "0", "--db", db("t")],
        env: { HONGBAO_ADMIN_TOKEN: "short" },
        says: /16 characters/,
      },
      {
        args: ["serve", "--edges", "0", "--port", "0", "--db", db("l"), "--log-format", "xml"],
        says: /Allowed choices are json, pretty/,
      },
      { args: ["serve", "--edges", "0", "--port", "0", "--db", db("v"), "--log-level", "loud"], says: /loud/ },
      {
        args: ["serve", "--edges", "0", "--db", join(files["not-json"] as string, "hongbao.db")],
        says: /not a folder|no such file/,
      },
      { args: ["serve", "--edges", "0"], env: { HONGBAO_PORT: "eighty" }, says: /HONGBAO_PORT/ },
    ]);
  });

  it("serve --wire-listen and edge: no secret, a wildcard edges cannot dial, no writer or two", SLOW, async () => {
    const secret = { HONGBAO_WIRE_SECRET: "a-wire-secret-0123456789" };
    const pg = "postgres://postgres@127.0.0.1:1/none";
    await failInOneLine([
      { args: ["serve", "--port", "0", "--wire-listen", "127.0.0.1:0"], says: /HONGBAO_WIRE_SECRET/ },
      { args: ["serve", "--store", pg, "--wire-listen", "0.0.0.0:7070"], env: secret, says: /--wire-advertise/ },
      { args: ["serve", "--wire-listen", "127.0.0.1:0", "--wire-advertise", "0.0.0.0:7"], env: secret, says: /dial/ },
      { args: ["edge"], env: secret, says: /--writer HOST:PORT or --store/ },
      { args: ["edge", "--writer", "127.0.0.1:1", "--store", pg], env: secret, says: /one of them/ },
      { args: ["edge", "--store", "mysql://x"], env: secret, says: /postgres:\/\// },
      { args: ["edge", "--store", pg], says: /HONGBAO_WIRE_SECRET/ },
    ]);
  });

  it("doctor and the program: a missing value, an unknown command", SLOW, async () => {
    await failInOneLine([
      { args: ["doctor", "--db"], says: /argument missing/ },
      { args: ["doctr"], says: /unknown command/ },
    ]);
  });
});
