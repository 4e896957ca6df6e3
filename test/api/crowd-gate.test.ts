import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { CrowdGate, type CrowdGateOptions, type GateVerdict } from "../../src/api/crowd-gate.js";

/** A socket as far as the gate sees one: its handle's reading switched off and on. */
function fakeSocket() {
  const socket = {
    destroyed: false,
    _paused: false,
    /** What libuv would do: whether data is being read from the kernel now. */
    reading: true,
    stops: 0,
    starts: 0,
    _handle: {
      reading: true,
      readStop() {
        socket.reading = false;
        socket.stops++;
        return 0;
      },
      readStart() {
        socket.reading = true;
        socket.starts++;
        return 0;
      },
    },
  };
  return socket;
}

/** A gate whose turns end when the test says, on a clock the test moves. */
function rig(options: CrowdGateOptions = {}) {
  let now = 0;
  const ends: (() => void)[] = [];
  const gate = new CrowdGate({ clock: () => now, afterTurn: (end) => ends.push(end), ...options });
  gate.start();
  const runs: { id: number; verdict: GateVerdict }[] = [];
  const sockets = new Map<number, ReturnType<typeof fakeSocket>>();
  return {
    gate,
    runs,
    sockets,
    claim(id: number, paced = false) {
      const socket = sockets.get(id) ?? fakeSocket();
      sockets.set(id, socket);
      gate.admit(socket as unknown as Socket, (verdict) => runs.push({ id, verdict }), paced);
    },
    advance(ms: number) {
      now += ms;
    },
    endTurn() {
      const end = ends.shift();
      assert.ok(end !== undefined, "a turn end was scheduled");
      end();
    },
    turnsScheduled: () => ends.length,
  };
}

/** A gate of 4 claims a turn whose first turn (claims 0–3) took 60 ms. */
function afterSlowTurn(options: CrowdGateOptions) {
  const gated = rig({ budgetMax: 4, targetTurnMs: 10, ...options });
  for (let i = 0; i < 4; i++) gated.claim(i);
  gated.advance(60);
  gated.endTurn();
  return gated;
}

describe("the crowd gate", () => {
  it("runs every claim at once until it is started, and when a turn has budget", () => {
    const idle = new CrowdGate({ afterTurn: () => assert.fail("no turn while stopped") });
    let ran = 0;
    for (let i = 0; i < 1_000; i++) idle.admit(fakeSocket() as unknown as Socket, () => ran++);
    assert.equal(ran, 1_000);
    const { claim, runs, gate } = rig({ budgetMax: 5 });
    for (let i = 0; i < 5; i++) claim(i);
    assert.equal(runs.length, 5);
    assert.equal(gate.waiting, 0);
  });

  it("holds claims over the turn's budget and lets them through in arrival order at the turn's end", () => {
    const { claim, runs, sockets, gate, endTurn, advance } = rig({ budgetMax: 3, targetTurnMs: 10 });
    for (let i = 0; i < 7; i++) claim(i);
    assert.deepEqual(
      runs.map((run) => run.id),
      [0, 1, 2],
    );
    assert.equal(gate.waiting, 4);
    // A connection whose one claim waits sends nothing more: it is still read (no read stop and start).
    for (let i = 3; i < 7; i++) assert.equal(sockets.get(i)?.stops, 0, `socket ${i} is still read`);
    advance(2);
    endTurn();
    assert.deepEqual(
      runs.map((run) => run.id),
      [0, 1, 2, 3, 4, 5],
    );
    advance(2);
    endTurn();
    assert.deepEqual(
      runs.map((run) => run.id),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.ok(runs.every((run) => run.verdict === "now"));
    assert.equal(gate.waiting, 0);
    assert.equal(gate.stats.parkedTotal, 4);
  });

  it("shrinks the budget to what fits the target after a slow turn and grows it back after quick ones", () => {
    const { claim, gate, endTurn, advance } = rig({ budgetMax: 100, budgetMin: 4, targetTurnMs: 10 });
    for (let i = 0; i < 100; i++) claim(i);
    advance(50);
    endTurn();
    assert.equal(gate.stats.budget, 20, "100 claims took 50 ms: 20 fit in 10 ms");
    for (let i = 0; i < 8; i++) claim(1_000 + i);
    advance(1);
    endTurn();
    assert.equal(gate.stats.budget, 22, "a quick turn adds an eighth");
    for (let i = 0; i < 22; i++) claim(2_000 + i);
    advance(1_000);
    endTurn();
    assert.equal(gate.stats.budget, 4, "never below the minimum, so waiting claims keep moving");
  });

  it("lets a claim that waited past its deadline through as late, and one whose connection closed as gone", () => {
    const { claim, runs, sockets, endTurn, advance } = rig({ budgetMax: 1, waitMaxMs: 100 });
    claim(0);
    claim(1);
    claim(2);
    claim(3);
    const closed = sockets.get(2);
    if (closed !== undefined) closed.destroyed = true;
    advance(150);
    endTurn();
    advance(1);
    endTurn();
    assert.deepEqual(runs, [
      { id: 0, verdict: "now" },
      { id: 1, verdict: "late" },
      { id: 2, verdict: "gone" },
      { id: 3, verdict: "late" },
    ]);
  });

  it("tells how long each claim it lets through waited: 0 with budget, else the time held", () => {
    const waits: number[] = [];
    const { claim, endTurn, advance } = rig({ budgetMax: 2, budgetMin: 2, observeWait: (ms) => waits.push(ms) });
    for (let i = 0; i < 4; i++) claim(i);
    assert.deepEqual(waits, [0, 0]);
    advance(7);
    endTurn();
    assert.deepEqual(waits, [0, 0, 7, 7]);
  });

  it("treats a claim as late at once when the queue is full", () => {
    const { claim, runs, gate } = rig({ budgetMax: 1, waitingMax: 2 });
    for (let i = 0; i < 5; i++) claim(i);
    assert.deepEqual(runs, [
      { id: 0, verdict: "now" },
      { id: 3, verdict: "late" },
      { id: 4, verdict: "late" },
    ]);
    assert.equal(gate.waiting, 2);
  });

  it("stops reading a pipelining connection at its second waiting claim, reads it again after its last, never under node:http's own pause", () => {
    const { claim, runs, sockets, endTurn, advance } = rig({ budgetMax: 1, budgetMin: 1 });
    claim(0);
    claim(1);
    claim(1);
    claim(1);
    claim(2);
    claim(2);
    const pipelined = sockets.get(1);
    const pausedByHttp = sockets.get(2);
    assert.equal(pipelined?.stops, 1, "stopped once however many of its claims wait");
    assert.equal(pipelined?.reading, false);
    assert.equal(pausedByHttp?.stops, 1);
    if (pausedByHttp !== undefined) pausedByHttp._paused = true;
    advance(1);
    endTurn();
    assert.deepEqual(
      runs.map((run) => run.id),
      [0, 1],
    );
    assert.equal(pipelined?.reading, false, "two of its claims still wait");
    advance(1);
    endTurn();
    assert.equal(pipelined?.reading, false, "one of its claims still waits");
    advance(1);
    endTurn();
    assert.equal(pipelined?.reading, true);
    assert.equal(pipelined?.starts, 1);
    for (let turn = 0; turn < 2; turn++) {
      advance(1);
      endTurn();
    }
    assert.deepEqual(
      runs.map((run) => run.id),
      [0, 1, 1, 1, 2, 2],
    );
    assert.equal(pausedByHttp?.starts, 0, "node:http resumes what it paused");
  });

  it("refuses settings that would park claims for ever", () => {
    for (const options of [
      { budgetMax: 0 },
      { budgetMax: Number.NaN },
      { budgetMin: 0.5 },
      { targetTurnMs: 0 },
      { waitMaxMs: -1 },
      { waitingMax: 0 },
    ])
      assert.throws(() => new CrowdGate(options), RangeError, JSON.stringify(options));
  });

  it("lets every waiting claim go when stopped, and reads the connections it stopped again", () => {
    const waits: number[] = [];
    const { claim, runs, gate, sockets, advance } = rig({ budgetMax: 1, observeWait: (ms) => waits.push(ms) });
    for (let i = 0; i < 10; i++) claim(i);
    claim(3);
    claim(3);
    assert.equal(sockets.get(3)?.reading, false);
    advance(4);
    gate.stop();
    assert.equal(runs.length, 12);
    assert.equal(gate.waiting, 0);
    assert.ok([...sockets.values()].every((socket) => socket.reading));
    assert.equal(sockets.get(3)?.starts, 1);
    assert.deepEqual(waits, [0, ...Array(11).fill(4)]);
    assert.equal(gate.stats.stoppedTotal, 1);
  });

  it("never starts a connection it did not stop itself", () => {
    const { claim, sockets, endTurn, advance } = rig({ budgetMax: 1, budgetMin: 1 });
    claim(0);
    claim(1);
    const other = sockets.get(1);
    // Someone else (net.Socket's own pause) stopped it while its one claim waited.
    if (other !== undefined) other._handle.reading = false;
    advance(1);
    endTurn();
    assert.equal(other?.starts, 0);
    assert.equal(other?._handle.reading, false);
  });

  it("tells the wait of a claim let through late, or gone, and 0 for one late at a full queue", () => {
    const waits: number[] = [];
    const { claim, runs, sockets, endTurn, advance } = rig({
      budgetMax: 1,
      budgetMin: 1,
      waitMaxMs: 5,
      waitingMax: 2,
      observeWait: (ms) => waits.push(ms),
    });
    for (let i = 0; i < 4; i++) claim(i);
    const closed = sockets.get(2);
    if (closed !== undefined) closed.destroyed = true;
    advance(9);
    endTurn();
    endTurn();
    assert.deepEqual(
      runs.map((run) => run.verdict),
      ["now", "late", "late", "gone"],
    );
    assert.deepEqual(waits, [0, 0, 9, 9]);
  });

  it("lets a claim through late at once when the queue ahead would outlast the first-answer budget", () => {
    const { claim, runs, gate } = afterSlowTurn({ answerWithinMs: 100 });
    // Turns take 60 ms: a claim queued now would be read a turn late and let through a turn later.
    for (let i = 4; i < 9; i++) claim(i);
    assert.deepEqual(
      runs.slice(4).map((run) => [run.id, run.verdict]),
      [
        [4, "now"],
        [5, "now"],
        [6, "now"],
        [7, "now"],
        [8, "late"],
      ],
    );
    assert.equal(gate.waiting, 0);
    assert.equal(gate.stats.lateAtOnceTotal, 1);
  });

  it("counts the unread turn in the wait of a queued claim against the first-answer budget", () => {
    const { claim, runs, endTurn, advance } = afterSlowTurn({ answerWithinMs: 150 });
    for (let i = 4; i < 9; i++) claim(i);
    assert.equal(runs.length, 8, "two turns of 60 ms fit in 150 ms: the ninth waits");
    advance(100);
    endTurn();
    // It waited 100 ms, and its bytes may have waited the 100 ms turn before it was read.
    assert.deepEqual(runs[8], { id: 8, verdict: "late" });
  });

  it("lets a holder back with its ticket through at once, whatever the budget: the room paces them", () => {
    const { claim, runs, gate } = afterSlowTurn({ answerWithinMs: 100 });
    for (let i = 4; i < 8; i++) claim(i);
    claim(8, true);
    claim(9);
    assert.deepEqual(
      runs.slice(8).map((run) => [run.id, run.verdict]),
      [
        [8, "now"],
        [9, "late"],
      ],
    );
    assert.equal(gate.waiting, 0);
  });

  it("never answers a holder back with its ticket late for the first-answer budget: its first answer was given", () => {
    const { claim, runs, gate, endTurn, advance } = afterSlowTurn({ answerWithinMs: 100 });
    const budget = gate.stats.budget;
    for (let i = 100; i < 100 + 2 * budget; i++) claim(i, true);
    claim(999, true);
    assert.equal(gate.waiting, 1, "past two budgets a holder waits like anyone");
    assert.equal(gate.stats.lateAtOnceTotal, 0);
    advance(150);
    endTurn();
    assert.deepEqual(runs.at(-1), { id: 999, verdict: "now" });
  });

  it("measures the claims a second the loop takes from turns that used their whole budget back to back", () => {
    const { claim, gate, endTurn, advance } = rig({ budgetMax: 100, targetTurnMs: 1_000 });
    assert.ok(Number.isNaN(gate.stats.claimsPerSecond), "nothing measured before a full turn");
    for (let i = 0; i < 100; i++) claim(i);
    advance(10);
    endTurn();
    assert.ok(Number.isNaN(gate.stats.claimsPerSecond), "the first turn had no turn before it");
    for (let turn = 1; turn <= 40; turn++) {
      for (let i = 0; i < gate.stats.budget; i++) claim(turn * 1_000 + i);
      advance(10);
      endTurn();
    }
    // 100 claims every 10 ms.
    assert.ok(Math.abs(gate.stats.claimsPerSecond - 10_000) < 1, `${gate.stats.claimsPerSecond}`);
    // A turn a second later, after the loop idled, says nothing of what it can take.
    advance(1_000);
    for (let i = 0; i < gate.stats.budget; i++) claim(90_000 + i);
    endTurn();
    assert.ok(Math.abs(gate.stats.claimsPerSecond - 10_000) < 1);
  });

  it("lets made-up tickets through at once only up to one more budget a turn", () => {
    const { claim, runs, gate } = afterSlowTurn({ answerWithinMs: 100 });
    const budget = gate.stats.budget;
    for (let i = 100; i < 100 + 10 * budget + 10; i++) claim(i, true);
    const atOnce = runs.filter((run) => run.id >= 100 && run.verdict === "now").length;
    assert.ok(atOnce <= 2 * budget, `${atOnce} paced claims ran at once with a budget of ${budget}`);
    assert.ok(atOnce >= budget, "a holder back with its ticket still goes through at once while there is room");
  });

  it("queues a holder with its ticket as any claim without a first-answer budget", () => {
    const { claim, runs, gate } = afterSlowTurn({});
    for (let i = 4; i < 8; i++) claim(i);
    claim(8, true);
    assert.equal(runs.length, 8);
    assert.equal(gate.waiting, 1);
  });

  it("queues as before without a first-answer budget", () => {
    const { claim, runs, gate } = afterSlowTurn({});
    for (let i = 4; i < 9; i++) claim(i);
    assert.equal(runs.length, 8);
    assert.equal(gate.waiting, 1);
    assert.equal(gate.stats.lateAtOnceTotal, 0);
  });
});
