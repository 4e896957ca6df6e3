import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Campaign } from "../../src/domain/campaign.js";
import { createEdgeService, type EdgeService } from "../../src/edge/edge-service.js";
import { StateView } from "../../src/edge/view.js";
import type { Batch } from "../../src/engine/store-port.js";
import { createService, type Service } from "../../src/server.js";
import type { Fact } from "../../src/wire/messages.js";
import { freshKey } from "../support/keys.js";

const ADMIN = "edges-test-admin-token-0123";

/** The error code of a refusal, or undefined. */
const codeOf = (result: { ok: boolean; error?: { code: string } } | undefined) =>
  result !== undefined && !result.ok ? result.error?.code : undefined;
const SECRET = "edges-test-wire-secret";

describe("the state view", () => {
  const campaign = (rule: Campaign["amount"], budget: number, perUserLimit: number): Campaign => ({
    id: "cmp_view",
    name: "view",
    budget,
    amount: rule,
    startsAt: 0,
    endsAt: 10_000,
    perUserLimit,
    createdAt: 0,
    status: "open",
    returned: 0,
    pausedAt: null,
    closedAt: null,
  });

  it("refuses on a prefix of the facts only what it refuses on all of them: lag never says yes or a wrong no", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 50 }).map((fixed) => ({ fixed })),
          fc.integer({ min: 1, max: 50 }).chain((min) => fc.integer({ min, max: 60 }).map((max) => ({ min, max }))),
        ),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 6 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 100 }),
        (rule, perUserLimit, batches, cut) => {
          const high = "fixed" in rule ? rule.fixed : rule.max;
          const budget = high * 8;
          // The writer's truth: claims paid in batches, never over the budget or the limit.
          const facts: Fact[] = [{ k: "campaign", campaign: campaign(rule, budget, perUserLimit), claimedAmount: 0 }];
          let left = budget;
          const counts = new Map<string, number>();
          for (const users of batches) {
            const paid: string[] = [];
            let amount = 0;
            for (const u of users) {
              const user = `u${u}`;
              const draw = "fixed" in rule ? rule.fixed : Math.min(rule.min, left);
              if ((counts.get(user) ?? 0) >= perUserLimit || left < draw || left === 0) continue;
              counts.set(user, (counts.get(user) ?? 0) + 1);
              left -= draw;
              amount += draw;
              paid.push(user);
            }
            if (paid.length > 0) facts.push({ k: "claims", c: "cmp_view", users: paid, amount });
          }
          const whole = new StateView();
          whole.apply(facts);
          const lagging = new StateView();
          lagging.apply(facts.slice(0, Math.round((cut / 100) * facts.length)));
          // What it refuses anyone (before a token check), the whole view refuses anyone alike.
          const anyone = lagging.refusalForAnyone("cmp_view", 5_000);
          if (anyone !== undefined) assert.equal(codeOf(whole.refusalForAnyone("cmp_view", 5_000)), codeOf(anyone));
          for (let u = 0; u <= 5; u++) {
            const user = `u${u}`;
            const lagged = lagging.claimRefusal("cmp_view", user, 5_000);
            const truth = whole.claimRefusal("cmp_view", user, 5_000);
            if (lagged !== undefined)
              assert.ok(truth !== undefined, `${user}: the lagging view refused what the whole would not`);
            if (codeOf(lagged) === "ALREADY_CLAIMED") assert.equal(codeOf(truth), "ALREADY_CLAIMED");
            if (codeOf(truth) === "ALREADY_CLAIMED") assert.ok((counts.get(user) ?? 0) >= perUserLimit);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("stays within its bounds: claimers past the cap are left to the writer", () => {
    const view = new StateView({ claimersMax: 3, campaignsMax: 2 });
    const c = campaign({ fixed: 1 }, 100, 1);
    view.apply([
      { k: "campaign", campaign: c, claimedAmount: 0 },
      { k: "claims", c: c.id, users: ["a", "b", "c", "d"], amount: 4 },
    ]);
    assert.equal(view.claimers, 3);
    assert.equal(codeOf(view.claimRefusal(c.id, "a", 5)), "ALREADY_CLAIMED");
    assert.equal(view.claimRefusal(c.id, "d", 5), undefined, "not remembered: the writer is asked");
    view.apply([
      { k: "campaign", campaign: { ...c, id: "cmp_2" }, claimedAmount: 0 },
      { k: "campaign", campaign: { ...c, id: "cmp_3" }, claimedAmount: 0 },
    ]);
    assert.equal(view.campaigns, 2);
    assert.equal(view.claimers, 0, "the oldest campaign and its claimers were forgotten");
    assert.equal(view.claimRefusal(c.id, "a", 5), undefined);
  });
});

describe("edges in front of a writer", () => {
  let dir: string;
  let service: Service;
  const edges: EdgeService[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hongbao-edges-"));
    service = await createService({
      db: join(dir, "hongbao.db"),
      adminToken: ADMIN,
      tokenSecret: "edges-test-token-secret-of-32-bytes-at-least",
      testClock: false,
      logLevel: "silent",
      wire: { path: join(dir, "w.sock"), secret: SECRET },
    });
    for (const name of ["a", "b"]) {
      edges.push(
        await createEdgeService({ writer: { path: join(dir, "w.sock") }, secret: SECRET, name, logLevel: "silent" }),
      );
    }
  });

  after(async () => {
    for (const edge of edges) await edge.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (edge: EdgeService, url: string, token: string, body?: object, key?: string) =>
    edge.app.inject({
      method: "POST",
      url,
      headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { "idempotency-key": key }) },
      ...(body === undefined ? {} : { payload: body }),
    });
  const edge = (i: number) => edges[i % edges.length] as EdgeService;

  async function user(i: number): Promise<{ userId: string; token: string }> {
    const made = await post(
      edge(i),
      "/v1/admin/users",
      ADMIN,
      { phone: `+861380000${String(i).padStart(4, "0")}`, name: `u${i}` },
      freshKey(),
    );
    assert.equal(made.statusCode, 201, made.body);
    return made.json();
  }

  it("a crowd through two edges: the view only ever refuses what the writer refuses, nobody twice, the budget kept", async () => {
    const users = await Promise.all(Array.from({ length: 40 }, (_, i) => user(i)));
    const now = Date.now();
    const created = await post(
      edge(0),
      "/v1/admin/campaigns",
      ADMIN,
      {
        name: "crowd",
        budget: 25 * 7,
        amount: { fixed: 7 },
        startsAt: new Date(now - 1_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
      freshKey(),
    );
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    const engine = service.context.engine;
    let checked = 0;
    const check = () => {
      // Same process, same instant: whatever an edge's view refuses, the writer refuses too.
      for (const e of edges) {
        const anyone = e.view.refusalForAnyone(id, Date.now());
        if (anyone !== undefined) assert.equal(codeOf(engine.claimRefusalForAnyone(id)), codeOf(anyone));
        for (const u of users) {
          const seen = e.view.claimRefusal(id, u.userId, Date.now());
          if (seen === undefined) continue;
          checked += 1;
          const truth = engine.claimRefusal(id, u.userId);
          assert.ok(codeOf(truth) !== undefined, `the view refused ${codeOf(seen)}; the writer would not`);
          if (codeOf(seen) === "ALREADY_CLAIMED") assert.equal(codeOf(truth), "ALREADY_CLAIMED");
        }
      }
    };
    const answers: { userId: string; status: number; code?: string }[] = [];
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(
        users.map(async (u, i) => {
          const reply = await post(edge(i + round), `/v1/campaigns/${id}/claim`, u.token);
          check();
          return { userId: u.userId, status: reply.statusCode, code: reply.json()?.error?.code as string | undefined };
        }),
      );
      answers.push(...replies);
    }
    const claimed = answers.filter((a) => a.status === 200);
    assert.equal(claimed.length, 25, "the budget pays exactly 25 claims");
    assert.equal(new Set(claimed.map((a) => a.userId)).size, 25, "nobody twice");
    assert.ok(answers.every((a) => a.status === 200 || ["ALREADY_CLAIMED", "SOLD_OUT"].includes(a.code ?? "")));
    const stored = await service.context.store.campaign(id);
    assert.equal(stored?.claimedAmount, 25 * 7);
    assert.equal(await service.context.store.balanceSum(), 0);
    assert.ok(checked > 0, "the views did answer from what they knew");
    const first = claimed[0]?.userId as string;
    assert.ok(edges.every((e) => codeOf(e.view.claimRefusal(id, first, Date.now())) === "ALREADY_CLAIMED"));
    // Sold out is the same answer for anyone: an edge whose view knows it gives it before any token check.
    for (const e of edges) {
      // Over a socket: the fast path sits in front of the framework, which inject() goes to.
      const url = await e.app.listen({ port: 0, host: "127.0.0.1" });
      const late = await fetch(`${url}/v1/campaigns/${id}/claim`, {
        method: "POST",
        headers: { authorization: "Bearer not-a-token" },
      });
      assert.equal(late.status, 410);
      assert.equal(((await late.json()) as { error: { code: string } }).error.code, "SOLD_OUT");
    }
  });

  it("a command whose answer was lost with its connection is retried with its key: applied once", async () => {
    const alice = await user(100);
    const wire = service.wire;
    assert.ok(wire !== undefined);
    // Cut every edge's connection the moment the deposit's batch is durable, before its answer leaves.
    const durable = wire.batchDurable.bind(wire);
    let cut = false;
    wire.batchDurable = (batch: Batch) => {
      durable(batch);
      if (!cut && batch.postings.some((p) => p.kind === "deposit")) {
        cut = true;
        wire.drop("a cut for the test");
      }
    };
    const key = freshKey();
    const first = await post(edge(0), "/v1/admin/deposits", ADMIN, { userId: alice.userId, amount: 520 }, key);
    assert.ok(cut);
    assert.equal(first.statusCode, 503, first.body);
    assert.ok(first.headers["retry-after"] !== undefined);
    wire.batchDurable = durable;
    await Promise.all(edges.map((e) => e.writer.ready()));
    const retried = await post(edge(1), "/v1/admin/deposits", ADMIN, { userId: alice.userId, amount: 520 }, key);
    assert.equal(retried.statusCode, 201, retried.body);
    assert.equal(retried.headers["idempotent-replayed"], "true");
    assert.equal(await service.context.store.balance(alice.userId as never), 520, "deposited once");
    assert.equal(await service.context.store.balanceSum(), 0);
  });
});
