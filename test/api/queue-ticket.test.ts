import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { type QueueTicket, TICKET_LENGTH_MAX, TicketSigner } from "../../src/api/queue-ticket.js";

const ticket: QueueTicket = {
  campaignId: "cmp_1",
  userId: "u_42",
  line: "fifo",
  number: 41_203,
  arrivedAt: 1_800_000_000_000,
  claims: 0,
  run: "abc",
  dueAt: 1_800_000_006_000,
};

describe("a queue ticket", () => {
  const signer = new TicketSigner(randomBytes(32));
  const text = signer.sign(ticket);

  it("opens to what was signed, under a 144-bit MAC", () => {
    assert.deepEqual(signer.open(text), ticket);
    assert.equal(text.split(".")[1]?.length, 24);
  });

  it("is refused when any character of its MAC or payload is changed", () => {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === ".") continue;
      const changed = `${text.slice(0, i)}${text[i] === "A" ? "B" : "A"}${text.slice(i + 1)}`;
      assert.equal(signer.open(changed), undefined, `changed at ${i}`);
    }
  });

  it("is refused cut short, lengthened, from another key, or past the length bound", () => {
    assert.equal(signer.open(text.slice(0, -1)), undefined);
    assert.equal(signer.open(`${text}A`), undefined);
    assert.equal(signer.open(`${text}.A`), undefined);
    assert.equal(new TicketSigner(randomBytes(32)).open(text), undefined);
    assert.equal(signer.open("x".repeat(TICKET_LENGTH_MAX + 1)), undefined);
    assert.equal(signer.open(""), undefined);
  });
});
