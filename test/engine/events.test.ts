import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { HOUR_MS } from "../../src/domain/time.js";
import { EngineRig } from "./support.js";

/**
 * Campaign events are per campaign, never per claim, and each happens once: a crowd of claims
 * makes one campaign.sold_out, and a restart (which arms the start timer again) makes no
 * second campaign.started.
 */
describe("campaign events in the engine", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  const types = async () =>
    (
      await (rig as EngineRig).store.events.events({
        userId: undefined,
        startingAfter: undefined,
        limit: 100,
        order: "asc",
        types: undefined,
      })
    ).map((event) => event.type);

  it("writes started, sold out and ended once each, whatever the crowd and the restarts", async () => {
    rig = await new EngineRig().start();
    const now = rig.clock.now();
    const created = await rig.engine.submit({
      type: "createCampaign",
      request: {
        name: "crowd",
        budget: 10 * 1314,
        amount: { fixed: 1314 },
        startsAt: now + HOUR_MS,
        endsAt: now + 2 * HOUR_MS,
        perUserLimit: 1,
      },
    });
    assert.ok(created.ok);
    const id = created.value.id;
    const crowd: string[] = [];
    for (let i = 0; i < 40; i++) crowd.push(await rig.createUser());
    assert.deepEqual(await types(), []);

    rig.clock.set(now + HOUR_MS);
    await rig.engine.runDueTimers();
    assert.deepEqual(await types(), ["campaign.started"]);
    await rig.restart();
    await rig.engine.runDueTimers();
    assert.deepEqual(await types(), ["campaign.started"], "a restart does not start it again");

    const results = await Promise.all(
      crowd.map((userId) => rig?.engine.submit({ type: "claim", campaignId: id, userId })),
    );
    assert.equal(results.filter((result) => result?.ok).length, 10);
    assert.deepEqual(await types(), ["campaign.started", "campaign.sold_out"], "forty claims, one event");

    rig.clock.set(now + 2 * HOUR_MS);
    await rig.engine.runDueTimers();
    await rig.restart();
    await rig.engine.runDueTimers();
    assert.deepEqual(await types(), ["campaign.started", "campaign.sold_out", "campaign.ended"]);
  });

  it("does not say sold out of a campaign that ends with budget left", async () => {
    rig = await new EngineRig().start();
    const now = rig.clock.now();
    const created = await rig.engine.submit({
      type: "createCampaign",
      request: {
        name: "quiet",
        budget: 1000,
        amount: { min: 1, max: 10 },
        startsAt: now,
        endsAt: now + HOUR_MS,
        perUserLimit: 1,
      },
    });
    assert.ok(created.ok);
    const user = await rig.createUser();
    assert.ok((await rig.engine.submit({ type: "claim", campaignId: created.value.id, userId: user })).ok);
    rig.clock.set(now + HOUR_MS);
    await rig.engine.runDueTimers();
    assert.deepEqual(await types(), ["campaign.started", "campaign.ended"]);
  });
});
