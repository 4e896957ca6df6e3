import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verifyDraw } from "../../src/cli/verify-draw.js";
import { drawOrder, drawSeedHash } from "../../src/domain/draw.js";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  statusCode: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field, as a client would
  json(): Record<string, any>;
  headers: Record<string, unknown>;
}

/** A ticket's fields, read from its signed payload (no check: the server checks). */
function fieldsOf(ticket: string): string[] {
  return Buffer.from(ticket.split(".")[0] as string, "base64url")
    .toString("latin1")
    .split("~");
}

describe("the waiting room: tickets", () => {
  let app: TestApp;
  let users: TestUser[];
  before(async () => {
    // Admission sheds every new arrival (its claim lane bound is 0), so every claim without a
    // ticket is answered with a place in line, and only tickets whose turn has come are decided.
    app = await startTestApp({ admission: { claimQueueLengthMax: 0 }, gate: { targetTurnMs: 1_000 } });
    users = [];
    for (let i = 0; i < 6; i++) users.push(await app.createUser());
  });
  after(async () => {
    await app.dispose();
  });

  const create = async (body: Record<string, unknown> = {}) => {
    const now = Date.now();
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "七夕 13:14",
        budget: 10 * 1314,
        amount: { fixed: 1314 },
        startsAt: new Date(now - 1_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
        ...body,
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    return created.json().id as string;
  };
  const claim = (user: TestUser, id: string, ticket?: string): Promise<Answer> =>
    app.call("POST", `/v1/campaigns/${id}/claim`, {
      token: user.token,
      headers: ticket === undefined ? {} : { "queue-ticket": ticket },
    }) as Promise<Answer>;
  /** Comes back when told, with the ticket, until the answer is not a place in line (bounded). */
  const untilDecided = async (user: TestUser, id: string, first: Answer) => {
    let answer = first;
    for (let i = 0; i < 100 && answer.statusCode === 503 && answer.json().ticket !== undefined; i++) {
      await sleep(Math.min(answer.json().retryAfterMs as number, 2_000));
      answer = await claim(user, id, answer.json().ticket);
    }
    return answer;
  };
  const counts = async (id: string) => {
    const view = (await app.call("GET", `/v1/campaigns/${id}`, { token: "admin" })).json();
    return { claimedCount: view.claimedCount, claimedAmount: view.claimedAmount, sum: await app.balanceSum() };
  };

  it("answers a claim it cannot decide at once with a place, and decides it at its turn", async () => {
    const id = await create();
    const user = users[0] as TestUser;
    const first = await claim(user, id);
    assert.equal(first.statusCode, 503);
    const body = first.json();
    assert.equal(body.error.code, "BUSY");
    assert.equal(typeof body.ticket, "string");
    assert.equal(body.line, "fifo");
    assert.ok(Number.isInteger(body.position) && body.position >= 1, `position ${body.position}`);
    assert.ok(body.retryAfterMs >= 250, `retryAfterMs ${body.retryAfterMs}`);
    assert.ok(Number(first.headers["retry-after"]) >= 1, "Retry-After is given in whole seconds");
    assert.deepEqual(fieldsOf(body.ticket).slice(0, 3), [id, user.userId, "fifo"]);
    const decided = await untilDecided(user, id, first);
    assert.equal(decided.statusCode, 200, JSON.stringify(decided.json()));
    assert.deepEqual(decided.json(), { campaignId: id, amount: 1314, status: "claimed" });
  });

  it("refuses a forged, altered, someone else's or replayed ticket with a 4xx and a code, changing nothing", async () => {
    const id = await create({ perUserLimit: 2 });
    const [owner, other] = users as [TestUser, TestUser];
    const given = (await claim(owner, id)).json().ticket as string;
    const before = await counts(id);

    const forged = await claim(owner, id, "bm90IGEgdGlja2V0.AAAAAAAAAAAAAAAAAAAAAA");
    assert.equal(forged.statusCode, 400);
    assert.equal(forged.json().error.code, "TICKET_INVALID");
    const [payload, mac] = given.split(".") as [string, string];
    // The same payload with a later place number for itself: the MAC no longer fits.
    const fields = fieldsOf(given);
    fields[3] = "0";
    fields[4] = "0";
    const altered = `${Buffer.from(fields.join("~")).toString("base64url")}.${mac}`;
    assert.notEqual(altered.split(".")[0], payload);
    const alteredAnswer = await claim(owner, id, altered);
    assert.equal(alteredAnswer.statusCode, 400);
    assert.equal(alteredAnswer.json().error.code, "TICKET_INVALID");
    const garbage = await claim(owner, id, "x".repeat(300));
    assert.equal(garbage.json().error.code, "TICKET_INVALID");

    const moved = await claim(other, id, given);
    assert.equal(moved.statusCode, 403);
    assert.equal(moved.json().error.code, "TICKET_NOT_YOURS");
    const elsewhere = await create();
    const wrongCampaign = await claim(owner, elsewhere, given);
    assert.equal(wrongCampaign.statusCode, 400);
    assert.equal(wrongCampaign.json().error.code, "TICKET_INVALID");
    assert.deepEqual(await counts(id), before, "refused tickets changed nothing");

    const decided = await untilDecided(owner, id, await claim(owner, id, given));
    assert.equal(decided.statusCode, 200);
    const afterClaim = await counts(id);
    const replayed = await claim(owner, id, given);
    assert.equal(replayed.statusCode, 409);
    assert.equal(replayed.json().error.code, "TICKET_USED");
    assert.deepEqual(await counts(id), afterClaim, "a replayed ticket changed nothing");
    assert.equal(afterClaim.claimedCount, 1);
    assert.equal(afterClaim.sum, 0);
  });

  it("a person who asks twice holds one usable place: the other ticket is spent with the first claim", async () => {
    const id = await create({ perUserLimit: 2 });
    const user = users[2] as TestUser;
    const first = await claim(user, id);
    const second = await claim(user, id);
    assert.equal(first.statusCode, 503);
    assert.equal(second.statusCode, 503);
    const decided = await untilDecided(user, id, second);
    assert.equal(decided.statusCode, 200);
    const spent = await claim(user, id, first.json().ticket);
    assert.equal(spent.statusCode, 409);
    assert.equal(spent.json().error.code, "TICKET_USED");
    assert.equal((await counts(id)).claimedCount, 1);
  });

  it("tells ticket holders sold out when the budget is spent, at their next return", async () => {
    const id = await create({ budget: 1314 });
    const [a, b] = users.slice(3) as [TestUser, TestUser];
    const heldA = await claim(a, id);
    const heldB = await claim(b, id);
    assert.equal(heldB.statusCode, 503);
    assert.equal((await untilDecided(a, id, heldA)).statusCode, 200);
    const told = await claim(b, id, heldB.json().ticket);
    assert.equal(told.statusCode, 410);
    assert.equal(told.json().error.code, "SOLD_OUT");
    const latecomer = await claim(users[5] as TestUser, id);
    assert.equal(latecomer.json().error.code, "SOLD_OUT");
    const view = await counts(id);
    assert.equal(view.claimedCount, 1);
    assert.equal(view.claimedAmount, 1314);
  });
});

describe("the waiting room: the pre-queue and its draw", () => {
  let app: TestApp;
  let users: TestUser[];
  before(async () => {
    app = await startTestApp({ testClock: true, gate: { targetTurnMs: 1_000 } });
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T13:00:00+08:00" } });
    users = [];
    for (let i = 0; i < 12; i++) users.push(await app.createUser());
  });
  after(async () => {
    await app.dispose();
  });

  it("places who ask before the start by a draw from the committed seed, verifiable once revealed", async () => {
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "draw",
        budget: 100 * 1314,
        amount: { fixed: 1314 },
        startsAt: "2021-08-14T13:14:00+08:00",
        endsAt: "2021-08-14T14:14:00+08:00",
      },
    });
    const id = created.json().id as string;
    const seedHash = created.json().draw.seedHash as string;
    assert.match(seedHash, /^[0-9a-f]{64}$/);
    assert.equal(created.json().draw.seed, undefined, "the seed is not revealed before the draw");

    const tickets = new Map<string, string>();
    for (const user of users) {
      const early = await app.call("POST", `/v1/campaigns/${id}/claim`, { token: user.token });
      assert.equal(early.statusCode, 425);
      const body = early.json();
      assert.equal(body.error.code, "NOT_STARTED");
      assert.equal(body.line, "pre");
      assert.equal(body.position, null);
      tickets.set(user.userId, body.ticket);
    }
    // Asking again before the start keeps the same place in the pre-queue: one place a person.
    const again = await app.call("POST", `/v1/campaigns/${id}/claim`, { token: users[0]?.token });
    assert.equal(fieldsOf(again.json().ticket)[3], fieldsOf(tickets.get(users[0]?.userId as string) as string)[3]);
    const viewBefore = (await app.call("GET", `/v1/campaigns/${id}`, { token: "admin" })).json();
    assert.equal(viewBefore.draw.seed, undefined);

    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T13:14:00+08:00" } });
    const view = (await app.call("GET", `/v1/campaigns/${id}`, { token: "admin" })).json();
    assert.equal(view.draw.seedHash, seedHash);
    assert.equal(view.draw.preQueueSize, users.length);
    const seed = Buffer.from(view.draw.seed, "hex");
    assert.equal(drawSeedHash(seed), seedHash, "the revealed seed is the one committed to");
    const order = drawOrder(seed, users.length);
    assert.deepEqual(
      [...order].sort((x, y) => x - y),
      users.map((_, i) => i),
    );

    // The verify command says the same from the view alone, and catches a seed that is not the committed one.
    const file = join(app.dir, "campaign.json");
    writeFileSync(file, JSON.stringify(view));
    const lines: string[] = [];
    const firstTicket = tickets.get(users[0]?.userId as string) as string;
    const firstPlace = (order[Number(fieldsOf(firstTicket)[3])] as number) + 1;
    assert.equal(await verifyDraw(file, { ticket: firstTicket, place: String(firstPlace) }, (l) => lines.push(l)), 0);
    assert.match(lines.join("\n"), /holds/);
    assert.equal(await verifyDraw(file, { ticket: firstTicket, place: String(firstPlace + 1) }, () => {}), 1);
    writeFileSync(file, JSON.stringify({ ...view, draw: { ...view.draw, seed: "00".repeat(32) } }));
    assert.equal(await verifyDraw(file, {}, () => {}), 1);

    // Each holder's place is the drawn one for its joining number.
    for (const user of users) {
      const ticket = tickets.get(user.userId) as string;
      const look = await app.call("GET", `/v1/campaigns/${id}/queue`, {
        token: user.token,
        headers: { "queue-ticket": ticket },
      });
      assert.equal(look.statusCode, 200, look.body);
      const standing = look.json();
      const number = Number(fieldsOf(ticket)[3]);
      if (standing.state === "waiting") assert.equal(standing.place, (order[number] as number) + 1);
      else assert.equal(standing.state, "your_turn");
    }
    // Everyone comes back with the ticket; all are decided, and the budget holds.
    for (const user of users) {
      let answer = await app.call("POST", `/v1/campaigns/${id}/claim`, {
        token: user.token,
        headers: { "queue-ticket": tickets.get(user.userId) as string },
      });
      for (let i = 0; i < 100 && answer.statusCode === 503; i++) {
        await sleep(Math.min(answer.json().retryAfterMs, 1_000));
        answer = await app.call("POST", `/v1/campaigns/${id}/claim`, {
          token: user.token,
          headers: { "queue-ticket": answer.json().ticket },
        });
      }
      assert.equal(answer.statusCode, 200, answer.body);
    }
    assert.equal(await app.balanceSum(), 0);
  });
});

describe("the waiting room: the stream", () => {
  let app: TestApp;
  let base: string;
  let users: TestUser[];
  before(async () => {
    app = await startTestApp({ testClock: true, gate: { targetTurnMs: 1_000 } });
    await app.app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.app.server.address();
    assert.ok(address !== null && typeof address === "object");
    base = `http://127.0.0.1:${address.port}`;
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T13:00:00+08:00" } });
    users = [await app.createUser(), await app.createUser()];
  });
  after(async () => {
    await app.dispose();
  });

  it("counts down and delivers the result by itself; bounded per user; refuses a ticket not the holder's", async () => {
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "stream",
        budget: 1314,
        amount: { fixed: 1314 },
        startsAt: "2021-08-14T13:14:00+08:00",
        endsAt: "2021-08-14T14:14:00+08:00",
      },
    });
    const id = created.json().id as string;
    const [user, other] = users as [TestUser, TestUser];
    const ticket = (await app.call("POST", `/v1/campaigns/${id}/claim`, { token: user.token })).json().ticket;
    const headers = { authorization: `Bearer ${user.token}`, "queue-ticket": ticket, accept: "text/event-stream" };

    const notYours = await fetch(`${base}/v1/campaigns/${id}/queue`, {
      headers: { ...headers, authorization: `Bearer ${other.token}` },
    });
    assert.equal(notYours.status, 403);
    assert.equal(((await notYours.json()) as { error: { code: string } }).error.code, "TICKET_NOT_YOURS");

    const controller = new AbortController();
    const stream = await fetch(`${base}/v1/campaigns/${id}/queue`, { headers, signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /text\/event-stream/);
    const second = await fetch(`${base}/v1/campaigns/${id}/queue`, { headers });
    const third = await fetch(`${base}/v1/campaigns/${id}/queue`, { headers });
    assert.equal(third.status, 429, "two streams a user at most");
    assert.equal(((await third.json()) as { error: { code: string } }).error.code, "TOO_MANY_STREAMS");
    await second.body?.cancel();

    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const read = async (until: RegExp) => {
      for (let i = 0; i < 200 && !until.test(text); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString("utf8");
      }
    };
    await read(/event: place/);
    assert.match(text, /"state":"waiting"/);
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2021-08-14T13:14:00+08:00" } });
    await read(/event: result/);
    const result = /event: result\ndata: (.*)\n/.exec(text);
    assert.ok(result !== null, text);
    assert.deepEqual(JSON.parse(result[1] as string), {
      status: 200,
      answer: { campaignId: id, amount: 1314, status: "claimed" },
    });
    controller.abort();
    // The JSON twin, polled once the result is known: the final answer.
    const polled = await app.call("GET", `/v1/campaigns/${id}/queue`, {
      token: user.token,
      headers: { "queue-ticket": ticket },
    });
    assert.equal(polled.statusCode, 200);
    assert.equal(polled.json().state, "final");
    assert.equal(polled.json().answer.error.code, "ALREADY_CLAIMED");
    const view = (await app.call("GET", `/v1/campaigns/${id}`, { token: "admin" })).json();
    assert.equal(view.claimedCount, 1);
    assert.equal(view.status, "sold_out");
  });
});
