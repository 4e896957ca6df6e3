import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

interface ListPage {
  object: string;
  data: { id: string; status?: string; refundInSeconds?: number | null }[];
  hasMore: boolean;
}

/** Lists over HTTP: newest first, both cursors, bounded pages, each reader sees only their own. */
describe("lists over HTTP", () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const sent: string[] = [];
  const START = "2026-05-20T09:00:00.000+08:00";

  before(async () => {
    app = await startTestApp({ testClock: true });
    // Users are listed by creation time (their ids are random): each is made a second after the last.
    const at = (second: number) =>
      app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: `2026-05-20T08:59:5${second}.000+08:00` } });
    await at(0);
    alice = await app.createUser("alice");
    await at(1);
    bob = await app.createUser("bob");
    await at(2);
    carol = await app.createUser("carol");
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: START } });
    await app.deposit(alice.userId, 100_000);
    await app.deposit(bob.userId, 100_000);
    // alice → bob five times, bob → alice twice, interleaved; the third of alice's is accepted.
    for (let i = 0; i < 7; i++) {
      const [from, to] = i === 2 || i === 5 ? [bob, alice] : [alice, bob];
      const reply = await app.call("POST", "/v1/transfers", {
        token: from.token,
        body: { to: to.userId, amount: 100 + i, memo: `t${i}` },
      });
      assert.equal(reply.statusCode, 201, reply.body);
      sent.push(reply.json().id);
    }
    await app.call("POST", `/v1/transfers/${sent[3]}/accept`, { token: bob.token });
  });
  after(async () => {
    await app.dispose();
  });

  const list = async (token: string, url: string): Promise<ListPage> => {
    const reply = await app.call("GET", url, { token });
    assert.equal(reply.statusCode, 200, `${url}: ${reply.body}`);
    return reply.json() as ListPage;
  };
  const ids = (page: ListPage) => page.data.map((item) => item.id);

  it("lists my transfers newest first, a page at a time, forward and back", async () => {
    const all = await list(alice.token, "/v1/me/transfers");
    assert.equal(all.object, "list");
    assert.deepEqual(ids(all), [...sent].reverse());
    assert.equal(all.hasMore, false);
    const first = await list(alice.token, "/v1/me/transfers?limit=3");
    assert.deepEqual(ids(first), [sent[6], sent[5], sent[4]]);
    assert.equal(first.hasMore, true);
    const second = await list(alice.token, `/v1/me/transfers?limit=3&startingAfter=${sent[4]}`);
    assert.deepEqual(ids(second), [sent[3], sent[2], sent[1]]);
    assert.equal(second.hasMore, true);
    const last = await list(alice.token, `/v1/me/transfers?limit=3&startingAfter=${sent[1]}`);
    assert.deepEqual(ids(last), [sent[0]]);
    assert.equal(last.hasMore, false);
    const back = await list(alice.token, `/v1/me/transfers?limit=2&endingBefore=${sent[3]}`);
    assert.deepEqual(ids(back), [sent[5], sent[4]], "the page just before, still newest first");
    assert.equal(back.hasMore, true);
    const top = await list(alice.token, `/v1/me/transfers?limit=5&endingBefore=${sent[4]}`);
    assert.deepEqual(ids(top), [sent[6], sent[5]]);
    assert.equal(top.hasMore, false);
  });

  it("filters incoming, outgoing and pending, with the time left before each refund", async () => {
    const incoming = await list(alice.token, "/v1/me/transfers?filter=incoming");
    assert.deepEqual(ids(incoming), [sent[5], sent[2]]);
    const outgoing = await list(alice.token, "/v1/me/transfers?filter=outgoing");
    assert.deepEqual(ids(outgoing), [sent[6], sent[4], sent[3], sent[1], sent[0]]);
    await app.call("POST", "/v1/admin/clock", { token: "admin", body: { now: "2026-05-20T10:00:00.000+08:00" } });
    const pending = await list(bob.token, "/v1/me/transfers?filter=pending");
    assert.deepEqual(ids(pending), sent.filter((_, i) => i !== 3).reverse());
    for (const item of pending.data) {
      assert.equal(item.status, "pending");
      assert.equal(item.refundInSeconds, 23 * 3600, "23 h left of the 24 h");
    }
    const accepted = (await list(bob.token, "/v1/me/transfers")).data.find((item) => item.id === sent[3]);
    assert.equal(accepted?.refundInSeconds, null);
    assert.deepEqual(ids(await list(carol.token, "/v1/me/transfers")), [], "a stranger sees none of them");
  });

  it("lists packets I sent and received, and a group's packets for its members only", async () => {
    const group = await app.call("POST", "/v1/groups", {
      token: alice.token,
      body: { name: "家", memberIds: [bob.userId] },
    });
    const groupId = group.json().id as string;
    const packets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const reply = await app.call("POST", "/v1/red-packets", {
        token: alice.token,
        body: { kind: "lucky", amount: 300, count: 3, groupId },
      });
      assert.equal(reply.statusCode, 201, reply.body);
      packets.push(reply.json().id);
    }
    const direct = await app.call("POST", "/v1/red-packets", {
      token: alice.token,
      body: { kind: "single", amount: 88, to: carol.userId },
    });
    packets.push(direct.json().id);
    assert.equal((await app.call("POST", `/v1/red-packets/${packets[0]}/grab`, { token: bob.token })).statusCode, 200);
    assert.equal((await app.call("POST", `/v1/red-packets/${packets[2]}/grab`, { token: bob.token })).statusCode, 200);
    assert.deepEqual(ids(await list(alice.token, "/v1/me/red-packets")), [...packets].reverse());
    const received = await list(bob.token, "/v1/me/red-packets?role=received");
    assert.deepEqual(ids(received), [packets[2], packets[0]]);
    assert.equal((received.data[0] as unknown as { grabs: { userId: string }[] }).grabs[0]?.userId, bob.userId);
    const groupPage = await list(bob.token, `/v1/groups/${groupId}/red-packets?limit=2`);
    assert.deepEqual(ids(groupPage), [packets[2], packets[1]]);
    assert.equal(groupPage.hasMore, true);
    const outsider = await app.call("GET", `/v1/groups/${groupId}/red-packets`, { token: carol.token });
    assert.equal(outsider.statusCode, 404);
    assert.equal(outsider.json().error.code, "GROUP_NOT_FOUND");
  });

  it("lists users for the operator, newest first, with their balances", async () => {
    const page = await list("admin", "/v1/admin/users?limit=2");
    assert.deepEqual(ids(page), [carol.userId, bob.userId]);
    assert.equal(page.hasMore, true);
    const rest = await list("admin", `/v1/admin/users?startingAfter=${bob.userId}`);
    assert.deepEqual(ids(rest), [alice.userId]);
    const back = await list("admin", `/v1/admin/users?endingBefore=${alice.userId}&limit=1`);
    assert.deepEqual(ids(back), [bob.userId]);
    assert.equal(back.hasMore, true);
  });

  it("refuses a page out of bounds or with both cursors with 400, naming the fault", async () => {
    for (const query of [
      "limit=0",
      "limit=101",
      "limit=ten",
      `startingAfter=${sent[1]}&endingBefore=${sent[2]}`,
      "startingAfter=nope",
      "filter=sideways",
      "extra=1",
    ]) {
      const reply = await app.call("GET", `/v1/me/transfers?${query}`, { token: alice.token });
      assert.equal(reply.statusCode, 400, `${query}: ${reply.body}`);
      assert.equal(reply.json().error.code, "VALIDATION_FAILED", query);
    }
    const hundred = await list(alice.token, "/v1/me/transfers?limit=100");
    assert.equal(hundred.data.length, 7);
  });
});
