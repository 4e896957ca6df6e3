import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { Result } from "../../src/domain/errors.js";
import type { Answer } from "../../src/engine/engine.js";
import type { Batch } from "../../src/engine/store-port.js";
import { createCampaign, EngineRig } from "./support.js";

/**
 * Commits overlap by one (decision 0059): a batch is applied while the one before it commits
 * (on by default where the store commits off the event loop; on here on the plain store).
 * These hold the first batch's commit and check what the batch applied behind it may and may
 * not do: commit before it, be answered before its own commit, show its state to observers
 * of the first, or survive the first one's failure.
 */

const send = (from: string, to: string, amount: number) =>
  ({ type: "sendTransfer", request: { from, to, amount, memo: "", nature: "unspecified", dueDate: null } }) as const;

/** Turns of the event loop until `done` holds (at most two seconds). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The store's commits as they start and end; the first one waits for `release` and then does what it is told. */
function gateFirstCommit(rig: EngineRig) {
  const commit = rig.store.commit.bind(rig.store);
  const log: string[] = [];
  let release: (fail: boolean) => void = () => {};
  const released = new Promise<boolean>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  rig.store.commit = async (batch: Batch) => {
    const n = calls++;
    log.push(`start ${n}`);
    if (n === 0 && (await released)) {
      log.push(`failed ${n}`);
      throw new Error("disk full");
    }
    await commit(batch);
    log.push(`end ${n}`);
  };
  return { log, release, calls: () => calls };
}

describe("pipelined commits", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  async function funded() {
    rig = await new EngineRig({ overlapCommits: true }).start();
    const alice = await rig.createUser();
    const bob = await rig.createUser();
    assert.ok((await rig.engine.submit({ type: "deposit", userId: alice, amount: 10_000 })).ok);
    return { rig, alice, bob };
  }

  it("commits in order and answers a batch only after its own commit", async () => {
    const { rig, alice, bob } = await funded();
    const gate = gateFirstCommit(rig);
    const answered: string[] = [];
    const heard =
      (name: string) =>
      <T>(result: T): T => {
        answered.push(`${name} ${gate.log.length}`);
        return result;
      };
    const first = rig.engine.submit(send(alice, bob, 1_000)).then(heard("first"));
    await until(() => gate.calls() === 1);
    const second = rig.engine.submit(send(alice, bob, 2_000)).then(heard("second"));
    // The second batch is applied while the first commits, and waits.
    await until(() => rig.engine.balanceOf(alice) === 7_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(gate.log, ["start 0"], "nothing commits before the first batch is durable");
    assert.equal(answered.length, 0, "nobody is answered meanwhile");
    gate.release(false);
    assert.ok((await first).ok);
    assert.ok((await second).ok);
    assert.deepEqual(gate.log, ["start 0", "end 0", "start 1", "end 1"]);
    // Each caller heard after its own batch's end: the log's length when it was answered says how far commits got.
    const logged = (name: string) => Number(answered.find((line) => line.startsWith(name))?.split(" ")[1]);
    assert.ok(logged("first") >= 2, `first answered after its commit: ${answered}`);
    assert.ok(logged("second") >= 4, `second answered after its commit: ${answered}`);
    assert.equal(await rig.store.balance(alice), 7_000);
  });

  it("answers BUSY to the batch applied behind a failed one, commits nothing of it, and rebuilds memory", async () => {
    const { rig, alice, bob } = await funded();
    const gate = gateFirstCommit(rig);
    const first = rig.engine.submit(send(alice, bob, 1_000));
    await until(() => gate.calls() === 1);
    const second = rig.engine.submit(send(alice, bob, 2_000));
    await until(() => rig.engine.balanceOf(alice) === 7_000);
    gate.release(true);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.ok ? "ok" : a.error.code, "BUSY");
    assert.equal(b.ok ? "ok" : b.error.code, "BUSY", "the batch on top of the failed one is never a success");
    assert.deepEqual(gate.log, ["start 0", "failed 0"], "the batch behind the failed one never reached the store");
    assert.equal(rig.engine.balanceOf(alice), 10_000, "memory was rebuilt from the store");
    assert.equal(await rig.store.balance(alice), 10_000);
    assert.equal(await rig.store.balanceSum(), 0);
    const again = await rig.engine.submit(send(alice, bob, 500));
    assert.ok(again.ok, "the engine carries on from the store");
    assert.equal(await rig.store.balance(alice), 9_500);
  });

  it("shows observers of a durable batch its campaigns as they were, not as the batch applied since left them", async () => {
    const seen: number[] = [];
    let campaignId = "";
    const observer = {
      commitFailed: () => {},
      batchDurable: (batch: Batch) => {
        if (batch.campaigns.some((c) => c.id === campaignId))
          seen.push(rig?.engine.campaignLive(campaignId)?.claimedAmount ?? -1);
      },
    };
    rig = await new EngineRig({ observer, overlapCommits: true }).start();
    const users = [await rig.createUser(), await rig.createUser()];
    campaignId = await createCampaign(rig.engine, rig.clock.now(), { budget: 1_000, amount: { fixed: 10 } });
    assert.ok((await rig.engine.submit({ type: "pauseCampaign", campaignId })).ok);
    seen.length = 0;
    const gate = gateFirstCommit(rig);
    const resumed = rig.engine.submit({ type: "resumeCampaign", campaignId });
    await until(() => gate.calls() === 1);
    const claimed = rig.engine.submit({ type: "claim", campaignId, userId: users[1] as string });
    await until(() => rig?.engine.campaignLive(campaignId)?.claimedAmount === 10);
    gate.release(false);
    assert.ok((await resumed).ok);
    assert.ok((await claimed).ok);
    assert.deepEqual(seen, [0], "the resume's observers saw the campaign before the claim applied behind it");
    assert.equal(rig.engine.campaignLive(campaignId)?.claimedAmount, 10);
  });

  it("gives one outcome to a key sent again while its batch commits and another is applied", async () => {
    const { rig, alice } = await funded();
    const gate = gateFirstCommit(rig);
    const render = (result: Result<unknown>): Answer => ({
      status: result.ok ? 200 : 409,
      body: JSON.stringify(result),
    });
    const key = { scope: `user:${alice}`, key: "k-1", requestHash: "h" };
    const deposit = { type: "deposit", userId: alice, amount: 100 } as const;
    const first = rig.engine.execute(deposit, render, key);
    await until(() => gate.calls() === 1);
    const other = rig.engine.submit({ type: "deposit", userId: alice, amount: 1 });
    await until(() => rig.engine.balanceOf(alice) === 10_101);
    const again = rig.engine.execute(deposit, render, key);
    gate.release(false);
    const [a, b] = await Promise.all([first, again]);
    assert.ok((await other).ok);
    assert.equal(a.body, b.body);
    assert.equal(b.replayed, true);
    assert.equal(await rig.store.balance(alice), 10_101, "the key moved money once");
  });

  it("runs due timers and resolves only once the batch that fired the last of them is durable, even one applied behind", async () => {
    rig = await new EngineRig({ overlapCommits: true, timersPerBatchMax: 1 }).start();
    const alice = await rig.createUser();
    const now = rig.clock.now();
    const ids = [
      await createCampaign(rig.engine, now, { name: "first", endsAt: now + 3_600_000 }),
      await createCampaign(rig.engine, now, { name: "second", endsAt: now + 3_600_001 }),
    ];
    await rig.engine.runDueTimers(); // their starts
    const gate = gateFirstCommit(rig);
    const firstCommit = rig.store.commit;
    let releaseSecond: () => void = () => {};
    const secondHeld = new Promise<void>((resolve) => {
      releaseSecond = resolve;
    });
    rig.store.commit = async (batch: Batch) => {
      if (gate.calls() > 0) await secondHeld;
      await firstCommit(batch);
    };
    try {
      rig.clock.set(now + 7_200_000);
      let resolved = false;
      const ran = rig.engine.runDueTimers().then(() => {
        resolved = true;
      });
      await until(() => gate.calls() === 1);
      // Applied while the first batch commits: its own due timers fire the second end in memory.
      const deposit = rig.engine.submit({ type: "deposit", userId: alice, amount: 1 });
      await until(() => rig?.engine.memorySizes().campaignsInMemory === 0);
      gate.release(false);
      // The tick's own batch is durable (and answered) before the batch applied behind it.
      await until(() => gate.log.includes("end 0"));
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(resolved, false, "resolved while the batch that ended the second campaign was not durable");
      releaseSecond();
      await ran;
      assert.ok((await deposit).ok);
      for (const id of ids) assert.equal((await rig.store.campaign(id))?.campaign.status, "ended");
    } finally {
      gate.release(false);
      releaseSecond();
    }
  });

  it("runs on a store that writes on a worker thread: answers after the thread's commit, reads see it, a restart keeps it", async () => {
    rig = await new EngineRig({}, undefined, true).start();
    assert.equal(rig.store.commitsOffLoop, true);
    const alice = await rig.createUser();
    const bob = await rig.createUser();
    assert.ok((await rig.engine.submit({ type: "deposit", userId: alice, amount: 10_000 })).ok);
    const sends = await Promise.all(Array.from({ length: 50 }, () => rig?.engine.submit(send(alice, bob, 10))));
    for (const sent of sends) assert.ok(sent?.ok);
    // Read on the store's own connection as soon as the answers are out: the thread's commits are there.
    assert.equal(await rig.store.balance(alice), 9_500);
    await rig.restart();
    assert.equal(rig.engine.balanceOf(alice), 9_500);
    assert.equal(await rig.store.balanceSum(), 0);
  });
});
