import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { createDatabase, dropDatabase } from "../support/postgres.js";
import { ADMIN_TOKEN, alive, childEnv, cleanup, Proc, sleep, TOKEN_SECRET } from "./support.js";

const STEP_MS = 90_000;

/**
 * A writer left behind by its supervisor would hold the store against the next start's writer
 * (on SQLite two engines on one file; on PostgreSQL a standby nobody stops that later takes the
 * lease). The longest start is a standby's wait for the lease: the supervisor dies then.
 */
describe("a supervisor killed while its writer starts", () => {
  const databases: string[] = [];
  after(async () => {
    await cleanup();
    for (const name of databases) await dropDatabase(name);
  });

  it("leaves no writer behind: a writer waiting for the lease stops with it", { timeout: 300_000 }, async () => {
    const database = await createDatabase();
    databases.push(database.name);
    const env = childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET });
    const holder = new Proc(["serve", "--edges", "0", "--store", database.url, "--port", "0"], { env });
    try {
      await holder.waitForLine((line) => line.msg === "listening", STEP_MS, "the lease holder listening");
      const supervisor = new Proc(["serve", "--edges", "1", "--store", database.url, "--port", "0"], { env });
      const waiting = await supervisor.waitForLine(
        (line) => line.msg === "waiting for the writer lease",
        STEP_MS,
        "the supervised writer waiting for the lease",
      );
      const writerPid = waiting.pid as number;
      assert.notEqual(writerPid, supervisor.child.pid, "the line is the writer's, not the supervisor's");
      await supervisor.kill("SIGKILL");
      for (let i = 0; i < 300 && alive(writerPid); i++) await sleep(100);
      assert.equal(alive(writerPid), false, "the writer stopped once its supervisor was gone");
    } finally {
      await holder.kill("SIGTERM");
    }
  });
});
