import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { campaignAccount } from "../../src/domain/accounts.js";
import { HOUR_MS } from "../../src/domain/time.js";
import { systemClock } from "../../src/engine/clock.js";
import { createCampaign, EngineRig } from "./support.js";

/** Alice, funded with 1 000 fen, has sent bob 400 that wait for his answer (a refund timer). */
async function pendingTransfer(rig: EngineRig) {
  const alice = await rig.createUser();
  const bob = await rig.createUser();
  assert.ok((await rig.engine.submit({ type: "deposit", userId: alice, amount: 1_000 })).ok);
  const sent = await rig.engine.submit({
    type: "sendTransfer",
    request: { from: alice, to: bob, amount: 400, memo: "", nature: "unspecified", dueDate: null },
  });
  assert.ok(sent.ok);
  return { alice, bob, sent: sent.value };
}

/**
 * Every due kind wakes an engine that nothing else wakes: refunds, expiries, campaign starts
 * and ends come off one heap, and the engine sleeps until its top.
 */
describe("timers on an idle engine", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  it("ends a campaign and returns its budget by the real clock, with no other command arriving", async () => {
    rig = await new EngineRig({}, systemClock).start();
    const now = Date.now();
    const id = await createCampaign(rig.engine, now, {
      name: "idle",
      budget: 5_000,
      amount: { fixed: 100 },
      endsAt: now + 300,
    });
    const deadline = Date.now() + 5_000;
    let stored = await rig.store.campaign(id);
    while (stored?.campaign.status !== "ended" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await rig.store.campaign(id);
    }
    assert.equal(stored?.campaign.status, "ended", "the end fired without any other command");
    assert.equal(stored?.campaign.returned, 5_000);
    assert.equal(await rig.store.balance(campaignAccount(id)), 0);
    assert.equal(await rig.store.balance("funding"), 0, "the whole budget went back");
    assert.equal(rig.engine.memorySizes().campaignsInMemory, 0, "its claim maps were freed");
  });

  it("ends every due campaign by the test clock, more than one batch's worth", async () => {
    rig = await new EngineRig({ timersPerBatchMax: 1 }).start();
    const now = rig.clock.now();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await createCampaign(rig.engine, now, {
          name: `c${i}`,
          budget: 1_000,
          amount: { fixed: 10 },
          endsAt: now + HOUR_MS + i,
        }),
      );
    }
    rig.clock.set(now + 2 * HOUR_MS);
    await rig.engine.runDueTimers();
    for (const id of ids) assert.equal((await rig.store.campaign(id))?.campaign.status, "ended");
    assert.equal(await rig.store.balance("funding"), 0);
    assert.equal(rig.engine.memorySizes().timers, 0, "every start and end came off the heap");
  });

  it("runs every due kind when only the test clock moves: no command and no call of runDueTimers follows", async () => {
    rig = await new EngineRig().start();
    const { alice, bob, sent } = await pendingTransfer(rig);
    const now = rig.clock.now();
    const packet = await rig.engine.submit({
      type: "sendPacket",
      request: {
        sender: alice,
        kind: "single",
        amount: 300,
        count: 1,
        groupId: null,
        recipient: bob,
        greeting: "",
        password: null,
      },
    });
    assert.ok(packet.ok, JSON.stringify(packet));
    const campaignId = await createCampaign(rig.engine, now, { name: "idle", budget: 700, endsAt: now + HOUR_MS });
    const later = Math.max(sent.refundAt, packet.value.expiresAt, now + HOUR_MS) + 1;
    // Idle first: the campaign's start (due at once) has run, and the engine sleeps until the next timer.
    while (rig.engine.memorySizes().timers > 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Longer than any timer would wait without being woken by the jump (the fallback wake-up is a minute).
    const deadline = Date.now() + 10_000;
    rig.clock.set(later);
    const settled = async () =>
      (await rig?.store.transfer(sent.id))?.status === "refunded" &&
      (await rig?.store.packet(packet.value.id))?.status === "expired" &&
      (await rig?.store.campaign(campaignId))?.campaign.status === "ended";
    while (!(await settled()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await rig.store.transfer(sent.id))?.status, "refunded");
    assert.equal((await rig.store.packet(packet.value.id))?.status, "expired");
    assert.equal((await rig.store.campaign(campaignId))?.campaign.returned, 700);
    assert.equal(await rig.store.balance(alice), 1_000, "the refund and the expiry gave back 700");
    assert.equal(await rig.store.balance("funding"), -1_000, "the campaign's budget went back");
    assert.equal(rig.engine.memorySizes().timers, 0);
  });

  it("wakes for the earliest timer of any kind: a transfer refund beside a later campaign end", async () => {
    rig = await new EngineRig().start();
    const { sent } = await pendingTransfer(rig);
    const now = rig.clock.now();
    const campaignId = await createCampaign(rig.engine, now, { name: "late", budget: 100, endsAt: now + 48 * HOUR_MS });
    rig.clock.set(sent.refundAt);
    await rig.engine.runDueTimers();
    assert.equal((await rig.store.transfer(sent.id))?.status, "refunded");
    assert.equal((await rig.store.campaign(campaignId))?.campaign.status, "open");
  });
});
