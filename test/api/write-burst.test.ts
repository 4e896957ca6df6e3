import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WriteBurst } from "../../src/api/write-burst.js";

const unexpected = (_item: unknown, error: unknown) => assert.fail(`no write should fail: ${String(error)}`);

describe("a write burst", () => {
  it("runs the writes of a turn together once the turn's work is done, in order", async () => {
    const written: number[] = [];
    const burst = new WriteBurst<number>((i) => written.push(i), unexpected);
    for (let i = 0; i < 3; i++) burst.soon(i);
    assert.equal(written.length, 0, "nothing is written while the turn still decides");
    await Promise.resolve();
    assert.deepEqual(written, [0, 1, 2]);
    burst.soon(3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [0, 1, 2, 3], "a later turn has its own burst");
  });

  it("keeps writing the others when one write throws, and tells that one", async () => {
    const written: string[] = [];
    const failed: [string, unknown][] = [];
    const burst = new WriteBurst<string>(
      (item) => {
        if (item === "b") throw new Error("headers already sent");
        written.push(item);
      },
      (item, error) => failed.push([item, error]),
    );
    burst.soon("a");
    burst.soon("b");
    burst.soon("c");
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ["a", "c"]);
    assert.equal(failed.length, 1);
    const [item, error] = failed[0] as [string, unknown];
    assert.equal(item, "b");
    assert.equal((error as Error).message, "headers already sent");
  });
});
