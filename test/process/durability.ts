/**
 * Runs `hongbao serve` under strace during the bank soak's mixed money load (no kill), stops
 * it gracefully, and checks the trace with checkDurabilityOrder: every money acknowledgement
 * left its socket after the fsync of the WAL batch that holds it.
 *
 * `unsynced` runs the test fixture that sets synchronous=OFF instead (fixtures/serve-unsynced.ts):
 * the check must find violations there, which shows it can fail.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BankFigures, runBankOnce } from "./bank.js";
import { OP_KINDS } from "./bank-model.js";
import { checkDurabilityOrder, type DurabilityReport, parseTrace } from "./durability-trace.js";
import { tempDir } from "./support.js";

const UNSYNCED = fileURLToPath(new URL("./fixtures/serve-unsynced.js", import.meta.url));

/** The calls the check reads: files opened and closed, sockets accepted, read and written, WAL writes and syncs. */
export const TRACED_CALLS =
  "trace=openat,close,accept,accept4,read,recvfrom,write,writev,sendto,sendmsg,pwrite64,fsync,fdatasync";

export function straceAvailable(): boolean {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface DurabilityRun {
  readonly figures: BankFigures;
  readonly report: DurabilityReport;
  /** 2xx answers to money POSTs the clients counted: the trace must show as many. */
  readonly clientAcknowledged: number;
  readonly traceBytes: number;
  readonly wallMs: number;
}

export async function runDurability(options: {
  readonly requests: number;
  readonly seed: number;
  readonly unsynced?: boolean;
  readonly concurrency?: number;
}): Promise<DurabilityRun> {
  const began = Date.now();
  const trace = join(tempDir("hongbao-durability-"), "strace.txt");
  const figures = await runBankOnce(
    {
      testClock: false,
      seed: options.seed,
      users: 12,
      concurrency: options.concurrency ?? 24,
      serve: {
        wrapper: ["strace", "-f", "-ttt", "-T", "-qq", "-s", "8192", "-e", TRACED_CALLS, "-o", trace],
        ...(options.unsynced === true ? { main: UNSYNCED } : {}),
      },
    },
    options.requests,
  );
  const report = checkDurabilityOrder(parseTrace(readFileSync(trace, "latin1")));
  return {
    figures,
    report,
    clientAcknowledged: OP_KINDS.reduce((total, kind) => total + figures.acknowledged[kind], 0),
    traceBytes: statSync(trace).size,
    wallMs: Date.now() - began,
  };
}

export function formatDurability(run: DurabilityRun, label: string): string {
  const { report } = run;
  const shown = report.violations
    .slice(0, 5)
    .map((v) => `\n    ${v.acknowledgement.path} (key ${v.acknowledgement.key}): ${v.why}`)
    .join("");
  return [
    `${label}: ${report.acknowledgements.length} money acknowledgements in the trace (clients counted ${run.clientAcknowledged}),`,
    `  ${report.walWrites} WAL writes, ${report.commitFrames} commit frames, ${report.walFsyncs} WAL fsyncs;`,
    `  ${report.violations.length} answers left before their batch's fsync${shown}`,
    `  trace ${(run.traceBytes / 1e6).toFixed(1)} MB, wall time ${(run.wallMs / 1000).toFixed(1)} s`,
  ].join("\n");
}
