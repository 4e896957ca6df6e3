import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EXPECTED_BOUNDARY_ANSWERS, runBoundaries } from "../support/special-day-cases.js";
import {
  ADMIN_TOKEN,
  childEnv,
  cleanup,
  createUser,
  deposit,
  request,
  runCli,
  serve,
  TOKEN_SECRET,
  tempDir,
} from "./support.js";

/** The special days run on Asia/Shanghai midnights whatever the server's own time zone is. */
describe("special-day boundaries under other process time zones", () => {
  after(cleanup);

  it("hongbao calendar prints a year's special days, whatever the time zone", { timeout: 30_000 }, async () => {
    const run = await runCli(["calendar", "2027"], { env: childEnv({ TZ: "America/New_York" }) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /2027-02-14 Sun {2}Valentine's Day +single packet cap 52000 fen/);
    assert.match(run.stdout, /2027-05-20 Thu {2}520 +single packet cap 52000 fen/);
    assert.match(run.stdout, /2027-08-08 Sun {2}Qixi +single packet cap 52000 fen/);
    const bad = await runCli(["calendar", "20x7"]);
    assert.notEqual(bad.code, 0);
  });

  for (const tz of ["UTC", "America/New_York", "Asia/Shanghai"]) {
    it(`TZ=${tz}: the same answers at every boundary`, { timeout: 60_000 }, async () => {
      const { proc, url } = await serve({
        db: join(tempDir(), "hongbao.db"),
        testClock: true,
        env: childEnv({ TZ: tz, HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET }),
      });
      const alice = await createUser(url, undefined, "alice");
      const bob = await createUser(url, undefined, "bob");
      await deposit(url, alice.userId, 1_000_000);
      const call = async (method: "GET" | "POST", path: string, token: string, body?: unknown) => {
        const reply = await request(url, method, path, {
          token: token === "admin" ? ADMIN_TOKEN : token,
          ...(body === undefined ? {} : { body }),
        });
        return { status: reply.status, body: reply.json() };
      };
      assert.deepEqual(await runBoundaries(call, alice.token, bob.userId), EXPECTED_BOUNDARY_ANSWERS);
      proc.child.kill("SIGTERM");
      assert.equal((await proc.exited).code, 0);
    });
  }
});
