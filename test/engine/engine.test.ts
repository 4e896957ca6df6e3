import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { DEFAULT_RULE_SET } from "../../src/domain/calendar/rule-set.js";
import { SpecialDayCalendar } from "../../src/domain/calendar/special-day-calendar.js";
import { limitsAt } from "../../src/domain/rules.js";
import { DAY_MS } from "../../src/domain/time.js";
import type { Batch } from "../../src/engine/store-port.js";
import { EngineRig } from "./support.js";

const send = (from: string, to: string, amount: number) =>
  ({ type: "sendTransfer", request: { from, to, amount, memo: "", nature: "unspecified", dueDate: null } }) as const;

describe("engine", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  async function funded(options: ConstructorParameters<typeof EngineRig>[0] = {}) {
    rig = await new EngineRig(options).start();
    const alice = await rig.createUser();
    const bob = await rig.createUser();
    const deposit = await rig.engine.submit({ type: "deposit", userId: alice, amount: 10_000 });
    assert.ok(deposit.ok);
    return { rig, alice, bob };
  }

  it("refunds an unanswered transfer at 24 h, exactly once", async () => {
    const { rig, alice, bob } = await funded();
    const sent = await rig.engine.submit(send(alice, bob, 2_500));
    assert.ok(sent.ok);
    rig.clock.set(sent.value.createdAt + DAY_MS - 1);
    await rig.engine.runDueTimers();
    assert.equal((await rig.store.transfer(sent.value.id))?.status, "pending");
    rig.clock.set(sent.value.createdAt + DAY_MS);
    await rig.engine.runDueTimers();
    await rig.engine.runDueTimers();
    assert.equal((await rig.store.transfer(sent.value.id))?.status, "refunded");
    assert.equal(await rig.store.balance(alice), 10_000);
    assert.equal((await rig.store.postingsOf(sent.value.id)).length, 2);
    const late = await rig.engine.submit({
      type: "answerTransfer",
      transferId: sent.value.id,
      by: bob,
      answer: "accept",
    });
    assert.equal(late.ok ? "ok" : late.error.code, "TRANSFER_NOT_PENDING");
  });

  it("refunds after a restart from what the store holds", async () => {
    const { rig, alice, bob } = await funded();
    const sent = await rig.engine.submit(send(alice, bob, 700));
    assert.ok(sent.ok);
    await rig.restart();
    assert.equal(rig.engine.memorySizes().pendingTransfers, 1);
    rig.clock.set(sent.value.refundAt + 1);
    await rig.engine.runDueTimers();
    await rig.restart();
    rig.clock.set(sent.value.refundAt + 2 * DAY_MS);
    await rig.engine.runDueTimers();
    assert.equal(await rig.store.balance(alice), 10_000);
    assert.equal((await rig.store.postingsOf(sent.value.id)).length, 2);
  });

  it("answers nobody when a batch fails to commit, then carries on from the store", async () => {
    const { rig, alice, bob } = await funded();
    const realCommit = rig.store.commit.bind(rig.store);
    let failNext = true;
    rig.store.commit = async (batch: Batch) => {
      if (failNext) {
        failNext = false;
        throw new Error("disk full");
      }
      return realCommit(batch);
    };
    const failed = await rig.engine.submit(send(alice, bob, 1_000));
    assert.equal(failed.ok ? "ok" : failed.error.code, "BUSY");
    assert.equal(rig.engine.balanceOf(alice), 10_000, "memory was rebuilt from the store");
    const retried = await rig.engine.submit(send(alice, bob, 1_000));
    assert.ok(retried.ok);
    assert.equal(await rig.store.balance(alice), 9_000);
    assert.equal(await rig.store.balanceSum(), 0);
  });

  it("forgets a special day whose batch failed to commit, and keeps one that committed", async () => {
    const rig = await new EngineRig({ calendar: new SpecialDayCalendar(DEFAULT_RULE_SET) }).start();
    try {
      const day = (date: string) => ({ name: "店庆", kind: "date", date, caps: { singlePacketMax: 30_000 } });
      const onDay = (date: string) => limitsAt(Date.parse(`${date}T12:00:00+08:00`), rig.engine.calendar);
      const realCommit = rig.store.commit.bind(rig.store);
      rig.store.commit = async () => {
        rig.store.commit = realCommit;
        throw new Error("disk full");
      };
      const failed = await rig.engine.submit({ type: "addSpecialDay", rule: day("2027-03-15") });
      assert.equal(failed.ok ? "ok" : failed.error.code, "BUSY");
      assert.equal(onDay("2027-03-15").specialDay ?? null, null, "the day went with its batch");
      const added = await rig.engine.submit({ type: "addSpecialDay", rule: day("2027-03-16") });
      assert.ok(added.ok);
      assert.equal(onDay("2027-03-16").singlePacketMax, 30_000);
      await rig.restart();
      assert.equal(onDay("2027-03-15").specialDay ?? null, null);
      assert.equal(onDay("2027-03-16").singlePacketMax, 30_000);
    } finally {
      await rig.dispose();
    }
  });

  it("refuses at once with BUSY when the queue is full", async () => {
    const { rig, alice, bob } = await funded({ queueMax: 5 });
    const results = await Promise.all(Array.from({ length: 20 }, () => rig.engine.submit(send(alice, bob, 1))));
    const codes = results.map((result) => (result.ok ? "ok" : result.error.code));
    assert.ok(codes.includes("BUSY"));
    assert.ok(codes.includes("ok"));
    const okCount = codes.filter((code) => code === "ok").length;
    assert.equal(await rig.store.balance(alice), 10_000 - okCount);
  });

  it("commits many commands per batch and answers each after its batch is durable", async () => {
    const sizes: number[] = [];
    const { rig, alice, bob } = await funded({ observer: { batchCommitted: (commands) => sizes.push(commands) } });
    sizes.length = 0;
    const results = await Promise.all(Array.from({ length: 500 }, () => rig.engine.submit(send(alice, bob, 10))));
    assert.ok(results.every((result) => result.ok));
    assert.ok(sizes.length < 50, `500 commands took ${sizes.length} batches`);
    assert.equal(await rig.store.balance(alice), 5_000);
    assert.equal(await rig.store.balance("escrow"), 5_000);
  });

  it("commits what is queued when closed, and refuses what comes after", async () => {
    const { rig, alice, bob } = await funded();
    const queued = Array.from({ length: 50 }, () => rig.engine.submit(send(alice, bob, 1)));
    await rig.engine.close();
    const results = await Promise.all(queued);
    assert.ok(results.every((result) => result.ok));
    const after = await rig.engine.submit(send(alice, bob, 1));
    assert.equal(after.ok ? "ok" : after.error.code, "SHUTTING_DOWN");
    await rig.store.close();
    await rig.start();
    assert.equal(await rig.store.balance(alice), 9_950);
  });

  it("keeps a user from having more than 1000 transfers waiting", async () => {
    const { rig, alice, bob } = await funded();
    const results = await Promise.all(Array.from({ length: 1001 }, () => rig.engine.submit(send(alice, bob, 1))));
    const refused = results.filter((result) => !result.ok);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.ok === false ? refused[0].error.code : "", "TOO_MANY_PENDING");
  });
});
