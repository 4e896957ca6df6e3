/**
 * Mixed load on a served writer over real HTTP (transfers, grabs of lucky packets, campaign
 * claims), recording every operation a client was told succeeded, and the check of a
 * PostgreSQL ledger against it: every acknowledged operation present, balances summing to
 * zero, none negative, the campaign within its budget, nobody claiming twice. The failover
 * and replication tests drive their writers with it.
 */
import assert from "node:assert/strict";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { queryOnce } from "../support/postgres.js";
import { ADMIN_TOKEN, nextPhone, type Reply, request, sleep } from "./support.js";

export const USERS = 120;
export const CLAIMS_BUDGETED = 80;
export const CLAIM_FEN = 100;
export const WORKERS = 8;

/** Where the current writer serves and its epoch (address null while none does); the load sends there. */
export interface WriterAddress {
  readonly current: { readonly epoch: number; readonly address: string | null };
}

export interface World {
  readonly users: { userId: string; token: string }[];
  readonly campaignId: string;
  packetId: string;
  packetSender: number;
}

/** Everything a client was told succeeded, to find in the ledger afterwards. */
export interface Acknowledged {
  readonly transfers: Map<string, { id: string; from: string; to: string; amount: number }>;
  readonly grabs: { packetId: string; userId: string; amount: number }[];
  readonly claims: { campaignId: string; userId: string; amount: number }[];
}

/** One answer the load saw, with where it came from and when. */
export interface Seen {
  readonly epoch: number;
  readonly status: number;
  /** When the request went out (an answer after a kill may have been sent before it). */
  readonly sent: number;
  readonly at: number;
}

export async function setUp(url: string): Promise<World> {
  const bulk = await request(url, "POST", "/v1/admin/users/bulk", {
    token: ADMIN_TOKEN,
    key: "setup-users",
    body: { users: Array.from({ length: USERS }, (_, i) => ({ phone: nextPhone(), name: `u${i}` })) },
  });
  assert.equal(bulk.status, 201, bulk.text);
  const users = bulk.json().users as { userId: string; token: string }[];
  await Promise.all(
    users.slice(0, 40).map(async (user, i) => {
      const answer = await request(url, "POST", "/v1/admin/deposits", {
        token: ADMIN_TOKEN,
        key: `setup-deposit-${i}`,
        body: { userId: user.userId, amount: 1_000_000 },
      });
      assert.equal(answer.status, 201, answer.text);
    }),
  );
  const campaign = await request(url, "POST", "/v1/admin/campaigns", {
    token: ADMIN_TOKEN,
    key: "setup-campaign",
    body: {
      name: "failover",
      budget: CLAIMS_BUDGETED * CLAIM_FEN,
      amount: { fixed: CLAIM_FEN },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      perUserLimit: 1,
    },
  });
  assert.equal(campaign.status, 201, campaign.text);
  const world: World = { users, campaignId: campaign.json().id, packetId: "", packetSender: 0 };
  return world;
}

/** A lucky packet for the 40 funded users, from the next sender in turn. */
export async function sendPacket(url: string, world: World): Promise<Reply> {
  const sender = world.users[world.packetSender % 40] as World["users"][number];
  world.packetSender += 1;
  const group = await request(url, "POST", "/v1/groups", {
    token: sender.token,
    key: `group-${world.packetSender}`,
    body: { name: "g", memberIds: world.users.slice(0, 40).map((user) => user.userId) },
  });
  if (group.status !== 201) return group;
  const packet = await request(url, "POST", "/v1/red-packets", {
    token: sender.token,
    key: `packet-${world.packetSender}`,
    body: { kind: "lucky", amount: 4_000, count: 20, groupId: group.json().id },
  });
  if (packet.status === 201) world.packetId = packet.json().id;
  return packet;
}

/** How long a worker waits for an answer before it sends its next operation (the first still records its answer). */
const PATIENCE_MS = 1_000;

interface TransferSpec {
  readonly key: string;
  readonly from: number;
  readonly to: number;
  readonly amount: number;
}

/**
 * Mixed load from `WORKERS` clients until `stop` is set: each sends its next operation to
 * the writer the lease names, and records what it was told, whenever that comes (a paused
 * writer answers late). A transfer that got no answer is retried with the same
 * Idempotency-Key, possibly at the next writer.
 */
export class Load {
  readonly acknowledged: Acknowledged = { transfers: new Map(), grabs: [], claims: [] };
  readonly seen: Seen[] = [];
  stop = false;
  #transfers = 0;
  #random = 1;
  readonly #retries: TransferSpec[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(
    readonly world: World,
    readonly lease: WriterAddress,
  ) {}

  #next(bound: number): number {
    this.#random = (this.#random * 48_271) % 2_147_483_647;
    return this.#random % bound;
  }

  async run(): Promise<void> {
    await Promise.all(Array.from({ length: WORKERS }, () => this.#worker()));
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #worker(): Promise<void> {
    while (!this.stop) {
      const { epoch, address } = this.lease.current;
      if (address === null) {
        await sleep(10);
        continue;
      }
      const operation = this.#operation(epoch, address);
      this.#pending.add(operation);
      void operation.finally(() => this.#pending.delete(operation));
      await Promise.race([operation, sleep(PATIENCE_MS)]);
    }
  }

  async #operation(epoch: number, address: string): Promise<void> {
    const sent = performance.now();
    const pick = this.#next(4);
    const retry = this.#retries.shift();
    try {
      if (retry !== undefined || pick <= 1) {
        const spec = retry ?? this.#newTransfer();
        let answer: Reply;
        try {
          answer = await this.#transfer(address, spec);
        } catch (error) {
          this.#retries.push(spec);
          throw error;
        }
        this.#record(epoch, sent, answer);
        if (answer.status >= 500) this.#retries.push(spec);
      } else if (pick === 2) {
        this.#record(epoch, sent, await this.#grab(address));
      } else {
        this.#record(epoch, sent, await this.#claim(address));
      }
    } catch {
      // No answer (the writer died, or cut the connection): the next try goes where the lease says.
      await sleep(20);
    }
  }

  #record(epoch: number, sent: number, answer: Reply): void {
    this.seen.push({ epoch, status: answer.status, sent, at: performance.now() });
    if (answer.status === 503) {
      const seconds = Number(answer.headers.get("retry-after") ?? "0");
      assert.ok(seconds >= 0, "a 503 carries Retry-After");
    }
  }

  #newTransfer(): TransferSpec {
    this.#transfers += 1;
    const from = this.#next(40);
    return { key: `t-${this.#transfers}`, from, to: (from + 1 + this.#next(39)) % 40, amount: 1 + this.#next(100) };
  }

  async #transfer(address: string, t: TransferSpec): Promise<Reply> {
    const from = this.world.users[t.from] as World["users"][number];
    const to = this.world.users[t.to] as World["users"][number];
    const answer = await request(address, "POST", "/v1/transfers", {
      token: from.token,
      key: t.key,
      body: { to: to.userId, amount: t.amount },
      timeoutMs: 30_000,
    });
    if (answer.status === 201) {
      const id = answer.json().id as string;
      const known = this.acknowledged.transfers.get(t.key);
      assert.ok(known === undefined || known.id === id, "a retried key answers the same transfer");
      this.acknowledged.transfers.set(t.key, { id, from: from.userId, to: to.userId, amount: t.amount });
    }
    return answer;
  }

  async #grab(address: string): Promise<Reply> {
    const packetId = this.world.packetId;
    const user = this.world.users[this.#next(40)] as World["users"][number];
    const answer = await request(address, "POST", `/v1/red-packets/${packetId}/grab`, {
      token: user.token,
      body: {},
      timeoutMs: 30_000,
    });
    if (answer.status === 200)
      this.acknowledged.grabs.push({ packetId, userId: user.userId, amount: answer.json().amount });
    if (answer.status === 410 && this.world.packetId === packetId) {
      // Sold out: the next packet, so grabs go on.
      await sendPacket(address, this.world);
    }
    return answer;
  }

  async #claim(address: string): Promise<Reply> {
    const user = this.world.users[this.#next(USERS)] as World["users"][number];
    const answer = await request(address, "POST", `/v1/campaigns/${this.world.campaignId}/claim`, {
      token: user.token,
      timeoutMs: 30_000,
    });
    if (answer.status === 200) {
      this.acknowledged.claims.push({
        campaignId: this.world.campaignId,
        userId: user.userId,
        amount: answer.json().amount,
      });
    }
    return answer;
  }

  /** The first durable answer (2xx) a writer with an epoch above `epoch` gave, at or after `since`. */
  firstSuccessAfter(epoch: number, since: number, timeoutMs: number): Promise<number> {
    return this.#firstSuccess((s) => s.epoch > epoch && s.at >= since, timeoutMs, `from a writer above epoch ${epoch}`);
  }

  /** When the first durable answer (2xx) to a request sent at or after `since` came. */
  firstSuccessSentAfter(since: number, timeoutMs: number): Promise<number> {
    return this.#firstSuccess((s) => s.sent >= since, timeoutMs, "to a request sent since");
  }

  async #firstSuccess(matches: (seen: Seen) => boolean, timeoutMs: number, what: string): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const hit = this.seen.find((s) => matches(s) && s.status >= 200 && s.status < 300);
      if (hit !== undefined) return hit.at;
      await sleep(5);
    }
    throw new Error(`no durable answer ${what} within ${timeoutMs} ms`);
  }
}

/** Reads the ledger straight from PostgreSQL and checks every acknowledged operation and invariant. */
export async function checkLedger(url: string, acknowledged: Acknowledged): Promise<void> {
  const transfers = new Map(
    (
      await queryOnce<{ id: string; from_user: string; to_user: string; amount: number }>(
        url,
        "SELECT id, from_user, to_user, amount FROM transfers",
      )
    ).map((row) => [row.id, row]),
  );
  for (const t of acknowledged.transfers.values()) {
    const row = transfers.get(t.id);
    assert.ok(row !== undefined, `acknowledged transfer ${t.id} is in the ledger`);
    assert.deepEqual([row.from_user, row.to_user, row.amount], [t.from, t.to, t.amount]);
  }
  const grabs = new Set(
    (
      await queryOnce<{ packet_id: string; user_id: string; amount: number }>(
        url,
        "SELECT packet_id, user_id, amount FROM grabs",
      )
    ).map((row) => `${row.packet_id}|${row.user_id}|${row.amount}`),
  );
  for (const g of acknowledged.grabs) {
    assert.ok(
      grabs.has(`${g.packetId}|${g.userId}|${g.amount}`),
      `acknowledged grab of ${g.packetId} is in the ledger`,
    );
  }
  const claims = await queryOnce<{ campaign_id: string; user_id: string; amount: number; n: number }>(
    url,
    "SELECT campaign_id, user_id, amount, n FROM campaign_claims",
  );
  const claimed = new Set(claims.map((row) => `${row.campaign_id}|${row.user_id}|${row.amount}`));
  for (const c of acknowledged.claims) {
    assert.ok(claimed.has(`${c.campaignId}|${c.userId}|${c.amount}`), "an acknowledged claim is in the ledger");
  }
  const perUser = new Map<string, number>();
  for (const row of claims) perUser.set(row.user_id, (perUser.get(row.user_id) ?? 0) + 1);
  assert.ok(
    [...perUser.values()].every((n) => n === 1),
    "nobody claimed twice",
  );
  const spent = claims.reduce((sum, row) => sum + row.amount, 0);
  assert.ok(spent <= CLAIMS_BUDGETED * CLAIM_FEN, `the campaign spent ${spent}, within its budget`);
  const balances = await queryOnce<{ id: string; balance: number }>(url, "SELECT id, balance FROM balances");
  assert.equal(
    balances.reduce((sum, row) => sum + row.balance, 0),
    0,
    "balances sum to zero",
  );
  assert.deepEqual(
    balances.filter((row) => row.id !== "funding" && row.balance < 0),
    [],
    "no balance is below zero",
  );
  // And the store's own load checks: every posting balances, every balance is the sum of its entries.
  const store = await PostgresStore.open({ url });
  try {
    await store.load();
  } finally {
    await store.close();
  }
}
