import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifySignature } from "../../src/webhooks/signature.js";
import { startTestApp, TEST_STORE, type TestApp, type TestUser } from "../support/harness.js";
import { eventually, WebhookReceiver } from "../support/webhook-receiver.js";

/**
 * Webhooks end to end on the real store: the service delivers its outbox to a receiver that
 * verifies signatures and refuses replays; the receiver fails on purpose and recovers, and
 * every event arrives, retried with growing waits, nothing lost.
 */

const RETRY_BASE_MS = 200;

describe(`webhook delivery (${TEST_STORE})`, () => {
  let app: TestApp;
  let receiver: WebhookReceiver;
  let alice: TestUser;
  let bob: TestUser;
  let endpointId: string;

  const transfer = async (amount: number) => {
    const response = await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json().id as string;
  };
  const eventIdsSince = async (startingAfter: string | undefined): Promise<string[]> => {
    const query = startingAfter === undefined ? "" : `&startingAfter=${startingAfter}`;
    const page = await app.call("GET", `/v1/events?order=asc&limit=100${query}`, { token: "admin" });
    return (page.json().data as { id: string }[]).map((event) => event.id);
  };
  const deliveries = async (state = "") =>
    (
      await app.call("GET", `/v1/admin/webhook-endpoints/${endpointId}/deliveries?limit=100${state}`, {
        token: "admin",
      })
    ).json().data as { eventId: string; state: string; attempts: number; lastStatus: number | null }[];

  before(async () => {
    receiver = await WebhookReceiver.start();
    app = await startTestApp({
      webhooks: {
        allowPrivate: true,
        dispatcher: { pollMs: 50, retryBaseMs: RETRY_BASE_MS, retryDelayMsMax: 1_600, timeoutMs: 5_000 },
      },
    });
    [alice, bob] = [await app.createUser("alice"), await app.createUser("bob")];
    await app.deposit(alice.userId, 1_000_000);
    await transfer(1); // before the endpoint: it is not sent there
    const created = await app.call("POST", "/v1/admin/webhook-endpoints", {
      token: "admin",
      body: { url: receiver.url, eventTypes: ["transfer.received", "transfer.accepted"] },
    });
    assert.equal(created.statusCode, 201, created.body);
    endpointId = created.json().id;
    receiver.secrets = [created.json().secret];
    assert.match(created.json().secret, /^whsec_/);
  });

  after(async () => {
    await app?.dispose();
    await receiver?.close();
  });

  it("delivers each event signed, with its id, and only the types asked for, from registration on", async () => {
    const [before_] = (await eventIdsSince(undefined)).slice(-1);
    const id = await transfer(2);
    const accepted = await app.call("POST", `/v1/transfers/${id}/accept`, { token: bob.token });
    assert.equal(accepted.statusCode, 200, accepted.body);
    const wanted = await eventIdsSince(before_);
    assert.equal(wanted.length, 2);
    await eventually(() => wanted.every((eventId) => receiver.acceptedIds().has(eventId)), "both delivered");
    const types = receiver.received.filter((r) => r.verdict === "accepted").map((r) => r.type);
    assert.deepEqual(types.sort(), ["transfer.accepted", "transfer.received"]);
    assert.equal(receiver.acceptedIds().has(before_ as string), false, "an event before the endpoint is not sent");
    const body = JSON.parse(receiver.received[0]?.body as string);
    assert.equal(body.object, "event");
    assert.equal(body.data.object.id, id);
  });

  it("is refused by the receiver when replayed, tampered with or signed with another secret", async () => {
    const original = receiver.received.find((r) => r.verdict === "accepted");
    assert.ok(original);
    assert.equal(await receiver.replay(original), 409);
    assert.equal(
      await receiver.replay({ ...original, body: original.body.replace('"amount":2', '"amount":200') }),
      400,
    );
    const now = Math.floor(Date.now() / 1000);
    assert.equal(verifySignature(original.signature, original.body, "whsec_other", now).ok, false);
    const stale = verifySignature(original.signature, original.body, receiver.secrets[0] as string, now + 3600);
    assert.deepEqual(stale, { ok: false, reason: "stale" });
  });

  it("retries a failing receiver with growing waits and delivers everything once it recovers", async () => {
    const [last] = (await eventIdsSince(undefined)).slice(-1);
    receiver.mode = "fail";
    for (let i = 0; i < 5; i++) await transfer(10 + i);
    const wanted = await eventIdsSince(last);
    assert.equal(wanted.length, 5);
    const failures = (eventId: string) =>
      receiver.received.filter((r) => r.eventId === eventId && r.verdict === "failed-on-purpose");
    await eventually(() => wanted.every((eventId) => failures(eventId).length >= 4), "four failed attempts each");
    // Backoff: the n-th retry waits at least half of base·2^(n-1) after the attempt before it.
    for (const eventId of wanted) {
      const times = failures(eventId).map((r) => r.at);
      for (let n = 1; n < 4; n++) {
        const gap = (times[n] as number) - (times[n - 1] as number);
        assert.ok(gap >= (RETRY_BASE_MS * 2 ** (n - 1)) / 2 - 20, `retry ${n} of ${eventId} waited ${gap} ms`);
      }
    }
    // The receiver has answered the fourth attempt a moment before the service records it.
    await eventually(async () => {
      const pending = await deliveries("&state=pending");
      return pending.length >= 5 && pending.every((d) => d.lastStatus === 500 && d.attempts >= 4);
    }, "each pending delivery records its failed attempts");
    receiver.mode = "ok";
    await eventually(() => wanted.every((eventId) => receiver.acceptedIds().has(eventId)), "all delivered");
    await eventually(async () => (await deliveries("&state=pending")).length === 0, "nothing pending");
    const endpoint = await app.call("GET", `/v1/admin/webhook-endpoints/${endpointId}`, { token: "admin" });
    assert.equal(endpoint.json().deliveries.failed, 0);
    assert.equal(endpoint.json().deliveries.delivered, 7);
  });

  it("signs with both secrets while a rotated one overlaps, then with the new one alone", async () => {
    const old = receiver.secrets[0] as string;
    const rotated = await app.call("POST", `/v1/admin/webhook-endpoints/${endpointId}/rotate-secret`, {
      token: "admin",
      body: { overlapSeconds: 3600 },
    });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const fresh = rotated.json().secret as string;
    assert.notEqual(fresh, old);
    assert.equal(typeof rotated.json().previousSecretExpiresAt, "string");
    receiver.secrets = [old]; // a receiver not yet told of the new secret keeps verifying
    const before_ = receiver.acceptedIds().size;
    await transfer(21);
    await eventually(() => receiver.acceptedIds().size === before_ + 1, "delivered under the old secret");
    const overlap = receiver.received[receiver.received.length - 1];
    assert.equal(overlap?.signature.split(",").filter((part) => part.startsWith("v1=")).length, 2);
    const now = Math.floor(Date.now() / 1000);
    assert.equal(verifySignature(overlap?.signature, overlap?.body as string, fresh, now).ok, true);

    const again = await app.call("POST", `/v1/admin/webhook-endpoints/${endpointId}/rotate-secret`, {
      token: "admin",
      body: { overlapSeconds: 0 },
    });
    receiver.secrets = [again.json().secret];
    await transfer(22);
    await eventually(() => receiver.acceptedIds().size === before_ + 2, "delivered under the newest secret");
    const alone = receiver.received[receiver.received.length - 1];
    assert.equal(alone?.signature.split(",").filter((part) => part.startsWith("v1=")).length, 1);
    assert.equal(verifySignature(alone?.signature, alone?.body as string, fresh, now).ok, false);
  });

  it("keeps the ledger answering while an endpoint holds every request", async () => {
    receiver.mode = "hold";
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await transfer(100 + i));
    assert.equal(sent.length, 20);
    await eventually(() => receiver.received.some((r) => r.verdict === "held"), "a request is held");
    // Four at a time to one endpoint, however many wait.
    assert.ok(receiver.received.filter((r) => r.verdict === "held").length <= 4);
    receiver.mode = "ok";
  });

  it("lists, reads and removes endpoints; refuses what is not an http(s) target", async () => {
    const list = await app.call("GET", "/v1/admin/webhook-endpoints", { token: "admin" });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json().data.length, 1);
    assert.equal(list.json().data[0].secret, undefined, "the secret is shown only when made");
    for (const url of ["ftp://127.0.0.1/x", "not a url", "http://user:pw@127.0.0.1/x", "file:///etc/passwd"]) {
      const refused = await app.call("POST", "/v1/admin/webhook-endpoints", { token: "admin", body: { url } });
      assert.equal(refused.statusCode, 422, url);
      assert.equal(refused.json().error.code, "WEBHOOK_TARGET_REFUSED", url);
    }
    const bad = await app.call("POST", "/v1/admin/webhook-endpoints", {
      token: "admin",
      body: { url: receiver.url, eventTypes: ["packet.lost"] },
    });
    assert.equal(bad.statusCode, 400);
    const unknown = "we_00000000000000000000";
    for (const [method, url] of [
      ["GET", `/v1/admin/webhook-endpoints/${unknown}`],
      ["GET", `/v1/admin/webhook-endpoints/${unknown}/deliveries`],
      ["POST", `/v1/admin/webhook-endpoints/${unknown}/rotate-secret`],
      ["DELETE", `/v1/admin/webhook-endpoints/${unknown}`],
    ] as const) {
      const response = await app.call(method, url, { token: "admin" });
      assert.equal(response.statusCode, 404, `${method} ${url}`);
      assert.equal(response.json().error.code, "WEBHOOK_ENDPOINT_NOT_FOUND");
    }
    const removed = await app.call("DELETE", `/v1/admin/webhook-endpoints/${endpointId}`, { token: "admin" });
    assert.equal(removed.statusCode, 200);
    const gone = await app.call("GET", `/v1/admin/webhook-endpoints/${endpointId}`, { token: "admin" });
    assert.equal(gone.statusCode, 404);
    const [last] = (await eventIdsSince(undefined)).slice(-1);
    await transfer(30);
    const [latest] = await eventIdsSince(last);
    // The dispatcher looks at the outbox every 50 ms: give it many looks, then check it sent nothing.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(!receiver.received.some((r) => r.eventId === latest), "nothing more goes to a removed endpoint");
  });
});

describe(`webhook retry window (${TEST_STORE})`, () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({
      webhooks: { allowPrivate: true, dispatcher: { pollMs: 50, retryBaseMs: 100, retryWindowMs: 400 } },
    });
  });

  after(async () => {
    await app?.dispose();
  });

  it("gives a delivery up after the retry window and says why", async () => {
    // A port nobody listens on: every attempt is refused.
    const dead = await WebhookReceiver.start();
    const url = dead.url;
    await dead.close();
    const created = await app.call("POST", "/v1/admin/webhook-endpoints", { token: "admin", body: { url } });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    await app.createUser("someone");
    const [alice, bob] = [await app.createUser("alice"), await app.createUser("bob")];
    await app.deposit(alice.userId, 1_000);
    const sent = await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 1 } });
    assert.equal(sent.statusCode, 201);
    await eventually(async () => {
      const endpoint = await app.call("GET", `/v1/admin/webhook-endpoints/${id}`, { token: "admin" });
      return endpoint.json().deliveries.failed === 1;
    }, "given up");
    const failed = (
      await app.call("GET", `/v1/admin/webhook-endpoints/${id}/deliveries?state=failed`, { token: "admin" })
    ).json().data as { attempts: number; lastError: string; lastStatus: null }[];
    assert.equal(failed.length, 1);
    assert.ok((failed[0]?.attempts as number) >= 2);
    assert.equal(failed[0]?.lastError, "ECONNREFUSED");
  });
});

describe(`the outbox pruned past its retention (${TEST_STORE})`, () => {
  let app: TestApp;
  let receiver: WebhookReceiver;

  before(async () => {
    receiver = await WebhookReceiver.start();
    app = await startTestApp({
      webhooks: { allowPrivate: true, dispatcher: { pollMs: 50, retentionMs: 400, pruneEveryMs: 100 } },
    });
  });

  after(async () => {
    await app?.dispose();
    await receiver?.close();
  });

  const events = async () =>
    (
      (await app.call("GET", "/v1/events?order=asc&limit=100", { token: "admin" })).json().data as {
        id: string;
        type: string;
      }[]
    ).map((event) => event.id);

  it("deletes delivered events and their deliveries once past it, and counts on from the newest", async () => {
    const created = await app.call("POST", "/v1/admin/webhook-endpoints", {
      token: "admin",
      body: { url: receiver.url },
    });
    assert.equal(created.statusCode, 201, created.body);
    receiver.secrets = [created.json().secret];
    const id = created.json().id as string;
    const [alice, bob] = [await app.createUser("alice"), await app.createUser("bob")];
    await app.deposit(alice.userId, 1_000);
    for (const amount of [1, 2, 3]) {
      const sent = await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount } });
      assert.equal(sent.statusCode, 201, sent.body);
    }
    const before = await events();
    assert.ok(before.length >= 3, `events: ${before.join(", ")}`);
    await eventually(async () => (await events()).length === 1, "everything but the newest event pruned");
    assert.deepEqual(await events(), before.slice(-1));
    const endpoint = await app.call("GET", `/v1/admin/webhook-endpoints/${id}`, { token: "admin" });
    assert.deepEqual(
      endpoint.json().deliveries,
      { pending: 0, delivered: 1, failed: 0 },
      "the pruned events' deliveries went too",
    );
    assert.ok(receiver.received.length >= before.length, "every event was delivered before it was pruned");
    // The ledger is untouched, and the next event counts on from the newest kept.
    assert.equal(await app.balanceSum(), 0);
    const sent = await app.call("POST", "/v1/transfers", { token: alice.token, body: { to: bob.userId, amount: 4 } });
    assert.equal(sent.statusCode, 201);
    const [after] = (await events()).slice(-1);
    assert.ok((after as string) > (before.at(-1) as string), `${after} follows ${before.at(-1)}`);
  });
});
