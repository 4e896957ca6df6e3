/**
 * `npm run durability`: the durability-order check at length (test/process/durability.ts):
 * `hongbao serve` under strace through `--requests` money-moving requests of the bank load,
 * then the same against the unsynced fixture, which must fail. Exits non-zero if the real
 * server sent any money acknowledgement before its batch's fsync, or if the check missed the
 * unsynced one.
 *
 *   npm run durability -- [--requests 2000] [--seed N]
 */
import { parseArgs } from "node:util";
import { formatDurability, runDurability, straceAvailable } from "./durability.js";
import { cleanup } from "./support.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "2000" }, seed: { type: "string" } } });
const requests = Number(values.requests);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(requests) || requests < 1) {
  console.error("usage: npm run durability -- [--requests N] [--seed N]");
  process.exit(2);
}
if (!straceAvailable()) {
  console.error("strace is missing: apt-get install -y strace");
  process.exit(2);
}
try {
  const synced = await runDurability({ requests, seed });
  console.log(formatDurability(synced, `hongbao serve, ${requests} requests (seed ${seed})`));
  const unsynced = await runDurability({ requests: Math.min(requests, 300), seed, unsynced: true });
  console.log(formatDurability(unsynced, "the same with synchronous=OFF (must fail)"));
  const missed = synced.report.acknowledgements.length !== synced.clientAcknowledged;
  if (synced.report.violations.length > 0 || missed) {
    console.error("durability order BROKEN: see above");
    process.exitCode = 1;
  } else if (unsynced.report.violations.length !== unsynced.report.acknowledgements.length) {
    console.error("the check missed answers of the unsynced server");
    process.exitCode = 1;
  } else console.log("durability order holds; the unsynced server was caught on every answer");
} finally {
  await cleanup();
}
