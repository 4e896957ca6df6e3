/**
 * Events survive a crash between their commit and their delivery: `hongbao serve` makes one
 * event of every type while its webhook endpoint fails some deliveries and holds others
 * unanswered, is killed with SIGKILL, and is started again on the same file. Once the
 * endpoint answers 2xx, every event arrives; one that arrived before the kill without being
 * acknowledged arrives again with the same event id.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EVENT_TYPES } from "../../src/domain/events.js";
import { eventually, WebhookReceiver } from "../support/webhook-receiver.js";
import { ADMIN_TOKEN, cleanup, createUser, deposit, type Proc, request, serve, tempDir } from "./support.js";

const HOUR_MS = 3_600_000;

describe("webhooks across a SIGKILL between commit and delivery", () => {
  let server: Proc | undefined;
  let receiver: WebhookReceiver | undefined;

  after(async () => {
    server?.child.kill("SIGKILL");
    await server?.exited;
    await receiver?.close();
    await cleanup();
  });

  it("delivers every event type after the restart, duplicates under the same id", async () => {
    const db = join(tempDir(), "hongbao.db");
    const args = ["--log-level", "info", "--webhook-allow-private"];
    const first = await serve({ db, testClock: true, extraArgs: args });
    server = first.proc;
    const url = first.url;
    receiver = await WebhookReceiver.start();
    const admin = (method: "GET" | "POST", path: string, body?: unknown) =>
      request(url, method, path, { token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });
    const t0 = Date.parse("2026-05-20T09:00:00+08:00");
    const setClock = async (at: number) =>
      assert.equal((await admin("POST", "/v1/admin/clock", { now: new Date(at).toISOString() })).status, 200);
    await setClock(t0);

    const created = await admin("POST", "/v1/admin/webhook-endpoints", { url: receiver.url });
    assert.equal(created.status, 201, created.text);
    receiver.secrets = [created.json().secret];
    // The first events are answered 500: attempted and recorded, to be retried.
    receiver.mode = "fail";

    const [alice, bob, carol] = [await createUser(url), await createUser(url), await createUser(url)];
    await deposit(url, alice.userId, 100_000);
    const as = async (token: string, path: string, body?: unknown, status = 201) => {
      const reply = await request(url, "POST", path, { token, ...(body === undefined ? {} : { body }) });
      assert.equal(reply.status, status, `${path}: ${reply.text}`);
      return reply.json() as { id: string };
    };
    const campaign = await as(ADMIN_TOKEN, "/v1/admin/campaigns", {
      name: "crash",
      budget: 20,
      amount: { fixed: 10 },
      startsAt: new Date(t0 + HOUR_MS).toISOString(),
      endsAt: new Date(t0 + 2 * HOUR_MS).toISOString(),
    });
    const t1 = await as(alice.token, "/v1/transfers", { to: bob.userId, amount: 100, nature: "loan" });
    await as(bob.token, `/v1/transfers/${t1.id}/accept`, undefined, 200);
    await as(bob.token, `/v1/transfers/${t1.id}/acknowledge-loan`, undefined, 200);
    await eventually(() => receiver?.received.some((r) => r.verdict === "failed-on-purpose") === true, "a failure");
    // The rest are held unanswered: in flight when the process dies.
    receiver.mode = "hold";
    const t2 = await as(alice.token, "/v1/transfers", { to: bob.userId, amount: 200 });
    await as(bob.token, `/v1/transfers/${t2.id}/decline`, undefined, 200);
    await as(alice.token, "/v1/transfers", { to: carol.userId, amount: 300 });
    const t4 = await as(alice.token, "/v1/transfers", { to: carol.userId, amount: 50 });
    await as(alice.token, `/v1/transfers/${t4.id}/cancel`, undefined, 200);
    const p1 = await as(alice.token, "/v1/red-packets", { kind: "single", amount: 400, to: bob.userId });
    await as(bob.token, `/v1/red-packets/${p1.id}/grab`, undefined, 200);
    await as(alice.token, "/v1/red-packets", { kind: "single", amount: 500, to: carol.userId });
    await setClock(t0 + HOUR_MS);
    await as(bob.token, `/v1/campaigns/${campaign.id}/claim`, undefined, 200);
    await as(carol.token, `/v1/campaigns/${campaign.id}/claim`, undefined, 200);
    await setClock(t0 + 2 * HOUR_MS);
    await setClock(t0 + 25 * HOUR_MS);

    const events = (await admin("GET", "/v1/events?order=asc&limit=100")).json().data as { id: string; type: string }[];
    assert.deepEqual([...new Set(events.map((event) => event.type))].sort(), [...EVENT_TYPES].sort());
    await eventually(() => receiver?.received.some((r) => r.verdict === "held") === true, "a request held");
    const heldBeforeKill = new Set(receiver.received.filter((r) => r.verdict === "held").map((r) => r.eventId));
    assert.equal(receiver.acceptedIds().size, 0, "nothing acknowledged before the kill");

    server.child.kill("SIGKILL");
    await server.exited;
    receiver.mode = "ok";
    const second = await serve({ db, testClock: true, extraArgs: args });
    server = second.proc;

    await eventually(
      () => events.every((event) => receiver?.acceptedIds().has(event.id) === true),
      "every event delivered after the restart",
      120_000,
    );
    const accepted = receiver.received.filter((r) => r.verdict === "accepted");
    for (const event of events) {
      const deliveries = accepted.filter((r) => r.eventId === event.id);
      assert.ok(deliveries.length >= 1, event.id);
      for (const delivery of deliveries) assert.equal(JSON.parse(delivery.body).type, event.type);
    }
    for (const eventId of heldBeforeKill) {
      const times = receiver.received.filter((r) => r.eventId === eventId).length;
      assert.ok(times >= 2, `${eventId}, held before the kill, came again after it`);
    }
    const list = (await request(second.url, "GET", "/v1/admin/webhook-endpoints", { token: ADMIN_TOKEN })).json();
    await eventually(async () => {
      const counts = (await request(second.url, "GET", "/v1/admin/webhook-endpoints", { token: ADMIN_TOKEN })).json()
        .data[0].deliveries;
      return counts.delivered === events.length && counts.pending === 0;
    }, "the endpoint's deliveries all delivered");
    assert.equal(list.data.length, 1);
  });
});
