import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { eventIdOf } from "../../src/domain/events.js";
import type { Transfer } from "../../src/domain/transfer.js";
import { emptyBatch } from "../../src/engine/ledger-state.js";
import type { Batch, LedgerStore, PostingRecord } from "../../src/engine/store-port.js";

/**
 * The contract every LedgerStore adapter must keep. An adapter's test file is one call:
 * `runStoreContract("sqlite", () => ...)`. `open` returns a fresh, empty store plus a way to
 * reopen the same data after close (to prove durability) and a way to remove it.
 */
export interface StoreFixture {
  readonly store: LedgerStore;
  reopen(): Promise<LedgerStore>;
  cleanup(): Promise<void>;
}

const ALICE = "usr_00000000000000000001";
const BOB = "usr_00000000000000000002";

const ENDPOINT = {
  id: "we_00000000000000000001",
  url: "https://hooks.example.com/in",
  eventTypes: [],
  secret: "whsec_a",
  previousSecret: null,
  previousSecretUntil: null,
  createdAt: 1,
  afterSeq: 0,
};

/** An outbox event of a transfer, at `at`, concerning `users`. */
function outboxEvent(seq: number, at: number, users: string[]) {
  return { seq, id: eventIdOf(seq), type: "transfer.received" as const, subject: transfer.id, at, users, data: {} };
}

/** Records the endpoint's delivery of event `seq` as settled. */
function settle(store: LedgerStore, seq: number, state: "delivered" | "failed") {
  return store.events.recordAttempt(ENDPOINT.id, seq, {
    state,
    attempts: 1,
    nextAttemptAt: 1_000,
    firstAttemptAt: 1_000,
    at: 1_000,
    status: state === "delivered" ? 200 : 500,
    error: null,
  });
}

/** Prunes slice after slice until one says it is done; the slices. */
async function pruneAll(store: LedgerStore, before: number, limit: number) {
  const slices = [];
  let afterSeq = 0;
  for (;;) {
    const slice = await store.events.prune(before, afterSeq, limit);
    slices.push(slice);
    afterSeq = slice.lastSeq;
    if (slice.done) return slices;
  }
}

/** Up to ten events: the operator's (no user) or one user's. */
function eventPage(store: LedgerStore, userId: string | undefined, order: "asc" | "desc") {
  return store.events.events({ userId, startingAfter: undefined, limit: 10, order, types: undefined });
}

function batch(parts: Partial<Batch>): Batch {
  return { ...emptyBatch(), ...parts };
}

function posting(
  id: number,
  entryId: number,
  kind: PostingRecord["kind"],
  ref: string,
  legs: [string, number, number][],
): PostingRecord {
  return {
    id,
    kind,
    ref,
    at: 1_000 * id,
    legs: legs.map(([account, amount, balanceAfter], i) => ({ account, amount, balanceAfter, entryId: entryId + i })),
  };
}

const transfer: Transfer = {
  id: "tr_00000000000000000001",
  from: ALICE,
  to: BOB,
  amount: 300,
  memo: "饭钱 🍜",
  nature: "loan",
  dueDate: "2027-01-01",
  status: "pending",
  createdAt: 2_000,
  refundAt: 2_000 + 86_400_000,
  answeredAt: null,
  natureHints: [{ nature: "loan", reason: "the memo says 借钱" }],
  warnings: [],
  loanAcknowledgedAt: null,
};

/** Users, a deposit of 1000 to Alice and a pending transfer of 300 to Bob. */
function seed(): Batch {
  return batch({
    users: [
      { id: ALICE, phone: "+8613800000001", name: "Alice", createdAt: 1 },
      { id: BOB, phone: "+8613800000002", name: "Bob", createdAt: 1 },
    ],
    postings: [
      posting(1, 1, "deposit", ALICE, [
        ["funding", -1000, -1000],
        [ALICE, 1000, 1000],
      ]),
      posting(2, 3, "transfer.send", transfer.id, [
        [ALICE, -300, 700],
        ["escrow", 300, 300],
      ]),
    ],
    transfers: [transfer],
    idempotency: [
      { scope: `user:${ALICE}`, key: "k1", requestHash: "h1", outcome: '{"result":{"ok":true}}', createdAt: 2_000 },
    ],
  });
}

export function runStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`store contract: ${name}`, () => {
    const fixtures: StoreFixture[] = [];
    const fresh = async () => {
      const fixture = await open();
      fixtures.push(fixture);
      return fixture;
    };
    after(async () => {
      for (const fixture of fixtures) await fixture.cleanup();
    });

    it("loads an empty ledger", async () => {
      const { store } = await fresh();
      const snapshot = await store.load();
      assert.equal(snapshot.balances.size, 0);
      assert.equal(snapshot.users.length, 0);
      assert.equal(snapshot.pendingTransfers.length, 0);
      assert.equal(snapshot.nextPostingId, 1);
      assert.equal(snapshot.nextEntryId, 1);
      assert.equal(await store.balanceSum(), 0);
    });

    it("reads back what a batch wrote", async () => {
      const { store } = await fresh();
      await store.commit(seed());
      assert.deepEqual(await store.user(ALICE), { id: ALICE, phone: "+8613800000001", name: "Alice", createdAt: 1 });
      assert.equal((await store.userByPhone("+8613800000002"))?.id, BOB);
      assert.equal(await store.user("usr_ffffffffffffffffffff"), undefined);
      assert.equal(await store.balance(ALICE), 700);
      assert.equal(await store.balance("usr_ffffffffffffffffffff"), 0);
      assert.deepEqual(await store.transfer(transfer.id), transfer);
      assert.equal(await store.balanceSum(), 0);
      const postings = await store.postingsOf(transfer.id);
      assert.equal(postings.length, 1);
      assert.deepEqual(
        postings[0]?.legs.map((leg) => leg.amount),
        [-300, 300],
      );
      const key = await store.idempotency(`user:${ALICE}`, "k1");
      assert.equal(key?.outcome, '{"result":{"ok":true}}');
      assert.equal(await store.idempotency(`user:${BOB}`, "k1"), undefined);
    });

    it("pages a statement newest first with running balances", async () => {
      const { store } = await fresh();
      await store.commit(seed());
      const all = await store.statement(ALICE, null, 10);
      assert.deepEqual(
        all.map((entry) => [entry.kind, entry.amount, entry.balanceAfter]),
        [
          ["transfer.send", -300, 700],
          ["deposit", 1000, 1000],
        ],
      );
      const first = await store.statement(ALICE, null, 1);
      const second = await store.statement(ALICE, first[0]?.entryId ?? 0, 1);
      assert.equal(first[0]?.kind, "transfer.send");
      assert.equal(second[0]?.kind, "deposit");
      assert.deepEqual(await store.statement(ALICE, second[0]?.entryId ?? 0, 1), []);
    });

    it("updates a transfer's status and keeps its facts", async () => {
      const { store } = await fresh();
      await store.commit(seed());
      const accepted = { ...transfer, status: "accepted" as const, answeredAt: 5_000 };
      await store.commit(
        batch({
          postings: [
            posting(3, 5, "transfer.accept", transfer.id, [
              ["escrow", -300, 0],
              [BOB, 300, 300],
            ]),
          ],
          transfers: [accepted],
        }),
      );
      assert.deepEqual(await store.transfer(transfer.id), accepted);
      const snapshot = await store.load();
      assert.equal(snapshot.pendingTransfers.length, 0);
      assert.equal(snapshot.nextPostingId, 4);
      assert.equal(snapshot.nextEntryId, 7);
    });

    it("writes a batch all or nothing", async () => {
      const { store } = await fresh();
      await store.commit(seed());
      const broken = batch({
        users: [{ id: "usr_00000000000000000003", phone: "+8613800000003", name: "Carol", createdAt: 3 }],
        // The same key again violates the primary key: the whole batch must roll back.
        idempotency: [{ scope: `user:${ALICE}`, key: "k1", requestHash: "h2", outcome: "{}", createdAt: 3 }],
      });
      await assert.rejects(store.commit(broken));
      assert.equal(await store.user("usr_00000000000000000003"), undefined);
      assert.equal((await store.load()).users.length, 2);
    });

    it("writes events with their batch, all or nothing, and counts on from the last", async () => {
      const fixture = await fresh();
      const { store } = fixture;
      const received = {
        seq: 1,
        id: eventIdOf(1),
        type: "transfer.received" as const,
        subject: transfer.id,
        at: 2_000,
        users: [ALICE, BOB],
        data: { id: transfer.id, amount: 300 },
      };
      await store.commit({ ...seed(), events: [received] });
      const broken = batch({
        events: [{ ...received, seq: 2, id: eventIdOf(2), type: "transfer.accepted" }],
        idempotency: [{ scope: `user:${ALICE}`, key: "k1", requestHash: "h2", outcome: "{}", createdAt: 3 }],
      });
      await assert.rejects(store.commit(broken));
      const all = await eventPage(store, undefined, "asc");
      assert.deepEqual(
        all.map((event) => [event.id, event.type, event.data.amount]),
        [[eventIdOf(1), "transfer.received", 300]],
      );
      const bobs = await eventPage(store, BOB, "desc");
      assert.equal(bobs.length, 1);
      assert.equal((await store.load()).nextEventSeq, 2);
    });

    it("keeps deliveries and their attempts across close and reopen", async () => {
      const fixture = await fresh();
      const event = {
        seq: 1,
        id: eventIdOf(1),
        type: "transfer.received" as const,
        subject: transfer.id,
        at: 2_000,
        users: [ALICE, BOB],
        data: {},
      };
      const endpoint = ENDPOINT;
      await fixture.store.events.createEndpoint(endpoint);
      await fixture.store.commit({ ...seed(), events: [event] });
      assert.equal(await fixture.store.events.fanOut(10, 5_000), 1);
      assert.equal(await fixture.store.events.fanOut(10, 5_000), 0, "the cursor moved");
      const [due] = await fixture.store.events.dueDeliveries(5_000, 10, new Set());
      assert.equal(due?.event.id, eventIdOf(1));
      await fixture.store.events.recordAttempt(endpoint.id, 1, {
        state: "pending",
        attempts: 1,
        nextAttemptAt: 9_000,
        firstAttemptAt: 5_000,
        at: 5_000,
        status: 503,
        error: "answered 503",
      });
      await fixture.store.close();
      const reopened = await fixture.reopen();
      assert.deepEqual(await reopened.events.dueDeliveries(8_999, 10, new Set()), []);
      const [again] = await reopened.events.dueDeliveries(9_000, 10, new Set());
      assert.equal(again?.delivery.attempts, 1);
      assert.equal(again?.delivery.lastStatus, 503);
      assert.deepEqual(await reopened.events.deliveryCounts(endpoint.id), { pending: 1, delivered: 0, failed: 0 });
      await reopened.close();
    });

    it("prunes events past their retention with who they concern and their settled deliveries, and keeps what is still needed", async () => {
      const fixture = await fresh();
      const { store } = fixture;
      const campaign = {
        id: "cmp_00000000000000000001",
        name: "open",
        budget: 1_000,
        amount: { fixed: 10 },
        startsAt: 500,
        endsAt: 100_000,
        perUserLimit: 1,
        createdAt: 400,
        status: "open",
        returned: 0,
        pausedAt: null,
        closedAt: null,
      } as const;
      await store.events.createEndpoint({ ...ENDPOINT, afterSeq: 0 });
      await store.commit({
        ...seed(),
        campaigns: [campaign],
        events: [
          outboxEvent(1, 1_000, [ALICE]), // delivered: pruned
          outboxEvent(2, 1_000, [BOB]), // its delivery still pending
          { ...outboxEvent(3, 1_000, []), type: "campaign.started", subject: campaign.id }, // the campaign is open
          outboxEvent(4, 1_000, [ALICE, BOB]), // given up: pruned
          outboxEvent(5, 1_000, [BOB]), // delivered: pruned
        ],
      });
      assert.equal(await store.events.fanOut(10, 1_000), 5);
      await settle(store, 1, "delivered");
      await settle(store, 3, "delivered");
      await settle(store, 4, "failed");
      await settle(store, 5, "delivered");
      // Old, but not fanned out yet; the newest is kept anyway.
      await store.commit(batch({ events: [outboxEvent(6, 1_000, [ALICE]), outboxEvent(7, 1_000, [ALICE])] }));

      const slices = await pruneAll(store, 5_000, 2);
      assert.deepEqual(
        slices.map((slice) => [slice.events, slice.deliveries, slice.lastSeq, slice.done]),
        [
          [1, 1, 2, false],
          [1, 1, 4, false],
          [1, 1, 5, true],
        ],
      );
      assert.deepEqual(
        (await eventPage(store, undefined, "asc")).map((e) => e.seq),
        [2, 3, 6, 7],
      );
      assert.deepEqual(
        (await eventPage(store, ALICE, "asc")).map((e) => e.seq),
        [6, 7],
        "who a pruned event concerned went with it",
      );
      assert.deepEqual(await store.events.deliveryCounts(ENDPOINT.id), { pending: 1, delivered: 1, failed: 0 });
      assert.equal((await store.load()).nextEventSeq, 8);
    });

    it("reads no further than the first event not old enough, and cuts a slice at the rows of who events concern", async () => {
      const fixture = await fresh();
      const { store } = fixture;
      await store.events.createEndpoint({ ...ENDPOINT, afterSeq: 0 });
      const members = (from: number) =>
        Array.from({ length: 1_500 }, (_, i) => `usr_${(from + i).toString(16).padStart(20, "0")}`);
      await store.commit({
        ...seed(),
        events: [
          outboxEvent(1, 1_000, members(1_000)),
          outboxEvent(2, 1_000, members(3_000)),
          outboxEvent(3, 9_000, [ALICE]), // not old enough: 4 is not read
          outboxEvent(4, 1_000, [ALICE]),
          outboxEvent(5, 1_000, [ALICE]),
        ],
      });
      assert.equal(await store.events.fanOut(10, 1_000), 5);
      for (const seq of [1, 2, 3, 4, 5]) await settle(store, seq, "delivered");
      const slices = await pruneAll(store, 5_000, 10);
      assert.deepEqual(
        slices.map((slice) => [slice.events, slice.lastSeq, slice.done]),
        [
          [1, 1, false],
          [1, 2, true],
        ],
        "3 000 rows of who two group events concern take two slices",
      );
      assert.deepEqual(
        (await eventPage(store, undefined, "asc")).map((e) => e.seq),
        [3, 4, 5],
      );
    });

    it("keeps the newest event whatever its age: the next sequence number counts on from it", async () => {
      const fixture = await fresh();
      const { store } = fixture;
      await store.events.createEndpoint({ ...ENDPOINT, afterSeq: 0 });
      await store.commit({ ...seed(), events: [outboxEvent(1, 1_000, [ALICE])] });
      assert.equal(await store.events.fanOut(10, 1_000), 1);
      await settle(store, 1, "delivered");
      assert.deepEqual(await store.events.prune(5_000, 0, 10), { events: 0, deliveries: 0, lastSeq: 0, done: true });
      await store.close();
      const reopened = await fixture.reopen();
      assert.equal((await reopened.load()).nextEventSeq, 2);
      await reopened.close();
    });

    it("keeps everything across close and reopen", async () => {
      const fixture = await fresh();
      await fixture.store.commit(seed());
      await fixture.store.close();
      const reopened = await fixture.reopen();
      const snapshot = await reopened.load();
      assert.equal(snapshot.balances.get(ALICE), 700);
      assert.equal(snapshot.balances.get("funding"), -1000);
      assert.deepEqual(snapshot.pendingTransfers, [transfer]);
      assert.deepEqual(snapshot.users.map((user) => user.phone).sort(), ["+8613800000001", "+8613800000002"]);
      await reopened.close();
    });

    it("refuses to load a ledger whose postings do not balance", async () => {
      const fixture = await fresh();
      await fixture.store.commit(
        batch({
          postings: [
            posting(1, 1, "deposit", ALICE, [
              ["funding", -10, -10],
              [ALICE, 11, 11],
            ]),
          ],
        }),
      );
      await fixture.store.close();
      const reopened = await fixture.reopen();
      await assert.rejects(reopened.load(), /does not balance/);
      await reopened.close();
    });

    it("refuses to load a balance that its entries do not add up to", async () => {
      const fixture = await fresh();
      await fixture.store.commit(seed());
      await fixture.store.commit(
        batch({
          postings: [
            // Balanced, but Alice's entry claims 701 where 700 - 1 = 699.
            posting(3, 5, "transfer.send", "trf_x", [
              [ALICE, -1, 701],
              ["escrow", 1, 301],
            ]),
          ],
        }),
      );
      await fixture.store.close();
      const reopened = await fixture.reopen();
      await assert.rejects(reopened.load(), /is not the sum of its entries/);
      await reopened.close();
    });

    it("keeps operators' special days in the order they were added", async () => {
      const fixture = await fresh();
      const first = { name: "店庆", kind: "date", date: "2027-03-15", caps: { singlePacketMax: 30_000 } };
      const second = { name: "双十一", kind: "gregorian", month: 11, day: 11, caps: { singlePacketMax: 111_100 } };
      await fixture.store.commit(batch({ specialDays: [first] }));
      await fixture.store.commit(batch({ specialDays: [second] }));
      await fixture.store.close();
      const reopened = await fixture.reopen();
      assert.deepEqual((await reopened.load()).specialDays, [first, second]);
      await reopened.close();
    });

    it("forgets idempotency keys older than asked", async () => {
      const { store } = await fresh();
      await store.commit(seed());
      await store.commit(batch({ idempotencyForgetBefore: 1_999 }));
      assert.notEqual(await store.idempotency(`user:${ALICE}`, "k1"), undefined);
      await store.commit(batch({ idempotencyForgetBefore: 2_001 }));
      assert.equal(await store.idempotency(`user:${ALICE}`, "k1"), undefined);
    });

    it("never stores a negative user balance", async () => {
      const { store } = await fresh();
      await store.commit(seed());
      await assert.rejects(
        store.commit(
          batch({
            postings: [
              posting(3, 5, "transfer.send", "trf_x", [
                [BOB, -1, -1],
                ["funding", 1, -999],
              ]),
            ],
          }),
        ),
      );
      assert.equal(await store.balance(BOB), 0);
    });
  });
}
