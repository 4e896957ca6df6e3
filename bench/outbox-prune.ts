/**
 * `npm run bench:outbox-prune`: what pruning the outbox costs the SQLite writer. Pruning runs on
 * the writer's connection between the engine's batches, a slice of events a transaction, so the
 * figure that matters is how long one slice holds the connection (and the event loop).
 *
 *   data     — `--events` events (default 200 000), each concerning two users (every
 *              `--group-every`-th a group packet's, concerning `--members`, default 2 000) and
 *              delivered to one webhook endpoint, written through the store's own batches and fan-out.
 *   prune    — store.events.prune(…) slices of `--slice` events (default 100) until done: the
 *              eligibility checks (pending delivery, open campaign's start) and three deletes.
 *   raw      — on a copy of the same file, the same rows deleted by range, a slice a
 *              transaction, with no checks: the floor.
 *
 * Usage: node dist/bench/outbox-prune.js [--events 200000] [--slice 100] [--group-every 0] [--members 2000]
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { eventIdOf } from "../src/domain/events.js";
import { emptyBatch } from "../src/engine/ledger-state.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { median, table } from "./lib.js";

const { values: args } = parseArgs({
  options: {
    events: { type: "string", default: "200000" },
    slice: { type: "string", default: "100" },
    "group-every": { type: "string", default: "0" },
    members: { type: "string", default: "2000" },
  },
});
const EVENTS = Number(args.events);
const SLICE = Number(args.slice);
const GROUP_EVERY = Number(args["group-every"]);
const MEMBERS = Number(args.members);
const WRITE_BATCH = 2_000;
const userOf = (i: number) => `usr_${(i % 50_000).toString(16).padStart(20, "0")}`;

const dir = mkdtempSync(join(tmpdir(), "hongbao-prune-"));
try {
  const path = join(dir, "ledger.db");
  const store = new SqliteStore({ path });
  await store.load();
  await store.events.createEndpoint({
    id: "we_00000000000000000001",
    url: "https://hooks.example.com/in",
    eventTypes: [],
    secret: "whsec_bench",
    previousSecret: null,
    previousSecretUntil: null,
    createdAt: 0,
    afterSeq: 0,
  });
  for (let first = 1; first <= EVENTS; first += WRITE_BATCH) {
    const events = [];
    for (let seq = first; seq < Math.min(first + WRITE_BATCH, EVENTS + 1); seq++) {
      const group = GROUP_EVERY > 0 && seq % GROUP_EVERY === 0;
      const users = group ? Array.from({ length: MEMBERS }, (_, i) => userOf(seq + i)) : [userOf(seq), userOf(seq * 7)];
      events.push({
        seq,
        id: eventIdOf(seq),
        type: "transfer.received" as const,
        subject: `tr_${seq}`,
        at: seq,
        users,
        data: { amount: seq },
      });
    }
    await store.commit({ ...emptyBatch(), events });
  }
  while ((await store.events.fanOut(5_000, 0)) > 0) {}
  await store.close();
  const settle = new Database(path);
  settle.prepare("UPDATE webhook_deliveries SET state = 'delivered', delivered_at = 1").run();
  settle.close();
  copyFileSync(path, join(dir, "raw.db"));

  // Everything but the newest is older than the limit.
  const before = EVENTS + 1;
  const reopened = new SqliteStore({ path });
  await reopened.load();
  const sliceMs: number[] = [];
  let pruned = 0;
  let afterSeq = 0;
  const started = performance.now();
  for (;;) {
    const t0 = performance.now();
    const slice = await reopened.events.prune(before, afterSeq, SLICE);
    sliceMs.push(performance.now() - t0);
    pruned += slice.events;
    afterSeq = slice.lastSeq;
    if (slice.done) break;
  }
  const pruneMs = performance.now() - started;
  await reopened.close();

  const raw = new Database(join(dir, "raw.db"));
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  const statements = [
    raw.prepare("DELETE FROM event_users WHERE seq > ? AND seq <= ?"),
    raw.prepare("DELETE FROM webhook_deliveries WHERE seq > ? AND seq <= ?"),
    raw.prepare("DELETE FROM events WHERE seq > ? AND seq <= ?"),
  ];
  const rawSlice = raw.transaction((from: number, to: number) => {
    for (const statement of statements) statement.run(from, to);
  });
  const rawMs: number[] = [];
  const rawStarted = performance.now();
  for (let from = 0; from < EVENTS - 1; from += SLICE) {
    const t0 = performance.now();
    rawSlice(from, Math.min(from + SLICE, EVENTS - 1));
    rawMs.push(performance.now() - t0);
  }
  const rawTotalMs = performance.now() - rawStarted;
  raw.close();

  const p99 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.99)] as number;
  const perEvent = (ms: number) => ((1_000 * ms) / (EVENTS - 1)).toFixed(1);
  const groups = GROUP_EVERY > 0 ? `, every ${GROUP_EVERY}th concerning ${MEMBERS}` : "";
  console.log(
    `${EVENTS} events concerning two users${groups}, one delivered delivery each; slices of ${SLICE}; pruned ${pruned} in ${sliceMs.length} slices`,
  );
  console.log(
    table(
      ["", "µs an event", "slice p50 ms", "slice p99 ms", "slice max ms"],
      [
        [
          "store.events.prune",
          perEvent(pruneMs),
          median(sliceMs).toFixed(2),
          p99(sliceMs).toFixed(2),
          Math.max(...sliceMs).toFixed(2),
        ],
        [
          "raw DELETE by range",
          perEvent(rawTotalMs),
          median(rawMs).toFixed(2),
          p99(rawMs).toFixed(2),
          Math.max(...rawMs).toFixed(2),
        ],
      ],
    ),
  );
  console.log(`prune ÷ raw: ${(pruneMs / rawTotalMs).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
