/**
 * hongbao on a PostgreSQL primary with a synchronous standby, both made on loopback by
 * scripts/pg-replica/pg-replica.sh (initdb, then pg_basebackup of the standby): a real
 * `hongbao serve --store postgres://…` on the primary takes mixed load over HTTP (transfers,
 * grabs, campaign claims) whose every acknowledged operation is recorded; the primary's
 * postmaster is SIGKILLed mid-load, the standby fenced off and promoted, and a writer
 * started on the promoted standby. Read from the promoted standby: nothing acknowledged is
 * lost, balances sum to zero, none is negative, the campaign is within its budget, nobody
 * claimed twice. The clusters and processes go however the test ends.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { PgPair } from "./pg-pair.js";
import { ADMIN_TOKEN, childEnv, cleanup, type Proc, serve, sleep, TOKEN_SECRET } from "./support.js";
import { checkLedger, Load, sendPacket, setUp } from "./writer-load.js";

/** How long one step may take: a deadline for a starved machine, not a measure (the figures are printed). */
const STEP_MS = 90_000;

async function startWriter(storeUrl: string): Promise<{ proc: Proc; url: string }> {
  const { proc, url } = await serve({
    extraArgs: ["--store", storeUrl, "--log-level", "info"],
    env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET }),
    readyTimeoutMs: STEP_MS,
  });
  return { proc, url };
}

async function until(what: string, predicate: () => boolean, timeoutMs: number, load?: Load): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for ${what}${load === undefined ? "" : describeLoad(load)}`);
    await sleep(20);
  }
}

function describeLoad(load: Load): string {
  const statuses = new Map<number, number>();
  for (const seen of load.seen) statuses.set(seen.status, (statuses.get(seen.status) ?? 0) + 1);
  const { transfers, grabs, claims } = load.acknowledged;
  return `: ${transfers.size} transfers, ${grabs.length} grabs, ${claims.length} claims acknowledged; answers by status ${JSON.stringify([...statuses])}`;
}

describe("hongbao on a primary with a synchronous standby", () => {
  let pair: PgPair | undefined;
  after(async () => {
    await cleanup();
    await pair?.down();
  });

  it("the primary dies hard under load; after the standby's promotion every acknowledged operation is there", {
    timeout: 900_000,
  }, async () => {
    const started = performance.now();
    pair = await PgPair.up();
    const pairUpMs = performance.now() - started;
    const primaryUrl = await pair.url("primary");
    const first = await startWriter(primaryUrl);
    // Where the load sends: the writer on the primary, then the one on the promoted standby.
    const target = { current: { epoch: 1, address: first.url as string | null } };
    const world = await setUp(first.url);
    assert.equal((await sendPacket(first.url, world)).status, 201);
    const load = new Load(world, target);
    const running = load.run();
    let promotedUrl = "";
    try {
      await until(
        "acknowledged transfers, grabs and claims on the primary",
        () =>
          load.acknowledged.transfers.size >= 100 &&
          load.acknowledged.grabs.length >= 20 &&
          load.acknowledged.claims.length >= 10,
        2 * STEP_MS,
        load,
      );
      const acknowledgedBeforeKill = load.acknowledged.transfers.size + load.acknowledged.grabs.length;
      const killedAt = performance.now();
      const killed = await pair.run("kill-primary");
      const promoted = await pair.run("promote");
      assert.equal(pair.psql("b", "SELECT pg_is_in_recovery()"), "f", "the standby is the primary now");
      // The writer is pointed at the promoted standby: restarted with --store naming it.
      target.current = { epoch: 1, address: null };
      first.proc.child.kill("SIGKILL");
      await first.proc.exited;
      promotedUrl = await pair.url("primary");
      assert.notEqual(promotedUrl, primaryUrl);
      const second = await startWriter(promotedUrl);
      target.current = { epoch: 2, address: second.url };
      const answeredAt = await load.firstSuccessAfter(1, killedAt, STEP_MS);
      // Some load on the new primary too, so its answers are checked as well.
      const onSecond = load.seen.length;
      await until(
        "answers from the writer on the promoted standby",
        () => load.seen.length >= onSecond + 100,
        60_000,
        load,
      );
      load.stop = true;
      await running;
      const figures = {
        pairUpMs: Math.round(pairUpMs),
        killMs: Math.round(killed.ms),
        fenceAndPromoteMs: Math.round(promoted.ms),
        pgPromoteMs: Number(/pg_promote took (\d+) ms/.exec(promoted.stderr)?.[1] ?? Number.NaN),
        killToFirstAnswerOnPromotedMs: Math.round(answeredAt - killedAt),
        acknowledgedBeforeKill,
        transfers: load.acknowledged.transfers.size,
        grabs: load.acknowledged.grabs.length,
        claims: load.acknowledged.claims.length,
        answers: load.seen.length,
      };
      console.log(`replication figures: ${JSON.stringify(figures)}`);
    } finally {
      load.stop = true;
      await running;
    }
    // Read from the promoted standby itself, not from any writer.
    await checkLedger(promotedUrl, load.acknowledged);
    assert.ok(load.acknowledged.claims.length > 0 && load.acknowledged.transfers.size > 0);
  });
});
