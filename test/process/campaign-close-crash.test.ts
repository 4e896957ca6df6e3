import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { freshPostgresUrl, queryOnce } from "../support/postgres.js";
import {
  ADMIN_TOKEN,
  Client,
  checkLedger,
  cleanup,
  createUser,
  seededRandom,
  serve,
  sleep,
  tempDir,
} from "./support.js";

/**
 * Closing a campaign early returns its unspent budget in the batch that ends it, so a SIGKILL
 * lands before that batch (nothing returned, the campaign still open) or after it (returned
 * once, ended): never half, never twice. The close is retried after each restart with the
 * same Idempotency-Key, as a client that lost its answer would, and the ledger is checked.
 */
/** The store a server runs on, and the ledger check made on it while the server is down. */
interface Store {
  readonly serve: () => ReturnType<typeof serve>;
  readonly check: () => Promise<void>;
}

async function sqlite(): Promise<Store> {
  const db = join(tempDir(), "hongbao.db");
  return {
    serve: () => serve({ db }),
    check: async () => {
      checkLedger(db);
    },
  };
}

/** On PostgreSQL: every campaign's return posted at most once, matching its row; balances sum to 0. */
async function postgres(): Promise<Store> {
  const url = await freshPostgresUrl();
  return {
    serve: () => serve({ extraArgs: ["--store", url, "--log-level", "info"] }),
    check: async () => {
      const sum = await queryOnce<{ sum: string }>(url, "SELECT COALESCE(SUM(balance), 0) AS sum FROM balances");
      assert.equal(Number(sum[0]?.sum), 0, "balances sum to 0");
      const rows = await queryOnce<{ id: string; status: string; returned: string; returns: string; posted: string }>(
        url,
        `SELECT c.id, c.status, c.returned,
           (SELECT COUNT(*) FROM postings p WHERE p.ref = c.id AND p.kind = 'campaign.return') AS returns,
           (SELECT COALESCE(-SUM(e.amount), 0) FROM postings p JOIN entries e ON e.posting_id = p.id
              WHERE p.ref = c.id AND p.kind = 'campaign.return' AND e.account = 'campaign:' || c.id) AS posted
         FROM campaigns c`,
      );
      for (const row of rows) {
        assert.equal(Number(row.returns), row.status === "ended" ? 1 : 0, `campaign ${row.id} (${row.status}) returns`);
        assert.equal(Number(row.posted), Number(row.returned), `campaign ${row.id}: the return posting is its row's`);
      }
    },
  };
}

for (const [name, make] of [
  ["SQLite", sqlite],
  ["PostgreSQL", postgres],
] as const)
  describe(`crash on ${name}: SIGKILL around a campaign's early close`, () => {
    after(cleanup);

    it("returns the unspent budget exactly once, whenever the kill lands", { timeout: 300_000 }, async () => {
      const store = await make();
      const random = seededRandom(Number(process.env.CRASH_SEED ?? 1314));
      // Real time, so that a restart finds the campaigns where they were (a test clock starts again at now).
      let { proc, url } = await store.serve();
      let client = new Client(url);
      const admin = (path: string, body?: unknown, key?: string) =>
        client.request("POST", path, {
          token: ADMIN_TOKEN,
          ...(body === undefined ? {} : { body }),
          ...(key ? { key } : {}),
        });
      const crowd = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(url, undefined, `c${i}`)));
      const outcomes = { closedBeforeKill: 0, closedAfterRestart: 0 };
      for (let round = 0; round < 6; round++) {
        const created = await admin("/v1/admin/campaigns", {
          name: `除夕 ${round}`,
          budget: 100_000,
          amount: { min: 1, max: 2_000 },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          endsAt: new Date(Date.now() + 86_400_000).toISOString(),
        });
        assert.equal(created.status, 201, created.text);
        const id = created.json().id as string;
        // A loaded machine may give a claim a place in line (503 + Retry-After and a ticket):
        // it comes back when told, with its ticket, as a client would.
        await Promise.all(
          crowd.map(async (user) => {
            let ticket: string | undefined;
            for (let attempt = 0; ; attempt++) {
              const reply = await client.request("POST", `/v1/campaigns/${id}/claim`, {
                token: user.token,
                ...(ticket === undefined ? {} : { ticket }),
              });
              if (reply.status === 200) return;
              assert.ok(reply.status === 503 && attempt < 100, `claim: ${reply.status} ${reply.text}`);
              const told = reply.json() as { ticket?: string; retryAfterMs?: number };
              ticket = told.ticket ?? ticket;
              await sleep(Math.min(5_000, told.retryAfterMs ?? 100));
            }
          }),
        );
        const key = `close-${round}`;
        // The close is sent and the process killed a few milliseconds later: before, during or after its batch.
        const sent = admin(`/v1/admin/campaigns/${id}/close`, undefined, key).then(
          (reply) => reply,
          () => undefined,
        );
        // From at once to well after the batch: the kill lands before, during and after it.
        // (The first round kills at once: its close may not even have reached the server.)
        if (round > 0) await sleep(([0, 0, 3, 10, 30, 100][round] as number) + Math.floor(random() * 5));
        await proc.kill("SIGKILL");
        const answered = await sent;
        client.close();
        await store.check();
        ({ proc, url } = await store.serve());
        client = new Client(url);
        const retried = await admin(`/v1/admin/campaigns/${id}/close`, undefined, key);
        assert.equal(retried.status, 200, retried.text);
        if (retried.headers.get("idempotent-replayed") === "true") outcomes.closedBeforeKill += 1;
        else outcomes.closedAfterRestart += 1;
        if (answered?.status === 200) {
          assert.equal(retried.headers.get("idempotent-replayed"), "true", "an answered close is on disk");
          assert.deepEqual(retried.json(), answered.json(), "its replay is the same answer");
        }
        const view = retried.json();
        assert.equal(view.status, "ended");
        assert.equal(view.returned, 100_000 - view.claimedAmount);
        const again = await admin(`/v1/admin/campaigns/${id}/close`);
        assert.equal(again.status, 410);
        assert.equal(again.json().error.code, "ENDED");
        const late = await client.request("POST", `/v1/campaigns/${id}/claim`, { token: crowd[0]?.token });
        assert.equal(late.status, 410);
      }
      await proc.kill("SIGKILL");
      client.close();
      await store.check();
      console.log(`campaign close under SIGKILL on ${name}: ${JSON.stringify(outcomes)}`);
    });
  });
