import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { emptyBatch } from "../../src/engine/ledger-state.js";
import type { Batch } from "../../src/engine/store-port.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const withUser = (id: string): Batch => ({
  ...emptyBatch(),
  users: [{ id, phone: `+86${id.length}${id.charCodeAt(id.length - 1)}`, name: "u", createdAt: 0 }],
});

describe("the SQLite store's commit thread", () => {
  it("writes batches in order on its own connection, fails one whole and goes on, and its commits are read at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-commit-thread-"));
    const store = new SqliteStore({ path: join(dir, "h.db"), commitThread: true });
    try {
      const first = store.commit(withUser("user_a"));
      const second = store.commit(withUser("user_b"));
      await Promise.all([first, second]);
      assert.equal((await store.user("user_b"))?.id, "user_b", "read on the store's connection once committed");
      // The same user again breaks the primary key: the whole batch fails, nothing of it stays.
      const broken: Batch = {
        ...withUser("user_c"),
        users: [...withUser("user_c").users, ...withUser("user_a").users],
      };
      await assert.rejects(store.commit(broken), /batch commit failed/);
      assert.equal(await store.user("user_c"), undefined);
      await store.commit(withUser("user_d"));
      assert.equal((await store.user("user_d"))?.id, "user_d");
      // What was given before close() is written before the thread stops.
      const last = store.commit(withUser("user_e"));
      await store.close();
      await last;
      const again = new SqliteStore({ path: join(dir, "h.db") });
      assert.equal((await again.user("user_e"))?.id, "user_e");
      await again.close();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
