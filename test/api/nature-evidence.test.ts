import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { verifyDocumentText } from "../../src/domain/evidence.js";
import { startTestApp, type TestApp, type TestUser } from "../support/harness.js";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

describe("gift or loan: hints, loans and signed evidence", () => {
  let app: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;

  before(async () => {
    app = await startTestApp();
    [alice, bob, eve] = [await app.createUser("Alice"), await app.createUser("Bob"), await app.createUser("Eve")];
    await app.deposit(alice.userId, 10_000_000);
  });
  after(async () => {
    await app.dispose();
  });

  it("previews hints and warnings without moving money", async () => {
    const before = await app.context.store.statement(alice.userId, null, 1000);
    const preview = await app.call("POST", "/v1/transfers/preview", {
      token: alice.token,
      body: { to: bob.userId, amount: 52_000, memo: "我爱你 ❤️", nature: "loan", dueDate: "2027-01-01" },
    });
    assert.equal(preview.statusCode, 200, preview.body);
    const body = preview.json();
    assert.deepEqual(
      body.natureHints.map((hint: { nature: string }) => hint.nature),
      ["gift", "gift"],
    );
    assert.ok(body.warnings.length >= 1, "a loan declared on a gift-looking transfer is warned about");
    assert.match(body.disclaimer, /not legal advice/);
    assert.equal((await app.context.store.statement(alice.userId, null, 1000)).length, before.length);
    const tooBig = await app.call("POST", "/v1/transfers/preview", {
      token: alice.token,
      body: { to: bob.userId, amount: 5_000_001 },
    });
    assert.equal(tooBig.statusCode, 422);
    assert.equal(tooBig.json().error.code, "AMOUNT_ABOVE_MAX");
  });

  it("keeps the hints shown with the transfer, and lets the recipient acknowledge a loan once", async () => {
    const sent = await app.call("POST", "/v1/transfers", {
      token: alice.token,
      body: { to: bob.userId, amount: 100_000, memo: "先借你周转，月底还", nature: "loan", dueDate: "2027-02-01" },
    });
    assert.equal(sent.statusCode, 201);
    const transfer = sent.json();
    assert.ok(transfer.natureHints.some((hint: { nature: string }) => hint.nature === "loan"));
    assert.deepEqual(transfer.warnings, []);
    assert.equal(
      (await app.call("POST", `/v1/transfers/${transfer.id}/acknowledge-loan`, { token: alice.token })).statusCode,
      403,
    );
    assert.equal(
      (await app.call("POST", `/v1/transfers/${transfer.id}/acknowledge-loan`, { token: eve.token })).statusCode,
      404,
    );
    const acknowledged = await app.call("POST", `/v1/transfers/${transfer.id}/acknowledge-loan`, { token: bob.token });
    assert.equal(acknowledged.statusCode, 200, acknowledged.body);
    assert.ok(acknowledged.json().loanAcknowledgedAt);
    await app.call("POST", `/v1/transfers/${transfer.id}/accept`, { token: bob.token });
    const again = await app.call("POST", `/v1/transfers/${transfer.id}/acknowledge-loan`, { token: bob.token });
    assert.equal(again.json().loanAcknowledgedAt, acknowledged.json().loanAcknowledgedAt);
    const read = (await app.call("GET", `/v1/transfers/${transfer.id}`, { token: alice.token })).json();
    assert.equal(read.status, "accepted");
    assert.equal(read.loanAcknowledgedAt, acknowledged.json().loanAcknowledgedAt);
    assert.deepEqual(read.natureHints, transfer.natureHints);
    const gift = (
      await app.call("POST", "/v1/transfers", {
        token: alice.token,
        body: { to: bob.userId, amount: 100, nature: "gift" },
      })
    ).json();
    const notLoan = await app.call("POST", `/v1/transfers/${gift.id}/acknowledge-loan`, { token: bob.token });
    assert.equal(notLoan.statusCode, 409);
    assert.equal(notLoan.json().error.code, "NOT_A_LOAN");
  });

  it("signs evidence both parties can fetch and anyone can verify; any changed byte fails; strangers get 404", async () => {
    const sent = (
      await app.call("POST", "/v1/transfers", {
        token: alice.token,
        body: {
          to: bob.userId,
          amount: 131_400,
          memo: "七夕快乐 <script>alert(1)</script>",
          nature: "loan",
          dueDate: "2027-08-08",
        },
      })
    ).json();
    await app.call("POST", `/v1/transfers/${sent.id}/acknowledge-loan`, { token: bob.token });
    const key = (await app.call("GET", "/v1/evidence/public-key")).json();
    assert.equal(key.algorithm, "Ed25519");
    const publicKey = createPublicKey(key.publicKeyPem);
    const bySender = await app.call("GET", `/v1/transfers/${sent.id}/evidence`, { token: alice.token });
    const byRecipient = await app.call("GET", `/v1/transfers/${sent.id}/evidence`, { token: bob.token });
    assert.equal(bySender.statusCode, 200);
    assert.equal(byRecipient.statusCode, 200);
    assert.equal((await app.call("GET", `/v1/transfers/${sent.id}/evidence`, { token: eve.token })).statusCode, 404);
    const text = bySender.body;
    const check = verifyDocumentText(text, publicKey);
    assert.ok(check.valid, JSON.stringify(check));
    const record = JSON.parse(text).record;
    assert.equal(record.amount, 131_400);
    assert.equal(record.declaredNature, "loan");
    assert.ok(record.loanAcknowledgedAt);
    assert.deepEqual(
      record.natureHintsShown.map((hint: { nature: string }) => hint.nature),
      ["gift", "gift"],
    );
    assert.equal(record.postings[0].kind, "transfer.send");
    assert.match(record.sender.phone, /\*\*\*\*/);
    for (let i = 0; i < text.length; i++) {
      const changed = text.slice(0, i) + (text[i] === "a" ? "b" : "a") + text.slice(i + 1);
      assert.ok(!verifyDocumentText(changed, publicKey).valid, `a change at byte ${i} must fail`);
    }
    const dir = app.dir;
    writeFileSync(join(dir, "evidence.json"), text);
    writeFileSync(join(dir, "key.pem"), key.publicKeyPem);
    writeFileSync(join(dir, "key.json"), JSON.stringify(key));
    const good = await cli("evidence", "verify", join(dir, "evidence.json"), "--key", join(dir, "key.pem"));
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /the service signed this record/);
    assert.match(good.out, /loan acknowledged by the recipient/);
    assert.equal((await cli("evidence", "verify", join(dir, "evidence.json"), "--key", join(dir, "key.json"))).code, 0);
    const loose = await cli("evidence", "verify", join(dir, "evidence.json"));
    assert.equal(loose.code, 0);
    assert.match(loose.out, /key inside the file only/);
    writeFileSync(join(dir, "evidence.json"), text.replace('"amount":131400', '"amount":131401'));
    const forged = await cli("evidence", "verify", join(dir, "evidence.json"), "--key", join(dir, "key.pem"));
    assert.equal(forged.code, 1);
    assert.match(forged.out, /NOT VALID/);
    const html = await app.call("GET", `/v1/transfers/${sent.id}/evidence?format=html`, { token: bob.token });
    assert.match(html.headers["content-type"] as string, /text\/html/);
    assert.ok(!html.body.includes("<script>alert(1)</script>"), "the memo is escaped");
    assert.match(html.body, /&lt;script&gt;/);
    assert.match(html.body, /hongbao evidence verify/);
  });

  it("signs evidence of a red packet for its sender and grabbers only", async () => {
    const single = (
      await app.call("POST", "/v1/red-packets", {
        token: alice.token,
        body: { kind: "single", amount: 520, to: bob.userId, greeting: "情人节快乐" },
      })
    ).json();
    assert.deepEqual(
      single.natureHints.map((hint: { nature: string }) => hint.nature),
      ["gift", "gift"],
    );
    await app.call("POST", `/v1/red-packets/${single.id}/grab`, { token: bob.token });
    const evidence = await app.call("GET", `/v1/red-packets/${single.id}/evidence`, { token: bob.token });
    assert.equal(evidence.statusCode, 200);
    const key = createPublicKey((await app.call("GET", "/v1/evidence/public-key")).json().publicKeyPem);
    assert.ok(verifyDocumentText(evidence.body, key).valid);
    const record = JSON.parse(evidence.body).record;
    assert.equal(record.grabs[0].amount, 520);
    assert.equal(record.shares[0], 520);
    assert.equal(
      (await app.call("GET", `/v1/red-packets/${single.id}/evidence`, { token: eve.token })).statusCode,
      404,
    );
  });
});
