import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalJson } from "../../src/domain/canonical-json.js";
import { isId, makeId } from "../../src/domain/ids.js";
import { formatYuan } from "../../src/domain/money.js";
import { codePointLength } from "../../src/domain/rules.js";
import { formatInstant, isCalendarDate, parseInstant } from "../../src/domain/time.js";
import { DueHeap } from "../../src/engine/due-heap.js";

describe("small pure pieces", () => {
  it("writes instants in Shanghai time and reads any offset back", () => {
    const at = Date.parse("2021-08-14T05:14:00Z");
    assert.equal(formatInstant(at), "2021-08-14T13:14:00.000+08:00");
    assert.equal(parseInstant("2021-08-14T13:14:00.000+08:00"), at);
    assert.equal(parseInstant("2021-08-14T05:14:00Z"), at);
    assert.equal(parseInstant("2021-08-14 13:14"), undefined);
    assert.equal(parseInstant("2021-08-14T13:14:00"), undefined, "an instant without an offset is ambiguous");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => parseInstant(formatInstant(ms)) === ms),
    );
  });

  it("knows real calendar dates", () => {
    assert.ok(isCalendarDate("2024-02-29"));
    assert.ok(!isCalendarDate("2026-02-29"));
    assert.ok(!isCalendarDate("2026-02-30"));
    assert.ok(!isCalendarDate("2026-13-01"));
  });

  it("counts code points, not UTF-16 units", () => {
    assert.equal(codePointLength("🧧🧧"), 2);
    assert.equal(codePointLength("七夕快乐"), 4);
    assert.equal(codePointLength(""), 0);
  });

  it("formats fen as yuan for messages", () => {
    assert.equal(formatYuan(1314), "13.14");
    assert.equal(formatYuan(5), "0.05");
    assert.equal(formatYuan(-52000), "-520.00");
  });

  it("makes prefixed ids from the bytes it is given", () => {
    const id = makeId("transfer", new Uint8Array(10).fill(171));
    assert.equal(id, "tr_abababababababababab");
    assert.ok(isId("transfer", id));
    assert.ok(!isId("user", id));
    assert.throws(() => makeId("user", new Uint8Array(3)));
  });

  it("pops due timers in order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (dues) => {
        const heap = new DueHeap();
        for (const [i, at] of dues.entries()) heap.push(at, String(i));
        const popped: number[] = [];
        while (heap.size > 0) popped.push(dues[Number(heap.pop())] as number);
        assert.deepEqual(
          popped,
          [...dues].sort((a, b) => a - b),
        );
      }),
    );
  });

  it("hashes the same JSON the same whatever its key order", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: null }] }), canonicalJson({ a: [{ c: null, d: 2 }], b: 1 }));
    assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: "1" }));
  });
});
