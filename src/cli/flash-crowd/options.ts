/**
 * What a flash-crowd run is asked to do, its defaults and its bounds. Every option has an upper
 * bound so that a typo cannot ask for a billion users or a day-long burst.
 */

export type AmountRule = { readonly fixed: number } | { readonly min: number; readonly max: number };

export interface FlashCrowdOptions {
  /** People in the crowd; each claims once, plus retries after 503. */
  readonly users: number;
  /** Keep-alive connections the claims share (open-loop arrivals onto this pool). */
  readonly connections: number;
  /** Arrivals are uniform over this window. */
  readonly burstSeconds: number;
  /** The burst starts this long after setup is done. */
  readonly startInSeconds: number;
  /** Claims the campaign's budget pays (for a random rule: budget / mean amount). */
  readonly shares: number;
  readonly amount: AmountRule;
  /** Retry-After-driven retries per user at most. */
  readonly retries: number;
  /** Steady transfers per second between pre-funded users during the run; 0 for none. */
  readonly backgroundTps: number;
  /** A running server and its admin token; without one a `hongbao serve` child is spawned. */
  readonly target: { readonly url: string; readonly adminToken: string } | undefined;
  /** HTML report file; undefined for none. */
  readonly reportFile: string | undefined;
  /** JSON summary file; undefined for none. */
  readonly jsonFile: string | undefined;
  /** CSV of everyone given a place, one line each (tickets.ts `peopleCsv`); undefined for none. */
  readonly peopleFile?: string;
  /** Against a bare node:http server answering a fixed 200: the physical limit of this machine. */
  readonly bare: boolean;
  /** Arrivals begin this long before the start instant: those people join the pre-queue. */
  readonly preQueueSeconds: number;
  /** The spawned server runs its waiting room (false: `--no-waiting-room`, to compare). */
  readonly waitingRoom: boolean;
  /** Seeds the arrival instants and random picks, so a run can be replayed. */
  readonly seed: number;
  /**
   * Seconds after the start instant past which nothing more is sent (requests in flight are
   * still waited for); undefined: burst + 30 s per retry + 60 s + the request timeout.
   */
  readonly deadlineSeconds: number | undefined;
  /** A request without an answer after this long is a network failure of that attempt. */
  readonly requestTimeoutMs: number;
  /** "auto": a redrawn bar when stderr is a TTY, else a line every few seconds. */
  readonly progress: "auto" | "bar" | "lines" | "off";
  /** Where the terminal report and notes go (stdout by default). */
  readonly print: (line: string) => void;
  /** Where the progress goes (stderr by default). */
  readonly progressStream: NodeJS.WriteStream;
  /** The spawned server's `--edges` ("auto" or a count); undefined: serve's own default. */
  readonly edges?: string;
  /** The spawned server's `--edge-runtime`; undefined: serve's own default (node). */
  readonly edgeRuntime?: "node" | "bun";
  /** More `hongbao serve` switches for the spawned server (a benchmark's). */
  readonly serveArgs?: readonly string[];
  /** Called with the spawned or given server before the crowd is set up (a benchmark registers what it compares). */
  readonly beforeSetup?: (server: { readonly url: string; readonly adminToken: string }) => Promise<void>;
}

export const USERS_MAX = 1_000_000;
export const CONNECTIONS_MAX = 100_000;
export const BURST_SECONDS_MAX = 3_600;
export const START_IN_SECONDS_MAX = 3_600;
export const RETRIES_MAX = 100;
export const BACKGROUND_TPS_MAX = 100_000;
/** The service's own cap on one claim (CAMPAIGN_AMOUNT_MAX). */
export const CLAIM_AMOUNT_MAX = 20_000;
export const CLAIM_AMOUNT_FIXED_DEFAULT = 1314;

export function defaultReportFile(now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return `reports/flash-crowd-${stamp}.html`;
}

/** Fills defaults for anything left out and checks every bound; throws RangeError with a sentence. */
export function resolveOptions(input: Partial<FlashCrowdOptions> = {}): FlashCrowdOptions {
  const users = input.users ?? 10_000;
  const options: FlashCrowdOptions = {
    users,
    connections: input.connections ?? 1_000,
    burstSeconds: input.burstSeconds ?? 10,
    startInSeconds: input.startInSeconds ?? 3,
    shares: input.shares ?? Math.max(1, Math.floor(users / 10)),
    amount: input.amount ?? { fixed: CLAIM_AMOUNT_FIXED_DEFAULT },
    retries: input.retries ?? 3,
    backgroundTps: input.backgroundTps ?? 0,
    target: input.target,
    reportFile: input.reportFile,
    jsonFile: input.jsonFile,
    bare: input.bare ?? false,
    preQueueSeconds: input.preQueueSeconds ?? 0,
    waitingRoom: input.waitingRoom ?? true,
    seed: input.seed ?? Math.floor(Math.random() * 2 ** 31),
    deadlineSeconds: input.deadlineSeconds,
    requestTimeoutMs: input.requestTimeoutMs ?? 30_000,
    progress: input.progress ?? "auto",
    print: input.print ?? ((line) => process.stdout.write(`${line}\n`)),
    progressStream: input.progressStream ?? process.stderr,
    ...(input.peopleFile === undefined ? {} : { peopleFile: input.peopleFile }),
    ...(input.edges === undefined ? {} : { edges: input.edges }),
    ...(input.edgeRuntime === undefined ? {} : { edgeRuntime: input.edgeRuntime }),
    ...(input.serveArgs === undefined ? {} : { serveArgs: input.serveArgs }),
    ...(input.beforeSetup === undefined ? {} : { beforeSetup: input.beforeSetup }),
  };
  checkWhole("users", options.users, 1, USERS_MAX);
  checkWhole("connections", options.connections, 1, CONNECTIONS_MAX);
  checkNumber("burst", options.burstSeconds, 0.001, BURST_SECONDS_MAX);
  checkNumber("start-in", options.startInSeconds, 0, START_IN_SECONDS_MAX);
  checkNumber("pre-queue", options.preQueueSeconds, 0, START_IN_SECONDS_MAX);
  if (options.preQueueSeconds > options.startInSeconds)
    throw new RangeError("--pre-queue cannot be longer than --start-in: arrivals begin after setup");
  checkWhole("shares", options.shares, 1, 10 ** 9);
  checkWhole("retries", options.retries, 0, RETRIES_MAX);
  checkNumber("background-tps", options.backgroundTps, 0, BACKGROUND_TPS_MAX);
  checkWhole("seed", options.seed, 0, 2 ** 32 - 1);
  checkNumber("request timeout", options.requestTimeoutMs, 100, 600_000);
  if (options.deadlineSeconds !== undefined) checkNumber("deadline", options.deadlineSeconds, 1, 4 * 3_600);
  if ("fixed" in options.amount) checkWhole("amount", options.amount.fixed, 1, CLAIM_AMOUNT_MAX);
  else {
    checkWhole("random-amount MIN", options.amount.min, 1, CLAIM_AMOUNT_MAX);
    checkWhole("random-amount MAX", options.amount.max, 1, CLAIM_AMOUNT_MAX);
    if (options.amount.min > options.amount.max) throw new RangeError("random-amount: MIN must not exceed MAX");
  }
  if (options.edges !== undefined && (options.target !== undefined || options.bare))
    throw new RangeError("--edges is for the spawned `hongbao serve`: not with --target or --bare");
  if (options.edges !== undefined && !/^(auto|\d{1,3})$/.test(options.edges))
    throw new RangeError("--edges: a whole number from 0 to 256, or auto");
  if (options.edgeRuntime !== undefined && (options.edges === undefined || Number(options.edges) === 0))
    throw new RangeError("--edge-runtime is for the spawned server's edges: give --edges 1 or more");
  if (options.target !== undefined && options.bare) {
    throw new RangeError("--bare starts its own bare server: it does not take --target");
  }
  if (options.target !== undefined) {
    const url = new URL(options.target.url);
    if (url.protocol !== "http:") throw new RangeError("--target must be an http:// URL");
    if (options.target.adminToken.length === 0) throw new RangeError("--target needs --admin-token");
  }
  return options;
}

function checkWhole(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  }
}

function checkNumber(name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a number from ${min} to ${max}, not ${value}`);
  }
}

/** "1314" → 1314; anything but plain digits is refused (no "1e3", no "13.14"). */
export function parseWhole(name: string, text: string): number {
  if (!/^\d{1,16}$/.test(text)) throw new RangeError(`${name} must be a whole number, not "${text}"`);
  return Number(text);
}

/** "10", "0.5" → seconds. */
export function parseSeconds(name: string, text: string): number {
  if (!/^\d{1,7}(\.\d{1,6})?$/.test(text)) throw new RangeError(`${name} must be a number of seconds, not "${text}"`);
  return Number(text);
}

/** "100,2000" → {min: 100, max: 2000}. */
export function parseRandomAmount(text: string): AmountRule {
  const match = /^(\d{1,9}),(\d{1,9})$/.exec(text.replace(/\s/g, ""));
  if (match === null) throw new RangeError(`--random-amount is MIN,MAX in fen, e.g. 100,2000, not "${text}"`);
  return { min: Number(match[1]), max: Number(match[2]) };
}

/** A claim's mean amount in fen (whole for a fixed rule). */
export function meanAmount(rule: AmountRule): number {
  return "fixed" in rule ? rule.fixed : (rule.min + rule.max) / 2;
}

/**
 * The campaign budget: shares × amount for a fixed rule; for a random one, shares × the mean
 * plus an odd remainder, so the budget does not divide evenly and the last claim gets what is
 * left (the service pays the last fen), which is the case that tends to find off-by-ones.
 */
export function budgetFor(shares: number, rule: AmountRule): number {
  if ("fixed" in rule) return shares * rule.fixed;
  const mean = Math.floor((rule.min + rule.max) / 2);
  const odd = Math.max(1, Math.floor(mean / 3)) | 1;
  return Math.max(shares * mean + odd, rule.max);
}
