/**
 * `npm run bench:store-copy`: `hongbao store copy` on a deployment of a million users. Builds
 * a SQLite file (untimed) with N users, each with one deposit (N postings, 2N entries) and
 * N/10 pending transfers, then copies it into a fresh PostgreSQL database and prints how long
 * the source check, the copy and the target check took. The database is dropped afterwards.
 *
 * Usage: node dist/bench/store-copy-bench.js [--users 1000000] [--url postgres://postgres@127.0.0.1:5432/postgres]
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { emptyBatch } from "../src/engine/ledger-state.js";
import type { Batch } from "../src/engine/store-port.js";
import { copySqliteToPostgres } from "../src/store/copy.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";

const { values: args } = parseArgs({
  options: {
    users: { type: "string", default: "1000000" },
    url: { type: "string", default: process.env.HONGBAO_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/postgres" },
  },
});
const USERS = Number(args.users);
const PER_BATCH = 10_000;
const DEPOSIT = 10_000;
const TRANSFER = 100;

function userId(n: number): string {
  return `usr_${n.toString(16).padStart(20, "0")}`;
}

/** N users with a deposit each, and a pending transfer from every tenth to the next: a ledger that checks. */
async function build(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  let postingId = 1;
  let entryId = 1;
  let funding = 0;
  let escrow = 0;
  for (let start = 0; start < USERS; start += PER_BATCH) {
    const batch: Batch = emptyBatch();
    const end = Math.min(USERS, start + PER_BATCH);
    for (let n = start; n < end; n++) {
      const id = userId(n);
      batch.users.push({ id, phone: `+86${String(13_000_000_000 + n)}`, name: `user ${n}`, createdAt: n });
      funding -= DEPOSIT;
      batch.postings.push({
        id: postingId++,
        kind: "deposit",
        ref: id,
        at: n,
        legs: [
          { account: "funding", amount: -DEPOSIT, balanceAfter: funding, entryId: entryId++ },
          { account: id, amount: DEPOSIT, balanceAfter: DEPOSIT, entryId: entryId++ },
        ],
      });
      if (n % 10 === 0 && n + 1 < USERS) {
        const transferId = `tr_${n.toString(16).padStart(20, "0")}`;
        escrow += TRANSFER;
        batch.postings.push({
          id: postingId++,
          kind: "transfer.send",
          ref: transferId,
          at: n,
          legs: [
            { account: id, amount: -TRANSFER, balanceAfter: DEPOSIT - TRANSFER, entryId: entryId++ },
            { account: "escrow", amount: TRANSFER, balanceAfter: escrow, entryId: entryId++ },
          ],
        });
        batch.transfers.push({
          id: transferId,
          from: id,
          to: userId(n + 1),
          amount: TRANSFER,
          memo: "",
          nature: "unspecified",
          dueDate: null,
          status: "pending",
          createdAt: n,
          refundAt: n + 86_400_000,
          answeredAt: null,
          natureHints: [],
          warnings: [],
          loanAcknowledgedAt: null,
        });
      }
    }
    await store.commit(batch);
  }
  await store.close();
}

const dir = mkdtempSync(join(tmpdir(), "hongbao-copy-bench-"));
const name = `hongbao_copy_bench_${randomBytes(3).toString("hex")}`;
const admin = new pg.Client({ connectionString: args.url });
await admin.connect();
try {
  const path = join(dir, "hongbao.db");
  const built = performance.now();
  await build(path);
  console.error(`built a SQLite deployment of ${USERS} users in ${((performance.now() - built) / 1000).toFixed(1)} s`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(args.url as string);
  url.pathname = `/${name}`;
  const started = performance.now();
  const report = await copySqliteToPostgres(path, url.toString(), (line) => console.error(line));
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `store copy of ${report.users} users (${report.accounts} accounts, ${report.rows.entries} entries): ` +
      `${seconds.toFixed(1)} s in all — source check ${report.seconds.checkSource.toFixed(1)} s, ` +
      `copy ${report.seconds.copy.toFixed(1)} s, target check ${report.seconds.checkTarget.toFixed(1)} s; ` +
      `balances sum to ${report.balanceSum}`,
  );
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
