import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { placeBody, placeHead } from "../../src/api/claim.js";
import { errorBody } from "../../src/api/errors.js";
import type { Place } from "../../src/api/waiting-room.js";

const place = fc.record({
  ticket: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,80}\.[A-Za-z0-9_-]{24}$/), fc.string({ maxLength: 40 })),
  line: fc.constantFrom("pre" as const, "fifo" as const),
  position: fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: null }),
  place: fc.option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: null }),
  estimatedWaitSeconds: fc.oneof(fc.double({ noNaN: false }), fc.integer({ min: 0, max: 86_400 })),
  retryAfterMs: fc.oneof(fc.integer({ min: 0, max: 86_400_000 }), fc.constant(Number.POSITIVE_INFINITY)),
});

describe("a place's body", () => {
  it("is exactly the JSON of the refusal and the place, whatever the place holds", () => {
    fc.assert(
      fc.property(place, fc.option(fc.integer({ min: 0, max: 2 ** 52 }), { nil: undefined }), (p: Place, startsAt) => {
        const details = startsAt === undefined ? undefined : { startsAt };
        const message = "you are in line";
        const expected = JSON.stringify({ ...errorBody("BUSY", message, details), ...p });
        assert.equal(placeBody(placeHead("BUSY", message, details), p), expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps a head per refusal and details, not one for the first details seen", () => {
    assert.notEqual(placeHead("NOT_STARTED", "m", { startsAt: 1 }), placeHead("NOT_STARTED", "m", { startsAt: 2 }));
    assert.equal(placeHead("NOT_STARTED", "m", { startsAt: 1 }), placeHead("NOT_STARTED", "m", { startsAt: 1 }));
    assert.notEqual(placeHead("NOT_STARTED", "m"), placeHead("BUSY", "m"));
  });
});
