/**
 * The `hongbao flash-crowd` command's action: turns commander's strings into options, runs the
 * crowd and answers the exit code (0 all held, 1 an invariant failed, 2 the run could not be done).
 */
import { describeError } from "../errors.js";
import { runFlashCrowd } from "./index.js";
import {
  type AmountRule,
  defaultReportFile,
  type FlashCrowdOptions,
  parseRandomAmount,
  parseSeconds,
  parseWhole,
  resolveOptions,
} from "./options.js";
import { killEverythingNow } from "./target.js";

/** What commander hands the action: every value as typed on the command line. */
export interface FlashCrowdFlags {
  users: string;
  connections: string;
  burst: string;
  startIn: string;
  shares?: string;
  amount?: string;
  randomAmount?: string;
  retries: string;
  backgroundTps: string;
  target?: string;
  adminToken?: string;
  report?: string;
  json?: string;
  people?: string;
  bare?: boolean;
  preQueue?: string;
  waitingRoom?: boolean;
  edges?: string;
  edgeRuntime?: "node" | "bun";
  seed?: string;
  deadline?: string;
  timeout: string;
  progress?: boolean;
}

export function optionsFromFlags(flags: FlashCrowdFlags): FlashCrowdOptions {
  if (flags.amount !== undefined && flags.randomAmount !== undefined) {
    throw new RangeError("give --amount or --random-amount, not both");
  }
  const amount: AmountRule =
    flags.randomAmount !== undefined
      ? parseRandomAmount(flags.randomAmount)
      : { fixed: parseWhole("--amount", flags.amount ?? "1314") };
  if ((flags.target === undefined) !== (flags.adminToken === undefined)) {
    throw new RangeError("--target and --admin-token go together");
  }
  const input: { -readonly [K in keyof FlashCrowdOptions]?: FlashCrowdOptions[K] } = {
    users: parseWhole("--users", flags.users),
    connections: parseWhole("--connections", flags.connections),
    burstSeconds: parseSeconds("--burst", flags.burst),
    startInSeconds: parseSeconds("--start-in", flags.startIn),
    amount,
    retries: parseWhole("--retries", flags.retries),
    backgroundTps: parseSeconds("--background-tps", flags.backgroundTps),
    target: flags.target === undefined ? undefined : { url: flags.target, adminToken: flags.adminToken as string },
    reportFile: flags.report ?? defaultReportFile(),
    jsonFile: flags.json,
    bare: flags.bare === true,
    preQueueSeconds: parseSeconds("--pre-queue", flags.preQueue ?? "0"),
    waitingRoom: flags.waitingRoom !== false,
    requestTimeoutMs: parseSeconds("--timeout", flags.timeout) * 1000,
    progress: flags.progress === false ? "off" : "auto",
  };
  if (flags.shares !== undefined) input.shares = parseWhole("--shares", flags.shares);
  if (flags.seed !== undefined) input.seed = parseWhole("--seed", flags.seed);
  if (flags.edges !== undefined) input.edges = flags.edges;
  if (flags.edgeRuntime !== undefined) input.edgeRuntime = flags.edgeRuntime;
  if (flags.people !== undefined) input.peopleFile = flags.people;
  if (flags.deadline !== undefined) input.deadlineSeconds = parseSeconds("--deadline", flags.deadline);
  return resolveOptions(input);
}

/** Runs the command; `usage` reports a bad flag the way commander does (and exits). */
export async function flashCrowdCli(flags: FlashCrowdFlags, usage: (message: string) => never): Promise<number> {
  let options: FlashCrowdOptions;
  try {
    options = optionsFromFlags(flags);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) usage(`error: ${error.message}`);
    throw error;
  }
  // Ctrl-C: stop the server child and remove its folder before going.
  const onSignal = () => {
    process.stderr.write("\nflash-crowd: interrupted; stopping\n");
    killEverythingNow();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const summary = await runFlashCrowd(options);
    return summary.ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`hongbao flash-crowd: ${describeError(error)}\n`);
    return 2;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}
