/**
 * Writer failover on the real PostgreSQL server with real `hongbao serve --store postgres://…`
 * processes: any number of writers wait for the lease, one serves. Under mixed load
 * (transfers, grabs, claims) the active writer is SIGKILLed over and over; a waiting writer
 * takes over each time, and the time from the kill to the first durable answer by the new
 * writer is measured. A writer paused with SIGSTOP while another takes over commits nothing
 * when it wakes, and tells no client a success that is not in the ledger. Afterwards the
 * ledger is read straight from PostgreSQL and checked.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import pg from "pg";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { createDatabase, dropDatabase, queryOnce } from "../support/postgres.js";
import {
  ADMIN_TOKEN,
  childEnv,
  cleanup,
  nextPhone,
  Proc,
  type Reply,
  request,
  sleep,
  TOKEN_SECRET,
} from "./support.js";

const KILLS = Number(process.env.HONGBAO_FAILOVER_KILLS ?? 20);
const USERS = 120;
const CLAIMS_BUDGETED = 80;
const CLAIM_FEN = 100;
const WORKERS = 8;

interface Writer {
  readonly proc: Proc;
}

function startWriter(url: string): Writer {
  const proc = new Proc(["serve", "--port", "0", "--store", url, "--log-level", "info"], {
    env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET }),
  });
  return { proc };
}

interface Lease {
  readonly epoch: number;
  readonly address: string | null;
}

/** Follows the lease row: where the current writer serves, as an edge would find it. */
class LeaseWatch {
  readonly #client: pg.Client;
  current: Lease = { epoch: 0, address: null };
  #timer: NodeJS.Timeout | undefined;

  constructor(url: string) {
    this.#client = new pg.Client({ connectionString: url });
  }

  async start(): Promise<void> {
    await this.#client.connect();
    const poll = async () => {
      try {
        const { rows } = await this.#client.query<{ epoch: string; address: string | null }>(
          "SELECT epoch, address FROM writer_lease WHERE shard = 0",
        );
        const row = rows[0];
        if (row !== undefined) this.current = { epoch: Number(row.epoch), address: row.address };
      } catch {
        // No lease table before the first writer has migrated the database.
      }
      this.#timer = setTimeout(() => void poll(), 25);
    };
    await poll();
  }

  /** Waits until a writer with an epoch above `epoch` advertises its address. */
  async next(epoch: number, timeoutMs: number): Promise<Lease & { address: string }> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const lease = this.current;
      if (lease.epoch > epoch && lease.address !== null) return lease as Lease & { address: string };
      await sleep(10);
    }
    throw new Error(`no writer above epoch ${epoch} within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#client.end();
  }
}

interface World {
  readonly users: { userId: string; token: string }[];
  readonly campaignId: string;
  packetId: string;
  packetSender: number;
}

/** Everything a client was told succeeded, to find in the ledger afterwards. */
interface Acknowledged {
  readonly transfers: Map<string, { id: string; from: string; to: string; amount: number }>;
  readonly grabs: { packetId: string; userId: string; amount: number }[];
  readonly claims: { campaignId: string; userId: string; amount: number }[];
}

/** One answer the load saw, with where it came from and when. */
interface Seen {
  readonly epoch: number;
  readonly status: number;
  readonly at: number;
}

async function setUp(url: string): Promise<World> {
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
async function sendPacket(url: string, world: World): Promise<Reply> {
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
class Load {
  readonly acknowledged: Acknowledged = { transfers: new Map(), grabs: [], claims: [] };
  readonly seen: Seen[] = [];
  stop = false;
  #transfers = 0;
  #random = 1;
  readonly #retries: TransferSpec[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(
    readonly world: World,
    readonly lease: LeaseWatch,
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
        this.#record(epoch, answer);
        if (answer.status >= 500) this.#retries.push(spec);
      } else if (pick === 2) {
        this.#record(epoch, await this.#grab(address));
      } else {
        this.#record(epoch, await this.#claim(address));
      }
    } catch {
      // No answer (the writer died, or cut the connection): the next try goes where the lease says.
      await sleep(20);
    }
  }

  #record(epoch: number, answer: Reply): void {
    this.seen.push({ epoch, status: answer.status, at: performance.now() });
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
  async firstSuccessAfter(epoch: number, since: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const hit = this.seen.find((s) => s.epoch > epoch && s.at >= since && s.status >= 200 && s.status < 300);
      if (hit !== undefined) return hit.at;
      await sleep(5);
    }
    throw new Error(`no durable answer from a writer above epoch ${epoch} within ${timeoutMs} ms`);
  }
}

/** Reads the ledger straight from PostgreSQL and checks every acknowledged operation and invariant. */
async function checkLedger(url: string, acknowledged: Acknowledged): Promise<void> {
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

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

// How long one step (a lease taken, a first durable answer) may take: a deadline for a starved
// machine, not a measure; the takeover figures are printed, and measured in docs/reliability.md.
const STEP_MS = 90_000;

describe("writer failover on PostgreSQL", { concurrency: false }, () => {
  const databases: string[] = [];
  after(async () => {
    await cleanup();
    for (const name of databases) await dropDatabase(name);
  });

  it(`a waiting writer takes over each of ${KILLS} SIGKILLs under mixed load; nothing acknowledged is lost`, {
    timeout: 900_000,
  }, async () => {
    const database = await createDatabase();
    databases.push(database.name);
    const lease = new LeaseWatch(database.url);
    // Stopped however the test ends: a failed assertion must not leave the clients running.
    let load: Load | undefined;
    const writers: Writer[] = [startWriter(database.url)];
    await lease.start();
    try {
      const first = await lease.next(0, STEP_MS);
      // Two more wait for the lease without listening.
      writers.push(startWriter(database.url), startWriter(database.url));
      const world = await setUp(first.address);
      assert.equal((await sendPacket(first.address, world)).status, 201);
      load = new Load(world, lease);
      const running = load.run();
      const takeoversMs: number[] = [];
      let lapses = 0;
      let active = first;
      for (let kill = 0; kill < KILLS; kill++) {
        // A writer that lost its lease on its own (a renewal late past the TTL on a starved
        // machine) has exited with status 3: keep three writers alive.
        for (const gone of writers.filter((w) => w.proc.child.exitCode !== null)) {
          assert.equal(gone.proc.child.exitCode, 3, `a writer exits only when fenced\n${gone.proc.describe()}`);
          writers.splice(writers.indexOf(gone), 1, startWriter(database.url));
        }
        // Let the active writer answer some load first.
        await load.firstSuccessAfter(active.epoch - 1, performance.now(), STEP_MS);
        await sleep(150);
        active = await lease.next(active.epoch - 1, STEP_MS);
        const epoch = active.epoch;
        const victim = writers.find(
          (w) => w.proc.child.exitCode === null && w.proc.lines.some((l) => l.msg === "listening" && l.epoch === epoch),
        );
        if (victim === undefined) {
          // It lost the lease meanwhile (and is exiting): kill the next one instead.
          kill -= 1;
          continue;
        }
        const killedAt = performance.now();
        victim.proc.child.kill("SIGKILL");
        writers.splice(writers.indexOf(victim), 1);
        writers.push(startWriter(database.url));
        const answeredAt = await load.firstSuccessAfter(active.epoch, killedAt, STEP_MS);
        takeoversMs.push(answeredAt - killedAt);
        const next = lease.current;
        assert.ok(next.epoch > active.epoch, "a newer writer serves");
        // More than one above: a new writer lost its lease before it served (counted, printed).
        lapses += next.epoch - active.epoch - 1;
        active = next as Lease & { address: string };
      }
      if (KILLS === 0) await sleep(4_000);
      load.stop = true;
      await running;
      const sorted = [...takeoversMs].sort((a, b) => a - b);
      const figures = {
        kills: KILLS,
        takeoversWithoutKill: lapses,
        takeoverMsP50: Math.round(percentile(sorted, 50)),
        takeoverMsP99: Math.round(percentile(sorted, 99)),
        takeoverMsMax: Math.round(sorted[sorted.length - 1] as number),
        transfers: load.acknowledged.transfers.size,
        grabs: load.acknowledged.grabs.length,
        claims: load.acknowledged.claims.length,
        answers: load.seen.length,
      };
      console.log(`failover figures: ${JSON.stringify(figures)}`);
      assert.ok(load.acknowledged.transfers.size > 0 && load.acknowledged.grabs.length > 0);
      assert.ok(load.acknowledged.claims.length > 0);
      await checkLedger(database.url, load.acknowledged);
    } finally {
      if (load !== undefined) load.stop = true;
      await lease.stop();
    }
  });

  it("a writer paused (SIGSTOP) while another takes over commits nothing when it wakes and exits non-zero", {
    timeout: 360_000,
  }, async () => {
    const database = await createDatabase();
    databases.push(database.name);
    const lease = new LeaseWatch(database.url);
    // Stopped however the test ends: a failed assertion must not leave the clients running.
    let load: Load | undefined;
    const paused = startWriter(database.url);
    await lease.start();
    try {
      const first = await lease.next(0, STEP_MS);
      const standby = startWriter(database.url);
      const world = await setUp(first.address);
      assert.equal((await sendPacket(first.address, world)).status, 201);
      load = new Load(world, lease);
      const running = load.run();
      await load.firstSuccessAfter(0, 0, STEP_MS);
      await sleep(300);
      const stoppedAt = performance.now();
      paused.proc.child.kill("SIGSTOP");
      // Every request sent to the paused writer from here on hangs until it wakes.
      const second = await lease.next(first.epoch, STEP_MS);
      await load.firstSuccessAfter(first.epoch, stoppedAt, STEP_MS);
      await sleep(500);
      const woke = performance.now();
      paused.proc.child.kill("SIGCONT");
      const exit = await paused.proc.waitForExit(20_000);
      assert.deepEqual(
        exit,
        { code: 3, signal: null },
        `the fenced writer exits with status 3\n${paused.proc.describe()}`,
      );
      assert.ok(
        paused.proc.lines.some((l) => l.msg === "writer lease lost: stepping down"),
        "it says why it stopped",
      );
      await sleep(300);
      load.stop = true;
      await running;
      // What the paused writer told its clients after it woke: retryable refusals. A success is
      // possible only for a batch whose COMMIT the server had taken before the pause; checkLedger
      // finds every success in the ledger.
      const fromPaused = load.seen.filter((s) => s.epoch === first.epoch && s.at >= woke);
      const statuses = [...new Set(fromPaused.map((s) => s.status))].sort();
      console.log(
        `fencing figures: ${JSON.stringify({
          pausedMs: Math.round(woke - stoppedAt),
          takeoverEpoch: second.epoch,
          answersFromWokenWriter: fromPaused.length,
          statusesFromWokenWriter: statuses,
        })}`,
      );
      assert.ok(statuses.includes(503), `its waiting clients were told 503 (retry): ${statuses.join(",")}`);
      assert.deepEqual(
        statuses.filter((status) => status >= 500 && status !== 503),
        [],
        "never a 5xx but the retryable 503",
      );
      await checkLedger(database.url, load.acknowledged);
      standby.proc.child.kill("SIGTERM");
      assert.deepEqual(await standby.proc.waitForExit(20_000), { code: 0, signal: null });
    } finally {
      if (load !== undefined) load.stop = true;
      await lease.stop();
    }
  });
});
