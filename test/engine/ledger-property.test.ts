import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DAY_MS } from "../../src/domain/time.js";
import { EngineRig } from "./support.js";

/**
 * Random interleavings of deposits, transfers, accepts, declines, clock jumps and engine
 * restarts, run on a real SQLite file. Operations in one step are submitted at once, so
 * they land in the same batch in whatever order the engine takes them.
 */
type Op =
  | { kind: "deposit"; user: number; amount: number }
  | { kind: "transfer"; from: number; to: number; amount: number }
  | { kind: "accept" | "decline"; pick: number; byRecipient: boolean }
  | { kind: "cancel"; pick: number; bySender: boolean }
  | { kind: "withdraw"; user: number; amount: number }
  | { kind: "jump"; ms: number }
  | { kind: "restart" };

const USERS = 4;
const user = fc.integer({ min: 0, max: USERS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("deposit" as const), user, amount: fc.integer({ min: -5, max: 50_000 }) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("transfer" as const),
      from: user,
      to: user,
      amount: fc.oneof(fc.integer({ min: -2, max: 30_000 }), fc.constant(5_000_001)),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom("accept" as const, "decline" as const),
      pick: fc.nat(),
      byRecipient: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat(), bySender: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("withdraw" as const),
      user,
      amount: fc.oneof(fc.integer({ min: -2, max: 30_000 }), fc.constant(5_000_001)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("jump" as const), ms: fc.integer({ min: 1, max: 2 * DAY_MS }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);
const steps = fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 25 });

interface Model {
  balances: number[];
  /** Transfers that answered "pending" and have not been settled since. */
  pending: Map<string, { from: number; to: number; amount: number; refundAt: number }>;
}

async function runSteps(plan: Op[][]): Promise<void> {
  const rig = await new EngineRig().start();
  try {
    const ids: string[] = [];
    for (let i = 0; i < USERS; i++) ids.push(await rig.createUser());
    const model: Model = { balances: new Array(USERS).fill(0), pending: new Map() };
    for (const step of plan) {
      await runStep(rig, ids, model, step);
      await checkInvariants(rig, ids, model);
    }
  } finally {
    await rig.dispose();
  }
}

async function runStep(rig: EngineRig, ids: string[], model: Model, step: Op[]): Promise<void> {
  const pendingIds = [...model.pending.keys()];
  const work = step.map(async (operation) => {
    switch (operation.kind) {
      case "deposit": {
        const result = await rig.engine.submit({
          type: "deposit",
          userId: ids[operation.user] as string,
          amount: operation.amount,
        });
        if (result.ok) model.balances[operation.user] = (model.balances[operation.user] as number) + operation.amount;
        else assert.ok(operation.amount < 1, `deposit refused: ${result.error.code}`);
        return;
      }
      case "transfer": {
        const result = await rig.engine.submit({
          type: "sendTransfer",
          request: {
            from: ids[operation.from] as string,
            to: ids[operation.to] as string,
            amount: operation.amount,
            memo: "",
            nature: "unspecified",
            dueDate: null,
          },
        });
        if (!result.ok) {
          assert.ok(
            ["SELF_TRANSFER", "AMOUNT_BELOW_MIN", "AMOUNT_ABOVE_MAX", "INSUFFICIENT_FUNDS"].includes(result.error.code),
            result.error.code,
          );
          return;
        }
        model.balances[operation.from] = (model.balances[operation.from] as number) - operation.amount;
        model.pending.set(result.value.id, {
          from: operation.from,
          to: operation.to,
          amount: operation.amount,
          refundAt: result.value.refundAt,
        });
        return;
      }
      case "accept":
      case "decline": {
        if (pendingIds.length === 0) return;
        const id = pendingIds[operation.pick % pendingIds.length] as string;
        const known = model.pending.get(id);
        if (known === undefined) return;
        const by = ids[operation.byRecipient ? known.to : known.from] as string;
        const result = await rig.engine.submit({ type: "answerTransfer", transferId: id, by, answer: operation.kind });
        if (!result.ok) {
          assert.ok(["NOT_RECIPIENT", "TRANSFER_NOT_PENDING"].includes(result.error.code), result.error.code);
          return;
        }
        model.pending.delete(id);
        const payee = operation.kind === "accept" ? known.to : known.from;
        model.balances[payee] = (model.balances[payee] as number) + known.amount;
        return;
      }
      case "cancel": {
        if (pendingIds.length === 0) return;
        const id = pendingIds[operation.pick % pendingIds.length] as string;
        const known = model.pending.get(id);
        if (known === undefined) return;
        const by = ids[operation.bySender ? known.from : known.to] as string;
        const result = await rig.engine.submit({ type: "cancelTransfer", transferId: id, by });
        if (!result.ok) {
          assert.ok(["NOT_SENDER", "TRANSFER_NOT_PENDING"].includes(result.error.code), result.error.code);
          return;
        }
        model.pending.delete(id);
        model.balances[known.from] = (model.balances[known.from] as number) + known.amount;
        return;
      }
      case "withdraw": {
        const result = await rig.engine.submit({
          type: "withdraw",
          userId: ids[operation.user] as string,
          amount: operation.amount,
        });
        if (!result.ok) {
          assert.ok(
            ["AMOUNT_BELOW_MIN", "AMOUNT_ABOVE_MAX", "INSUFFICIENT_FUNDS"].includes(result.error.code),
            result.error.code,
          );
          return;
        }
        model.balances[operation.user] = (model.balances[operation.user] as number) - operation.amount;
        return;
      }
      case "jump":
        return;
      case "restart":
        return;
    }
  });
  await Promise.all(work);
  for (const operation of step) {
    if (operation.kind === "jump") {
      rig.clock.set(rig.clock.now() + operation.ms);
      await rig.engine.runDueTimers();
      for (const [id, transfer] of model.pending) {
        if (transfer.refundAt > rig.clock.now()) continue;
        model.pending.delete(id);
        model.balances[transfer.from] = (model.balances[transfer.from] as number) + transfer.amount;
      }
    }
    if (operation.kind === "restart") await rig.restart();
  }
}

async function checkInvariants(rig: EngineRig, ids: string[], model: Model): Promise<void> {
  assert.equal(await rig.store.balanceSum(), 0, "balances sum to zero");
  let escrow = 0;
  for (const transfer of model.pending.values()) escrow += transfer.amount;
  assert.equal(await rig.store.balance("escrow"), escrow, "escrow holds exactly the pending transfers");
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    const balance = await rig.store.balance(id);
    assert.ok(balance >= 0, "no wallet is negative");
    assert.equal(balance, model.balances[i], "wallet matches the model");
    assert.equal(rig.engine.balanceOf(id), balance, "memory matches the store");
    const entries = await rig.store.statement(id, null, 10_000);
    let running = 0;
    for (const entry of [...entries].reverse()) {
      running += entry.amount;
      assert.equal(entry.balanceAfter, running, "each statement line's running balance adds up");
    }
    assert.equal(running, balance, "the statement ends at the wallet balance");
  }
}

describe("ledger under random interleavings", () => {
  it("keeps every invariant through deposits, transfers, answers, cancels, withdrawals, clock jumps and restarts", async () => {
    await fc.assert(fc.asyncProperty(steps, runSteps), { numRuns: 200, seed: 20_210_814, verbose: 1 });
  });
});
