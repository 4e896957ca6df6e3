import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { MIGRATIONS } from "../../src/store/sqlite/migrations.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { runStoreContract } from "./contract.js";

for (const commitThread of [false, true]) {
  runStoreContract(commitThread ? "sqlite, batches written on a commit thread" : "sqlite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-store-"));
    const path = join(dir, "ledger.db");
    let current = new SqliteStore({ path, commitThread });
    return {
      store: current,
      async reopen() {
        current = new SqliteStore({ path, commitThread });
        return current;
      },
      async cleanup() {
        await current.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

describe("sqlite store upgrades", () => {
  it("takes a database that kept an accounts table to balances read from its entries", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-upgrade-"));
    const path = join(dir, "ledger.db");
    try {
      // A database as version 5 left it: balances in an accounts table beside the entries.
      const old = new Database(path);
      old.exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT",
      );
      for (const migration of MIGRATIONS.filter((m) => m.version <= 5)) {
        old.exec(migration.sql);
        old.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(migration.version, migration.name, "then");
      }
      const alice = "usr_00000000000000000001";
      const bob = "usr_00000000000000000002";
      old.exec(`
        INSERT INTO users VALUES ('${alice}', '+8613800000001', 'Alice', 1), ('${bob}', '+8613800000002', 'Bob', 1);
        INSERT INTO postings VALUES (1, 'deposit', '${alice}', 1), (2, 'deposit', '${alice}', 2);
        INSERT INTO entries VALUES (1, 1, 'funding', -500, -500), (2, 1, '${alice}', 500, 500),
          (3, 2, 'funding', -20, -520), (4, 2, '${alice}', 20, 520);
        INSERT INTO accounts VALUES ('funding', -520), ('${alice}', 520), ('${bob}', 0);
      `);
      old.close();
      const store = new SqliteStore({ path });
      const snapshot = await store.load();
      assert.deepEqual(
        [...snapshot.balances].sort(),
        [
          ["funding", -520],
          [alice, 520],
          [bob, 0],
        ].sort(),
      );
      assert.equal(await store.balance(alice), 520);
      assert.equal(await store.balanceSum(), 0);
      await store.close();
      const upgraded = new Database(path, { readonly: true });
      const tables = upgraded.prepare("SELECT name FROM sqlite_master WHERE name = 'accounts'").all();
      upgraded.close();
      assert.deepEqual(tables, [], "the accounts table is gone");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
