import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newRequestId } from "../../src/api/request-id.js";

const V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-([0-9a-f]{12})$/;

describe("request ids made here", () => {
  it("are UUIDs version 7, the time in ms first, and distinct", () => {
    const before = Date.now();
    const ids = Array.from({ length: 100_000 }, () => newRequestId());
    const after = Date.now();
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) {
      const match = V7.exec(id);
      assert.ok(match !== null, id);
      const ms = Number.parseInt(`${match[1]}${match[2]}`, 16);
      assert.ok(ms >= before && ms <= after, id);
    }
  });
});
