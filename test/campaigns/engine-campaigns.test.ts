import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import fc from "fast-check";
import type { AmountRule } from "../../src/domain/campaign.js";
import { HOUR_MS } from "../../src/domain/time.js";
import { EngineRig, holdCommits } from "../engine/support.js";

const codeOf = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? "ok" : (result.error?.code ?? "?"));

describe("campaigns in the engine", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  async function campaign(budget: number, amount: AmountRule, perUserLimit = 1, options = {}) {
    rig = await new EngineRig(options).start();
    const now = rig.clock.now();
    const created = await rig.engine.submit({
      type: "createCampaign",
      request: { name: "七夕 13.14", budget, amount, startsAt: now, endsAt: now + HOUR_MS, perUserLimit },
    });
    assert.ok(created.ok, codeOf(created));
    return { rig, id: created.value.id };
  }

  async function users(count: number): Promise<string[]> {
    const made: string[] = [];
    for (let i = 0; i < count; i++) made.push(await (rig as EngineRig).createUser());
    return made;
  }

  const claim = (campaignId: string, userId: string) =>
    (rig as EngineRig).engine.submit({ type: "claim", campaignId, userId });

  it("pays a fixed budget to the fen and answers SOLD_OUT after it, debiting the budget once per batch", async () => {
    const { rig, id } = await campaign(10 * 1314, { fixed: 1314 });
    const crowd = await users(50);
    const results = await Promise.all(crowd.map((userId) => claim(id, userId)));
    assert.equal(results.filter((result) => result.ok).length, 10);
    assert.equal(results.filter((result) => codeOf(result) === "SOLD_OUT").length, 40);
    assert.equal(await rig.store.balance(`campaign:${id}`), 0);
    const postings = await rig.store.postingsOf(id);
    assert.deepEqual(
      postings.map((posting) => posting.kind),
      ["campaign.fund", "campaign.claim"],
      "ten claims in one batch: one debit of the budget account",
    );
    assert.equal(postings[1]?.legs.length, 11);
    assert.equal(await rig.store.balanceSum(), 0);
  });

  it("lets claims alone linger for one bigger batch, and a transfer take them along at once", async () => {
    const sizes: number[] = [];
    // A linger longer than the default's 10 ms: five turns on a loaded machine took more (batches [16, 4]).
    const { rig, id } = await campaign(100 * 1314, { fixed: 1314 }, 1, {
      observer: { batchCommitted: (commands: number) => sizes.push(commands) },
      claimLingerMs: 5_000,
    });
    const crowd = await users(41);
    const payer = crowd.pop() as string;
    assert.ok((await rig.engine.submit({ type: "deposit", userId: payer, amount: 10_000 })).ok);
    sizes.length = 0;
    // Claims arriving over five turns of the event loop: one batch, not one a turn.
    const first: Promise<unknown>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      for (const userId of crowd.slice(turn * 4, turn * 4 + 4)) first.push(claim(id, userId));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(first);
    assert.deepEqual(sizes, [20]);
    // A transfer does not wait for the linger: the claims waiting with it go in its batch.
    sizes.length = 0;
    const second = crowd.slice(20).map((userId) => claim(id, userId));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sizes, [], "claims alone linger past the turn");
    const sent = await rig.engine.submit({
      type: "sendTransfer",
      request: { from: payer, to: crowd[0] as string, amount: 100, memo: "", nature: "unspecified", dueDate: null },
    });
    assert.ok(sent.ok, codeOf(sent));
    await Promise.all(second);
    assert.deepEqual(sizes, [21]);
  });

  it("ends a linger at the first turn that brings no more claims: their clients wait for these answers", async () => {
    const sizes: number[] = [];
    const { id } = await campaign(100 * 1314, { fixed: 1314 }, 1, {
      observer: { batchCommitted: (commands: number) => sizes.push(commands) },
    });
    const crowd = await users(5);
    sizes.length = 0;
    const claims = crowd.map((userId) => claim(id, userId));
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sizes, [5], "committed within three turns, not after the whole linger");
    assert.ok((await Promise.all(claims)).every((result) => result.ok));
  });

  it("spends a random-amount budget that does not divide exactly, the last claim taking what is left", async () => {
    const { rig, id } = await campaign(1001, { min: 10, max: 100 });
    const crowd = await users(60);
    const results = await Promise.all(crowd.map((userId) => claim(id, userId)));
    const amounts = results.flatMap((result) => (result.ok ? [result.value.amount] : []));
    assert.equal(
      amounts.reduce((sum, value) => sum + value, 0),
      1001,
    );
    assert.ok(amounts.every((value) => value >= 1 && value <= 100));
    assert.ok(results.filter((result) => !result.ok).every((result) => codeOf(result) === "SOLD_OUT"));
    assert.equal(await rig.store.balance(`campaign:${id}`), 0);
  });

  it("keeps the per-user limit under concurrent claims by one user", async () => {
    const { rig, id } = await campaign(100_000, { fixed: 100 }, 3);
    const [greedy] = await users(1);
    const results = await Promise.all(Array.from({ length: 8 }, () => claim(id, greedy as string)));
    assert.deepEqual(results.map(codeOf).sort(), [
      "ALREADY_CLAIMED",
      "ALREADY_CLAIMED",
      "ALREADY_CLAIMED",
      "ALREADY_CLAIMED",
      "ALREADY_CLAIMED",
      "ok",
      "ok",
      "ok",
    ]);
    assert.deepEqual(results.flatMap((result) => (result.ok ? [result.value.n] : [])).sort(), [1, 2, 3]);
    await rig.restart();
    assert.equal(codeOf(await claim(id, greedy as string)), "ALREADY_CLAIMED", "the limit survives a restart");
  });

  it("answers NOT_STARTED before the window and ENDED after; the end returns the unspent budget once", async () => {
    rig = await new EngineRig().start();
    const now = rig.clock.now();
    const created = await rig.engine.submit({
      type: "createCampaign",
      request: {
        name: "later",
        budget: 5_000,
        amount: { fixed: 1_000 },
        startsAt: now + HOUR_MS,
        endsAt: now + 2 * HOUR_MS,
        perUserLimit: 1,
      },
    });
    assert.ok(created.ok);
    const [a, b] = await users(2);
    assert.equal(codeOf(await claim(created.value.id, a as string)), "NOT_STARTED");
    rig.clock.set(now + HOUR_MS);
    assert.ok((await claim(created.value.id, a as string)).ok);
    const funding = await rig.store.balance("funding");
    rig.clock.set(now + 2 * HOUR_MS);
    await rig.engine.runDueTimers();
    assert.equal(codeOf(await claim(created.value.id, b as string)), "ENDED");
    await rig.restart();
    rig.clock.set(now + 5 * HOUR_MS);
    await rig.engine.runDueTimers();
    assert.equal(await rig.store.balance("funding"), funding + 4_000);
    assert.equal(await rig.store.balance(`campaign:${created.value.id}`), 0);
    const kinds = (await rig.store.postingsOf(created.value.id)).map((posting) => posting.kind);
    assert.deepEqual(kinds, ["campaign.fund", "campaign.claim", "campaign.return"]);
  });

  it("refuses bad campaigns", async () => {
    rig = await new EngineRig().start();
    const now = rig.clock.now();
    const base = {
      name: "x",
      budget: 1000,
      amount: { fixed: 10 } as AmountRule,
      startsAt: now,
      endsAt: now + HOUR_MS,
      perUserLimit: 1,
    };
    const create = (request: Partial<typeof base>) =>
      rig?.engine.submit({ type: "createCampaign", request: { ...base, ...request } });
    assert.equal(codeOf((await create({ budget: 0 })) as never), "AMOUNT_BELOW_MIN");
    assert.equal(codeOf((await create({ amount: { min: 50, max: 10 } })) as never), "BAD_AMOUNT_RULE");
    assert.equal(codeOf((await create({ amount: { fixed: 20_001 } })) as never), "BAD_AMOUNT_RULE");
    assert.equal(codeOf((await create({ amount: { fixed: 2_000 } })) as never), "BAD_AMOUNT_RULE");
    assert.equal(codeOf((await create({ endsAt: now - 1 })) as never), "BAD_WINDOW");
    assert.equal(codeOf((await create({ perUserLimit: 0 })) as never), "VALIDATION_FAILED");
    assert.equal(await rig.store.balance("funding"), 0);
  });

  it("answers BUSY and gives the budget back when a claim waits past its deadline", async () => {
    const { rig, id } = await campaign(10_000, { fixed: 1_000 }, 1, { claimDeadlineMs: 50 });
    const [slow, later] = await users(2);
    const held = holdCommits(rig);
    const blocker = rig.engine.submit({ type: "deposit", userId: later as string, amount: 1 });
    await held.entered;
    // Where commits overlap by one (decision 0059), a second batch is applied while the first commits: the claim waits behind both.
    const overlap = rig.store.commitsOffLoop;
    const second = overlap ? rig.engine.submit({ type: "deposit", userId: later as string, amount: 1 }) : undefined;
    while (overlap && rig.engine.balanceOf(later as string) < 2) await new Promise((resolve) => setImmediate(resolve));
    const waiting = claim(id, slow as string);
    await new Promise((resolve) => setTimeout(resolve, 120));
    held.open();
    await Promise.all([blocker, second]);
    assert.equal(codeOf(await waiting), "BUSY");
    held.restore();
    assert.ok((await claim(id, slow as string)).ok, "the released reservation lets the same user claim again");
    assert.equal(await rig.store.balance(`campaign:${id}`), 9_000);
  });

  it("never pays past the budget through random claims, commit failures and restarts", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          budget: fc.integer({ min: 1, max: 3_000 }),
          rule: fc.oneof(
            fc.integer({ min: 1, max: 300 }).map((fixed) => ({ fixed })),
            fc
              .tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 200 }))
              .map(([min, extra]) => ({ min, max: min + extra })),
          ),
          limit: fc.integer({ min: 1, max: 3 }),
          steps: fc.array(
            fc.oneof(
              fc.record({
                kind: fc.constant("claims" as const),
                who: fc.array(fc.nat(9), { minLength: 1, maxLength: 12 }),
              }),
              fc.record({
                kind: fc.constant("fail" as const),
                who: fc.array(fc.nat(9), { minLength: 1, maxLength: 5 }),
              }),
              fc.record({ kind: fc.constant("restart" as const) }),
            ),
            { maxLength: 12 },
          ),
        }),
        async ({ budget, rule, limit, steps }) => {
          const amount = rule as AmountRule;
          if (("fixed" in amount ? amount.fixed : amount.max) > budget) return;
          const { rig, id } = await campaign(budget, amount, limit);
          try {
            const crowd = await users(10);
            const paid = new Map<string, number>();
            for (const step of steps) {
              if (step.kind === "restart") {
                await rig.restart();
                continue;
              }
              const commit = rig.store.commit.bind(rig.store);
              if (step.kind === "fail") {
                rig.store.commit = async () => {
                  throw new Error("disk unplugged");
                };
              }
              const results = await Promise.all(step.who.map((i) => claim(id, crowd[i] as string)));
              rig.store.commit = commit;
              step.who.forEach((i, k) => {
                const result = results[k];
                if (result?.ok) paid.set(crowd[i] as string, (paid.get(crowd[i] as string) ?? 0) + 1);
              });
              if (step.kind === "fail")
                assert.ok(
                  results.every((result) => !result.ok),
                  "nothing is acknowledged from a failed commit",
                );
            }
            const left = await rig.store.balance(`campaign:${id}`);
            assert.ok(left >= 0 && left <= budget, "the budget is never exceeded");
            const stored = await rig.store.campaign(id);
            assert.equal(stored?.claimedAmount, budget - left, "the claims add up to what left the budget");
            for (const [userId, count] of paid) assert.ok(count <= limit, `${userId} claimed ${count} times`);
            let acknowledged = 0;
            for (const count of paid.values()) acknowledged += count;
            assert.equal(stored?.claimedCount, acknowledged, "every acknowledged claim is stored, and nothing else");
            assert.equal(await rig.store.balanceSum(), 0);
          } finally {
            await rig.dispose();
          }
        },
      ),
      { numRuns: 40, seed: 1314 },
    );
    rig = undefined;
  });
});
