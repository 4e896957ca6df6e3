import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { callsCapacity, type RoomVerdict, WaitingRoom } from "../../src/api/waiting-room.js";

/** A room on clocks the test moves: wall ms since the epoch and monotonic ms move together. */
function rig(rateStart: number, sharesLeft?: number, capacity = Number.NaN) {
  let wall = 1_000_000;
  let monotonic = 0;
  const room = new WaitingRoom({
    ticketKey: randomBytes(32),
    seedKey: randomBytes(32),
    now: () => wall,
    monotonic: () => monotonic,
    pressure: () => false,
    rateStart,
    sharesLeftOf: () => sharesLeft,
    capacity: () => capacity,
  });
  return {
    room,
    wall: () => wall,
    advance(ms: number) {
      wall += ms;
      monotonic += ms;
    },
  };
}

function waiting(verdict: RoomVerdict) {
  assert.equal(verdict.kind, "wait");
  return (verdict as Extract<RoomVerdict, { kind: "wait" }>).place;
}

/**
 * `joined` join a pre-queue 2 s before its start, `afterMs` pass, and 200 more join: the middle
 * of what those 200 are told beyond Retry-After, ms (each is told its own drawn instant).
 */
function toldAfterFirstJoiners(joined: number, afterMs: number): number {
  const { room, wall, advance } = rig(10_000, 1_000_000);
  const startsAt = wall() + 2_000;
  for (let i = 0; i < joined; i++) waiting(room.preQueue("cmp_7", startsAt, `usr_${i}`, 0));
  advance(afterMs);
  const queued: number[] = [];
  for (let i = 0; i < 200; i++) {
    const told = waiting(room.preQueue("cmp_7", startsAt, `usr_next${i}`, 0));
    queued.push(told.estimatedWaitSeconds * 1000 - told.retryAfterMs);
  }
  return queued.sort((a, b) => a - b)[100] as number;
}

describe("the waiting room's estimates", () => {
  /** 8 000 join a pre-queue over its last second (the room reads 8 000 a second, all new); a newcomer asks at the start. */
  function newcomerAtTheStart(shares: number) {
    const { room, wall, advance } = rig(10_000, shares);
    const startsAt = wall() + 1_000;
    for (let i = 0; i < 8_000; i++) {
      if (i % 2_000 === 0) advance(250);
      waiting(room.preQueue("cmp_1", startsAt, `usr_${i}`, 0));
    }
    advance(startsAt - wall() + 50);
    // The start: the pre-queue comes back within about a second, beside newcomers arriving at
    // 8 000 a second, to a server measured to read 8 000 a second: their returns meet a queue.
    const told = waiting(room.arrive("cmp_1", startsAt, "usr_new", 0, undefined, shares, () => true));
    return { told, queuedMs: told.estimatedWaitSeconds * 1000 - told.retryAfterMs };
  }

  it("tells a newcomer placed at the start the wait the pre-queue's returns build before its own", () => {
    const { queuedMs } = newcomerAtTheStart(20_000);
    assert.ok(queuedMs > 500, `${queuedMs} ms: the queue its return meets is part of the wait`);
  });

  it("counts the queue after the sell-out as answered from memory, faster than claims", () => {
    const within = newcomerAtTheStart(20_000).queuedMs;
    const { told, queuedMs } = newcomerAtTheStart(1_000);
    assert.ok(told.position !== null && told.position > 1_000, "placed past what the budget pays");
    assert.ok(queuedMs >= 0 && queuedMs < within / 4, `${queuedMs} ms against ${within} ms at the claims' rate`);
  });

  it("spreads the pre-queue's returns over the time the line takes to pass it, a second at least", () => {
    const { room, wall } = rig(1_000);
    const startsAt = wall() + 60_000;
    const retries: number[] = [];
    for (let i = 0; i < 5_000; i++)
      retries.push(waiting(room.preQueue("cmp_2", startsAt, `usr_${i}`, 0)).retryAfterMs - 60_000);
    assert.ok(Math.min(...retries) >= 0);
    const late = retries.slice(-1_000);
    // 5 000 places at 1 000 a second: the last joiners come back over about 5 s, not 1 s.
    assert.ok(Math.max(...late) > 4_000 && Math.max(...late) <= 5_000, `${Math.max(...late)}`);
    const early = retries.slice(0, 100);
    assert.ok(Math.max(...early) <= 1_000, "while the pre-queue is small, within the first second");
  });

  it("tells the pre-queue past what the budget pays to come back about when it should be spent", () => {
    const { room, wall } = rig(1_000, 1_000);
    const startsAt = wall() + 60_000;
    const retries: number[] = [];
    for (let i = 0; i < 5_000; i++)
      retries.push(waiting(room.preQueue("cmp_3", startsAt, `usr_${i}`, 0)).retryAfterMs - 60_000);
    // 1 000 shares at 1 000 a second: spent after about 1 s; everyone comes back by 1.5 s.
    assert.ok(Math.max(...retries) <= 1_500, `${Math.max(...retries)}`);
    assert.ok(retries.filter((offset) => offset >= 1_400).length > 2_000, "most of the pre-queue is past the budget");
  });

  it("tells the pre-queue to come back at the rate the server was measured to take, not the rate it started with", () => {
    const { room, wall, advance } = rig(1_000, undefined, 10_000);
    const startsAt = wall() + 60_000;
    const retries: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      // 5 000 joiners over a second: the room looks at the rate every 250 ms.
      if (i % 1_250 === 0) advance(250);
      retries.push(waiting(room.preQueue("cmp_4", startsAt, `usr_${i}`, 0)).retryAfterMs - (startsAt - wall()));
    }
    assert.equal(room.rate, 10_000);
    // 5 000 places at 10 000 a second take half a second: spread over the one-second minimum.
    assert.ok(Math.max(...retries) <= 1_000, `${Math.max(...retries)}`);
  });

  it("tells the first to join a pre-queue the queue that those still to join will build at the start", () => {
    // 2 000 join in the first quarter second, 8 000 a second, 1.75 s before the start. By the
    // start about 16 000 will have joined and come back within about two seconds of it, beside
    // newcomers at 8 000 a second, to a server reading 8 000: the returns wait their turn.
    const middle = toldAfterFirstJoiners(2_000, 250);
    assert.ok(middle > 400, `${middle} ms (counting only the returns told: 100-130 ms)`);
  });

  it("measures the first joiners of a pre-queue within its first tenth of a second", () => {
    // 400 in 60 ms: about 13 000 more will join before the start and come back within its first
    // 1.3 s, beside newcomers, to a server reading 6 700 a second.
    const middle = toldAfterFirstJoiners(400, 60);
    assert.ok(middle > 400, `${middle} ms (with a quarter-second window: only the claim's 250 ms)`);
  });

  it("counts a winner's claim at the gate and its commit, not a place past the budget answered from memory", () => {
    const told = (shares: number) => {
      const { room, wall } = rig(1_000, shares);
      const place = waiting(room.preQueue("cmp_8", wall() + 5_000, "usr_1", 0));
      return place.estimatedWaitSeconds * 1000 - place.retryAfterMs;
    };
    // Nothing measured yet (no queue foreseen, no claim decided): a winner's claim is seeded.
    assert.equal(told(1_000), 250);
    assert.equal(told(0), 0);
  });

  it("tells a place past the budget after the start the middle of the lateness read and the queue foreseen", () => {
    const told = (sharesLeft: number) => {
      const { room, wall, advance } = rig(1_000);
      const startsAt = wall() - 1_000;
      const first = waiting(room.arrive("cmp_9", startsAt, "usr_1", 0, undefined, 1_000, () => false));
      // Its holder is read 400 ms after the instant it was told; nothing is foreseen queued.
      advance(first.retryAfterMs + 400);
      room.arrive("cmp_9", startsAt, "usr_1", 0, first.ticket, 1_000, () => false);
      waiting(room.arrive("cmp_9", startsAt, "usr_2", 0, undefined, sharesLeft, () => false));
      const place = waiting(room.arrive("cmp_9", startsAt, "usr_3", 0, undefined, sharesLeft, () => false));
      return place.estimatedWaitSeconds * 1000 - place.retryAfterMs;
    };
    // Within the budget: the lateness read (400 ms) and the claim's own time (250 ms). Past it:
    // the middle of that lateness and the queue the model foresees at its return (650 ms).
    assert.equal(told(1_000), 650);
    assert.equal(told(0), 525);
  });

  it("admits a line at no more than twice what was decided or measured, however long nobody falls behind", () => {
    const { room, wall, advance } = rig(100, undefined, 2_000);
    const startsAt = wall() - 1_000;
    for (let i = 0; i < 400; i++) {
      room.arrive("cmp_5", startsAt, `usr_${i}`, 0, undefined, 1_000_000, () => false);
      advance(50);
    }
    assert.ok(room.rate <= 4_000 && room.rate >= 2_000, `${room.rate}`);
  });

  it("keeps the rate it measured through a window in which few holders came back", () => {
    const { room, wall, advance } = rig(100);
    const startsAt = wall() - 1_000;
    // 4 000 claims a second decided at once for a second.
    for (let i = 0; i < 4_000; i++) {
      assert.equal(room.arrive("cmp_6", startsAt, `usr_${i}`, 0, undefined, 1_000_000, () => true).kind, "decide");
      room.noteDecided();
      if (i % 4 === 3) advance(1);
    }
    // Then a line forms (admission says no), and for a window nobody is decided.
    for (let i = 0; i < 1_000; i++) room.arrive("cmp_6", startsAt, `usr_w${i}`, 0, undefined, 1_000_000, () => false);
    advance(300);
    room.arrive("cmp_6", startsAt, "usr_last", 0, undefined, 1_000_000, () => false);
    assert.ok(room.rate >= 3_000, `${room.rate}: a quiet window took the rate back to where it started`);
  });
});

describe("a writer's capacity for its edges' calls (callsCapacity)", () => {
  it("is the calls of a window over the share of it the loop was busy, kept between windows", () => {
    let calls = 0;
    let busy = 0;
    let now = 0;
    const capacity = callsCapacity(
      () => calls,
      () => busy,
      () => now,
    );
    assert.ok(Number.isNaN(capacity()), "nothing measured yet");
    calls += 1_000;
    busy = 0.5;
    now += 250;
    assert.ok(Number.isNaN(capacity()), "a window is not over before 500 ms");
    now += 250;
    assert.equal(capacity(), 4_000, "1 000 calls in 0.5 s with the loop half busy: 4 000 a second full");
    calls += 100;
    busy = 0.05;
    now += 1_000;
    assert.ok(Number.isNaN(capacity()), "a loop nearly idle keeps up: no figure");
    busy = 0.5;
    now += 1_000;
    assert.ok(Number.isNaN(capacity()), "a busy loop that answered no call: no figure");
    calls += 3_000;
    busy = 1;
    now += 1_000;
    assert.equal(capacity(), 3_000, "a full loop: what it answered");
  });
});
