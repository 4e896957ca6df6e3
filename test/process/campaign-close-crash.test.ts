import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
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
describe("crash: SIGKILL around a campaign's early close", () => {
  after(cleanup);

  it("returns the unspent budget exactly once, whenever the kill lands", { timeout: 300_000 }, async () => {
    const db = join(tempDir(), "hongbao.db");
    const random = seededRandom(Number(process.env.CRASH_SEED ?? 1314));
    // Real time, so that a restart finds the campaigns where they were (a test clock starts again at now).
    let { proc, url } = await serve({ db });
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
      const claims = await Promise.all(
        crowd.map((user) => client.request("POST", `/v1/campaigns/${id}/claim`, { token: user.token })),
      );
      assert.ok(
        claims.every((reply) => reply.status === 200),
        "every claim of the crowd is paid",
      );
      const key = `close-${round}`;
      // The close is sent and the process killed a few milliseconds later: before, during or after its batch.
      const sent = admin(`/v1/admin/campaigns/${id}/close`, undefined, key).then(
        (reply) => reply,
        () => undefined,
      );
      await sleep(Math.floor(random() * 12));
      await proc.kill("SIGKILL");
      const answered = await sent;
      client.close();
      checkLedger(db);
      ({ proc, url } = await serve({ db }));
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
    const ledger = checkLedger(db);
    assert.equal(ledger.campaigns.size, 6);
    for (const campaign of ledger.campaigns.values()) assert.equal(campaign.status, "ended");
    console.log(`campaign close under SIGKILL: ${JSON.stringify(outcomes)}`);
  });
});
