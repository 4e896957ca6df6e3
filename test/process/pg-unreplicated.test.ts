/**
 * The PostgreSQL store on a primary with a synchronous standby (scripts/pg-replica/): with
 * the standby away a batch's COMMIT waits; if that wait is cancelled, PostgreSQL reports the
 * COMMIT as a success with only a warning. The store must refuse it: the batch is on one
 * machine, and nobody in it may be told it succeeded.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { emptyBatch } from "../../src/engine/ledger-state.js";
import {
  isUnreplicatedCommit,
  PostgresStore,
  UnreplicatedCommitError,
} from "../../src/store/postgres/postgres-store.js";
import { PgPair } from "./pg-pair.js";
import { sleep } from "./support.js";

describe("postgres store: a commit whose wait for the synchronous standby was cancelled", () => {
  let pair: PgPair | undefined;
  after(async () => {
    await pair?.down();
  });

  it("recognises both warnings PostgreSQL gives when it stops waiting", () => {
    assert.ok(isUnreplicatedCommit("canceling wait for synchronous replication due to user request"));
    assert.ok(
      isUnreplicatedCommit(
        "canceling the wait for synchronous replication and terminating connection due to administrator command",
      ),
    );
    assert.ok(!isUnreplicatedCommit("there is no transaction in progress"));
    assert.ok(!isUnreplicatedCommit(undefined));
  });

  it("is refused, not acknowledged", { timeout: 240_000 }, async () => {
    pair = await PgPair.up();
    const url = await pair.url("primary");
    const store = await PostgresStore.open({ url });
    try {
      await pair.run("stop", ["b"]);
      const user = { id: "usr_00000000000000000001", phone: "+8613800000001", name: "a", createdAt: 1 };
      const commit = store.commit({ ...emptyBatch(), users: [user] });
      const outcome = commit.then(
        () => "acknowledged",
        (error: unknown) => error,
      );
      // Wait until the writer's COMMIT waits on the standby, then cancel that wait.
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        let cancelled = false;
        for (let i = 0; i < 200 && !cancelled; i++) {
          const { rows } = await admin.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'hongbao-writer' AND wait_event = 'SyncRep'",
          );
          if (rows[0] !== undefined) {
            await admin.query("SELECT pg_cancel_backend($1)", [rows[0].pid]);
            cancelled = true;
          } else await sleep(50);
        }
        assert.ok(cancelled, "the batch's COMMIT waited for the standby");
      } finally {
        await admin.end();
      }
      const result = await outcome;
      assert.ok(result instanceof UnreplicatedCommitError, `the store refused the commit: ${String(result)}`);
    } finally {
      await store.close();
    }
  });
});
