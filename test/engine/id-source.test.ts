import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isId } from "../../src/domain/ids.js";
import { TestClock } from "../../src/engine/clock.js";
import { IdSource } from "../../src/engine/id-source.js";
import { pooledRandomBytes } from "../../src/engine/random-pool.js";

describe("time-ordered ids", () => {
  it("are valid ids, sort by time, and never repeat, even in one millisecond or when the clock steps back", () => {
    const clock = new TestClock();
    const ids = new IdSource(pooledRandomBytes(), clock);
    const seen = new Set<string>();
    let previous = "";
    const times = [1_800_000_000_000, 1_800_000_000_000, 1_800_000_000_001, 1_799_999_999_000, 1_800_000_000_002];
    for (const at of times) {
      const burst: string[] = [];
      clock.set(at);
      for (let i = 0; i < 20_000; i++) burst.push(ids.next("transfer"));
      for (const id of burst) {
        assert.ok(isId("transfer", id), id);
        assert.ok(!seen.has(id), `duplicate ${id}`);
        seen.add(id);
        assert.ok(id.slice(0, 14) >= previous.slice(0, 14), "the time part never goes backwards");
        previous = id;
      }
    }
  });

  it("draws again when the random part repeats within a millisecond", () => {
    let calls = 0;
    const stuck = (size: number) => {
      calls++;
      // The first two draws repeat; the third differs.
      return new Uint8Array(size).fill(calls < 3 ? 7 : 9);
    };
    const ids = new IdSource(stuck, new TestClock(1_800_000_000_000));
    const first = ids.next("redPacket");
    const second = ids.next("redPacket");
    assert.notEqual(first, second);
    assert.equal(calls, 3);
  });

  it("hands out fresh random bytes from the pool", () => {
    const random = pooledRandomBytes(64);
    const draws = Array.from({ length: 100 }, () => Buffer.from(random(10)).toString("hex"));
    assert.equal(new Set(draws).size, 100);
    assert.equal(random(100).length, 100, "a draw larger than the pool still works");
  });
});
