import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  ADMIN_TOKEN,
  Client,
  checkLedger,
  cleanup,
  createUser,
  deposit,
  seededRandom,
  serve,
  sleep,
  tempDir,
} from "./support.js";

const DAY_MS = 86_400_000;

/** Red packets and campaigns under SIGKILL: refunds happen once, claims are never lost or doubled. */
describe("crash: SIGKILL during packet expiry and at a campaign's peak", () => {
  after(cleanup);

  it("kill -9 while thousands of packets expire loses and doubles nothing", { timeout: 900_000 }, async () => {
    const db = join(tempDir(), "hongbao.db");
    const random = seededRandom(Number(process.env.CRASH_SEED ?? 814));
    let virtualNow = Date.parse("2026-08-19T10:00:00+08:00");
    let { proc, url } = await serve({ db, testClock: true });
    let client = new Client(url);
    const setClock = (at: number) =>
      client.request("POST", "/v1/admin/clock", { token: ADMIN_TOKEN, body: { now: new Date(at).toISOString() } });
    assert.equal((await setClock(virtualNow)).status, 200);
    // A sender may have 1 000 packets open at once: eight senders send 750 each per cycle.
    const senders = await Promise.all(Array.from({ length: 8 }, (_, i) => createUser(url, undefined, `sender${i}`)));
    const sender = senders[0] as (typeof senders)[number];
    const members = await Promise.all([1, 2, 3].map((i) => createUser(url, undefined, `member${i}`)));
    for (const each of senders) await deposit(url, each.userId, 10_000_000);
    const group = await client.request("POST", "/v1/groups", {
      token: sender.token,
      body: { name: "家", memberIds: [...senders.slice(1), ...members].map((m) => m.userId) },
    });
    const groupId = group.json().id as string;
    for (let cycle = 0; cycle < 3; cycle++) {
      const sent: string[] = [];
      for (let i = 0; i < 6_000; i += 100) {
        const replies = await Promise.all(
          Array.from({ length: 100 }, (_, k) =>
            client.request("POST", "/v1/red-packets", {
              token: senders[(i + k) % senders.length]?.token,
              body: { kind: "lucky", amount: 300, count: 3, groupId },
            }),
          ),
        );
        for (const reply of replies) {
          assert.equal(reply.status, 201, reply.text);
          sent.push(reply.json().id);
        }
      }
      // Some packets are half grabbed, so their refunds are partial.
      await Promise.all(
        sent
          .slice(0, 300)
          .map((id) => client.request("POST", `/v1/red-packets/${id}/grab`, { token: members[0]?.token })),
      );
      virtualNow += DAY_MS + 1;
      // Expiry runs in batches of 2 000: kill once the first batch of this cycle is on disk,
      // at a random moment after, so the kill lands between or during the later batches.
      const watch = new Database(db, { readonly: true });
      const expired = watch.prepare("SELECT COUNT(*) FROM red_packets WHERE status = 'expired'").pluck();
      const before = expired.get() as number;
      void setClock(virtualNow).catch(() => undefined);
      const deadline = Date.now() + 20_000;
      while ((expired.get() as number) === before && Date.now() < deadline) await sleep(1);
      await sleep(Math.floor(random() * 8));
      await proc.kill("SIGKILL");
      watch.close();
      client.close();
      checkLedger(db);
      const killed = new Database(db, { readonly: true });
      const expiredAtKill = killed.prepare("SELECT COUNT(*) FROM red_packets WHERE status = 'expired'").pluck().get();
      killed.close();
      if (process.env.CRASH_VERBOSE)
        console.log(`cycle ${cycle}: ${String(expiredAtKill)} packets expired when killed`);
      ({ proc, url } = await serve({ db, testClock: true }));
      client = new Client(url);
      assert.equal((await setClock(virtualNow)).status, 200);
      const ledger = checkLedger(db);
      assert.equal(ledger.balances.get("escrow"), 0, "every packet has expired and refunded once");
      const file = new Database(db, { readonly: true });
      const active = file.prepare("SELECT COUNT(*) FROM red_packets WHERE status = 'active'").pluck().get();
      file.close();
      assert.equal(active, 0);
    }
    await proc.kill("SIGTERM");
    client.close();
  });

  it("kill -9 at the peak of a campaign: acknowledged claims stay, the budget holds, the campaign goes on", {
    timeout: 600_000,
  }, async () => {
    const db = join(tempDir(), "hongbao.db");
    let { proc, url } = await serve({ db });
    let client = new Client(url);
    const created = await client.request("POST", "/v1/admin/users/bulk", {
      token: ADMIN_TOKEN,
      body: {
        users: Array.from({ length: 3_000 }, (_, i) => ({
          phone: `+86150${String(i).padStart(8, "0")}`,
          name: `u${i}`,
        })),
      },
    });
    assert.equal(created.status, 201, created.text);
    const users = created.json().users as { userId: string; token: string }[];
    const shares = 1_000;
    const campaign = await client.request("POST", "/v1/admin/campaigns", {
      token: ADMIN_TOKEN,
      body: {
        name: "13:14",
        budget: shares * 1314,
        amount: { fixed: 1314 },
        startsAt: new Date(Date.now() - 1000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const campaignId = campaign.json().id as string;
    const acknowledged = new Set<string>();
    const answered = new Set<string>();
    for (let round = 0; round < 3; round++) {
      let sent = 0;
      const killAfter = 150 + round * 200;
      const inFlight = users.slice(round * 1_000, round * 1_000 + 1_000).map(async (user) => {
        const reply = await client
          .request("POST", `/v1/campaigns/${campaignId}/claim`, { token: user.token })
          .catch(() => undefined);
        sent++;
        if (reply === undefined) return;
        answered.add(user.userId);
        if (reply.status === 200) acknowledged.add(user.userId);
        else assert.ok([409, 410, 503].includes(reply.status), `claim answered ${reply.status}: ${reply.text}`);
      });
      while (sent < killAfter) await sleep(1);
      await proc.kill("SIGKILL");
      await Promise.all(inFlight);
      client.close();
      checkLedger(db);
      const file = new Database(db, { readonly: true });
      const claimed = new Set(
        file.prepare("SELECT user_id FROM campaign_claims WHERE campaign_id = ?").pluck().all(campaignId) as string[],
      );
      const sum = file
        .prepare("SELECT COALESCE(SUM(amount), 0) FROM campaign_claims WHERE campaign_id = ?")
        .pluck()
        .get(campaignId) as number;
      const left = file
        .prepare("SELECT balance FROM balances WHERE id = ?")
        .pluck()
        .get(`campaign:${campaignId}`) as number;
      file.close();
      for (const userId of acknowledged)
        assert.ok(claimed.has(userId), `acknowledged claim of ${userId} is in the file`);
      assert.ok(sum <= shares * 1314, "the budget is not exceeded");
      assert.equal(left, shares * 1314 - sum, "the budget account holds exactly what was not claimed");
      ({ proc, url } = await serve({ db }));
      client = new Client(url);
    }
    // The campaign goes on after the crashes: everyone who has not claimed tries again.
    const rest = users.filter((user) => !acknowledged.has(user.userId));
    for (let i = 0; i < rest.length; i += 300) {
      await Promise.all(
        rest.slice(i, i + 300).map(async (user) => {
          // Admission may shed a claim on a starved machine: a client retries it after Retry-After.
          let reply = await client.request("POST", `/v1/campaigns/${campaignId}/claim`, { token: user.token });
          for (let tries = 0; reply.status === 503 && tries < 100; tries++) {
            await sleep(Math.min(5_000, 1_000 * Number(reply.headers.get("retry-after") ?? 1)));
            reply = await client.request("POST", `/v1/campaigns/${campaignId}/claim`, { token: user.token });
          }
          assert.ok([200, 409, 410].includes(reply.status), `${reply.status} ${reply.text}`);
        }),
      );
    }
    const view = (await client.request("GET", `/v1/campaigns/${campaignId}`, { token: ADMIN_TOKEN })).json();
    assert.equal(view.claimedCount, shares, "the whole budget is claimed in the end");
    assert.equal(view.claimedAmount, shares * 1314);
    assert.equal(view.remainingBudget, 0);
    await proc.kill("SIGTERM");
    client.close();
    const ledger = checkLedger(db);
    assert.equal(ledger.balances.get(`campaign:${campaignId}`), 0);
  });
});
