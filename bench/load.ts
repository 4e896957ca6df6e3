/**
 * The load generator, alone in its process so it never shares an event loop with a server
 * it measures. It knows several "arms" (a URL and a way to build requests) and runs
 * autocannon against one arm per slice, as run.js asks, so that the arms being compared
 * take turns in short slices and see the same noise of a shared machine.
 *
 * Every connection loops over its own list of POST /v1/transfers requests (varied senders,
 * tokens, recipients and amounts), built once from the same seed for every arm; an arm with
 * `idempotencyKeys` adds a unique Idempotency-Key to each request (autocannon's [<id>]).
 *
 * IPC: ← {type:"init", ...LoadInit} → "ready";
 *      ← {type:"slice", arm, seconds, record} → {type:"slice", ...LoadSlice};
 *      ← {type:"latency", arm} → {type:"latency", p50, p99, mean, count} over its recorded slices;
 *      ← "stop".
 */
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { BenchUser } from "./http-target.js";
import { cpuSecondsSince, prng, tell } from "./lib.js";

export interface LoadArm {
  readonly name: string;
  readonly url: string;
  readonly idempotencyKeys: boolean;
  /** Whose tokens and ids the requests carry: the target's own users, or any for a target that ignores them. */
  readonly users: readonly BenchUser[];
}

export interface LoadInit {
  readonly connections: number;
  /** Distinct requests each connection loops over. */
  readonly perConnection: number;
  readonly seed: number;
  readonly arms: readonly LoadArm[];
}

export interface LoadSlice {
  readonly arm: string;
  readonly seconds: number;
  readonly responses: number;
  readonly created: number;
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

function requestsFor(init: LoadInit, arm: LoadArm): Request[][] {
  const random = prng(init.seed);
  const { users, idempotencyKeys } = arm;
  return Array.from({ length: init.connections }, () =>
    Array.from({ length: init.perConnection }, () => {
      const a = Math.floor(random() * users.length);
      let b = Math.floor(random() * (users.length - 1));
      if (b >= a) b += 1;
      const from = users[a] as BenchUser;
      const to = users[b] as BenchUser;
      const headers: Record<string, string> = {
        "content-type": "application/json",
        authorization: `Bearer ${from.token}`,
      };
      if (idempotencyKeys) headers["idempotency-key"] = "bench-[<id>]";
      return {
        method: "POST",
        path: "/v1/transfers",
        headers,
        body: JSON.stringify({ to: to.userId, amount: 1 + Math.floor(random() * 999) }),
      };
    }),
  );
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
  readonly lists: Request[][];
  readonly latencies: Latencies;
}

function runSlice(state: ArmState, connections: number, seconds: number, record: boolean): Promise<Result> {
  const { arm, lists, latencies } = state;
  let next = 0;
  return new Promise<Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: arm.url,
        connections,
        duration: seconds,
        timeout: 10,
        idReplacement: arm.idempotencyKeys,
        requests: [lists[0]?.[0]],
        setupClient: (client: Client) => client.setRequests(lists[next++ % lists.length] as Request[]),
      },
      (error, done) => (error === null ? resolve(done) : reject(error)),
    );
    if (record) {
      instance.on("response", (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.add(ms));
    }
  });
}

let init: LoadInit | undefined;
const arms = new Map<string, ArmState>();
process.on("disconnect", () => process.exit(0));
process.on("message", async (raw) => {
  const message = raw as { type: string } & Record<string, unknown>;
  if (message.type === "init") {
    init = message as unknown as LoadInit;
    for (const arm of init.arms) {
      arms.set(arm.name, { arm, lists: requestsFor(init, arm), latencies: new Latencies() });
    }
    tell({ type: "ready" });
  } else if (message.type === "slice") {
    const { arm, seconds, record } = message as unknown as { arm: string; seconds: number; record: boolean };
    const state = arms.get(arm);
    if (state === undefined || init === undefined) throw new Error(`unknown arm ${arm}`);
    const cpu = process.cpuUsage();
    const result = await runSlice(state, init.connections, seconds, record);
    const statusCodes: Record<string, number> = {};
    for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
    const slice: LoadSlice = {
      arm,
      seconds: result.duration,
      responses: result.requests.total,
      created: statusCodes["201"] ?? 0,
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
  } else if (message.type === "stop") {
    process.disconnect?.();
  }
});
