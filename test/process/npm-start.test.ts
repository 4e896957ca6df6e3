/**
 * The README's start command, `npm start`, as a newcomer runs it: it does not compile the
 * server or build the web app again when the build is current, and SIGTERM stops the server cleanly whether it is sent to npm's
 * pid or to the pid the server logs.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ADMIN_TOKEN, alive, childEnv, cleanup, request, sleep, tempDir } from "./support.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const SLOW = { timeout: 120_000 };

interface Started {
  readonly npm: ChildProcess;
  readonly serverPid: number;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

async function npmStart(): Promise<Started> {
  const npm = spawn("npm", ["start", "--silent"], {
    cwd: ROOT,
    env: childEnv({
      HONGBAO_PORT: "0",
      HONGBAO_DB: join(tempDir(), "hongbao.db"),
      HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  npm.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  npm.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => npm.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listening = output
      .split("\n")
      .map((line) => (line.startsWith("{") ? (JSON.parse(line) as { msg?: string; url?: string; pid?: number }) : {}))
      .find((line) => line.msg === "listening");
    if (listening !== undefined)
      return { npm, serverPid: listening.pid as number, url: listening.url as string, output: () => output, exited };
    if (npm.exitCode !== null || Date.now() > deadline) {
      npm.kill("SIGKILL");
      throw new Error(`npm start did not listen:\n${output}`);
    }
    await sleep(50);
  }
}

async function stoppedCleanly(started: Started): Promise<void> {
  try {
    const code = await Promise.race([started.exited, sleep(30_000).then(() => "timeout" as const)]);
    assert.equal(code, 0, `npm start exits 0 once the server has stopped:\n${started.output()}`);
    assert.match(started.output(), /"msg":"closed"/, "the server drained and closed the store");
    for (let i = 0; i < 50 && alive(started.serverPid); i++) await sleep(100);
    assert.equal(alive(started.serverPid), false, `no server left running (pid ${started.serverPid})`);
  } finally {
    // A failed check must not leave a server behind: it is no child of ours but npm's.
    if (alive(started.serverPid)) process.kill(started.serverPid, "SIGKILL");
    started.npm.kill("SIGKILL");
  }
}

describe("npm start", () => {
  after(cleanup);

  it("does not compile when the build is current, and SIGTERM to npm's pid stops the server", SLOW, async () => {
    const built = join(ROOT, "dist", "src", "server.js");
    const page = join(ROOT, "dist", "web", "index.html");
    const before = statSync(built).mtimeMs;
    const pageBefore = statSync(page).mtimeMs;
    const started = await npmStart();
    assert.equal(statSync(built).mtimeMs, before, "the current build was not written again");
    assert.equal(statSync(page).mtimeMs, pageBefore, "nor the current web app (web/build-if-stale.mjs)");
    assert.match(started.output(), /web app: current, not built again/);
    assert.notEqual(started.serverPid, started.npm.pid, "the pid in the log is the server's own");
    assert.equal((await request(started.url, "GET", "/healthz")).status, 200);
    started.npm.kill("SIGTERM");
    await stoppedCleanly(started);
  });

  it("SIGTERM to the pid the server logs stops it, and npm with it", SLOW, async () => {
    const started = await npmStart();
    process.kill(started.serverPid, "SIGTERM");
    await stoppedCleanly(started);
  });
});
