import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import { PEER_HEADER, peerOf, takeFrontPeer, trustBehindFront } from "../../src/api/front-peer.js";

const requestWith = (headers: Record<string, string>, remoteAddress?: string) =>
  ({ headers: { ...headers }, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe("the client's address behind the Bun front", () => {
  it("is the peer the front named, and the header is gone before any route reads it", () => {
    const request = requestWith({ [PEER_HEADER]: "203.0.113.7" });
    takeFrontPeer(request);
    assert.equal(peerOf(request), "203.0.113.7");
    assert.equal(request.headers[PEER_HEADER], undefined);
  });

  it("is empty when the header is missing or too long, never the socket's (the front itself)", () => {
    const missing = requestWith({}, "127.0.0.1");
    takeFrontPeer(missing);
    assert.equal(peerOf(missing), "");
    const long = requestWith({ [PEER_HEADER]: "1".repeat(65) }, "127.0.0.1");
    takeFrontPeer(long);
    assert.equal(peerOf(long), "");
  });

  it("is the socket's peer for a request not taken from the private socket", () => {
    assert.equal(peerOf(requestWith({ [PEER_HEADER]: "203.0.113.7" }, "10.0.0.9")), "10.0.0.9");
  });

  it("trusts the private socket as the first hop, and beyond it only the operator's proxies", () => {
    const none = trustBehindFront(undefined);
    assert.equal(none("", 0), true);
    assert.equal(none("10.0.0.1", 1), false);
    const operator = trustBehindFront("10.0.0.0/8, loopback");
    assert.equal(operator("", 0), true);
    assert.equal(operator("10.1.2.3", 1), true);
    assert.equal(operator("127.0.0.1", 2), true);
    assert.equal(operator("203.0.113.7", 1), false);
  });
});
