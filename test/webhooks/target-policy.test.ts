import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sendWebhook } from "../../src/webhooks/send.js";
import { signatureHeader, verifySignature } from "../../src/webhooks/signature.js";
import { isInternalAddress, refuseTarget } from "../../src/webhooks/target-policy.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

describe("webhook target policy", () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  it("tells internal addresses from public ones, IPv4, IPv6 and IPv4-mapped", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1"])
      assert.equal(isInternalAddress(address), true, address);
    for (const address of ["::1", "::", "fe80::1", "fd12::1", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1"])
      assert.equal(isInternalAddress(address), true, address);
    for (const address of ["8.8.8.8", "203.0.113.7", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
      assert.equal(isInternalAddress(address), false, address);
  });

  it("refuses what is not http(s), carries credentials, or points inside, unless allowed", async () => {
    const closed = { allowPrivate: false };
    for (const url of ["ftp://8.8.8.8/", "file:///etc/passwd", "nope", "https://u:p@8.8.8.8/", "https://8.8.8.8/#x"])
      assert.notEqual(await refuseTarget(url, closed), undefined, url);
    for (const url of ["http://127.0.0.1:9/", "http://[::1]/", "http://169.254.169.254/latest", "http://localhost/"])
      assert.match((await refuseTarget(url, closed)) ?? "", /loopback, private or link-local/, url);
    assert.equal(await refuseTarget("https://8.8.8.8/hooks", closed), undefined);
    assert.equal(await refuseTarget("http://127.0.0.1:9/", { allowPrivate: true }), undefined);
    assert.notEqual(await refuseTarget(`https://8.8.8.8/${"x".repeat(3000)}`, closed), undefined);
  });

  it("checks again at delivery: nothing reaches an internal address the policy refuses", async () => {
    receiver.secrets = ["whsec_t"];
    const body = JSON.stringify({ id: "evt_00000000000000000001", type: "transfer.received" });
    const headers = { "hongbao-signature": signatureHeader(["whsec_t"], Math.floor(Date.now() / 1000), body) };
    const byName = receiver.url.replace("127.0.0.1", "localhost");
    assert.deepEqual(await sendWebhook(receiver.url, headers, body, 5_000, { allowPrivate: false }), {
      error: "the address is internal (refused by the target policy)",
    });
    const refused = await sendWebhook(byName, headers, body, 5_000, { allowPrivate: false });
    assert.ok("error" in refused);
    assert.equal(receiver.received.length, 0);
    assert.deepEqual(await sendWebhook(receiver.url, headers, body, 5_000, { allowPrivate: true }), { status: 200 });
    assert.equal(receiver.received.length, 1);
  });

  it("verifies a signature over the timestamp and the body, within the tolerance", () => {
    const body = '{"id":"evt_1"}';
    const header = signatureHeader(["whsec_new", "whsec_old"], 1_700_000_000, body);
    assert.match(header, /^t=1700000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    assert.deepEqual(verifySignature(header, body, "whsec_old", 1_700_000_100), { ok: true, timestamp: 1_700_000_000 });
    assert.deepEqual(verifySignature(header, `${body} `, "whsec_new", 1_700_000_000), {
      ok: false,
      reason: "mismatch",
    });
    assert.deepEqual(verifySignature(header, body, "whsec_new", 1_700_000_301), { ok: false, reason: "stale" });
    assert.deepEqual(verifySignature("t=x,v1=zz", body, "whsec_new", 0), { ok: false, reason: "malformed" });
    assert.deepEqual(verifySignature(undefined, body, "whsec_new", 0), { ok: false, reason: "malformed" });
  });
});
