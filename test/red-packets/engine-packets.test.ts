import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { afterEach, describe, it } from "node:test";
import { GROUPS_PER_OWNER_MAX } from "../../src/domain/group.js";
import { makeId } from "../../src/domain/ids.js";
import { type PacketKind, verifyRevealed } from "../../src/domain/red-packet.js";
import { DAY_MS } from "../../src/domain/time.js";
import { EngineRig, holdCommits } from "../engine/support.js";

const codeOf = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? "ok" : result.error?.code);

describe("red packets in the engine", () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  async function setup(members = 5) {
    rig = await new EngineRig().start();
    const users: string[] = [];
    for (let i = 0; i < members; i++) users.push(await rig.createUser());
    const sender = users[0] as string;
    assert.ok((await rig.engine.submit({ type: "deposit", userId: sender, amount: 1_000_000 })).ok);
    const group = await rig.engine.submit({
      type: "createGroup",
      id: makeId("group", randomBytes(10)),
      owner: sender,
      name: "家人群",
      memberIds: users.slice(1),
    });
    assert.ok(group.ok);
    return { rig, users, sender, groupId: group.value.id };
  }

  const packet = (sender: string, groupId: string, kind: PacketKind, amount: number, count: number, extra = {}) =>
    ({
      type: "sendPacket",
      request: { sender, kind, amount, count, groupId, recipient: null, greeting: "", password: null, ...extra },
    }) as const;

  it("bounds the groups one user owns, also across a restart", async () => {
    const { rig, users, sender } = await setup(2);
    const create = (owner: string) =>
      rig.engine.submit({
        type: "createGroup",
        id: makeId("group", randomBytes(10)),
        owner,
        name: "群",
        memberIds: [],
      });
    const made = await Promise.all(Array.from({ length: GROUPS_PER_OWNER_MAX - 1 }, () => create(sender)));
    assert.ok(
      made.every((result) => result.ok),
      "the setup's group and these make the limit",
    );
    const over = await create(sender);
    assert.equal(codeOf(over), "TOO_MANY_GROUPS");
    assert.deepEqual(over.ok ? undefined : over.error.details, { limit: GROUPS_PER_OWNER_MAX });
    await rig.restart();
    assert.equal(codeOf(await create(sender)), "TOO_MANY_GROUPS");
    assert.equal(codeOf(await create(users[1] as string)), "ok", "another user's groups are their own");
  });

  it("lets each member grab once, even when one member grabs many times at once", async () => {
    const { rig, users, sender, groupId } = await setup();
    const sent = await rig.engine.submit(packet(sender, groupId, "lucky", 1000, 3));
    assert.ok(sent.ok);
    const greedy = users[1] as string;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        rig.engine.submit({ type: "grabPacket", packetId: sent.value.id, userId: greedy, password: null }),
      ),
    );
    assert.equal(results.filter((result) => result.ok).length, 1);
    assert.ok(results.filter((result) => !result.ok).every((result) => codeOf(result) === "ALREADY_GRABBED"));
    const stored = await rig.store.packet(sent.value.id);
    assert.equal(stored?.grabs.length, 1);
  });

  it("answers SOLD_OUT after the last share and names the lucky king", async () => {
    const { rig, users, sender, groupId } = await setup();
    const sent = await rig.engine.submit(packet(sender, groupId, "lucky", 999, 3));
    assert.ok(sent.ok);
    const results = await Promise.all(
      users
        .slice(1)
        .map((userId) => rig.engine.submit({ type: "grabPacket", packetId: sent.value.id, userId, password: null })),
    );
    assert.deepEqual(results.map(codeOf).sort(), ["SOLD_OUT", "ok", "ok", "ok"]);
    const finished = await rig.store.packet(sent.value.id);
    assert.equal(finished?.status, "finished");
    assert.ok(finished && verifyRevealed(finished).ok);
    assert.equal(await rig.store.balance("escrow"), 0);
  });

  it("refunds the remainder at 24 h exactly once, and a grab in the same batch gets EXPIRED (no double refund)", async () => {
    const { rig, users, sender, groupId } = await setup();
    const sent = await rig.engine.submit(packet(sender, groupId, "equal", 900, 3));
    assert.ok(sent.ok);
    assert.ok(
      (
        await rig.engine.submit({
          type: "grabPacket",
          packetId: sent.value.id,
          userId: users[1] as string,
          password: null,
        })
      ).ok,
    );
    rig.clock.set(sent.value.expiresAt);
    // The late grab and the expiry race in one batch: the timer runs first, the grab loses.
    const [late] = await Promise.all([
      rig.engine.submit({ type: "grabPacket", packetId: sent.value.id, userId: users[2] as string, password: null }),
      rig.engine.runDueTimers(),
    ]);
    assert.equal(codeOf(late), "EXPIRED");
    await rig.engine.runDueTimers();
    await rig.restart();
    rig.clock.set(sent.value.expiresAt + DAY_MS);
    await rig.engine.runDueTimers();
    const postings = await rig.store.postingsOf(sent.value.id);
    assert.deepEqual(
      postings.map((posting) => posting.kind),
      ["packet.send", "packet.grab", "packet.refund"],
    );
    assert.equal(await rig.store.balance(sender), 1_000_000 - 300);
    assert.equal(await rig.store.balance("escrow"), 0);
    assert.equal((await rig.store.packet(sent.value.id))?.status, "expired");
  });

  it("settles a grab queued behind a commit and the expiry that overtakes it without a double refund", async () => {
    const { rig, users, sender, groupId } = await setup();
    const sent = await rig.engine.submit(packet(sender, groupId, "equal", 900, 3));
    assert.ok(sent.ok);
    rig.clock.set(sent.value.expiresAt - 1);
    const held = holdCommits(rig);
    // A deposit holds the engine in a slow commit while a grab queues behind it.
    const deposit = rig.engine.submit({ type: "deposit", userId: users[1] as string, amount: 1 });
    await held.entered;
    const grab = rig.engine.submit({
      type: "grabPacket",
      packetId: sent.value.id,
      userId: users[2] as string,
      password: null,
    });
    await new Promise((resolve) => setImmediate(resolve));
    rig.clock.set(sent.value.expiresAt);
    held.open();
    assert.ok((await deposit).ok);
    assert.equal(codeOf(await grab), "EXPIRED");
    await rig.engine.runDueTimers();
    const kinds = (await rig.store.postingsOf(sent.value.id)).map((posting) => posting.kind);
    assert.deepEqual(kinds, ["packet.send", "packet.refund"]);
    assert.equal(await rig.store.balance(sender), 1_000_000);
    assert.equal(rig.engine.queueDepth, 0);
    assert.equal(await rig.store.balanceSum(), 0);
  });

  it("keeps an exclusive packet for its member and a password packet for those who know it", async () => {
    const { rig, users, sender, groupId } = await setup();
    const exclusive = await rig.engine.submit(packet(sender, groupId, "exclusive", 520, 1, { recipient: users[2] }));
    assert.ok(exclusive.ok);
    const other = await rig.engine.submit({
      type: "grabPacket",
      packetId: exclusive.value.id,
      userId: users[1] as string,
      password: null,
    });
    assert.equal(codeOf(other), "NOT_FOR_YOU");
    assert.ok(
      (
        await rig.engine.submit({
          type: "grabPacket",
          packetId: exclusive.value.id,
          userId: users[2] as string,
          password: null,
        })
      ).ok,
    );
    const locked = await rig.engine.submit(packet(sender, groupId, "lucky", 300, 2, { password: "恭喜发财" }));
    assert.ok(locked.ok);
    const wrong = await rig.engine.submit({
      type: "grabPacket",
      packetId: locked.value.id,
      userId: users[1] as string,
      password: "恭喜",
    });
    assert.equal(codeOf(wrong), "WRONG_PASSWORD");
    const none = await rig.engine.submit({
      type: "grabPacket",
      packetId: locked.value.id,
      userId: users[1] as string,
      password: null,
    });
    assert.equal(codeOf(none), "WRONG_PASSWORD");
    assert.ok(
      (
        await rig.engine.submit({
          type: "grabPacket",
          packetId: locked.value.id,
          userId: users[1] as string,
          password: "恭喜发财",
        })
      ).ok,
    );
  });

  it("keeps a sender to 1 000 open packets, so memory per user stays bounded", async () => {
    const { rig, sender, groupId } = await setup();
    const results = await Promise.all(
      Array.from({ length: 1001 }, () => rig.engine.submit(packet(sender, groupId, "lucky", 2, 2))),
    );
    assert.deepEqual(results.filter((result) => !result.ok).map(codeOf), ["TOO_MANY_PENDING"]);
  });

  it("refuses non-members, unknown packets and bad splits, changing nothing", async () => {
    const { rig, sender, groupId } = await setup();
    const outsider = await rig.createUser();
    const sent = await rig.engine.submit(packet(sender, groupId, "lucky", 100, 2));
    assert.ok(sent.ok);
    const before = await rig.store.balance(sender);
    assert.equal(
      codeOf(
        await rig.engine.submit({ type: "grabPacket", packetId: sent.value.id, userId: outsider, password: null }),
      ),
      "NOT_A_MEMBER",
    );
    assert.equal(
      codeOf(
        await rig.engine.submit({
          type: "grabPacket",
          packetId: "rp_00000000000000000000",
          userId: outsider,
          password: null,
        }),
      ),
      "PACKET_NOT_FOUND",
    );
    assert.equal(codeOf(await rig.engine.submit(packet(sender, groupId, "lucky", 99, 100))), "AMOUNT_BELOW_MIN");
    assert.equal(codeOf(await rig.engine.submit(packet(sender, groupId, "lucky", 20_001, 1))), "AMOUNT_ABOVE_MAX");
    assert.equal(codeOf(await rig.engine.submit(packet(sender, groupId, "lucky", 500, 101))), "BAD_SPLIT");
    assert.equal(codeOf(await rig.engine.submit(packet(sender, groupId, "lucky", 500, 0))), "BAD_SPLIT");
    assert.equal(codeOf(await rig.engine.submit(packet(sender, groupId, "equal", 100, 3))), "BAD_SPLIT");
    assert.equal(codeOf(await rig.engine.submit(packet(outsider, groupId, "lucky", 100, 2))), "NOT_A_MEMBER");
    assert.equal(
      codeOf(await rig.engine.submit(packet(sender, groupId, "lucky", 2_000_000, 100))),
      "INSUFFICIENT_FUNDS",
    );
    assert.equal(
      codeOf(await rig.engine.submit(packet(sender, "grp_00000000000000000000", "lucky", 100, 2))),
      "GROUP_NOT_FOUND",
    );
    const single = {
      type: "sendPacket",
      request: {
        sender,
        kind: "single",
        amount: 20_001,
        count: 1,
        groupId: null,
        recipient: outsider,
        greeting: "",
        password: null,
      },
    } as const;
    assert.equal(codeOf(await rig.engine.submit(single)), "AMOUNT_ABOVE_MAX");
    assert.equal(
      codeOf(await rig.engine.submit({ ...single, request: { ...single.request, amount: 100, recipient: sender } })),
      "SELF_TRANSFER",
    );
    assert.equal(await rig.store.balance(sender), before);
    assert.equal(await rig.store.balanceSum(), 0);
  });
});
