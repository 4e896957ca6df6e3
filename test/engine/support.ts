import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AmountRule } from "../../src/domain/campaign.js";
import { makeId } from "../../src/domain/ids.js";
import { HOUR_MS } from "../../src/domain/time.js";
import { type Clock, TestClock } from "../../src/engine/clock.js";
import { Engine, type EngineOptions } from "../../src/engine/engine.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

/** An engine on a real SQLite file that can be stopped and started again on the same file. */
export class EngineRig {
  readonly dir = mkdtempSync(join(tmpdir(), "hongbao-engine-"));
  readonly path = join(this.dir, "ledger.db");
  readonly clock = new TestClock(Date.parse("2026-02-14T12:00:00+08:00"));
  store!: SqliteStore;
  engine!: Engine;

  /** `ruleClock` replaces the test clock for the engine, e.g. the real one. */
  constructor(
    readonly options: Partial<EngineOptions> = {},
    readonly ruleClock: Clock | undefined = undefined,
    /** Batches written on a worker thread (decision 0059); by default as HONGBAO_TEST_COMMIT_THREAD says. */
    readonly commitThread: boolean | undefined = undefined,
  ) {}

  async start(): Promise<this> {
    // HONGBAO_TEST_COMMIT_THREAD=1 runs a file's engines on a store that writes on a worker thread.
    const commitThread = this.commitThread ?? process.env.HONGBAO_TEST_COMMIT_THREAD === "1";
    this.store = new SqliteStore({ path: this.path, commitThread });
    // Commit failures are injected on purpose in these tests; their outcomes are asserted, not logged.
    const observer = this.options.observer ?? { commitFailed: () => {} };
    this.engine = new Engine({
      ...this.options,
      observer,
      store: this.store,
      clock: this.ruleClock ?? this.clock,
    });
    await this.engine.start();
    return this;
  }

  async restart(): Promise<void> {
    await this.engine.close();
    await this.store.close();
    await this.start();
  }

  async createUser(): Promise<string> {
    const id = makeId("user", randomBytes(10));
    const result = await this.engine.submit({
      type: "createUser",
      id,
      phone: `+86${randomBytes(4).readUInt32BE() % 1e9}`,
      name: "u",
    });
    if (!result.ok) throw new Error(result.error.message);
    return id;
  }

  async dispose(): Promise<void> {
    await this.engine.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Holds the store's commits until `open()`: commands queue behind the held batch, as they
 * would behind a slow disk. `entered` resolves when the first held commit starts.
 */
export function holdCommits(rig: EngineRig): { open: () => void; entered: Promise<void>; restore: () => void } {
  const commit = rig.store.commit.bind(rig.store);
  let open: () => void = () => {};
  let enter: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const entered = new Promise<void>((resolve) => {
    enter = resolve;
  });
  rig.store.commit = async (batch) => {
    enter();
    await gate;
    return commit(batch);
  };
  return { open, entered, restore: () => (rig.store.commit = commit) };
}

/** Creates a campaign that starts now and ends in an hour unless told otherwise; returns its id. */
export async function createCampaign(
  engine: Engine,
  now: number,
  request: Partial<{ name: string; budget: number; amount: AmountRule; endsAt: number; perUserLimit: number }> = {},
): Promise<string> {
  const created = await engine.submit({
    type: "createCampaign",
    request: {
      name: request.name ?? "c",
      budget: request.budget ?? 1_000,
      amount: request.amount ?? { fixed: 10 },
      startsAt: now,
      endsAt: request.endsAt ?? now + HOUR_MS,
      perUserLimit: request.perUserLimit ?? 1,
    },
  });
  if (!created.ok) throw new Error(created.error.message);
  return created.value.id;
}
