import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { emptyBatch } from "../../src/engine/ledger-state.js";
import type { Batch } from "../../src/engine/store-port.js";
import { WAL_PAGES_BOUND } from "../../src/store/sqlite/batch-writer.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const WRITER = fileURLToPath(new URL("./fixtures/checkpoint-writer.js", import.meta.url));

/** A batch of `n` users whose rows take a few pages. */
function users(batch: number, n = 20): Batch {
  return {
    ...emptyBatch(),
    users: Array.from({ length: n }, (_, i) => ({
      id: `user_${batch}_${i}`,
      phone: `+86${batch * n + i}`,
      name: "x".repeat(200),
      createdAt: batch,
    })),
  };
}

const sizeOf = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function until(what: string, test: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function countUsers(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    return db.prepare("SELECT COUNT(*) FROM users").pluck().get() as number;
  } finally {
    db.close();
  }
}

describe("the SQLite store's checkpoint thread", () => {
  it("copies commits into the database file, and the WAL stays bounded under sustained commits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-checkpoint-"));
    const path = join(dir, "h.db");
    const store = new SqliteStore({ path, checkpointThread: true });
    try {
      const pageSize = new Database(path, { readonly: true }).pragma("page_size", { simple: true }) as number;
      const before = sizeOf(path);
      let largestWal = 0;
      for (let batch = 0; batch < 1_500; batch++) {
        await store.commit(users(batch));
        largestWal = Math.max(largestWal, sizeOf(`${path}-wal`));
        await tick();
      }
      // Back-to-back commits may outrun the thread; the writer's own checkpoint bounds the WAL
      // then, at WAL_PAGES_BOUND pages and the batches written while it is reached.
      assert.ok(
        largestWal <= (WAL_PAGES_BOUND + 1_000) * (pageSize + 24),
        `the WAL reached ${largestWal} bytes (page size ${pageSize})`,
      );
      // Well under SQLite's 1 000 pages, so no checkpoint of the writer's own did it.
      await until("the thread's checkpoint", () => sizeOf(path) > before + 100 * pageSize);
    } finally {
      await store.close();
    }
    assert.equal(countUsers(path), 1_500 * 20);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every commit across close and reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-checkpoint-"));
    const path = join(dir, "h.db");
    try {
      let store = new SqliteStore({ path, checkpointThread: true });
      for (let batch = 0; batch < 50; batch++) await store.commit(users(batch));
      await store.close();
      store = new SqliteStore({ path, checkpointThread: true });
      for (let batch = 50; batch < 100; batch++) await store.commit(users(batch));
      assert.equal((await store.user("user_99_19"))?.id, "user_99_19");
      await store.close();
      assert.equal(countUsers(path), 100 * 20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes through a commit thread too, each connection leaving checkpoints to it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-checkpoint-"));
    const path = join(dir, "h.db");
    try {
      const store = new SqliteStore({ path, commitThread: true, checkpointThread: true });
      const before = sizeOf(path);
      for (let batch = 0; batch < 50; batch++) await store.commit(users(batch));
      await until("the thread's checkpoint", () => sizeOf(path) > before);
      await store.close();
      assert.equal(countUsers(path), 50 * 20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("off, as by default, leaves checkpoints to the writer's connection at SQLite's default", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-checkpoint-"));
    const path = join(dir, "h.db");
    try {
      const store = new SqliteStore({ path });
      const before = sizeOf(path);
      for (let batch = 0; batch < 50; batch++) await store.commit(users(batch));
      // Time enough for a thread, had there been one, to copy them.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(sizeOf(path), before, "nothing copied before SQLite's 1 000 pages");
      await store.close();
      assert.equal(countUsers(path), 50 * 20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("loses no committed batch when its process is killed mid-run", { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "hongbao-checkpoint-"));
    const path = join(dir, "h.db");
    try {
      const child = spawn(process.execPath, [WRITER, path], { stdio: ["ignore", "pipe", "inherit"] });
      let acknowledged = -1;
      let text = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        text += chunk;
        const lines = text.split("\n");
        text = lines.pop() ?? "";
        if (lines.length > 0) acknowledged = Number(lines[lines.length - 1]);
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once("exit", (_code, signal) => resolve(signal)),
      );
      // Past the first database-file growth, so the thread has been checkpointing for a while.
      await until("commits under way", () => acknowledged >= 400, 30_000);
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
      const store = new SqliteStore({ path, checkpointThread: true });
      for (let batch = 0; batch <= acknowledged; batch++) {
        assert.equal((await store.user(`user_${batch}_19`))?.id, `user_${batch}_19`, `batch ${batch} was acknowledged`);
      }
      await store.close();
      assert.ok(countUsers(path) >= (acknowledged + 1) * 20);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
