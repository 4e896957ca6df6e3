import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Campaign } from "../../src/domain/campaign.js";
import { grabRefusal, type RedPacket } from "../../src/domain/red-packet.js";
import { createEdgeService, type EdgeService } from "../../src/edge/edge-service.js";
import { StateView } from "../../src/edge/view.js";
import { packetFact } from "../../src/edge/writer-server.js";
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

describe("the packet view", () => {
  /** A packet as the writer holds it: only the fields a grab's refusal reads. */
  const packetOf = (kind: "lucky" | "exclusive" | "single", count: number): RedPacket =>
    ({
      id: "pkt_view",
      kind,
      groupId: kind === "single" ? null : "grp_view",
      recipient: kind === "lucky" ? null : "u1",
      count,
      passwordHash: null,
      status: "active",
      expiresAt: 10_000,
      grabs: [],
    }) as unknown as RedPacket;
  const MEMBERS = ["u0", "u1", "u2", "u3", "u4", "u5"];

  it("refuses a grab on a prefix of the facts only as the writer does on all of them: lag never says yes or a wrong no", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("lucky" as const, "exclusive" as const, "single" as const),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 5 }), { maxLength: 8 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (kind, shares, batches, expires, groupAt, cut) => {
          const count = kind === "lucky" ? shares : 1;
          const audience = { members: kind === "single" ? undefined : new Set(MEMBERS) };
          // The writer's truth: grabs decided by the domain, batch by batch, then perhaps the expiry.
          let packet = packetOf(kind, count);
          const fact = () => packetFact(packet);
          const facts: Fact[] = [fact()];
          for (const users of batches) {
            const grabbed: string[] = [];
            for (const u of users) {
              const user = `u${u}`;
              if (grabRefusal(packet, user, null, 0, audience) !== undefined) continue;
              const grabs = [...packet.grabs, { userId: user, amount: 1, at: 0 }];
              packet = { ...packet, grabs, status: grabs.length === count ? "finished" : "active" };
              grabbed.push(user);
            }
            if (packet.status !== "active") facts.push(fact());
            else if (grabbed.length > 0) facts.push({ k: "grabs", p: packet.id, users: grabbed });
            if (packet.status !== "active") break;
          }
          if (expires && packet.status === "active") {
            packet = { ...packet, status: "expired" };
            facts.push(fact());
          }
          // The group's fact may come before or after the packet's (it was made in an earlier batch, or heard late).
          if (packet.groupId !== null)
            facts.splice(Math.round((groupAt / 100) * facts.length), 0, {
              k: "group",
              id: packet.groupId,
              members: MEMBERS,
            });
          const lagging = new StateView();
          lagging.apply(facts.slice(0, Math.round((cut / 100) * facts.length)));
          for (let u = 0; u <= 7; u++) {
            const user = `u${u}`;
            const lagged = lagging.packets.grabRefusal(packet.id, user);
            const truth = grabRefusal(packet, user, null, 0, audience);
            if (lagged !== undefined)
              assert.equal(codeOf(lagged), codeOf(truth), `${user}: the view's refusal is not the writer's`);
          }
          // With every fact, the crowd's common refusals are the view's to give.
          const whole = new StateView();
          whole.apply(facts);
          if (packet.status !== "active" && kind === "lucky")
            for (const user of MEMBERS) assert.notEqual(whole.packets.grabRefusal(packet.id, user), undefined);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("stays within its bounds: packets, grabbers and members past their caps are left to the writer", () => {
    const view = new StateView({ packets: { packetsMax: 2, grabbersMax: 3, membersMax: 4 } });
    const packet = (id: string, grabbers: string[]): Fact => ({
      k: "packet",
      id,
      status: "finished",
      expiresAt: 10,
      recipient: null,
      groupId: "grp_a",
      grabbers,
    });
    view.apply([{ k: "group", id: "grp_a", members: ["a", "b", "c", "d"] }, packet("pkt_1", ["a", "b", "c", "d"])]);
    assert.equal(view.packets.grabbers, 3);
    assert.equal(codeOf(view.packets.grabRefusal("pkt_1", "a")), "ALREADY_GRABBED");
    // d grabbed but is not remembered: "sold out" would be wrong (the writer says already grabbed), so the writer is asked.
    assert.equal(view.packets.grabRefusal("pkt_1", "d"), undefined);
    view.apply([{ k: "group", id: "grp_b", members: ["x", "y"] }]);
    assert.equal(view.packets.members, 2, "the oldest group was forgotten to make room");
    view.apply([packet("pkt_2", ["x"])]);
    assert.equal(view.packets.grabbers, 1, "the oldest packet was forgotten to make room for a newer one's grabbers");
    assert.equal(view.packets.grabRefusal("pkt_1", "a"), undefined, "forgotten: the writer is asked");
    assert.equal(codeOf(view.packets.grabRefusal("pkt_2", "x")), "ALREADY_GRABBED");
    view.apply([packet("pkt_3", []), packet("pkt_4", [])]);
    assert.equal(view.packets.packets, 2);
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

  it("a finished packet's late grabs and second grabs are answered by each edge from its view, as the writer answers them", async () => {
    const members = await Promise.all(Array.from({ length: 6 }, (_, i) => user(200 + i)));
    const [owner, ...others] = members as [{ userId: string; token: string }, ...{ userId: string; token: string }[]];
    await post(edge(0), "/v1/admin/deposits", ADMIN, { userId: owner.userId, amount: 10_000 }, freshKey());
    const group = await post(
      edge(0),
      "/v1/groups",
      owner.token,
      { name: "家", memberIds: others.map((member) => member.userId) },
      freshKey(),
    );
    assert.equal(group.statusCode, 201, group.body);
    const sent = await post(
      edge(1),
      "/v1/red-packets",
      owner.token,
      { kind: "lucky", amount: 300, count: 2, groupId: group.json().id },
      freshKey(),
    );
    assert.equal(sent.statusCode, 201, sent.body);
    const url = `/v1/red-packets/${sent.json().id}/grab`;
    for (const member of others.slice(0, 2)) assert.equal((await post(edge(0), url, member.token)).statusCode, 200);
    // Both edges hear the packet finish; then nothing more about it goes to the writer.
    for (
      let i = 0;
      i < 100 &&
      edges.some((one) => one.view.packets.grabRefusal(sent.json().id, others[4]?.userId ?? "") === undefined);
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 10));
    /** Commands each edge sent its writer, from its own metrics. */
    const calls = async () =>
      Promise.all(
        edges.map(async (one) => {
          const text = await one.context.metrics.registry.metrics();
          return /hongbao_wire_call_seconds_count\{side="edge",op="execute"\} (\d+)/.exec(text)?.[1];
        }),
      );
    const before = await calls();
    for (const one of edges) {
      const late = await post(one, url, (others[4] as { token: string }).token);
      assert.equal(late.statusCode, 410, late.body);
      assert.equal(late.json().error.code, "SOLD_OUT");
      const again = await post(one, url, (others[0] as { token: string }).token);
      assert.equal(again.statusCode, 409, again.body);
      assert.equal(again.json().error.code, "ALREADY_GRABBED");
    }
    assert.deepEqual(await calls(), before, "answered without the writer");
    // The writer says the same, asked directly (a key makes the edge ask it).
    const keyed = await post(edge(0), url, (others[4] as { token: string }).token, undefined, freshKey());
    assert.equal(keyed.json().error.code, "SOLD_OUT");
    // A stranger is no member: the view does not know, and the writer says so.
    const stranger = await user(220);
    const refused = await post(edge(1), url, stranger.token);
    assert.equal(refused.json().error.code, "NOT_A_MEMBER");
  });

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
    // Reconnected, an edge reads the shared rows again before it takes authenticated requests
    // (503 BUSY meanwhile): the client retries after a moment, as Retry-After tells it.
    let retried = await post(edge(1), "/v1/admin/deposits", ADMIN, { userId: alice.userId, amount: 520 }, key);
    for (let i = 0; i < 100 && retried.statusCode === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      retried = await post(edge(1), "/v1/admin/deposits", ADMIN, { userId: alice.userId, amount: 520 }, key);
    }
    assert.equal(retried.statusCode, 201, retried.body);
    assert.equal(retried.headers["idempotent-replayed"], "true");
    assert.equal(await service.context.store.balance(alice.userId as never), 520, "deposited once");
    assert.equal(await service.context.store.balanceSum(), 0);
  });
});
