/**
 * `hongbao flash-crowd` as a function: set up a crowd and a campaign, let the crowd arrive in a
 * burst, check what must hold, and report. See README.md beside this file.
 *
 *   const summary = await runFlashCrowd({ users: 3_000, connections: 200, burstSeconds: 2 });
 *   summary.ok // every invariant held
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { formatInstant } from "../../domain/time.js";
import { type Check, checkInvariants, type Tally, tally } from "./invariants.js";
import { CrowdLoad, type GeneratorLoad, type TransferPlan } from "./load.js";
import { budgetFor, type FlashCrowdOptions, resolveOptions } from "./options.js";
import { type Progress, progressOn } from "./progress.js";
import { htmlReport } from "./report-html.js";
import { textReport } from "./report-text.js";
import { breakdown, readMetrics, type ServerBreakdown } from "./server-breakdown.js";
import { apiCall, createCampaign, createCrowd, fundSenders, type TokenStore } from "./setup.js";
import { KINDS, type LatencySummary, seededRandom, summarize, Timeline, type TimelineData } from "./stats.js";
import { externalTarget, openFileLimit, type ProcessStats, spawnBare, spawnHongbao, type Target } from "./target.js";
import type { WaitingRoomSummary } from "./tickets.js";
import { type ThreadLag, TRANSFER_FEN_SPAN, type TransferShape } from "./transfers.js";

export type { FlashCrowdOptions } from "./options.js";
export { resolveOptions } from "./options.js";

export interface Summary {
  /** Every invariant held (always true for --bare, which checks none) and the run finished. */
  readonly ok: boolean;
  readonly mode: "hongbao" | "bare";
  readonly target: { readonly kind: Target["kind"]; readonly url: string; readonly pid: number | null };
  /** The start instant: the campaign's startsAt and the first possible arrival. */
  readonly startsAt: string;
  readonly seed: number;
  readonly options: {
    readonly users: number;
    readonly connections: number;
    readonly connectionsOpen: number;
    readonly burstSeconds: number;
    readonly startInSeconds: number;
    readonly shares: number;
    readonly amount: FlashCrowdOptions["amount"];
    readonly retries: number;
    readonly backgroundTps: number;
    readonly requestTimeoutMs: number;
  };
  readonly campaign: { readonly id: string; readonly budget: number } | null;
  readonly setup: { readonly seconds: number; readonly bulkCalls: number; readonly senders: number };
  /** From the first arrival to the last claim answer. */
  readonly wallSeconds: number;
  readonly claims: {
    readonly users: number;
    /** Users by final outcome. */
    readonly outcomes: Omit<Tally, "doubleClaims" | "oks">;
    /** Requests written, answers received (each attempt once), and answers by kind. */
    readonly requests: number;
    readonly answers: number;
    readonly answersByKind: Record<string, number>;
    readonly answersByStatus: Record<string, number>;
    readonly retries: number;
    /** 503 answers (load shed), and their share of all answers. */
    readonly shed: number;
    readonly shedRate: number;
    readonly answersPerSecond: number;
    readonly usersPerSecond: number;
    readonly amountSum: number;
    /** Written to the connection → answer, per attempt. */
    readonly latency: LatencySummary;
    /** Due (arrival or retry instant) → answer, per attempt: adds the wait for a connection. */
    readonly fromArrival: LatencySummary;
    /** First arrival → final answer, per user, through every Retry-After. */
    readonly perUser: LatencySummary;
  };
  readonly transfers: {
    readonly perSecond: number;
    readonly connections: number;
    readonly sent: number;
    readonly ok: number;
    readonly failed: number;
    readonly abandoned: number;
    readonly failures: Record<string, number>;
    readonly latency: LatencySummary;
    readonly fromArrival: LatencySummary;
  } | null;
  readonly generator: {
    readonly cpuSeconds: number;
    /** This process's own peak resident set size (not its children's). */
    readonly peakRssMiB: number;
    /** How late arrivals were handed to the pool: this generator's own lag. */
    readonly lateness: LatencySummary;
    /** The crowd thread's event-loop lag and the process's CPU in cores, over the run. */
    readonly load: GeneratorLoad;
    /** The transfer thread's own event-loop lag (null without transfers). */
    readonly transferThreadLag: ThreadLag | null;
    readonly connectErrors: number;
    readonly firstConnectError: string | null;
    readonly reconnects: number;
    readonly closedByServer: number;
    readonly timeouts: number;
    readonly openFileLimit: number | null;
  };
  readonly server: {
    readonly pid: number;
    /** Processes the figures are summed over: the server and those it started (a supervisor's edges and writer). */
    readonly processes: number;
    readonly peakRssMiB: number | null;
    readonly cpuSecondsDuringLoad: number | null;
    /** What the server wrote to stdout and stderr over the whole run (at --log-level info). */
    readonly logMiB: number | null;
    /** Where claims' time went on the server's side, from its metrics (null if it did not answer them). */
    readonly breakdown: ServerBreakdown | null;
  } | null;
  readonly deadlineHit: boolean;
  /** What each person lived through in the waiting room (null with --bare). */
  readonly waitingRoom: WaitingRoomSummary | null;
  readonly invariants: Check[];
  readonly notes: string[];
  readonly timeline: TimelineData;
  readonly reportFile: string | null;
  readonly jsonFile: string | null;
}

const BUCKET_MS = 250;
/** Descriptors besides the connections: stdio, pipes to the server, libuv, setup sockets. */
const FILE_DESCRIPTOR_SPARE = 128;
const SENDERS_MIN = 200;
const PENDING_PER_SENDER_TARGET = 400;
const SENDER_FUNDING_MIN_FEN = 100_000;
/** Arrivals begin this long after startsAt, so rounding between two clocks cannot make a NOT_STARTED. */
const START_MARGIN_MS = 2;
/** Above this the tool's own lag is worth a note beside figures measured from tap. */
const TOOL_LAG_NOTE_MS = 20;

/** Sizes derived from the options: connections under the open-file limit, senders, deadline. */
function sizesFor(options: FlashCrowdOptions) {
  const notes: string[] = [];
  // Enough transfer connections that a transfer rarely waits for one while the server answers
  // within 500 ms (tps / 2), so "from arrival" measures the server rather than this pool.
  const transferConnections =
    options.backgroundTps > 0 && options.users >= 2
      ? Math.min(256, Math.max(4, Math.ceil(options.backgroundTps / 2)))
      : 0;
  const limit = openFileLimit();
  let connections = options.connections;
  if (limit !== undefined && connections + transferConnections + FILE_DESCRIPTOR_SPARE > limit.soft) {
    connections = Math.max(1, limit.soft - transferConnections - FILE_DESCRIPTOR_SPARE);
    notes.push(
      `the open-file limit (ulimit -n) is ${limit.soft} (hard ${limit.hard}): using ${connections} connections, ` +
        `not ${options.connections}; raise it with \`ulimit -n ${options.connections + 1024}\` (a spawned server inherits it)`,
    );
  }
  const burstMs = options.burstSeconds * 1000;
  const deadlineMs =
    options.deadlineSeconds === undefined
      ? burstMs + options.retries * 30_000 + 60_000 + options.requestTimeoutMs
      : options.deadlineSeconds * 1000;
  const preRollMs = transferConnections > 0 ? Math.min(1_000, options.startInSeconds * 1000) : 0;
  const expectedTransfers = Math.ceil(
    (options.backgroundTps * (preRollMs + burstMs + options.retries * 3_000 + 10_000)) / 1000,
  );
  // A few hundred senders, each far below the server's 1 000 pending transfers.
  const senders =
    transferConnections === 0
      ? 0
      : Math.min(options.users, Math.max(SENDERS_MIN, Math.ceil(expectedTransfers / PENDING_PER_SENDER_TARGET)));
  const senderFundingFen = Math.max(
    SENDER_FUNDING_MIN_FEN,
    senders === 0 ? 0 : Math.ceil((2 * expectedTransfers) / senders) * TRANSFER_FEN_SPAN,
  );
  return {
    notes,
    connections,
    transferConnections,
    burstMs,
    deadlineMs,
    preRollMs,
    senders,
    senderFundingFen,
    openFileLimit: limit?.soft ?? null,
  };
}

/** The crowd's users (and the funded senders among them), through the admin API. */
async function setUpUsers(
  options: FlashCrowdOptions,
  target: Target,
  senders: number,
  senderFundingFen: number,
  progress: Progress,
): Promise<{ tokens: TokenStore; ids: string[]; bulkCalls: number }> {
  progress.note(`flash-crowd: creating ${options.users.toLocaleString("en-US")} users on ${target.url}`);
  let lastNote = 0;
  const random = seededRandom(options.seed ^ 0x5eed);
  const crowd = await createCrowd(target.url, target.adminToken, options.users, senders, random, (created) => {
    if (created === options.users || performance.now() - lastNote > 2_000) {
      lastNote = performance.now();
      progress.note(`  ${created.toLocaleString("en-US")} users`);
    }
  });
  if (senders > 0) await fundSenders(target.url, target.adminToken, crowd.ids, senderFundingFen);
  return crowd;
}

export async function runFlashCrowd(input: Partial<FlashCrowdOptions> = {}): Promise<Summary> {
  const options = resolveOptions(input);
  const progress = progressOn(options.progressStream, options.progress);
  const sizes = sizesFor(options);
  const { connections, transferConnections, burstMs, deadlineMs, preRollMs, senders } = sizes;
  const preQueueMs = options.preQueueSeconds * 1000;
  for (const note of sizes.notes) progress.note(`note: ${note}`);

  const target = options.bare
    ? await spawnBare()
    : options.target === undefined
      ? await spawnHongbao([
          ...(options.serveArgs ?? []),
          ...(options.waitingRoom ? [] : ["--no-waiting-room"]),
          ...(options.edges === undefined ? [] : ["--edges", options.edges]),
          ...(options.edgeRuntime === undefined ? [] : ["--edge-runtime", options.edgeRuntime]),
        ])
      : externalTarget(options.target.url, options.target.adminToken);
  let load: CrowdLoad | undefined;
  try {
    if (!options.bare) await options.beforeSetup?.({ url: target.url, adminToken: target.adminToken });
    const setupStarted = performance.now();
    const crowd = options.bare
      ? undefined
      : await setUpUsers(options, target, senders, sizes.senderFundingFen, progress);
    const tokens = crowd?.tokens;
    const ids = crowd?.ids ?? [];
    const bulkCalls = crowd?.bulkCalls ?? 0;

    // The requests, as byte templates.
    const url = new URL(target.url);
    const host = url.host;
    const campaignId = options.bare ? fakeId("cmp_") : undefined;
    const requests = requestShapes(host, tokens, ids, options.bare, options.seed);
    const timeline = new Timeline(
      BUCKET_MS,
      -preRollMs - preQueueMs,
      Math.ceil((preRollMs + preQueueMs + deadlineMs + options.requestTimeoutMs + 5_000) / BUCKET_MS),
    );
    let claimTemplate: ClaimTemplate | undefined;
    const transferPlan: TransferPlan | undefined =
      transferConnections === 0
        ? undefined
        : {
            tps: options.backgroundTps,
            connections: transferConnections,
            preRollMs,
            shape: requests.transferShape(senders),
          };
    load = new CrowdLoad({
      url,
      users: options.users,
      connections,
      burstMs,
      preQueueMs,
      retries: options.retries,
      requestTimeoutMs: options.requestTimeoutMs,
      deadlineMs,
      seed: options.seed,
      claim: (user, scratch) => (claimTemplate as ClaimTemplate).write(user, scratch, load?.book.tickets[user]),
      transfers: transferPlan,
      timeline,
    });
    progress.note(`flash-crowd: opening ${connections.toLocaleString("en-US")} connections`);
    const opened = await load.open();
    if (opened === 0) {
      throw new Error(`could not open any connection to ${target.url}: ${load.claimPool.stats.firstConnectError}`);
    }

    // The campaign, starting at a whole second at least --start-in from now.
    const startWall = Math.ceil((Date.now() + options.startInSeconds * 1000) / 1000) * 1000;
    let campaign: { id: string; budget: number } | null = null;
    if (!options.bare) {
      campaign = await createCampaign(target.url, target.adminToken, {
        name: `flash crowd ${options.seed}`,
        budget: budgetFor(options.shares, options.amount),
        amount: options.amount,
        startsAt: startWall,
        endsAt: startWall + deadlineMs + options.requestTimeoutMs + 3_600_000,
      });
    }
    claimTemplate = requests.claim((campaign?.id ?? campaignId) as string);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const serverBefore = target.stats();
    const metricsBefore = options.bare ? undefined : await readMetrics(target.url);

    // The crowd.
    progress.note(
      `flash-crowd: ${options.users.toLocaleString("en-US")} users arrive over ${options.burstSeconds} s from ` +
        `${formatInstant(startWall)} on ${opened.toLocaleString("en-US")} connections`,
    );
    const startPerf = performance.now() + (startWall - Date.now()) + START_MARGIN_MS;
    await load.run(startPerf, (snapshot) => progress.update(snapshot));
    progress.finish();
    load.close();

    const summary = await conclude({
      options,
      sizes,
      target,
      load,
      campaign,
      startWall,
      opened,
      setupSeconds,
      bulkCalls,
      serverBefore,
      metricsBefore,
    });
    return summary;
  } finally {
    load?.close();
    await target.stop();
  }
}

interface Conclusion {
  readonly options: FlashCrowdOptions;
  readonly sizes: ReturnType<typeof sizesFor>;
  readonly target: Target;
  readonly load: CrowdLoad;
  readonly campaign: { id: string; budget: number } | null;
  readonly startWall: number;
  readonly opened: number;
  readonly setupSeconds: number;
  readonly bulkCalls: number;
  readonly serverBefore: ProcessStats | undefined;
  readonly metricsBefore: Awaited<ReturnType<typeof readMetrics>>;
}

/** After the crowd: the checks, the summary, the files and the terminal report. */
async function conclude(run: Conclusion): Promise<Summary> {
  const { options, sizes, target, load, campaign } = run;
  const notes = [...sizes.notes];
  if (run.opened < sizes.connections) {
    notes.push(
      `opened ${run.opened} of ${sizes.connections} connections (${load.claimPool.stats.firstConnectError ?? "unknown error"})`,
    );
  }
  const counts = tally(load);
  let draw: { seedHash: string; seed?: string; preQueueSize?: number } | undefined;
  if (campaign !== null) {
    const view = await apiCall(target.url, "GET", `/v1/campaigns/${campaign.id}`, target.adminToken);
    draw = (view.json as { draw?: typeof draw } | undefined)?.draw;
  }
  const waitingRoom = options.bare
    ? null
    : load.book.summary(load.arrivals, load.startPerf, (user) => (load.oks[user] as number) > 0, draw);
  const invariants =
    campaign === null
      ? []
      : await checkInvariants(
          target.url,
          target.adminToken,
          { id: campaign.id, budget: campaign.budget, shares: options.shares, amount: options.amount },
          options.users,
          counts,
          load.amountSum,
        );
  if (load.deadlineHit) {
    notes.push(
      `the run hit its deadline (${Math.round(sizes.deadlineMs / 1000)} s after the start; --deadline moves it): ` +
        "nothing was sent after it, answers in flight were waited for",
    );
  }
  const lateP99 = summarize(load.lateness).p99Ms;
  if (load.generatorLoad.lagP99Ms > TOOL_LAG_NOTE_MS || lateP99 > TOOL_LAG_NOTE_MS) {
    notes.push(
      `the tool itself lagged (event loop p99 ${load.generatorLoad.lagP99Ms} ms, arrivals handed over late by p99 ` +
        `${Math.round(lateP99)} ms): times from tap include that much of the tool`,
    );
  }
  const metricsAfter = run.metricsBefore === undefined ? undefined : await readMetrics(target.url);
  const serverBreakdown =
    run.metricsBefore === undefined || metricsAfter === undefined ? null : breakdown(run.metricsBefore, metricsAfter);
  const serverStats = target.stats();
  const cpuBefore = run.serverBefore?.cpuSeconds;
  const summary = buildSummary({
    options,
    target,
    load,
    counts,
    invariants,
    notes,
    campaign,
    startWall: run.startWall,
    opened: run.opened,
    setupSeconds: run.setupSeconds,
    bulkCalls: run.bulkCalls,
    senders: sizes.senders,
    transferConnections: sizes.transferConnections,
    serverCpuSeconds:
      serverStats?.cpuSeconds !== undefined && cpuBefore !== undefined ? serverStats.cpuSeconds - cpuBefore : null,
    serverPeakRssKiB: serverStats?.peakRssKiB ?? null,
    serverProcesses: serverStats?.processes ?? 1,
    waitingRoom,
    serverLogBytes: serverStats?.logBytes ?? null,
    serverBreakdown,
    openFileLimit: sizes.openFileLimit,
  });
  if (options.jsonFile !== undefined) writeFile(options.jsonFile, `${JSON.stringify(summary, null, 2)}\n`);
  if (options.reportFile !== undefined) writeFile(options.reportFile, htmlReport(summary));
  if (options.peopleFile !== undefined && !options.bare) {
    const outcome = (user: number) => KINDS[(load.outcome[user] as number) - 1] ?? "unanswered";
    writeFile(options.peopleFile, `${[...load.book.peopleCsv(load.arrivals, load.startPerf, outcome)].join("\n")}\n`);
  }
  for (const line of textReport(summary)) options.print(line);
  return summary;
}

function writeFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

interface ClaimTemplate {
  /** Writes user `user`'s claim, with the ticket of their place in line if they hold one. */
  write(user: number, scratch: Buffer, ticket: string | undefined): number;
}

function fakeId(prefix: string): string {
  return prefix + randomBytes(10).toString("hex");
}

/**
 * How requests look on the wire. Against hongbao a claim carries the user's real token; in
 * --bare mode every request has the same shape and size (a JWT-shaped token of the same
 * length, varied per user), so the baseline parses and answers the same bytes.
 */
function requestShapes(
  host: string,
  tokens: TokenStore | undefined,
  ids: readonly string[],
  bare: boolean,
  seed: number,
) {
  const fakeToken = bare ? fakeJwt() : "";
  const fakeUserIds = bare ? Array.from({ length: 16 }, () => fakeId("usr_")) : [];
  const tokenOf = (user: number) => (tokens === undefined ? fakeToken : tokens.token(user));
  return {
    claim(campaignId: string): ClaimTemplate {
      const head = Buffer.from(
        `POST /v1/campaigns/${campaignId}/claim HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer `,
      );
      const tail = Buffer.from("\r\nContent-Length: 0\r\n\r\n");
      const ticketHeader = Buffer.from("\r\nQueue-Ticket: ");
      const token = Buffer.from(fakeToken, "latin1");
      return {
        write(user, scratch, ticket) {
          let at = head.copy(scratch, 0);
          if (tokens !== undefined) at = tokens.write(user, scratch, at);
          else {
            at += token.copy(scratch, at);
            // A distinct token per user, as in life: the last signature characters carry the index.
            scratch.write(user.toString(36).padStart(7, "0"), at - 7, "latin1");
          }
          if (ticket !== undefined) {
            at += ticketHeader.copy(scratch, at);
            at += scratch.write(ticket, at, "latin1");
          }
          return at + tail.copy(scratch, at);
        },
      };
    },
    transferShape(senders: number): TransferShape {
      const indices = Array.from({ length: senders }, (_, i) => i);
      return {
        host,
        tokens: indices.map(tokenOf),
        ids: indices.map((i) => (bare ? (fakeUserIds[i % fakeUserIds.length] as string) : (ids[i] as string))),
        seed,
      };
    },
  };
}

/** A token shaped like the service's (HS256 JWT, same claims), signed with a throwaway key. */
function fakeJwt(): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const head = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ iss: "hongbao", sub: fakeId("usr_"), iat: now, exp: now + 30 * 86_400 })}`;
  return `${head}.${createHmac("sha256", randomBytes(32)).update(head).digest("base64url")}`;
}

interface SummaryInput {
  readonly options: FlashCrowdOptions;
  readonly target: Target;
  readonly load: CrowdLoad;
  readonly counts: Tally;
  readonly invariants: Check[];
  readonly notes: string[];
  readonly campaign: { id: string; budget: number } | null;
  readonly startWall: number;
  readonly opened: number;
  readonly setupSeconds: number;
  readonly bulkCalls: number;
  readonly senders: number;
  readonly transferConnections: number;
  readonly serverCpuSeconds: number | null;
  readonly serverPeakRssKiB: number | null;
  readonly serverProcesses: number;
  readonly serverLogBytes: number | null;
  readonly openFileLimit: number | null;
  readonly waitingRoom: WaitingRoomSummary | null;
  readonly serverBreakdown: ServerBreakdown | null;
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

function buildSummary(input: SummaryInput): Summary {
  const { options, load, counts } = input;
  const wallMs = Number.isFinite(load.lastAnswerAt) ? load.lastAnswerAt - load.firstArrivalAt : 0;
  const wallSeconds = round(wallMs / 1000);
  const perSecond = (count: number) => (wallMs > 0 ? round((count * 1000) / wallMs, 1) : 0);
  const answersByKind: Record<string, number> = {};
  ["claimed", "alreadyClaimed", "soldOut", "notStarted", "ended", "busy", "otherHttp", "network"].forEach(
    (name, kind) => {
      answersByKind[name] = load.attemptKinds[kind] as number;
    },
  );
  const shed = answersByKind.busy ?? 0;
  const { doubleClaims: _doubleClaims, oks: _oks, ...outcomes } = counts;
  const pool = load.claimPool.stats;
  const transferPool = load.transferThread?.stats;
  const timeline = input.load.plan.timeline;
  return {
    ok: input.invariants.every((check) => check.ok) && !load.deadlineHit,
    mode: options.bare ? "bare" : "hongbao",
    target: { kind: input.target.kind, url: input.target.url, pid: input.target.pid ?? null },
    startsAt: formatInstant(input.startWall),
    seed: options.seed,
    options: {
      users: options.users,
      connections: options.connections,
      connectionsOpen: input.opened,
      burstSeconds: options.burstSeconds,
      startInSeconds: options.startInSeconds,
      shares: options.shares,
      amount: options.amount,
      retries: options.retries,
      backgroundTps: options.backgroundTps,
      requestTimeoutMs: options.requestTimeoutMs,
    },
    campaign: input.campaign,
    setup: { seconds: round(input.setupSeconds), bulkCalls: input.bulkCalls, senders: input.senders },
    wallSeconds,
    claims: {
      users: options.users,
      outcomes,
      requests: load.sent,
      answers: load.answered,
      answersByKind,
      answersByStatus: Object.fromEntries([...load.statuses].sort(([a], [b]) => a - b).map(([s, c]) => [String(s), c])),
      retries: load.retriesScheduled,
      shed,
      shedRate: load.answered === 0 ? 0 : round(shed / load.answered, 4),
      answersPerSecond: perSecond(load.answered),
      usersPerSecond: perSecond(options.users),
      amountSum: load.amountSum,
      latency: summarize(load.claimService),
      fromArrival: summarize(load.claimFromArrival),
      perUser: summarize(load.claimPerUser),
    },
    transfers:
      load.transferThread === undefined
        ? null
        : {
            perSecond: options.backgroundTps,
            connections: input.transferConnections,
            sent: load.transfersSent,
            ok: load.transfersOk,
            failed: load.transfersFailed,
            abandoned: load.transfersAbandoned,
            failures: Object.fromEntries(load.transferFailures),
            latency: summarize(load.transferService),
            fromArrival: summarize(load.transferFromArrival),
          },
    generator: {
      cpuSeconds: round(load.cpuSeconds, 2),
      peakRssMiB: round(process.resourceUsage().maxRSS / 1024, 1),
      lateness: summarize(load.lateness),
      load: load.generatorLoad,
      transferThreadLag: load.transferThread?.lag ?? null,
      connectErrors: pool.connectErrors + (transferPool?.connectErrors ?? 0),
      firstConnectError: pool.firstConnectError ?? transferPool?.firstConnectError ?? null,
      reconnects: pool.reconnects + (transferPool?.reconnects ?? 0),
      closedByServer: pool.closedByPeer + (transferPool?.closedByPeer ?? 0),
      timeouts: pool.timeouts + (transferPool?.timeouts ?? 0),
      openFileLimit: input.openFileLimit,
    },
    server:
      input.target.pid === undefined
        ? null
        : {
            pid: input.target.pid,
            processes: input.serverProcesses,
            peakRssMiB: input.serverPeakRssKiB === null ? null : round(input.serverPeakRssKiB / 1024, 1),
            cpuSecondsDuringLoad: input.serverCpuSeconds === null ? null : round(input.serverCpuSeconds, 2),
            logMiB: input.serverLogBytes === null ? null : round(input.serverLogBytes / 2 ** 20, 1),
            breakdown: input.serverBreakdown,
          },
    deadlineHit: load.deadlineHit,
    waitingRoom: input.waitingRoom,
    invariants: input.invariants,
    notes: input.notes,
    timeline: timeline.data(timeline.chartFactor()),
    reportFile: options.reportFile ?? null,
    jsonFile: options.jsonFile ?? null,
  };
}
