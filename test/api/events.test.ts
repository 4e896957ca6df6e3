import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { INPUT_TESTS_GATE, startTestApp, TEST_STORE, type TestApp, type TestUser } from "../support/harness.js";

/**
 * The outbox through the HTTP contract, on the real store (SQLite, or PostgreSQL with
 * HONGBAO_TEST_STORE=postgres): every event type is written with its change, in the order
 * the changes happened, and every change of the kinds the events report has its event.
 */

interface EventBody {
  id: string;
  object: string;
  type: string;
  createdAt: string;
  data: { object: Record<string, unknown> };
}

const HOUR_MS = 3_600_000;

describe(`events (${TEST_STORE})`, () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let t0: number;
  const ids: Record<string, string> = {};

  const setClock = async (at: number) => {
    const response = await app.call("POST", "/v1/admin/clock", {
      token: "admin",
      body: { now: new Date(at).toISOString() },
    });
    assert.equal(response.statusCode, 200, response.body);
  };
  const ok = async (
    method: "GET" | "POST",
    url: string,
    token: string,
    body?: unknown,
    status = 201,
  ): Promise<Record<string, unknown>> => {
    const response = await app.call(method, url, { token, ...(body === undefined ? {} : { body }) });
    assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`);
    return response.json() as Record<string, unknown>;
  };
  const allEvents = async (token: string, query = ""): Promise<EventBody[]> => {
    const events: EventBody[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await ok(
        "GET",
        `/v1/events?order=asc&limit=5${after === undefined ? "" : `&startingAfter=${after}`}${query}`,
        token,
        undefined,
        200,
      );
      const data = page.data as EventBody[];
      events.push(...data);
      if (page.hasMore !== true) return events;
      after = data[data.length - 1]?.id;
    }
  };

  before(async () => {
    // Reads right after claims: a claim turn over the default 10 ms on a loaded machine would shed them (503).
    app = await startTestApp({ testClock: true, gate: INPUT_TESTS_GATE });
    t0 = Date.parse("2026-03-03T10:00:00+08:00");
    await setClock(t0);
    [alice, bob, carol] = [await app.createUser("alice"), await app.createUser("bob"), await app.createUser("carol")];
    await app.deposit(alice.userId, 100_000);
    const campaign = await ok("POST", "/v1/admin/campaigns", "admin", {
      name: "events",
      budget: 30,
      amount: { fixed: 10 },
      startsAt: new Date(t0 + HOUR_MS).toISOString(),
      endsAt: new Date(t0 + 2 * HOUR_MS).toISOString(),
    });
    ids.campaign = campaign.id as string;
    const t1 = await ok("POST", "/v1/transfers", alice.token, { to: bob.userId, amount: 500, nature: "loan" });
    ids.t1 = t1.id as string;
    await ok("POST", `/v1/transfers/${ids.t1}/accept`, bob.token, undefined, 200);
    await ok("POST", `/v1/transfers/${ids.t1}/acknowledge-loan`, bob.token, undefined, 200);
    ids.t2 = (await ok("POST", "/v1/transfers", alice.token, { to: bob.userId, amount: 600 })).id as string;
    await ok("POST", `/v1/transfers/${ids.t2}/decline`, bob.token, undefined, 200);
    ids.t3 = (await ok("POST", "/v1/transfers", alice.token, { to: bob.userId, amount: 700 })).id as string;
    ids.t4 = (await ok("POST", "/v1/transfers", alice.token, { to: carol.userId, amount: 50 })).id as string;
    await ok("POST", `/v1/transfers/${ids.t4}/cancel`, alice.token, undefined, 200);
    ids.p1 = (await ok("POST", "/v1/red-packets", alice.token, { kind: "single", amount: 800, to: bob.userId }))
      .id as string;
    await ok("POST", `/v1/red-packets/${ids.p1}/grab`, bob.token, undefined, 200);
    ids.p2 = (await ok("POST", "/v1/red-packets", alice.token, { kind: "single", amount: 900, to: carol.userId }))
      .id as string;
    await setClock(t0 + HOUR_MS);
    for (const user of [alice, bob, carol])
      await ok("POST", `/v1/campaigns/${ids.campaign}/claim`, user.token, undefined, 200);
    await setClock(t0 + 2 * HOUR_MS);
    await setClock(t0 + 25 * HOUR_MS);
  });

  after(async () => {
    await app?.dispose();
  });

  it("writes one event per change, of every type, in the order the changes happened", async () => {
    const events = await allEvents("admin");
    const seen = events.map((event) => `${event.type} ${String(event.data.object.id)}`);
    assert.deepEqual(seen.slice(0, 14), [
      `transfer.received ${ids.t1}`,
      `transfer.accepted ${ids.t1}`,
      `loan.acknowledged ${ids.t1}`,
      `transfer.received ${ids.t2}`,
      `transfer.declined ${ids.t2}`,
      `transfer.received ${ids.t3}`,
      `transfer.received ${ids.t4}`,
      `transfer.cancelled ${ids.t4}`,
      `packet.received ${ids.p1}`,
      `packet.finished ${ids.p1}`,
      `packet.received ${ids.p2}`,
      `campaign.started ${ids.campaign}`,
      `campaign.sold_out ${ids.campaign}`,
      `campaign.ended ${ids.campaign}`,
    ]);
    // Both fell due at the same instant: the refund and the expiry, in either order.
    assert.deepEqual(seen.slice(14).sort(), [`packet.refunded ${ids.p2}`, `transfer.refunded ${ids.t3}`].sort());
    assert.equal(new Set(events.map((event) => event.id)).size, events.length, "ids are unique");
    const sorted = [...events].sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(sorted, events, "ids sort as the events happened");
    for (const event of events) {
      assert.equal(event.object, "event");
      assert.match(event.id, /^evt_[0-9a-f]{20}$/);
    }
  });

  it("carries the subject as the change left it", async () => {
    const events = await allEvents("admin");
    const of = (type: string) => events.find((event) => event.type === type)?.data.object as Record<string, unknown>;
    assert.equal(of("transfer.accepted").status, "accepted");
    assert.equal(typeof of("loan.acknowledged").loanAcknowledgedAt, "string");
    assert.equal(of("transfer.refunded").status, "refunded");
    assert.equal(of("packet.finished").status, "finished");
    assert.equal(of("packet.finished").remaining, 0);
    assert.equal(of("packet.refunded").status, "expired");
    assert.equal(of("packet.refunded").remaining, 900);
    assert.equal(of("campaign.sold_out").claimedAmount, 30);
    assert.equal(of("campaign.ended").status, "ended");
    assert.equal(of("campaign.ended").claimedCount, 3);
  });

  it("has an event for every change in the store, and a change for every event", async () => {
    const events = await allEvents("admin");
    const count = (type: string) => events.filter((event) => event.type === type).length;
    const transfers = await app.query<{ status: string; loan_acknowledged_at: number | null }>(
      "SELECT status, loan_acknowledged_at FROM transfers",
    );
    assert.equal(count("transfer.received"), transfers.length);
    for (const status of ["accepted", "declined", "refunded"]) {
      assert.equal(count(`transfer.${status}`), transfers.filter((t) => t.status === status).length, status);
    }
    assert.equal(count("loan.acknowledged"), transfers.filter((t) => t.loan_acknowledged_at !== null).length);
    const packets = await app.query<{ status: string }>("SELECT status FROM red_packets");
    assert.equal(count("packet.received"), packets.length);
    assert.equal(count("packet.finished"), packets.filter((p) => p.status === "finished").length);
    assert.equal(count("packet.refunded"), packets.filter((p) => p.status === "expired").length);
    const rows = await app.query<{ n: number }>("SELECT COUNT(*) AS n FROM events");
    assert.equal(Number(rows[0]?.n), events.length);
  });

  it("shows a user only the events that concern them; the operator sees all", async () => {
    const mine = await allEvents(carol.token);
    assert.deepEqual(
      mine.map((event) => event.type),
      ["transfer.received", "transfer.cancelled", "packet.received", "packet.refunded"],
    );
    const bobs = await allEvents(bob.token);
    assert.ok(bobs.every((event) => !event.type.startsWith("campaign.")));
    assert.equal(bobs.length, 9);
  });

  it("pages newest first by default, with a cursor and hasMore", async () => {
    const all = await allEvents("admin");
    const first = await ok("GET", "/v1/events?limit=3", "admin", undefined, 200);
    const firstIds = (first.data as EventBody[]).map((event) => event.id);
    assert.deepEqual(
      firstIds,
      all
        .slice(-3)
        .reverse()
        .map((event) => event.id),
    );
    assert.equal(first.hasMore, true);
    const second = await ok("GET", `/v1/events?limit=3&startingAfter=${firstIds[2]}`, "admin", undefined, 200);
    assert.deepEqual(
      (second.data as EventBody[]).map((event) => event.id),
      all
        .slice(-6, -3)
        .reverse()
        .map((event) => event.id),
    );
    const filtered = await allEvents("admin", "&type=campaign.started,campaign.ended");
    assert.deepEqual(
      filtered.map((event) => event.type),
      ["campaign.started", "campaign.ended"],
    );
  });

  it("refuses bad queries with 400 and a code", async () => {
    for (const query of ["limit=0", "limit=101", "startingAfter=tr_1", "order=up", "type=packet.lost", "x=1"]) {
      const response = await app.call("GET", `/v1/events?${query}`, { token: "admin" });
      assert.equal(response.statusCode, 400, query);
      assert.equal(response.json().error.code, "VALIDATION_FAILED", query);
    }
    assert.equal((await app.call("GET", "/v1/events")).statusCode, 401);
  });
});
