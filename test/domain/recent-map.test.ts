import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RecentMap } from "../../src/domain/recent-map.js";

type Step = { op: "set"; key: number; value: number } | { op: "delete"; key: number };

const steps = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("set" as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer() }),
    fc.record({ op: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 40 }) }),
  ),
  { maxLength: 300 },
);

function forget(order: number[], key: number): void {
  const at = order.indexOf(key);
  if (at >= 0) order.splice(at, 1);
}

describe("RecentMap", () => {
  it("remembers the latest value of at least the last capacity/2 keys set, and never more than capacity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 20 }), steps, (capacity, script: Step[]) => {
        const map = new RecentMap<number, number>(capacity);
        const model = new Map<number, number>();
        const order: number[] = [];
        for (const step of script) {
          if (step.op === "set") {
            map.set(step.key, step.value);
            model.set(step.key, step.value);
            forget(order, step.key);
            order.push(step.key);
          } else {
            map.delete(step.key);
            model.delete(step.key);
            forget(order, step.key);
          }
          assert.ok(map.size <= capacity);
          for (const [key, value] of model) {
            const got = map.get(key);
            assert.ok(got === undefined || got === value, "a remembered key has its latest value");
            assert.equal(map.has(key), got !== undefined);
          }
          for (const key of order.slice(-Math.floor(capacity / 2))) assert.equal(map.get(key), model.get(key));
        }
        for (let key = 0; key <= 40; key++) if (!model.has(key)) assert.equal(map.get(key), undefined);
      }),
    );
  });

  it("forgets the oldest keys first over a million sets", () => {
    const map = new RecentMap<string, number>(100_000);
    for (let i = 0; i < 1_000_000; i++) map.set(`k${i}`, i);
    assert.ok(map.size <= 100_000 && map.size >= 50_000);
    assert.equal(map.get("k999999"), 999_999);
    assert.equal(map.get("k0"), undefined);
  });

  it("refuses a capacity it cannot honour", () => {
    assert.throws(() => new RecentMap(1), RangeError);
    assert.throws(() => new RecentMap(2.5), RangeError);
  });
});
