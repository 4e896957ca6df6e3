import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ID_PATTERN } from "../../src/domain/ids.js";
import {
  ADMIN_TOKEN,
  INPUT_TESTS_GATE,
  type ListeningApp,
  startListeningApp,
  TOKEN_SECRET,
} from "../support/harness.js";
import { Client, type Reply, type Sent } from "../support/http-client.js";
import { LedgerReader, type LedgerSnapshot } from "../support/ledger-snapshot.js";
import { assertErrorContract } from "../support/raw-http.js";
import { signToken } from "../support/tokens.js";
import { type FuzzWorld, hostileRequests, type Operation, operationsOf } from "./hostile-requests.js";
import { RUNS, SEED } from "./settings.js";

/**
 * Schema-driven fuzzing of every route of the OpenAPI document a real listening server
 * serves: hostile requests generated from each route's schemas (fast-check). No answer is a
 * 5xx, every 4xx is in the error shape with the status its code has, and a refused request
 * changes nothing in the store (every balance, every count of records, read through a
 * connection of the test's own). `HONGBAO_FUZZ_RUNS` requests a route (50 in `npm test`,
 * 1 000 in `npm run fuzz`); `HONGBAO_FUZZ_SEED` replays a run.
 */

interface Tally {
  requests: number;
  refused: number;
  accepted: number;
  statuses: Map<number, number>;
  codes: Map<string, number>;
}

const sign = signToken;

describe(`schema-driven fuzzing: ${RUNS} hostile requests a route (seed ${SEED})`, () => {
  let app: ListeningApp;
  let client: Client;
  let reader: LedgerReader;
  let operations: Operation[];
  let world: FuzzWorld;
  const tally: Tally = { requests: 0, refused: 0, accepted: 0, statuses: new Map(), codes: new Map() };

  const json = async (sent: Sent, status: number): Promise<Record<string, unknown>> => {
    const reply = await client.send(sent);
    assert.equal(reply.status, status, `${sent.method} ${sent.path}: ${reply.body}`);
    return JSON.parse(reply.body) as Record<string, unknown>;
  };
  const post = (path: string, token: string, body: unknown): Sent => ({
    method: "POST",
    path,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": `setup-${path}-${JSON.stringify(body).length}-${Math.random()}`,
    },
    body: JSON.stringify(body),
  });

  before(async () => {
    app = await startListeningApp({ gate: INPUT_TESTS_GATE });
    client = new Client(app.port);
    const user = async (n: number) => {
      const made = await json(
        post("/v1/admin/users", ADMIN_TOKEN, { phone: `+8613800${String(n).padStart(6, "0")}`, name: `u${n}` }),
        201,
      );
      return { userId: made.userId as string, token: made.token as string };
    };
    const [alice, bob, carol] = [await user(1), await user(2), await user(3)];
    await json(post("/v1/admin/deposits", ADMIN_TOKEN, { userId: alice.userId, amount: 10_000_000 }), 201);
    await json(post("/v1/admin/deposits", ADMIN_TOKEN, { userId: bob.userId, amount: 10_000_000 }), 201);
    const transfer = await json(
      post("/v1/transfers", alice.token, { to: bob.userId, amount: 1_000, nature: "loan" }),
      201,
    );
    const group = await json(
      post("/v1/groups", alice.token, { name: "g", memberIds: [bob.userId, carol.userId] }),
      201,
    );
    const packet = await json(
      post("/v1/red-packets", alice.token, { kind: "lucky", amount: 1_000, count: 3, groupId: group.id }),
      201,
    );
    const now = Date.now();
    const campaign = await json(
      post("/v1/admin/campaigns", ADMIN_TOKEN, {
        name: "fuzz",
        budget: 1_000_000,
        amount: { fixed: 10 },
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 24 * 3600_000).toISOString(),
      }),
      201,
    );
    const seconds = Math.floor(now / 1000);
    const ids: Record<string, string[]> = {
      [ID_PATTERN.user]: [alice.userId, bob.userId, carol.userId],
      [ID_PATTERN.transfer]: [transfer.id as string],
      [ID_PATTERN.group]: [group.id as string],
      [ID_PATTERN.redPacket]: [packet.id as string],
      [ID_PATTERN.campaign]: [campaign.id as string],
    };
    world = {
      callerToken: (operation) =>
        operation.auth === "admin"
          ? ADMIN_TOKEN
          : operation.auth === "none"
            ? undefined
            : operation.path.includes("/accept") ||
                operation.path.includes("/decline") ||
                operation.path.includes("acknowledge")
              ? bob.token
              : alice.token,
      wrongTokens: [
        await sign(
          { sub: alice.userId, iat: seconds, exp: seconds + 3600 },
          "a-different-secret-that-is-also-32-bytes-long",
        ),
        await sign({ sub: alice.userId, iat: seconds - 7200, exp: seconds - 3600 }, TOKEN_SECRET),
        await sign({ sub: "usr_00000000000000000000", iat: seconds, exp: seconds + 3600 }, TOKEN_SECRET),
        carol.token,
        ADMIN_TOKEN,
        alice.token,
        `${alice.token}x`,
        alice.token.slice(0, -2),
        "x".repeat(2_000),
        `${ADMIN_TOKEN}x`,
      ],
      known: (schema) => (schema.pattern === undefined ? undefined : ids[schema.pattern]),
      pathValue: (path) => {
        const kind = path.startsWith("/v1/transfers")
          ? ID_PATTERN.transfer
          : path.startsWith("/v1/groups")
            ? ID_PATTERN.group
            : path.startsWith("/v1/red-packets")
              ? ID_PATTERN.redPacket
              : ID_PATTERN.campaign;
        return ids[kind]?.[0] as string;
      },
    };
    const document = await json({ method: "GET", path: "/openapi.json" }, 200);
    operations = operationsOf(document as unknown as Parameters<typeof operationsOf>[0]);
    reader = new LedgerReader(app.db);
  });

  after(async () => {
    client?.close();
    reader?.close();
    await app?.dispose();
    if (tally.requests > 0) {
      const statuses = [...tally.statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}: ${n}`)
        .join(", ");
      console.log(
        `fuzz: ${tally.requests} requests over ${operations.length} routes (seed ${SEED}); ${tally.refused} refused, ${tally.accepted} accepted; ${statuses}`,
      );
    }
  });

  it("covers every route of the document", () => {
    assert.ok(operations.length >= 30, `${operations.length} routes`);
  });

  /** Sends one request and checks it: no 5xx, 4xx in the error shape, a refusal changes nothing. */
  const check = async (operation: Operation, sent: Sent, before_: LedgerSnapshot): Promise<LedgerSnapshot> => {
    let reply: Reply;
    try {
      reply = await client.send(sent);
    } catch (error) {
      assert.fail(`${sent.method} ${sent.path}: no answer (${String(error)})`);
    }
    const label = `${operation.method} ${operation.path} ← ${JSON.stringify(sent).slice(0, 400)}`;
    tally.requests += 1;
    tally.statuses.set(reply.status, (tally.statuses.get(reply.status) ?? 0) + 1);
    const after_ = reader.snapshot();
    if (reply.status >= 400 || reply.status < 200) {
      const code = assertErrorContract(reply.status, reply.headers["content-type"], reply.body, label);
      tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
      tally.refused += 1;
      assert.deepEqual(after_, before_, `${label} was refused (${reply.status} ${code}) but changed the store`);
    } else {
      tally.accepted += 1;
    }
    return after_;
  };

  it("answers every hostile request of every route without a 5xx, in the error shape, changing nothing it refuses", async () => {
    let snapshot = reader.snapshot();
    for (const [i, operation] of operations.entries()) {
      await fc.assert(
        fc.asyncProperty(hostileRequests(operation, world), async (sent) => {
          snapshot = await check(operation, sent, snapshot);
        }),
        { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
      );
    }
    assert.equal(reader.snapshot().balanceSum, 0, "the ledger still balances");
  });
});
