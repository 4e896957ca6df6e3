/**
 * What a waiting writer holds: a served writer on a fresh PostgreSQL database is given
 * `--users` users, a second `hongbao serve` on the same database waits for the lease, and
 * the resident memory (VmRSS) of both is read; then the first is SIGKILLed and the second's
 * is read again once it serves. Prints one JSON line.
 *
 *   node dist/test/process/standby-memory.js [--users 100000]
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { BULK_USERS_MAX } from "../../src/api/routes/admin.js";
import { ADMIN_TOKEN, childEnv, cleanup, nextPhone, Proc, request, serve, sleep, TOKEN_SECRET } from "./support.js";

const { values } = parseArgs({ options: { users: { type: "string", default: "100000" } } });
const USERS = Number(values.users);
const SERVER = process.env.HONGBAO_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres";

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Math.round(Number(match[1]) / 1024);
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const name = `hongbao_standby_memory_${randomBytes(4).toString("hex")}`;
const url = new URL(SERVER);
url.pathname = `/${name}`;
const env = () => childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET });
await admin(`CREATE DATABASE ${name}`);
try {
  const active = await serve({
    extraArgs: ["--store", url.toString(), "--log-level", "info"],
    env: env(),
    readyTimeoutMs: 60_000,
  });
  const activeEmptyMiB = rssMiB(active.pid);
  for (let made = 0; made < USERS; made += BULK_USERS_MAX) {
    const count = Math.min(BULK_USERS_MAX, USERS - made);
    const answer = await request(active.url, "POST", "/v1/admin/users/bulk", {
      token: ADMIN_TOKEN,
      key: `memory-users-${made}`,
      body: { users: Array.from({ length: count }, (_, i) => ({ phone: nextPhone(), name: `u${made + i}` })) },
      timeoutMs: 120_000,
    });
    if (answer.status !== 201) throw new Error(`bulk users: ${answer.status} ${answer.text}`);
  }
  const waiting = new Proc(["serve", "--edges", "0", "--port", "0", "--store", url.toString(), "--log-level", "info"], {
    env: env(),
  });
  await waiting.waitForLine((line) => line.msg === "waiting for the writer lease", 60_000);
  await sleep(3_000);
  const figures: Record<string, number> = {
    users: USERS,
    activeEmptyMiB,
    activeMiB: rssMiB(active.pid),
    waitingMiB: rssMiB(waiting.pid),
  };
  active.proc.child.kill("SIGKILL");
  await waiting.waitForLine((line) => line.msg === "listening", 120_000);
  await sleep(3_000);
  figures.takenOverMiB = rssMiB(waiting.pid);
  console.log(JSON.stringify(figures));
} finally {
  await cleanup();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
