import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WriteBurst } from "../../src/api/write-burst.js";

const unexpected = (error: unknown) => assert.fail(`no write should fail: ${String(error)}`);

describe("a write burst", () => {
  it("runs the writes of a turn together once the turn's work is done, in order", async () => {
    const burst = new WriteBurst();
    const written: number[] = [];
    for (let i = 0; i < 3; i++) burst.soon(() => written.push(i), unexpected);
    assert.equal(written.length, 0, "nothing is written while the turn still decides");
    await Promise.resolve();
    assert.deepEqual(written, [0, 1, 2]);
    burst.soon(() => written.push(3), unexpected);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, [0, 1, 2, 3], "a later turn has its own burst");
  });

  it("keeps writing the others when one write throws, and tells that one", async () => {
    const burst = new WriteBurst();
    const written: string[] = [];
    const failed: unknown[] = [];
    burst.soon(() => written.push("a"), unexpected);
    burst.soon(
      () => {
        throw new Error("headers already sent");
      },
      (error) => failed.push(error),
    );
    burst.soon(() => written.push("c"), unexpected);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ["a", "c"]);
    assert.equal((failed[0] as Error).message, "headers already sent");
  });
});
