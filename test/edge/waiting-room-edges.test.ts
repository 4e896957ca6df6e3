import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readTicket } from "../../src/api/queue-ticket.js";
import type { EdgeService } from "../../src/edge/edge-service.js";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  statusCode: number;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as a client would
  json(): Record<string, any>;
}

describe("the waiting room through two edges: one line at the writer", () => {
  let app: TestApp;
  let users: TestUser[];
  before(async () => {
    // Admission sheds every new arrival, so every claim without a ticket is given a place.
    app = await startTestApp({ edges: 2, admission: { claimQueueLengthMax: 0 }, gate: { targetTurnMs: 1_000 } });
    users = [];
    for (let i = 0; i < 12; i++) users.push(await app.createUser());
  });
  after(async () => {
    await app.dispose();
  });

  const edge = (i: number) => app.edges[i % 2] as EdgeService;
  const create = async (startsIn: number, budget = 100 * 1314) => {
    const now = Date.now();
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "七夕 13:14",
        budget,
        amount: { fixed: 1314 },
        startsAt: new Date(now + startsIn).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    return created.json().id as string;
  };
  const claimAt = async (i: number, user: TestUser, id: string, ticket?: string): Promise<Answer> =>
    (await edge(i).app.inject({
      method: "POST",
      url: `/v1/campaigns/${id}/claim`,
      headers: { authorization: `Bearer ${user.token}`, ...(ticket === undefined ? {} : { "queue-ticket": ticket }) },
    })) as Answer;

  it("places given through either edge make one line: places and numbers follow arrival, nobody shares one", async () => {
    const id = await create(-1_000);
    const places: number[] = [];
    const numbers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await claimAt(i, users[i] as TestUser, id);
      assert.equal(answer.statusCode, 503, answer.body);
      const body = answer.json();
      assert.equal(body.line, "fifo");
      places.push(body.place as number);
      numbers.push(readTicket(body.ticket as string)?.number as number);
    }
    // Alternate edges, one line: each arrival is one place after the one before, whichever edge it came through.
    assert.deepEqual(numbers, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(places, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("a ticket from one edge is honoured by the other; the same person through both edges claims once", async () => {
    const id = await create(-1_000);
    const user = users[10] as TestUser;
    const viaFirst = await claimAt(0, user, id);
    const viaSecond = await claimAt(1, user, id);
    assert.equal(viaFirst.statusCode, 503, viaFirst.body);
    assert.equal(viaSecond.statusCode, 503, viaSecond.body);
    // Comes back through the other edge when told, until decided.
    let answer = viaFirst;
    for (let i = 0; i < 50 && answer.statusCode === 503 && answer.json().ticket !== undefined; i++) {
      await sleep(Math.min(answer.json().retryAfterMs as number, 1_000));
      answer = await claimAt(i + 1, user, id, answer.json().ticket as string);
    }
    assert.equal(answer.statusCode, 200, answer.body);
    // The second place was spent by the first claim, through whichever edge it is shown.
    const spent = await claimAt(0, user, id, viaSecond.json().ticket as string);
    assert.equal(spent.statusCode, 409, spent.body);
    assert.match(spent.json().error.code as string, /ALREADY_CLAIMED|TICKET_USED/);
    const view = (await app.call("GET", `/v1/campaigns/${id}`, { token: "admin" })).json();
    assert.equal(view.claimedCount, 1);
  });

  it("the pre-queue holds one place a person whichever edge is asked, and the draw is the writer's", async () => {
    const id = await create(1_500);
    const user = users[11] as TestUser;
    const first = await claimAt(0, user, id);
    const again = await claimAt(1, user, id);
    assert.equal(first.statusCode, 425, first.body);
    assert.equal(again.statusCode, 425, again.body);
    assert.equal(first.json().line, "pre");
    assert.equal(readTicket(first.json().ticket as string)?.number, readTicket(again.json().ticket as string)?.number);
    const other = await claimAt(1, users[0] as TestUser, id);
    assert.equal(readTicket(other.json().ticket as string)?.number, 1);
    // Each edge shows the same committed seed hash before the start, and the same pre-queue size after.
    const viewAt = async (i: number) =>
      (
        await edge(i).app.inject({
          method: "GET",
          url: `/v1/campaigns/${id}`,
          headers: { authorization: `Bearer ${user.token}` },
        })
      ).json();
    const before0 = await viewAt(0);
    const before1 = await viewAt(1);
    assert.equal(before0.draw.seedHash, before1.draw.seedHash);
    assert.equal(before0.draw.seed, undefined);
    await sleep(1_600);
    const after0 = await viewAt(0);
    const after1 = await viewAt(1);
    assert.equal(after0.draw.preQueueSize, 2);
    assert.deepEqual(after0.draw, after1.draw);
  });

  it("the queue's JSON read answers through either edge with the writer's place", async () => {
    const id = await create(-1_000);
    const given = await claimAt(0, users[1] as TestUser, id);
    assert.equal(given.statusCode, 503, given.body);
    const ticket = given.json().ticket as string;
    for (const i of [0, 1]) {
      const standing = await edge(i).app.inject({
        method: "GET",
        url: `/v1/campaigns/${id}/queue`,
        headers: { authorization: `Bearer ${(users[1] as TestUser).token}`, "queue-ticket": ticket },
      });
      assert.equal(standing.statusCode, 200, standing.body);
      assert.match(standing.json().state as string, /waiting|your_turn/);
    }
  });

  it("answers sold out at the edge before any token check, from its view", async () => {
    const id = await create(-1_000, 1314);
    const user = users[2] as TestUser;
    let answer = await claimAt(0, user, id);
    for (let i = 0; i < 50 && answer.statusCode === 503; i++) {
      await sleep(Math.min(answer.json().retryAfterMs as number, 1_000));
      answer = await claimAt(i, user, id, answer.json().ticket as string);
    }
    assert.equal(answer.statusCode, 200, answer.body);
    // The claim's fact reaches both views; then anyone, even without a valid token, hears "sold out".
    for (let i = 0; i < 50; i++) {
      const views = app.edges.map((one) => one.context.engine.claimRefusalForAnyone(id));
      if (views.every((refusal) => refusal !== undefined)) break;
      await sleep(20);
    }
    // Over HTTP, where the claim's fast path runs: a token is never looked at.
    for (const i of [0, 1]) {
      const address = await edge(i).app.listen({ port: 0, host: "127.0.0.1" });
      const stranger = await fetch(`${address}/v1/campaigns/${id}/claim`, {
        method: "POST",
        headers: { authorization: "Bearer not-a-token" },
      });
      assert.equal(stranger.status, 410);
      assert.equal(((await stranger.json()) as { error: { code: string } }).error.code, "SOLD_OUT");
    }
  });
});
