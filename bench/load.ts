/**
 * The load generator, alone in its process so it never shares an event loop with a server
 * it measures. It knows several "arms" (a URL and a way to build requests) and runs
 * autocannon against one arm per slice, as run.js asks, so that the arms being compared
 * take turns in short slices and see the same noise of a shared machine.
 *
 * Requests are prebuilt, never built per request, for every arm alike (a dynamic request
 * costs the loader CPU and would slow the bare baseline most):
 *   transfer — every connection loops over its own list of POST /v1/transfers requests
 *              (varied senders, tokens, recipients and amounts), built once from the same seed
 *              for every arm, each with a unique Idempotency-Key (autocannon's [<id>]), which
 *              the route requires.
 *   grab     — POST /v1/red-packets/:id/grab with body {}, each a (user, packet) pair that
 *              succeeds once;
 *   claim    — POST /v1/campaigns/:id/claim with no body (a plain claim, as an app sends it),
 *              each by a user who has not claimed yet.
 * A grab or claim arm that `consumes` its requests gets, before each slice (`prepare`), a fresh
 * chunk per connection from a supply that never hands a request out twice, sized from the
 * arm's fastest slice so far; the loader makes the supply itself through the server's public
 * API (bulk users, deposits, groups, packets, a campaign), topping it up between slices. An
 * arm that does not consume (the bare server) loops over requests of the same shape from the
 * same supply.
 *
 * IPC: ← {type:"init", ...LoadInit} → "ready";
 *      ← {type:"prepare", arm, seconds} → "prepared" (untimed set-up before a slice);
 *      ← {type:"slice", arm, seconds, record} → {type:"slice", ...LoadSlice};
 *      ← {type:"latency", arm} → {type:"latency", p50, p99, mean, count} over its recorded slices;
 *      ← {type:"supply", arm} → {type:"supply", ...} (what the supply made and handed out);
 *      ← "stop".
 */
import { randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { BenchUser } from "./http-target.js";
import { cpuSecondsSince, prng, tell } from "./lib.js";
import {
  CLAIM_AMOUNT,
  GROUP_SIZE,
  PACKET_AMOUNT,
  PACKET_SHARES,
  PACKET_WINDOW,
  pick,
  shuffle,
  type WorkloadName,
} from "./workloads.js";

export interface LoadArm {
  readonly name: string;
  readonly url: string;
  readonly kind: WorkloadName;
  /** The status of a successful answer (201 for a transfer, 200 for a grab or a claim). */
  readonly okStatus: number;
  /** Whose tokens and ids transfer requests carry: the target's own users, or any for a target that ignores them. */
  readonly users: readonly BenchUser[];
  /** Grab and claim arms: each request is used once (true) or the connection loops over a fixed list (false). */
  readonly consumes: boolean;
  /** Grab and claim arms: the arm whose server the requests are made on (itself, when it consumes). */
  readonly supplyOf: string;
  /** The admin token of the server the supply is made on. */
  readonly adminToken: string;
}

export interface LoadInit {
  readonly connections: number;
  /** Distinct requests each connection loops over. */
  readonly perConnection: number;
  readonly seed: number;
  /** The warm-up slice's length: consuming arms get its requests made during init. */
  readonly warmupSeconds: number;
  readonly arms: readonly LoadArm[];
}

export interface LoadSlice {
  readonly arm: string;
  readonly seconds: number;
  readonly responses: number;
  /** Answers with the arm's okStatus. */
  readonly ok: number;
  readonly statusCodes: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly loaderCpuSeconds: number;
}

export interface LoadLatency {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly count: number;
}

export interface SupplyReport {
  /** Single-use requests made (grab: packet shares, claim: users) and handed out to connections. */
  readonly made: number;
  readonly handedOut: number;
  /** Seconds the loader spent making the supply (bulk users, packets, …), all outside slices. */
  readonly setupSeconds: number;
  /** Connections that ran out of fresh requests within a slice (should be 0). */
  readonly wrapped: number;
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}
interface Client {
  setRequests(requests: Request[]): void;
}
interface Result {
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodeStats: Record<string, { count: number }>;
  readonly requests: { readonly total: number };
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: Result) => void,
) => EventEmitter;

const require = createRequire(import.meta.url);
const autocannon = require("autocannon") as Autocannon;

function transferLists(init: LoadInit, arm: LoadArm): Request[][] {
  const random = prng(init.seed);
  const { users } = arm;
  return Array.from({ length: init.connections }, () =>
    Array.from({ length: init.perConnection }, () => {
      const a = Math.floor(random() * users.length);
      let b = Math.floor(random() * (users.length - 1));
      if (b >= a) b += 1;
      const from = users[a] as BenchUser;
      const to = users[b] as BenchUser;
      return {
        method: "POST",
        path: "/v1/transfers",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${from.token}`,
          "idempotency-key": "bench-[<id>]",
        },
        body: JSON.stringify({ to: to.userId, amount: 1 + Math.floor(random() * 999) }),
      };
    }),
  );
}

// ---------------------------------------------------------------- supplies of single-use requests

/** One admin or user call of the set-up; a few thousand of them, so fetch is fine here. It is never retried. */
async function api(base: string, path: string, token: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": randomUUID() },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`set-up ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as unknown;
}

/** Runs `work` on every item, at most `limit` at once. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const USERS_PER_BULK = 10_000;
const FUNDS = 1_000_000_000;
const SENDERS_PER_GROUP = 20;
const JSON_HEADERS = { "content-type": "application/json" };

/** Single-use requests made through a server's public API, handed out in order, never twice. */
abstract class Supply {
  protected readonly queue: Request[] = [];
  #head = 0;
  #phones = 0;
  made = 0;
  handedOut = 0;
  setupSeconds = 0;

  constructor(
    protected readonly url: string,
    protected readonly adminToken: string,
    /** Phones of this supply's users: distinct from every other supply's on the same server. */
    private readonly phonePrefix: string,
  ) {}

  /** Makes sure `n` unused requests are ready. */
  async ensure(n: number): Promise<void> {
    if (this.queue.length - this.#head >= n) return;
    const started = performance.now();
    while (this.queue.length - this.#head < n) await this.more(n - (this.queue.length - this.#head));
    this.setupSeconds += (performance.now() - started) / 1000;
  }

  take(n: number): Request[] {
    if (this.queue.length - this.#head < n) throw new Error("supply: not enough requests ensured");
    const taken = this.queue.slice(this.#head, this.#head + n);
    this.#head += n;
    this.handedOut += n;
    if (this.#head > 200_000) {
      this.queue.splice(0, this.#head);
      this.#head = 0;
    }
    return taken;
  }

  /** Requests handed out but never sent: they go first next time. */
  giveBack(requests: readonly Request[]): void {
    const rest = this.queue.slice(this.#head);
    this.queue.length = this.#head;
    for (const request of requests) this.queue.push(request);
    for (const request of rest) this.queue.push(request);
    this.handedOut -= requests.length;
  }

  /** The first `n` requests not yet handed out, left in place (for arms that do not consume). */
  peek(n: number): Request[] {
    return this.queue.slice(this.#head, this.#head + n);
  }

  /** Makes at least some more requests (about `wanted`). */
  protected abstract more(wanted: number): Promise<void>;

  /** `count` new users through POST /v1/admin/users/bulk, 10 000 a call. */
  protected async users(count: number): Promise<BenchUser[]> {
    const calls: { phone: string; name: string }[][] = [];
    for (let start = 0; start < count; start += USERS_PER_BULK) {
      calls.push(
        Array.from({ length: Math.min(USERS_PER_BULK, count - start) }, () => {
          const n = this.#phones++;
          return { phone: `${this.phonePrefix}${String(n).padStart(8, "0")}`, name: `bench ${n}` };
        }),
      );
    }
    const made: BenchUser[][] = Array.from({ length: calls.length }, () => []);
    await inParallel(
      calls.map((users, i) => ({ users, i })),
      2,
      async ({ users, i }) => {
        const answer = (await api(this.url, "/v1/admin/users/bulk", this.adminToken, { users })) as {
          users: BenchUser[];
        };
        made[i] = answer.users.map(({ userId, token }) => ({ userId, token }));
      },
    );
    return made.flat();
  }
}

/**
 * Grabs (figure 4): users in groups of GROUP_SIZE, lucky packets of PACKET_SHARES shares sent
 * by funded members (POST /v1/red-packets), each grabbed by PACKET_SHARES other members; the
 * grabs of PACKET_WINDOW packets are shuffled together, so concurrent grabs hit many packets.
 */
class GrabSupply extends Supply {
  readonly #random: () => number;
  #groups: { id: string; members: BenchUser[]; senders: BenchUser[]; tokens: Map<string, string> }[] | undefined;
  #sent = 0;

  constructor(
    url: string,
    adminToken: string,
    seed: number,
    readonly userCount: number,
  ) {
    super(url, adminToken, "+86137");
    this.#random = prng(seed);
  }

  protected async more(wanted: number): Promise<void> {
    const groups = this.#groups ?? (await this.#setUp());
    const windows = Math.max(1, Math.ceil(wanted / (PACKET_WINDOW * PACKET_SHARES)));
    for (let w = 0; w < windows; w++) {
      const packets: { group: (typeof groups)[number]; sender: BenchUser }[] = [];
      for (let i = 0; i < PACKET_WINDOW; i++, this.#sent++) {
        const group = groups[this.#sent % groups.length] as (typeof groups)[number];
        const sender = group.senders[Math.floor(this.#sent / groups.length) % group.senders.length] as BenchUser;
        packets.push({ group, sender });
      }
      const window: Request[] = [];
      await inParallel(packets, 25, async ({ group, sender }) => {
        const packet = (await api(this.url, "/v1/red-packets", sender.token, {
          kind: "lucky",
          amount: PACKET_AMOUNT,
          count: PACKET_SHARES,
          groupId: group.id,
          greeting: "恭喜发财",
        })) as { id: string };
        const grabbers = pick(
          group.members.map((m) => m.userId),
          PACKET_SHARES,
          this.#random,
          sender.userId,
        );
        for (const userId of grabbers) {
          window.push({
            method: "POST",
            path: `/v1/red-packets/${packet.id}/grab`,
            headers: { ...JSON_HEADERS, authorization: `Bearer ${group.tokens.get(userId) as string}` },
            body: "{}",
          });
        }
      });
      shuffle(window, this.#random);
      this.queue.push(...window);
      this.made += window.length;
    }
  }

  async #setUp() {
    const users = await this.users(Math.max(GROUP_SIZE, this.userCount));
    const groups: { id: string; members: BenchUser[]; senders: BenchUser[]; tokens: Map<string, string> }[] = [];
    for (let start = 0; start + GROUP_SIZE <= users.length; start += GROUP_SIZE) {
      const members = users.slice(start, start + GROUP_SIZE);
      const [owner, ...others] = members as [BenchUser, ...BenchUser[]];
      const group = (await api(this.url, "/v1/groups", owner.token, {
        name: `bench group ${groups.length}`,
        memberIds: others.map((m) => m.userId),
      })) as { id: string };
      groups.push({
        id: group.id,
        members,
        senders: members.slice(0, SENDERS_PER_GROUP),
        tokens: new Map(members.map((m) => [m.userId, m.token])),
      });
    }
    await inParallel(
      groups.flatMap((g) => g.senders),
      25,
      async (sender) => {
        await api(this.url, "/v1/admin/deposits", this.adminToken, { userId: sender.userId, amount: FUNDS });
      },
    );
    this.#groups = groups;
    return groups;
  }
}

/** Claims (figure 6): one campaign (POST /v1/admin/campaigns), each claim by a new user. */
class ClaimSupply extends Supply {
  #campaignId: string | undefined;
  readonly #random: () => number;

  constructor(url: string, adminToken: string, seed: number) {
    super(url, adminToken, "+86139");
    this.#random = prng(seed);
  }

  protected async more(wanted: number): Promise<void> {
    const campaignId = this.#campaignId ?? (await this.#setUp());
    const users = await this.users(Math.ceil(wanted / USERS_PER_BULK) * USERS_PER_BULK);
    // Claimers come in any order, not in the order they signed up.
    shuffle(users, this.#random);
    for (const user of users) {
      // A plain claim, as the app sends it: no body, no Idempotency-Key (the server's fast path takes these).
      this.queue.push({
        method: "POST",
        path: `/v1/campaigns/${campaignId}/claim`,
        headers: { authorization: `Bearer ${user.token}` },
        body: "",
      });
    }
    this.made += users.length;
  }

  async #setUp(): Promise<string> {
    const now = Date.now();
    const campaign = (await api(this.url, "/v1/admin/campaigns", this.adminToken, {
      name: "bench campaign",
      budget: 100_000_000_000,
      amount: { fixed: CLAIM_AMOUNT },
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 24 * 3_600_000).toISOString(),
      perUserLimit: 1,
    })) as { id: string };
    this.#campaignId = campaign.id;
    return campaign.id;
  }
}

/** Latencies (ms) of the recorded slices of one arm, in a growable typed array. */
class Latencies {
  #values = new Float64Array(1 << 16);
  #count = 0;

  add(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
  }

  summary(): LoadLatency {
    const sorted = this.#values.subarray(0, this.#count).sort();
    const at = (p: number) =>
      sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
    let sum = 0;
    for (const ms of sorted) sum += ms;
    return {
      p50: at(0.5),
      p99: at(0.99),
      mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
      count: sorted.length,
    };
  }
}

interface ArmState {
  readonly arm: LoadArm;
  /** Per connection, the requests of the next slice (looping arms: the same every slice). */
  lists: Request[][];
  readonly latencies: Latencies;
  readonly supply: Supply | undefined;
  /** The busiest connection's answers per second, the most of any recorded slice (consuming arms size their chunks by it). */
  perConnectionRate: number;
  /** Connections that sent every request of their chunk and started over (each repeat is a 409). */
  wrapped: number;
  /** Answers of the busiest connection in the last slice (consuming arms). */
  busiest: number;
  /** Whether a recorded slice has run (until then the first guess holds). */
  recorded: boolean;
}

/**
 * A first guess of answers per connection per second: it sizes a consuming arm's chunks until
 * the arm has run a recorded slice (a warm-up slice runs slower than the slices after it).
 */
const FIRST_RATE_GUESS = 60;

function runSlice(state: ArmState, connections: number, seconds: number, record: boolean): Promise<Result> {
  const { arm, lists, latencies } = state;
  let next = 0;
  // Consuming arms: answers per connection, so the requests a connection never sent go back to the supply.
  const listOf = new Map<unknown, number>();
  const answered = new Array<number>(lists.length).fill(0);
  return new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: arm.url,
        connections,
        duration: seconds,
        // autocannon stops at the first sample tick after `duration`: tick often, so a slice lasts what it is asked.
        sampleInt: 100,
        timeout: 10,
        idReplacement: arm.kind === "transfer",
        requests: [lists[0]?.[0]],
        setupClient: (client: Client) => {
          listOf.set(client, next % lists.length);
          client.setRequests(lists[next++ % lists.length] as Request[]);
        },
      },
      (error, done) => {
        if (error !== null) return reject(error);
        if (arm.consumes && state.supply !== undefined) {
          let wrapped = 0;
          const unsent: Request[] = [];
          lists.forEach((list, i) => {
            // One more than answered may have reached the server as the slice ended: never reuse it.
            const used = (answered[i] as number) + 2;
            if ((answered[i] as number) >= list.length) wrapped += 1;
            if (used < list.length) unsent.push(...list.slice(used));
          });
          state.supply.giveBack(unsent);
          state.busiest = Math.max(0, ...answered);
          if (process.env.HONGBAO_BENCH_VERBOSE) {
            const sorted = [...answered].sort((a, b) => a - b);
            process.stderr.write(
              `[load] ${arm.name}: ${lists[0]?.length} fresh requests per connection, answers per connection ` +
                `min ${sorted[0]} median ${sorted[sorted.length >> 1]} max ${sorted.at(-1)} in ${done.duration} s\n`,
            );
          }
          state.wrapped += wrapped;
        }
        resolve(done);
      },
    );
    if (record || arm.consumes) {
      instance.on("response", (client: unknown, _status: number, _bytes: number, ms: number) => {
        if (record) latencies.add(ms);
        const i = listOf.get(client);
        if (i !== undefined) answered[i] = (answered[i] as number) + 1;
      });
    }
  });
}

/**
 * Fresh requests per connection for a slice: 2.5 times the busiest connection's pace so far, as a connection
 * that runs out of them would repeat one (a 409). What it did not send goes back to the supply.
 */
function chunkFor(perConnectionRate: number, seconds: number): number {
  return Math.ceil(perConnectionRate * seconds * 2.5) + 50;
}

/** Before a slice, untimed: a consuming arm gets fresh requests for every connection. */
async function prepare(init: LoadInit, state: ArmState, seconds: number): Promise<void> {
  if (state.supply === undefined) return;
  const { connections, perConnection } = init;
  if (!state.arm.consumes) {
    if (state.lists.length > 0) return;
    await state.supply.ensure(connections * perConnection);
    const requests = state.supply.peek(connections * perConnection);
    state.lists = Array.from({ length: connections }, (_, c) =>
      requests.slice(c * perConnection, (c + 1) * perConnection),
    );
    return;
  }
  const chunk = chunkFor(state.perConnectionRate, seconds);
  await state.supply.ensure(connections * chunk);
  const requests = state.supply.take(connections * chunk);
  state.lists = Array.from({ length: connections }, (_, c) => requests.slice(c * chunk, (c + 1) * chunk));
}

let init: LoadInit | undefined;
const arms = new Map<string, ArmState>();
const supplies = new Map<string, Supply>();
process.on("disconnect", () => process.exit(0));
process.on("message", async (raw) => {
  const message = raw as { type: string } & Record<string, unknown>;
  if (message.type === "init") {
    init = message as unknown as LoadInit;
    for (const arm of init.arms) {
      let supply: Supply | undefined;
      if (arm.kind !== "transfer") {
        const owner = init.arms.find((a) => a.name === arm.supplyOf) ?? arm;
        supply = supplies.get(owner.name);
        if (supply === undefined) {
          supply =
            owner.kind === "grab"
              ? new GrabSupply(owner.url, owner.adminToken, init.seed, owner.users.length || 5 * GROUP_SIZE)
              : new ClaimSupply(owner.url, owner.adminToken, init.seed);
          supplies.set(owner.name, supply);
        }
      }
      arms.set(arm.name, {
        arm,
        lists: arm.kind === "transfer" ? transferLists(init, arm) : [],
        latencies: new Latencies(),
        supply,
        perConnectionRate: FIRST_RATE_GUESS,
        wrapped: 0,
        busiest: 0,
        recorded: false,
      });
    }
    // The warm-up's requests, every supply at once (the servers make them; the machine has two cores).
    const first = init.connections * chunkFor(FIRST_RATE_GUESS, init.warmupSeconds);
    await Promise.all(
      [...arms.values()].filter((a) => a.arm.consumes && a.supply !== undefined).map((a) => a.supply?.ensure(first)),
    );
    tell({ type: "ready" });
  } else if (message.type === "prepare") {
    const { arm, seconds } = message as unknown as { arm: string; seconds: number };
    const state = arms.get(arm);
    if (state === undefined || init === undefined) throw new Error(`unknown arm ${arm}`);
    await prepare(init, state, seconds);
    tell({ type: "prepared" });
  } else if (message.type === "slice") {
    const { arm, seconds, record } = message as unknown as { arm: string; seconds: number; record: boolean };
    const state = arms.get(arm);
    if (state === undefined || init === undefined) throw new Error(`unknown arm ${arm}`);
    const cpu = process.cpuUsage();
    const result = await runSlice(state, init.connections, seconds, record);
    const statusCodes: Record<string, number> = {};
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
    // The busiest connection's pace sets the next chunks (its answers are counted for consuming arms only).
    const pace = state.busiest / Math.max(0.1, result.duration);
    if (record) state.perConnectionRate = state.recorded ? Math.max(state.perConnectionRate, pace) : pace;
    else if (!state.recorded) state.perConnectionRate = Math.max(state.perConnectionRate, pace);
    if (record) state.recorded = true;
    const slice: LoadSlice = {
      arm,
      seconds: result.duration,
      responses: result.requests.total,
      ok: statusCodes[String(state.arm.okStatus)] ?? 0,
      statusCodes,
      errors: result.errors,
      timeouts: result.timeouts,
      loaderCpuSeconds: cpuSecondsSince(cpu),
    };
    tell({ type: "slice", ...slice });
  } else if (message.type === "latency") {
    const state = arms.get(message.arm as string);
    tell({
      type: "latency",
      ...(state?.latencies.summary() ?? { p50: Number.NaN, p99: Number.NaN, mean: Number.NaN, count: 0 }),
    });
  } else if (message.type === "supply") {
    const supply = arms.get(message.arm as string)?.supply;
    const report: SupplyReport = {
      made: supply?.made ?? 0,
      handedOut: supply?.handedOut ?? 0,
      setupSeconds: supply?.setupSeconds ?? 0,
      wrapped: arms.get(message.arm as string)?.wrapped ?? 0,
    };
    tell({ type: "supply", ...report });
  } else if (message.type === "stop") {
    process.disconnect?.();
  }
});
