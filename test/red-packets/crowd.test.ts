import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verifyRevealed } from "../../src/domain/red-packet.js";
import { type RunningServer, startServer } from "../../src/server.js";
import { keyedHeaders } from "../support/keys.js";

const ADMIN = "crowd-admin-token-0123456789";
const MEMBERS = 1000;

/** A real server on a loopback port, and 1 000 members who all grab at once. */
describe("a group of 1 000 grabbing at once over HTTP", () => {
  let server: RunningServer;
  let dir: string;
  let users: { userId: string; token: string }[] = [];
  let groupId: string;

  async function call(method: string, path: string, token: string, body?: unknown) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...keyedHeaders(method, path),
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown> & { error?: { code: string } },
    };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hongbao-crowd-"));
    server = await startServer({
      port: 0,
      host: "127.0.0.1",
      db: join(dir, "hongbao.db"),
      adminToken: ADMIN,
      tokenSecret: "crowd-token-secret-at-least-32-bytes-long",
      testClock: false,
      logLevel: "warn",
    });
    for (let start = 0; start < MEMBERS; start += 100) {
      const created = await Promise.all(
        Array.from({ length: Math.min(100, MEMBERS - start) }, (_, i) =>
          call("POST", "/v1/admin/users", ADMIN, {
            phone: `+861370000${String(start + i).padStart(4, "0")}`,
            name: `m${start + i}`,
          }),
        ),
      );
      users.push(...created.map((answer) => answer.body as unknown as { userId: string; token: string }));
    }
    users = users.filter((user) => typeof user.userId === "string");
    assert.equal(users.length, MEMBERS);
    const owner = users[0] as { userId: string; token: string };
    assert.equal(
      (await call("POST", "/v1/admin/deposits", ADMIN, { userId: owner.userId, amount: 10_000_000 })).status,
      201,
    );
    const group = await call("POST", "/v1/groups", owner.token, {
      name: "千人群",
      memberIds: users.slice(1).map((user) => user.userId),
    });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    groupId = group.body.id as string;
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ["lucky", "equal"] as const) {
    it(`${kind}: 100 shares, 1 000 grabbers → 100 amounts, 900 SOLD_OUT, nobody twice, escrow empty`, async () => {
      const owner = users[0] as { userId: string; token: string };
      const total = kind === "lucky" ? 131_400 : 100_000;
      const sent = await call("POST", "/v1/red-packets", owner.token, {
        kind,
        amount: total,
        count: 100,
        groupId,
        greeting: "七夕快乐",
      });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      const packetId = sent.body.id as string;
      const escrowBefore = await server.context.store.balance("escrow");
      const answers = await Promise.all(
        users.map((user) => call("POST", `/v1/red-packets/${packetId}/grab`, user.token)),
      );
      const won = answers.filter((answer) => answer.status === 200);
      const soldOut = answers.filter((answer) => answer.body.error?.code === "SOLD_OUT");
      assert.equal(won.length, 100);
      assert.equal(soldOut.length, 900);
      assert.equal(won.length + soldOut.length, MEMBERS, "every grabber got a definite answer");
      assert.equal(
        won.reduce((sum, answer) => sum + (answer.body.amount as number), 0),
        total,
      );
      const view = await call("GET", `/v1/red-packets/${packetId}`, owner.token);
      const grabs = view.body.grabs as { userId: string; amount: number }[];
      assert.equal(new Set(grabs.map((grab) => grab.userId)).size, 100, "no user twice");
      assert.equal(view.body.status, "finished");
      assert.equal(view.body.remaining, 0);
      assert.ok(view.body.luckyKing);
      const revealed = view.body as unknown as Parameters<typeof verifyRevealed>[0];
      assert.ok(verifyRevealed(revealed).ok, "the revealed shares match the commitment");
      if (kind === "equal") assert.ok(grabs.every((grab) => grab.amount === 1_000));
      assert.equal(
        (await server.context.store.balance("escrow")) - escrowBefore,
        -total,
        "escrow holds 0 for it afterwards",
      );
      assert.equal(await server.context.store.balanceSum(), 0);
    });
  }
});
