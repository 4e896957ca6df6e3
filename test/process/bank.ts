/**
 * The bank soak, after the Jepsen bank test: real `hongbao serve` processes on one SQLite
 * file, a mixed concurrent load of money-moving requests (deposits, campaign creation,
 * transfers and their answers, red packets and grabs, campaign claims), each with its own
 * Idempotency-Key; the server is SIGKILLed at a random moment of every cycle and restarted.
 * Every request that got no answer is sent again with the same key after the restart until
 * it gets a definite one. After every kill, after every restart and at the end the file is
 * checked: the ledger invariants (checkLedger) and every acknowledged operation present once,
 * nothing present that nobody asked for. With the test clock, the clock moves across transfer
 * refunds and packet expiries during the load, so kills land among them too.
 *
 * Used by `npm run soak` (test/process/soak.ts) and, short, by bank.test.ts.
 */
import { join } from "node:path";
import { BankModel, Checks, checkDue, OP_KINDS, type Op, type OpKind } from "./bank-model.js";
import {
  ADMIN_TOKEN,
  Client,
  checkLedger,
  createUser,
  type Proc,
  type Reply,
  type ServeOptions,
  seededRandom,
  serve,
  sleep,
  tempDir,
  type User,
} from "./support.js";

export interface BankOptions {
  /** SIGKILL/restart cycles. */
  readonly cycles: number;
  /** Run with `--test-clock` and move the clock across refunds and expiries during the load. */
  readonly testClock: boolean;
  readonly seed: number;
  readonly users?: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** Stop after the cycle that passes this much wall time (the figures say so). */
  readonly timeLimitMs?: number;
  readonly log?: (line: string) => void;
  /** How the server is started: another entry (a test fixture), or under a wrapper (strace). */
  readonly serve?: Pick<ServeOptions, "main" | "wrapper">;
}

export interface BankFigures {
  readonly mode: "real clock" | "test clock";
  readonly seed: number;
  cycles: number;
  readonly acknowledged: Record<OpKind, number>;
  /** Definite refusals (4xx), by error code. */
  readonly refused: Record<string, number>;
  /** Requests that got no answer (the kill came first). */
  lostAnswers: number;
  /** 503 answers (busy): nothing moved, sent again later with the same key. */
  busy: number;
  /** Requests sent again with the same key after a restart. */
  retries: number;
  /** Deposits sent while only shed claims were left to retry, so that claim admission recovers. */
  wakeDeposits: number;
  /** Checks of single facts that held (each ledger check counts once more for its whole walk). */
  checksPassed: number;
  ledgerChecks: number;
  clockMoves: number;
  refunded: number;
  expired: number;
  wallMs: number;
  stoppedByTimeLimit: boolean;
}

const HOUR_MS = 3_600_000;
const START_BALANCE = 50_000_000;
/** Requests one cycle starts at most, so a cycle ends even if the kill came late. */
const REQUESTS_PER_CYCLE_MAX = 2_000;
/** Kill anyway after this long, however few answers came back. */
const KILL_FALLBACK_MS = 15_000;
/** A clock move answered 503 (busy) is asked again this many times in all, this far apart. */
const CLOCK_ATTEMPTS = 5;
const CLOCK_RETRY_MS = 100;
/** Retries of what is in limbo stop with a failure after this long (503s are retried as Retry-After says). */
const SETTLE_MS_MAX = Number(process.env.BANK_SETTLE_MS_MAX ?? 180_000);

/** The refusals each kind may get; anything else fails the soak. */
const REFUSALS: Record<OpKind, readonly string[]> = {
  deposit: [],
  campaign: [],
  send: ["TOO_MANY_PENDING"],
  accept: ["TRANSFER_NOT_PENDING"],
  decline: ["TRANSFER_NOT_PENDING"],
  packet: ["TOO_MANY_PENDING"],
  grab: ["ALREADY_GRABBED", "SOLD_OUT", "EXPIRED"],
  claim: ["ALREADY_CLAIMED", "SOLD_OUT", "ENDED"],
};
/** Refusals only a pair tried more than once may get: to anyone else they mean a grab or claim nobody was told of. */
const REPEAT_ONLY = new Set(["ALREADY_GRABBED", "ALREADY_CLAIMED"]);

export async function runBank(options: BankOptions): Promise<BankFigures> {
  return new BankRun(options).run();
}

/** The same load against one server that is never killed (for the durability-order trace). */
export async function runBankOnce(options: Omit<BankOptions, "cycles">, requests: number): Promise<BankFigures> {
  return new BankRun({ ...options, cycles: 0 }).runOnce(requests);
}

class BankRun {
  readonly #options: BankOptions;
  readonly #random: () => number;
  readonly #model = new BankModel();
  readonly #checks = new Checks();
  readonly #db = join(tempDir("hongbao-bank-"), "hongbao.db");
  readonly figures: BankFigures;
  #users: User[] = [];
  #groupId = "";
  #proc: Proc | undefined;
  #pid = 0;
  /** The longest Retry-After of the 503s since the last retry round. */
  #retryAfterS = 0;
  /** The last 503 each operation got: what a failure to settle reports. */
  readonly #lastBusy = new Map<string, string>();
  #client: Client | undefined;
  #counter = 0;
  /** The clock the server was last asked for, and the last one it acknowledged. */
  #clockAsked = 0;
  #clockAcknowledged = 0;
  #unexpected: string[] = [];
  /** Every grab and claim key sent, by (target, user), and what it was answered: for the report of a breach. */
  readonly #history = new Map<string, string[]>();
  readonly #log: (line: string) => void;

  constructor(options: BankOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed);
    this.#log = options.log ?? (() => undefined);
    this.figures = {
      mode: options.testClock ? "test clock" : "real clock",
      seed: options.seed,
      cycles: 0,
      acknowledged: Object.fromEntries(OP_KINDS.map((kind) => [kind, 0])) as Record<OpKind, number>,
      refused: {},
      lostAnswers: 0,
      busy: 0,
      retries: 0,
      wakeDeposits: 0,
      checksPassed: 0,
      ledgerChecks: 0,
      clockMoves: 0,
      refunded: 0,
      expired: 0,
      wallMs: 0,
      stoppedByTimeLimit: false,
    };
  }

  async run(): Promise<BankFigures> {
    const began = Date.now();
    await this.#start();
    await this.#setUp();
    for (let cycle = 1; cycle <= this.#options.cycles; cycle++) {
      if (cycle > 1) await this.#restart(`cycle ${cycle} restart`);
      const stats = await this.#loadAndKill(cycle);
      this.figures.cycles = cycle;
      this.#checkFile(`cycle ${cycle} after the kill`, false);
      this.#log(
        `${this.figures.mode} cycle ${cycle}: ${stats.acknowledged} acknowledged, ${stats.lost} lost answers, ` +
          `${stats.inFlight} in flight at the kill; ${this.#checks.passed} checks passed; ${Date.now() - began} ms`,
      );
      const limit = this.#options.timeLimitMs;
      if (limit !== undefined && Date.now() - began > limit && cycle < this.#options.cycles) {
        this.figures.stoppedByTimeLimit = true;
        break;
      }
    }
    await this.#restart("final restart");
    return this.#stop(began);
  }

  /** One server and no kill: `requests` operations of the same load, a graceful stop, the exact checks. */
  async runOnce(requests: number): Promise<BankFigures> {
    const began = Date.now();
    await this.#start();
    await this.#setUp();
    let started = 0;
    const worker = async () => {
      while (started < requests) {
        started += 1;
        if (!(await this.#perform(this.#nextOp()))) throw new Error("the server gave no answer without a kill");
      }
    };
    await Promise.all(Array.from({ length: this.#options.concurrency ?? 48 }, worker));
    await this.#settleLimbo("after the load");
    if (this.#unexpected.length > 0) throw new Error(`unexpected answers:\n  ${this.#unexpected.join("\n  ")}`);
    return this.#stop(began);
  }

  /** SIGTERM to the server itself (not to a wrapper), which must exit 0; then the exact checks. */
  async #stop(began: number): Promise<BankFigures> {
    const proc = this.#proc as Proc;
    this.#client?.close();
    process.kill(this.#pid, "SIGTERM");
    const exit = await proc.waitForExit(60_000);
    if (exit.code !== 0)
      throw new Error(`a graceful stop exits 0, not ${exit.code ?? exit.signal}\n${proc.describe()}`);
    this.#checkFile("after the graceful stop", true);
    this.figures.checksPassed = this.#checks.passed;
    this.figures.wallMs = Date.now() - began;
    return this.figures;
  }

  async #start(): Promise<void> {
    const { proc, url, pid } = await serve({
      db: this.#db,
      testClock: this.#options.testClock,
      readyTimeoutMs: 120_000,
      ...this.#options.serve,
    });
    this.#proc = proc;
    this.#pid = pid;
    this.#client = new Client(url);
    if (this.#options.testClock) {
      if (this.#clockAsked === 0) this.#clockAsked = Date.now();
      // A restarted server's test clock starts at the real time: put it back where it was.
      const reply = await this.#setClock(this.#clockAsked);
      if (reply.status !== 200) throw new Error(`setting the clock: ${reply.status} ${reply.text}`);
      this.#clockAcknowledged = this.#clockAsked;
    }
  }

  #setClock(at: number): Promise<Reply> {
    return (this.#client as Client).request("POST", "/v1/admin/clock", {
      token: ADMIN_TOKEN,
      body: { now: new Date(at).toISOString() },
      timeoutMs: 60_000,
    });
  }

  get #now(): number {
    return this.#options.testClock ? this.#clockAcknowledged : Date.now();
  }

  async #setUp(): Promise<void> {
    const url = (this.#client as Client).url;
    this.#users = await Promise.all(
      Array.from({ length: this.#options.users ?? 24 }, (_, i) => createUser(url, ADMIN_TOKEN, `bank${i}`)),
    );
    const [owner, ...members] = this.#users as [User, ...User[]];
    const group = await (this.#client as Client).request("POST", "/v1/groups", {
      token: owner.token,
      key: "bank-group",
      body: { name: "bank", memberIds: members.map((member) => member.userId) },
    });
    if (group.status !== 201) throw new Error(`group: ${group.status} ${group.text}`);
    this.#groupId = group.json().id as string;
    for (const user of this.#users) await this.#perform(this.#deposit(user, START_BALANCE));
    await this.#perform(this.#campaign());
    await this.#settleLimbo("set-up");
    this.#checkFile("after the set-up", true);
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)] as T;
  }

  #key(kind: string): string {
    this.#counter += 1;
    return `bank-${this.#options.seed}-${kind}-${this.#counter}`;
  }

  #deposit(user: User, amount: number): Op {
    return {
      kind: "deposit",
      key: this.#key("deposit"),
      token: ADMIN_TOKEN,
      path: "/v1/admin/deposits",
      body: { userId: user.userId, amount },
      userId: user.userId,
      amount,
    };
  }

  #campaign(): Op {
    const key = this.#key("campaign");
    const now = this.#now;
    const fixed = this.#random() < 0.5;
    const amount = fixed ? { fixed: 1314 } : { min: 100, max: 2_000 };
    return {
      kind: "campaign",
      key,
      token: ADMIN_TOKEN,
      path: "/v1/admin/campaigns",
      body: {
        name: key,
        // Enough for about half the users: the rest hear "sold out".
        budget: Math.floor((this.#users.length / 2) * 1314),
        amount,
        startsAt: new Date(now - 60_000).toISOString(),
        // With the test clock the campaign ends within the run, so ends (and returns) meet kills too.
        endsAt: new Date(now + (this.#options.testClock ? 12 : 48) * HOUR_MS).toISOString(),
      },
      userId: "admin",
      tag: key,
    };
  }

  /** The next operation of the load, chosen among what the model allows now. */
  #nextOp(): Op {
    const model = this.#model;
    if (this.#options.testClock) model.pruneCampaigns(this.#clockAcknowledged);
    const roll = this.#random();
    if (roll < 0.03) return this.#deposit(this.#pick(this.#users), 1 + Math.floor(this.#random() * 100_000));
    if (roll < 0.05 || model.openCampaigns.length === 0) return this.#campaign();
    if (roll < 0.23 && model.openTransfers.length > 0) return this.#answer();
    if (roll < 0.35) return this.#packet();
    if (roll < 0.55 && model.grabbable.length > 0) return this.#grabOrClaim("grab");
    if (roll < 0.72) return this.#grabOrClaim("claim");
    return this.#send();
  }

  #send(): Op {
    const from = this.#pick(this.#users);
    let to = this.#pick(this.#users);
    while (to === from) to = this.#pick(this.#users);
    const key = this.#key("send");
    return {
      kind: "send",
      key,
      token: from.token,
      path: "/v1/transfers",
      body: { to: to.userId, amount: 1 + Math.floor(this.#random() * 5_000), memo: key },
      userId: from.userId,
      tag: key,
    };
  }

  #answer(): Op {
    const model = this.#model;
    const index = Math.floor(this.#random() * model.openTransfers.length);
    const transferId = model.openTransfers.splice(index, 1)[0] as string;
    model.answerTried.add(transferId);
    const transfer = model.transfers.get(transferId);
    const recipient = this.#users.find((user) => user.userId === transfer?.to) as User;
    const kind = this.#random() < 0.7 ? "accept" : "decline";
    return {
      kind,
      key: this.#key(kind),
      token: recipient.token,
      path: `/v1/transfers/${transferId}/${kind}`,
      userId: recipient.userId,
      transferId,
    };
  }

  #packet(): Op {
    const sender = this.#pick(this.#users);
    const count = 2 + Math.floor(this.#random() * 5);
    const lucky = this.#random() < 0.6;
    const amount = lucky ? count + Math.floor(this.#random() * 3_000) : count * (1 + Math.floor(this.#random() * 500));
    const key = this.#key("packet");
    return {
      kind: "packet",
      key,
      token: sender.token,
      path: "/v1/red-packets",
      body: { kind: lucky ? "lucky" : "equal", amount, count, groupId: this.#groupId, greeting: key },
      userId: sender.userId,
      tag: key,
    };
  }

  /** Picks a (target, user) pair not tried yet; now and then, on purpose, one that was. */
  #userFor(target: string): User {
    for (let attempt = 0; attempt < 6; attempt++) {
      const user = this.#pick(this.#users);
      if (!this.#model.tried.has(BankModel.grabKey(target, user.userId))) return user;
    }
    return this.#pick(this.#users);
  }

  /** A grab of a packet that may have shares left, or a claim on an open campaign. */
  #grabOrClaim(kind: "grab" | "claim"): Op {
    const grab = kind === "grab";
    const target = this.#pick(grab ? this.#model.grabbable : this.#model.openCampaigns);
    const user = this.#userFor(target);
    const pairKey = BankModel.grabKey(target, user.userId);
    this.#model.tried.set(pairKey, (this.#model.tried.get(pairKey) ?? 0) + 1);
    return {
      kind,
      key: this.#key(kind),
      token: user.token,
      path: grab ? `/v1/red-packets/${target}/grab` : `/v1/campaigns/${target}/claim`,
      userId: user.userId,
      ...(grab ? { packetId: target } : { campaignId: target }),
    };
  }

  /** Sends `op`; false when no answer came (the op is then in limbo). */
  async #perform(op: Op): Promise<boolean> {
    let reply: Reply;
    try {
      reply = await (this.#client as Client).request("POST", op.path, {
        token: op.token,
        key: op.key,
        ...(op.body === undefined ? {} : { body: op.body }),
        timeoutMs: 60_000,
      });
    } catch {
      this.figures.lostAnswers += 1;
      this.#model.limbo.push(op);
      return false;
    }
    const target = op.packetId ?? op.campaignId;
    if (target !== undefined) {
      const pairKey = `${target}|${op.userId}`;
      this.#history.set(pairKey, [...(this.#history.get(pairKey) ?? []), `${op.key}: ${reply.status}`]);
    }
    this.#settle(op, reply);
    return true;
  }

  /** What a definite answer (or a 503) tells the model. */
  #settle(op: Op, reply: Reply): void {
    if (reply.status >= 200 && reply.status < 300) {
      this.figures.acknowledged[op.kind] += 1;
      const breach = this.#model.acknowledge(op, reply.json());
      if (breach !== undefined) this.#unexpected.push(breach);
      return;
    }
    if (reply.status === 503) {
      this.figures.busy += 1;
      this.#lastBusy.set(op.key, `${reply.headers.get("retry-after")} s ${reply.text.slice(0, 200)}`);
      this.#retryAfterS = Math.max(this.#retryAfterS, Number(reply.headers.get("retry-after") ?? "0") || 0);
      this.#model.limbo.push(op);
      return;
    }
    let code = "";
    try {
      code = String(reply.json().error.code);
    } catch {
      // not in the error shape: reported below
    }
    const allowed =
      (REFUSALS[op.kind].includes(code) && (!REPEAT_ONLY.has(code) || this.#triedTwice(op))) ||
      (code === "CAMPAIGN_NOT_FOUND" && this.#ended(op.campaignId));
    if (!allowed) {
      const target = op.packetId ?? op.campaignId;
      const history = target === undefined ? "" : ` (earlier tries: ${this.#history.get(`${target}|${op.userId}`)})`;
      this.#unexpected.push(
        `${op.kind} ${op.key} by ${op.userId} (${op.path}): ${reply.status} ${reply.text.slice(0, 300)}${history}`,
      );
      return;
    }
    this.figures.refused[code] = (this.figures.refused[code] ?? 0) + 1;
    this.#model.refuse(op, code);
  }

  #triedTwice(op: Op): boolean {
    const target = (op.packetId ?? op.campaignId) as string;
    return (this.#model.tried.get(BankModel.grabKey(target, op.userId)) ?? 0) > 1;
  }

  /** An ended campaign is answered as not found: only once its end has passed on the clock asked for. */
  #ended(campaignId: string | undefined): boolean {
    const campaign = campaignId === undefined ? undefined : this.#model.campaigns.get(campaignId);
    return campaign !== undefined && campaign.endsAt <= this.#clockAsked;
  }

  /** Runs the load until a random moment, then SIGKILLs the server. */
  async #loadAndKill(cycle: number): Promise<{ acknowledged: number; lost: number; inFlight: number }> {
    const server = this.#proc as Proc;
    const concurrency = this.#options.concurrency ?? 48;
    const killAfterAnswers = 20 + Math.floor(this.#random() * 300);
    // At least one answer first: the move is made from the answer count, which starts at 1.
    const clockAfterAnswers = Math.max(1, Math.floor(this.#random() * killAfterAnswers));
    /**
     * Some kills follow a clock move closely, so they land among the refunds it runs; never the
     * first cycle's, so that every run moves the clock at least once with the load going on.
     */
    const closeKill = this.#random() < 0.4 && cycle > 1;
    const killAfterClockMs = closeKill ? Math.floor(this.#random() * 40) : undefined;
    const extraDelayMs = Math.floor(this.#random() * 25);
    let answers = 0;
    let started = 0;
    let lost = 0;
    let inFlight = 0;
    let inFlightAtKill = 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      inFlightAtKill = inFlight;
      server.child.kill("SIGKILL");
    };
    const fallback = setTimeout(kill, KILL_FALLBACK_MS);
    let clockMove: Promise<void> | undefined;
    const onAnswer = () => {
      answers += 1;
      // A loaded machine can take longer over a clock move's refunds than over the rest of the
      // cycle's answers: a kill not meant to follow the move closely waits for its answer.
      if (answers === killAfterAnswers) {
        const killLater = () => setTimeout(kill, extraDelayMs);
        if (clockMove !== undefined && killAfterClockMs === undefined) void clockMove.then(killLater);
        else killLater();
      }
      if (this.#options.testClock && answers === clockAfterAnswers && clockMove === undefined) {
        clockMove = this.#moveClock(() => killed);
        if (killAfterClockMs !== undefined) setTimeout(kill, killAfterClockMs);
      }
    };
    const worker = async () => {
      while (!killed && started < REQUESTS_PER_CYCLE_MAX) {
        started += 1;
        inFlight += 1;
        const op = this.#nextOp();
        const answered = await this.#perform(op);
        inFlight -= 1;
        if (answered) onAnswer();
        else lost += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // The cycle's requests are all answered: a move not meant to be cut is waited for (the fallback still kills).
    if (clockMove !== undefined && killAfterClockMs === undefined) await clockMove;
    kill();
    clearTimeout(fallback);
    await clockMove;
    this.#client?.close();
    const exit = await server.waitForExit(30_000);
    if (exit.signal !== "SIGKILL") throw new Error(`the server died of something else\n${server.describe()}`);
    if (this.#unexpected.length > 0) throw new Error(`unexpected answers:\n  ${this.#unexpected.join("\n  ")}`);
    return { acknowledged: answers, lost, inFlight: inFlightAtKill };
  }

  /** Moves the test clock 3 to 9 hours on: over a few cycles, past refunds, expiries and campaign ends. */
  async #moveClock(isKilled: () => boolean): Promise<void> {
    const at = this.#clockAsked + Math.floor((3 + this.#random() * 6) * HOUR_MS);
    this.#clockAsked = at;
    try {
      for (let attempt = 1; attempt <= CLOCK_ATTEMPTS && !isKilled(); attempt++) {
        const reply = await this.#setClock(at);
        if (reply.status === 200) {
          this.#clockAcknowledged = at;
          this.figures.clockMoves += 1;
          return;
        }
        if (reply.status !== 503) {
          this.#unexpected.push(`clock: ${reply.status} ${reply.text}`);
          return;
        }
        // busy: the clock was set, its due timers not run; asked again as a client would
        await sleep(CLOCK_RETRY_MS);
      }
    } catch {
      // killed first: the restart sets the clock again
    }
  }

  async #restart(context: string): Promise<void> {
    await this.#start();
    await this.#settleLimbo(context);
    this.#checkFile(`${context}, every lost answer retried`, true);
  }

  /** Sends every operation without a definite answer again, with its key, until each has one. */
  async #settleLimbo(context: string): Promise<void> {
    const deadline = Date.now() + SETTLE_MS_MAX;
    for (let round = 0; this.#model.limbo.length > 0; round++) {
      if (Date.now() > deadline) {
        const left = this.#model.limbo.slice(0, 5).map((op) => `${op.key}: ${this.#lastBusy.get(op.key)}`);
        throw new Error(`${context}: ${this.#model.limbo.length} operations never settled (${left})`);
      }
      if (round > 0) await sleep(Math.min(5_000, Math.max(200, this.#retryAfterS * 1000)));
      if (round > 0 && this.#model.limbo.every((op) => op.kind === "claim")) {
        // Claim admission's overload signal decays only when the engine takes a batch, so with
        // nothing but shed claims arriving it would shed the same users for the rest of the
        // hour (docs/reliability.md). A server always has other traffic; one deposit is that.
        this.figures.wakeDeposits += 1;
        await this.#perform(this.#deposit(this.#pick(this.#users), 1));
      }
      this.#retryAfterS = 0;
      const ops = this.#model.limbo;
      this.#model.limbo = [];
      let next = 0;
      const worker = async () => {
        while (next < ops.length) {
          const op = ops[next++] as Op;
          this.figures.retries += 1;
          if (!(await this.#perform(op))) throw new Error(`${context}: no answer to the retry of ${op.key}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      if (this.#unexpected.length > 0) {
        throw new Error(`${context}: unexpected answers:\n  ${this.#unexpected.join("\n  ")}`);
      }
    }
  }

  #checkFile(context: string, exact: boolean): void {
    let ledger: ReturnType<typeof checkLedger>;
    try {
      ledger = checkLedger(this.#db);
    } catch (error) {
      throw new Error(`${context}: ${(error as Error).message}`);
    }
    this.figures.ledgerChecks += 1;
    this.#checks.passed += 1;
    this.#model.checkFile(ledger, this.#checks, exact);
    if (this.#options.testClock) {
      const { refunded, expired } = checkDue(this.#db, this.#clockAcknowledged, this.#checks);
      this.figures.refunded = refunded;
      this.figures.expired = expired;
    }
    this.#checks.settle(context);
    this.figures.checksPassed = this.#checks.passed;
  }
}

export function formatFigures(figures: BankFigures): string {
  const acknowledged = Object.values(figures.acknowledged).reduce((total, count) => total + count, 0);
  const kinds = OP_KINDS.map((kind) => `${kind} ${figures.acknowledged[kind]}`).join(", ");
  const refused = Object.entries(figures.refused)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, count]) => `${code} ${count}`)
    .join(", ");
  const lines = [
    `${figures.mode}: ${figures.cycles} SIGKILL/restart cycles (seed ${figures.seed})${figures.stoppedByTimeLimit ? ", stopped by the time limit" : ""}`,
    `  operations acknowledged ${acknowledged} (${kinds})`,
    `  refused ${Object.values(figures.refused).reduce((t, c) => t + c, 0)} (${refused || "none"})`,
    `  lost answers ${figures.lostAnswers}, busy ${figures.busy}, retries with the same key ${figures.retries}` +
      ` (deposits sent to let claim admission recover: ${figures.wakeDeposits})`,
    `  checks passed ${figures.checksPassed} (ledger walks ${figures.ledgerChecks})`,
  ];
  if (figures.mode === "test clock") {
    lines.push(
      `  clock moves acknowledged ${figures.clockMoves}; transfers refunded ${figures.refunded}, packets expired ${figures.expired}, each once`,
    );
  }
  lines.push(`  wall time ${(figures.wallMs / 1000).toFixed(1)} s`);
  return lines.join("\n");
}
