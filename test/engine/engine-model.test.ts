import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { campaignAccount } from "../../src/domain/accounts.js";
import type { Result } from "../../src/domain/errors.js";
import { makeId } from "../../src/domain/ids.js";
import { DAY_MS, HOUR_MS } from "../../src/domain/time.js";
import type { Command } from "../../src/engine/commands.js";
import type { Answer } from "../../src/engine/engine.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { EngineRig } from "./support.js";

/**
 * A model of the engine against the real one on a real SQLite file, over random
 * interleavings of money commands, clock jumps that fire timers (refunds, packet expiries, a
 * campaign's end) and crashes. A crash stops the process's view of the engine while a batch
 * is on its way to disk, either before its commit or after it (the answer lost); the engine
 * is then started again from the file and every command whose answer was lost is retried
 * with its idempotency key, as a client would. The model follows the answers only, and
 * after every step the store must agree with it to the fen.
 */
type Op =
  | { kind: "deposit"; user: number; amount: number }
  | { kind: "transfer"; from: number; to: number; amount: number }
  | { kind: "accept" | "decline"; pick: number }
  | { kind: "packet"; from: number; amount: number; count: number }
  | { kind: "grab"; pick: number; user: number }
  | { kind: "claim"; user: number };

type Step = { ops: Op[]; jumpMs: number; crash: "none" | "before" | "after" };

const USERS = 4;
const user = fc.integer({ min: 0, max: USERS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("deposit" as const), user, amount: fc.integer({ min: 1, max: 20_000 }) }),
  fc.record({
    kind: fc.constant("transfer" as const),
    from: user,
    to: user,
    amount: fc.integer({ min: 1, max: 8_000 }),
  }),
  fc.record({ kind: fc.constantFrom("accept" as const, "decline" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("packet" as const),
    from: user,
    amount: fc.integer({ min: 3, max: 3_000 }),
    count: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant("grab" as const), pick: fc.nat(), user }),
  fc.record({ kind: fc.constant("claim" as const), user }),
);
const step: fc.Arbitrary<Step> = fc.record({
  ops: fc.array(op, { minLength: 1, maxLength: 5 }),
  jumpMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 * HOUR_MS })),
  crash: fc.constantFrom("none" as const, "none" as const, "before" as const, "after" as const),
});

interface Model {
  balances: number[];
  pending: Map<string, { from: number; to: number; amount: number; refundAt: number }>;
  packets: Map<string, { from: number; remaining: number; expiresAt: number }>;
  campaignLeft: number;
  campaignEndsAt: number;
  claimed: Set<number>;
}

const CAMPAIGN_BUDGET = 5 * 1314;

/** The test's view: the whole result, so the model can follow it. */
const render = (result: Result<unknown>): Answer => ({ status: result.ok ? 200 : 409, body: JSON.stringify(result) });

class Run {
  readonly rig = new EngineRig();
  ids: string[] = [];
  groupId = "";
  campaignId = "";
  readonly model: Model;
  #keys = 0;

  constructor(now: number) {
    this.model = {
      balances: new Array(USERS).fill(0),
      pending: new Map(),
      packets: new Map(),
      campaignLeft: CAMPAIGN_BUDGET,
      campaignEndsAt: now + 2 * DAY_MS,
      claimed: new Set(),
    };
  }

  async setUp(): Promise<void> {
    await this.rig.start();
    for (let i = 0; i < USERS; i++) this.ids.push(await this.rig.createUser());
    const group = await this.rig.engine.submit({
      type: "createGroup",
      id: makeId("group", randomBytes(10)),
      owner: this.ids[0] as string,
      name: "家",
      memberIds: this.ids.slice(1),
    });
    assert.ok(group.ok);
    this.groupId = group.value.id;
    const now = this.rig.clock.now();
    const campaign = await this.rig.engine.submit({
      type: "createCampaign",
      request: {
        name: "七夕",
        budget: CAMPAIGN_BUDGET,
        amount: { fixed: 1314 },
        startsAt: now,
        endsAt: this.model.campaignEndsAt,
        perUserLimit: 1,
      },
    });
    assert.ok(campaign.ok);
    this.campaignId = campaign.value.id;
  }

  command(operation: Op): Command | undefined {
    const id = (i: number) => this.ids[i] as string;
    switch (operation.kind) {
      case "deposit":
        return { type: "deposit", userId: id(operation.user), amount: operation.amount };
      case "transfer":
        return {
          type: "sendTransfer",
          request: {
            from: id(operation.from),
            to: id(operation.to),
            amount: operation.amount,
            memo: "",
            nature: "unspecified",
            dueDate: null,
          },
        };
      case "accept":
      case "decline": {
        const pending = [...this.model.pending.entries()];
        if (pending.length === 0) return undefined;
        const [transferId, transfer] = pending[operation.pick % pending.length] as [string, { to: number }];
        return { type: "answerTransfer", transferId, by: id(transfer.to), answer: operation.kind };
      }
      case "packet":
        return {
          type: "sendPacket",
          request: {
            sender: id(operation.from),
            kind: "lucky",
            amount: operation.amount,
            count: operation.count,
            groupId: this.groupId,
            recipient: null,
            greeting: "",
            password: null,
          },
        };
      case "grab": {
        const open = [...this.model.packets.keys()];
        if (open.length === 0) return undefined;
        return {
          type: "grabPacket",
          packetId: open[operation.pick % open.length] as string,
          userId: id(operation.user),
          password: null,
        };
      }
      case "claim":
        return { type: "claim", campaignId: this.campaignId, userId: id(operation.user) };
    }
  }

  /** Applies an answer to the model: the model knows only what clients were told. */
  follow(operation: Op, command: Command, answer: Answer): void {
    const result = JSON.parse(answer.body) as Result<Record<string, unknown>>;
    if (!result.ok) return;
    const m = this.model;
    const index = (userId: string) => this.ids.indexOf(userId);
    const add = (i: number, amount: number) => {
      m.balances[i] = (m.balances[i] as number) + amount;
    };
    const value = result.value;
    switch (command.type) {
      case "deposit":
        add(index(command.userId), command.amount);
        return;
      case "sendTransfer":
        add(index(command.request.from), -command.request.amount);
        m.pending.set(value.id as string, {
          from: index(command.request.from),
          to: index(command.request.to),
          amount: command.request.amount,
          refundAt: value.refundAt as number,
        });
        return;
      case "answerTransfer": {
        const transfer = m.pending.get(command.transferId);
        assert.ok(transfer, "an answered transfer was pending in the model");
        m.pending.delete(command.transferId);
        add(command.answer === "accept" ? transfer.to : transfer.from, transfer.amount);
        return;
      }
      case "sendPacket":
        add(index(command.request.sender), -command.request.amount);
        m.packets.set(value.id as string, {
          from: index(command.request.sender),
          remaining: command.request.amount,
          expiresAt: value.expiresAt as number,
        });
        return;
      case "grabPacket": {
        const packet = m.packets.get(command.packetId);
        assert.ok(packet, "a grabbed packet was open in the model");
        const amount = (value.grab as { amount: number }).amount;
        packet.remaining -= amount;
        add(index(command.userId), amount);
        if (packet.remaining === 0) m.packets.delete(command.packetId);
        return;
      }
      case "claim": {
        const who = index(command.userId);
        assert.ok(!m.claimed.has(who), "nobody claims twice");
        m.claimed.add(who);
        m.campaignLeft -= value.amount as number;
        add(who, value.amount as number);
        return;
      }
      default:
        assert.fail(`unexpected ${operation.kind}`);
    }
  }

  /** Timers due by the clock, as the model sees them: each fires exactly once. */
  fireDue(now: number): void {
    const m = this.model;
    for (const [id, transfer] of m.pending) {
      if (transfer.refundAt > now) continue;
      m.pending.delete(id);
      m.balances[transfer.from] = (m.balances[transfer.from] as number) + transfer.amount;
    }
    for (const [id, packet] of m.packets) {
      if (packet.expiresAt > now) continue;
      m.packets.delete(id);
      m.balances[packet.from] = (m.balances[packet.from] as number) + packet.remaining;
    }
    if (now >= m.campaignEndsAt) m.campaignLeft = 0;
  }

  async runStep(plan: Step): Promise<void> {
    const crashed = plan.crash === "none" ? undefined : this.armCrash(plan.crash);
    const lost: { operation: Op; command: Command; key: string }[] = [];
    const work = plan.ops.map(async (operation) => {
      const command = this.command(operation);
      if (command === undefined) return;
      const key = `k${this.#keys++}`;
      const settled = this.rig.engine
        .execute(command, render, { scope: "model", key, requestHash: JSON.stringify(command) })
        .then((answer) => ({ answer }));
      const outcome =
        crashed === undefined ? await settled : await Promise.race([settled, crashed.then(() => undefined)]);
      if (outcome === undefined) lost.push({ operation, command, key });
      else this.follow(operation, command, outcome.answer);
    });
    await Promise.all(work);
    if (crashed !== undefined) {
      await this.restartAfterCrash();
      for (const { operation, command, key } of lost) {
        const answer = await this.rig.engine.execute(command, render, {
          scope: "model",
          key,
          requestHash: JSON.stringify(command),
        });
        this.follow(operation, command, answer);
      }
    }
    if (plan.jumpMs > 0) {
      this.rig.clock.set(this.rig.clock.now() + plan.jumpMs);
      await this.rig.engine.runDueTimers();
      this.fireDue(this.rig.clock.now());
    }
  }

  /** The next commit hangs, before or after it reaches the disk; resolves once it has. */
  armCrash(when: "before" | "after"): Promise<void> {
    const store = this.rig.store;
    const commit = store.commit.bind(store);
    return new Promise((crashed) => {
      store.commit = async (batch) => {
        if (when === "after") await commit(batch);
        crashed();
        await new Promise(() => {});
      };
    });
  }

  async restartAfterCrash(): Promise<void> {
    // The old engine is left as a killed process leaves it: nothing of it runs or is answered again.
    await (this.rig.store as SqliteStore).close();
    await this.rig.start();
    await this.rig.engine.runDueTimers();
  }

  async check(): Promise<void> {
    const { store } = this.rig;
    const m = this.model;
    assert.equal(await store.balanceSum(), 0, "balances sum to zero");
    let escrow = 0;
    for (const transfer of m.pending.values()) escrow += transfer.amount;
    for (const packet of m.packets.values()) escrow += packet.remaining;
    assert.equal(
      await store.balance("escrow"),
      escrow,
      "escrow holds exactly the pending transfers and unopened shares",
    );
    assert.equal(
      await store.balance(campaignAccount(this.campaignId)),
      m.campaignLeft,
      "the campaign holds its unspent budget",
    );
    for (let i = 0; i < USERS; i++) {
      const balance = await store.balance(this.ids[i] as string);
      assert.ok(balance >= 0, "no wallet is negative");
      assert.equal(balance, m.balances[i], `wallet ${i} matches the model`);
    }
    const campaign = await store.campaign(this.campaignId);
    assert.equal(campaign?.claimedCount, m.claimed.size, "one claim per user, each acknowledged");
  }
}

describe("the engine against a model, with timers and crashes", () => {
  it("agrees to the fen after every step, whatever crashes before or after a commit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (plan) => {
        const run = new Run(Date.parse("2026-02-14T12:00:00+08:00"));
        await run.setUp();
        try {
          for (const s of plan) {
            await run.runStep(s);
            await run.check();
          }
        } finally {
          await run.rig.dispose();
        }
      }),
      { numRuns: 60, seed: 20_261_130 },
    );
  });
});
