import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { campaignAccount } from "../../src/domain/accounts.js";
import { HOUR_MS } from "../../src/domain/time.js";
import { createCampaign, EngineRig, holdCommits } from "./support.js";

const codeOf = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? "ok" : (result.error?.code ?? "?"));

describe("memory after campaigns end", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  it("frees every ended campaign's claim maps, and still answers ENDED from memory and after a restart", async () => {
    rig = await new EngineRig().start();
    const users: string[] = [];
    for (let i = 0; i < 5; i++) users.push(await rig.createUser());
    const now = rig.clock.now();
    const ids: string[] = [];
    for (let c = 0; c < 300; c++) {
      ids.push(await createCampaign(rig.engine, now, { name: `c${c}`, budget: 50, amount: { fixed: 10 } }));
    }
    await Promise.all(
      ids.flatMap((id) =>
        users.slice(0, 3).map((userId) => rig?.engine.submit({ type: "claim", campaignId: id, userId })),
      ),
    );
    const before = rig.engine.memorySizes();
    assert.equal(before.campaignsInMemory, 300);
    assert.equal(before.claimMapEntries, 900);
    rig.clock.set(now + 2 * HOUR_MS);
    await rig.engine.runDueTimers();
    const after = rig.engine.memorySizes();
    assert.equal(after.campaignsInMemory, 0);
    assert.equal(after.claimMapEntries, 0);
    assert.equal(after.endedCampaignsRemembered, 300);
    assert.equal(after.timers, 0);
    for (const id of ids) assert.equal(await rig.store.balance(campaignAccount(id)), 0, "each returned the rest");
    const late = await rig.engine.submit({ type: "claim", campaignId: ids[0] as string, userId: users[4] as string });
    assert.equal(codeOf(late), "ENDED");
    await rig.restart();
    assert.equal(rig.engine.memorySizes().campaignsInMemory, 0, "ended campaigns are not loaded");
    const afterRestart = await rig.engine.submit({
      type: "claim",
      campaignId: ids[1] as string,
      userId: users[4] as string,
    });
    assert.equal(codeOf(afterRestart), "ENDED", "a campaign memory let go of is found in the store");
    assert.equal(await rig.store.balanceSum(), 0);
  });

  it("returns a claim given back after its campaign ended, and frees the campaign only then", async () => {
    rig = await new EngineRig({ claimDeadlineMs: 0 }).start();
    const user = await rig.createUser();
    const other = await rig.createUser();
    const now = rig.clock.now();
    const id = await createCampaign(rig.engine, now, { name: "edge", budget: 1_000, amount: { fixed: 100 } });
    // A batch held on its way to disk; a claim reserves its amount behind it, the campaign
    // ends before the claim's batch runs, and the claim (past its deadline) is given back.
    const held = holdCommits(rig);
    const blocker = rig.engine.submit({ type: "deposit", userId: other, amount: 1 });
    await held.entered;
    const claim = rig.engine.submit({ type: "claim", campaignId: id, userId: user });
    await new Promise((resolve) => setTimeout(resolve, 5));
    rig.clock.set(now + 2 * HOUR_MS);
    held.open();
    held.restore();
    assert.ok((await blocker).ok);
    assert.equal(codeOf(await claim), "BUSY");
    await rig.engine.runDueTimers();
    const stored = await rig.store.campaign(id);
    assert.equal(stored?.campaign.status, "ended");
    assert.equal(stored?.campaign.returned, 1_000, "the end returned 900 and the given-back claim 100");
    assert.equal(await rig.store.balance(campaignAccount(id)), 0);
    assert.equal(await rig.store.balance(user), 0);
    assert.equal(rig.engine.memorySizes().campaignsInMemory, 0);
    assert.equal(await rig.store.balanceSum(), 0);
  });
});

describe("the overload signal", () => {
  it("decays while nothing waits, without waiting for a batch that may never come", async () => {
    const rig = await new EngineRig().start();
    try {
      const user = await rig.createUser();
      const held = holdCommits(rig);
      const blocker = rig.engine.submit({ type: "deposit", userId: user, amount: 1 });
      await held.entered;
      const waiting = rig.engine.submit({ type: "deposit", userId: user, amount: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      held.open();
      held.restore();
      await Promise.all([blocker, waiting]);
      const right = rig.engine.queueDelayMs("critical");
      assert.ok(right > 50, `delay ${right} ms after a 300 ms wait`);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const later = rig.engine.queueDelayMs("critical");
      assert.ok(later < right / 4, `delay ${later} ms two seconds later, with no batch taken`);
    } finally {
      await rig.dispose();
    }
  });
});
