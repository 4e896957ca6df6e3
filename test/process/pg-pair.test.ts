import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { PG_REPLICA, PgPair } from "./pg-pair.js";
import { sleep } from "./support.js";

/**
 * One psql session fed statements one at a time: every "INSERT 0 1" it prints is the
 * server's answer to the next insert in order, so `acknowledged` holds exactly the rows a
 * client was told are committed.
 */
class InsertStream {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #sent: number[] = [];
  readonly acknowledged: number[] = [];
  readonly exited: Promise<void>;
  stderr = "";
  #partial = "";

  constructor(pair: PgPair, node: "a" | "b") {
    this.#child = spawn("bash", [PG_REPLICA, "psql", "--dir", pair.dir, node, "-At", "-v", "ON_ERROR_STOP=1"]);
    this.exited = new Promise((resolve) => this.#child.once("exit", () => resolve()));
    this.#child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.#partial += chunk;
      const lines = this.#partial.split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line !== "INSERT 0 1") continue;
        const id = this.#sent[this.acknowledged.length];
        assert.ok(id !== undefined, "an answer to an insert that was not sent");
        this.acknowledged.push(id);
      }
    });
    this.#child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
  }

  insert(id: number): void {
    this.#sent.push(id);
    this.#child.stdin.write(`INSERT INTO ops (id) VALUES (${id});\n`);
  }

  get sent(): number {
    return this.#sent.length;
  }

  close(): void {
    this.#child.stdin.end();
  }
}

const WAITING = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'";

async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("pg-replica.sh: a primary with a synchronous standby, on loopback", () => {
  let pair: PgPair | undefined;
  after(async () => {
    await pair?.down();
  });

  it("acknowledges nothing while the standby is away; after a hard kill and a promotion every acknowledged row is there", {
    timeout: 240_000,
  }, async () => {
    pair = await PgPair.up();
    pair.psql("a", "CREATE TABLE ops (id integer PRIMARY KEY)");

    // The standby stopped: the commit waits, no answer comes; back, the answer comes.
    const stream = new InsertStream(pair, "a");
    stream.insert(1);
    await waitFor("the first acknowledgement", () => stream.acknowledged.length === 1, 30_000);
    await pair.run("stop", ["b"]);
    stream.insert(2);
    await sleep(2_000);
    assert.deepEqual(stream.acknowledged, [1], "no commit is acknowledged while the synchronous standby is away");
    assert.equal(pair.psql("a", WAITING), "1", "the commit waits for the standby");

    // What a store must not trust: a cancelled wait reports the COMMIT as done, with a warning.
    const cancelled = new InsertStream(pair, "a");
    cancelled.insert(-1);
    await waitFor("two commits waiting", () => pair?.psql("a", WAITING) === "2", 30_000);
    pair.psql(
      "a",
      `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND query LIKE '%(-1)%'`,
    );
    await waitFor("the cancelled commit's answer", () => cancelled.acknowledged.length === 1, 30_000);
    assert.match(cancelled.stderr, /canceling wait for synchronous replication/);
    assert.match(cancelled.stderr, /already committed locally, but might not have been replicated/);
    cancelled.close();
    assert.deepEqual(stream.acknowledged, [1]);

    await pair.run("start", ["b"]);
    await waitFor("the waiting commit's answer", () => stream.acknowledged.length === 2, 30_000);

    // Inserts flowing; the primary dies mid-stream.
    let next = 3;
    let stopped = false;
    // Up to 20 inserts in flight, so the kill lands with answers outstanding.
    const feeder = setInterval(() => {
      while (!stopped && stream.sent - stream.acknowledged.length < 20) stream.insert(next++);
    }, 1);
    await waitFor("500 acknowledged inserts", () => stream.acknowledged.length >= 500, 60_000);
    const killed = await pair.run("kill-primary");
    stopped = true;
    clearInterval(feeder);
    await stream.exited;
    const promoted = await pair.run("promote");
    const acknowledged = stream.acknowledged;
    const present = new Set(pair.psql("b", "SELECT id FROM ops").split("\n").map(Number));
    const missing = acknowledged.filter((id) => !present.has(id));
    assert.deepEqual(missing, [], "every acknowledged insert is on the promoted standby");
    assert.equal(pair.psql("b", "SELECT pg_is_in_recovery()"), "f", "the standby is the primary now");
    pair.psql("b", `INSERT INTO ops (id) VALUES (${next + 1})`);
    process.stdout.write(
      `# pg pair: ${acknowledged.length} acknowledged of ${stream.sent} sent, ${present.size} rows after promotion; ` +
        `kill ${Math.round(killed.ms)} ms, fence+promote ${Math.round(promoted.ms)} ms ` +
        `(${/pg_promote took \d+ ms/.exec(promoted.stderr)?.[0] ?? "?"})\n`,
    );
  });
});
