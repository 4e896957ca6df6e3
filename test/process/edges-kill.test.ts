import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  ADMIN_TOKEN,
  checkLedger,
  childEnv,
  cleanup,
  type LogLine,
  nextPhone,
  Proc,
  request,
  sleep,
  TOKEN_SECRET,
  tempDir,
} from "./support.js";

const USERS = 240;
const SHARES = 120;
const AMOUNT = 10;
/** A user keeps trying (503, a dropped connection) this long at most. */
const PATIENCE_MS = 180_000;

describe("serve --edges 2: SIGKILL of the writer and of an edge at a campaign's peak", () => {
  after(cleanup);

  it("loses no acknowledged claim, keeps the budget, pays nobody twice, and serves again", async () => {
    const db = join(tempDir(), "hongbao.db");
    const proc = new Proc(["serve", "--edges", "2", "--port", "0", "--db", db, "--log-level", "info"], {
      env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET }),
    });
    const edgesListening = () => proc.lines.filter((l) => l.msg === "edge listening");
    const writers = () => proc.lines.filter((l) => l.msg === "writer listening");
    await proc.waitForLine((l) => l.msg === "edge listening", 120_000, "an edge listening");
    while (edgesListening().length < 2) await sleep(50);
    const port = ((edgesListening()[0] as LogLine).address as { port: number }).port;
    const url = `http://127.0.0.1:${port}`;

    const bulk = await request(url, "POST", "/v1/admin/users/bulk", {
      token: ADMIN_TOKEN,
      key: "users",
      body: { users: Array.from({ length: USERS }, (_, i) => ({ phone: nextPhone(), name: `u${i}` })) },
    });
    assert.equal(bulk.status, 201, bulk.text);
    const users = bulk.json().users as { userId: string; token: string }[];
    const now = Date.now();
    const campaign = await request(url, "POST", "/v1/admin/campaigns", {
      token: ADMIN_TOKEN,
      body: {
        name: "peak",
        budget: SHARES * AMOUNT,
        amount: { fixed: AMOUNT },
        startsAt: new Date(now - 1_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
    });
    assert.equal(campaign.status, 201, campaign.text);
    const id = campaign.json().id as string;

    const acknowledged = new Set<string>();
    const refused = new Map<string, string>();
    let decided = 0;
    let unavailable = 0;
    const claimUntilDecided = async (user: { userId: string; token: string }) => {
      const until = Date.now() + PATIENCE_MS;
      while (Date.now() < until) {
        try {
          const reply = await request(url, "POST", `/v1/campaigns/${id}/claim`, {
            token: user.token,
            timeoutMs: 15_000,
          });
          if (reply.status === 200) acknowledged.add(user.userId);
          else if (reply.status === 503) {
            unavailable += 1;
            await sleep(200);
            continue;
          } else refused.set(user.userId, reply.json().error.code);
          decided += 1;
          return;
        } catch {
          unavailable += 1; // the edge holding the connection died: try again, on another
          await sleep(100);
        }
      }
      assert.fail(`${user.userId} was never answered`);
    };

    const writerPid = Number(writers()[0]?.pid);
    const crowd = (async () => {
      const queue = [...users];
      await Promise.all(
        Array.from({ length: 24 }, async () => {
          for (let user = queue.shift(); user !== undefined; user = queue.shift()) await claimUntilDecided(user);
        }),
      );
    })();
    while (decided < 30) await sleep(10);
    process.kill(writerPid, "SIGKILL");
    await proc.waitForLine(
      (l: LogLine) => l.msg === "writer listening" && Number(l.pid) !== writerPid,
      120_000,
      "a new writer",
    );
    while (decided < 80) await sleep(10);
    const edgePid = Number(edgesListening()[0]?.pid);
    process.kill(edgePid, "SIGKILL");
    await crowd;
    while (edgesListening().length < 3) await sleep(50); // the supervisor started the dead edge again
    const stillServing = await request(url, "GET", "/readyz");
    assert.equal(stillServing.status, 200, stillServing.text);

    proc.child.kill("SIGTERM");
    const exit = await proc.exited;
    assert.equal(exit.code, 0, proc.stderr);
    checkLedger(db);
    const file = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const rows = file.prepare("SELECT user_id, n, amount FROM campaign_claims WHERE campaign_id = ?").all(id) as {
        user_id: string;
        n: number;
        amount: number;
      }[];
      const paid = new Set(rows.map((r) => r.user_id));
      for (const userId of acknowledged)
        assert.ok(paid.has(userId), `${userId} was told "claimed" and is not in the ledger`);
      assert.equal(paid.size, rows.length, "nobody twice");
      assert.ok(rows.reduce((sum, r) => sum + r.amount, 0) <= SHARES * AMOUNT, "the budget is not exceeded");
      assert.equal(rows.length, SHARES, "every share was claimed in the end");
      for (const [userId, code] of refused) {
        assert.ok(["SOLD_OUT", "ALREADY_CLAIMED"].includes(code), `${userId}: ${code}`);
        // Already claimed: an answer lost with a killed process, then the retry was told the truth.
        if (code === "ALREADY_CLAIMED") assert.ok(paid.has(userId));
      }
    } finally {
      file.close();
    }
    assert.ok(unavailable > 0, "the kills were felt: some claims were answered 503 or cut and tried again");
  });
});
