/**
 * Helpers for tests that run the real `hongbao serve` process: spawning it, talking to it
 * over loopback, killing it, and reading its SQLite file afterwards to check the ledger.
 * Every child process and temporary folder made here is registered so `cleanup()` (and, as a
 * last resort, the test process's exit) removes it even when a test fails.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { keyedHeaders } from "../support/keys.js";

/** The compiled CLI, seen from dist/test/process/. */
export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
export const ADMIN_TOKEN = "process-test-admin-token-0123456789";
export const TOKEN_SECRET = "process-test-token-secret-0123456789-abcdef";

// ---------------------------------------------------------------------------------------------
// Cleanup registry
// ---------------------------------------------------------------------------------------------

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const rawConnections = new Set<{ destroy(): void }>();

process.once("exit", () => {
  // Synchronous last resort: never leave a server behind, whatever happened to the test.
  for (const child of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "hongbao-process-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Kills every child still running (SIGKILL), waits for them, and removes the temp folders. */
export async function cleanup(): Promise<void> {
  for (const connection of rawConnections) connection.destroy();
  rawConnections.clear();
  await Promise.all([...liveChildren].map((child) => killHard(child)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await gone;
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/**
 * The environment a child gets: ours without any HONGBAO_* or node:test settings, plus
 * `extra`. HONGBAO_COMMIT_THREAD passes: the process tests then run servers that write
 * batches on a worker thread (decision 0059).
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === "HONGBAO_COMMIT_THREAD") env[name] = value;
    else if (name.startsWith("HONGBAO_") || name.startsWith("NODE_TEST") || name === "NODE_OPTIONS") continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

export interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly lines: LogLine[] = [];
  stdout = "";
  stderr = "";
  #waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  /**
   * Runs `node MAIN ...args`; `main` puts another entry in place of MAIN (a test fixture), and
   * `wrapper` runs the whole command under another program (strace), whose child the server is.
   */
  constructor(
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; main?: string; wrapper?: readonly string[] } = {},
  ) {
    const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, options.main ?? MAIN, ...args] as [
      string,
      ...string[],
    ];
    this.child = spawn(command, commandArgs, {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveChildren.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        liveChildren.delete(this.child);
        resolve({ code, signal });
      });
      this.child.once("error", () => {
        liveChildren.delete(this.child);
        resolve({ code: null, signal: null });
      });
    });
    let partial = "";
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      partial += chunk;
      let newline = partial.indexOf("\n");
      while (newline >= 0) {
        const text = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        newline = partial.indexOf("\n");
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((waiter) => {
          if (!waiter.predicate(line)) return true;
          waiter.resolve(line);
          return false;
        });
      }
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line (past or future) that matches; rejects if the process exits first or time runs out. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs: number, what = "log line"): Promise<LogLine> {
    const seen = this.lines.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      const waiter = {
        predicate,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.#waiters.push(waiter);
      void this.exited.then((exit) => {
        clearTimeout(timer);
        if (this.#waiters.includes(waiter)) {
          reject(new Error(`process exited (${exit.code ?? exit.signal}) before ${what}\n${this.describe()}`));
        }
      });
    });
  }

  /** Polls until `predicate` holds over what the process wrote (plain text, not log lines). */
  async waitForOutput(predicate: () => boolean, timeoutMs: number, what = "output"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms\n${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for the exit, killing hard if it takes longer than `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === "timeout") {
      await killHard(this.child);
      throw new Error(`process did not exit within ${timeoutMs} ms\n${this.describe()}`);
    }
    return result;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  describe(): string {
    const tail = (text: string) => (text.length > 4000 ? `…${text.slice(-4000)}` : text);
    return `--- stdout ---\n${tail(this.stdout)}\n--- stderr ---\n${tail(this.stderr)}`;
  }
}

/** Runs the CLI to completion (for --help and bad flags). */
export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = new Proc(args, options);
  const exit = await proc.waitForExit(options.timeoutMs ?? 30_000);
  // stdio may still hold buffered data after "exit"; wait for both streams to end.
  await Promise.all(
    [proc.child.stdout, proc.child.stderr].map(
      (stream) =>
        new Promise<void>((resolve) => {
          if (stream === null || stream.readableEnded) resolve();
          else stream.once("close", () => resolve());
        }),
    ),
  );
  return { ...exit, stdout: proc.stdout, stderr: proc.stderr };
}

export interface ServeOptions {
  readonly db?: string;
  readonly testClock?: boolean;
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly readyTimeoutMs?: number;
  readonly main?: string;
  readonly wrapper?: readonly string[];
  /** `--edges`: "0" (one process) unless a test runs what a newcomer runs ("auto", serve's default). */
  readonly edges?: string;
}

/**
 * Spawns `serve --port 0` in one process (`--edges 0`: these tests kill, trace and read the
 * process that holds the ledger) and resolves once it logs "listening" with its url. `pid` is
 * the server's own (the child of `proc` when it runs under a wrapper).
 */
export async function serve(options: ServeOptions = {}): Promise<{ proc: Proc; url: string; pid: number }> {
  const args = ["serve", "--edges", options.edges ?? "0", "--port", "0"];
  if (options.db !== undefined) args.push("--db", options.db);
  if (options.testClock === true) args.push("--test-clock");
  args.push(...(options.extraArgs ?? ["--log-level", "info"]));
  const proc = new Proc(args, {
    env: options.env ?? childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, HONGBAO_TOKEN_SECRET: TOKEN_SECRET }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.main === undefined ? {} : { main: options.main }),
    ...(options.wrapper === undefined ? {} : { wrapper: options.wrapper }),
  });
  // Edges are processes of their own, each loading the whole app: on a busy machine they take longer.
  const readyMs = options.readyTimeoutMs ?? ((options.edges ?? "0") === "0" ? 30_000 : 90_000);
  const line = await proc.waitForLine((l) => l.msg === "listening", readyMs, '"listening"');
  const url = line.url;
  assert.equal(typeof url, "string", `listening line without url: ${JSON.stringify(line)}`);
  assert.match(url as string, /^http:\/\/127\.0\.0\.1:\d+$/);
  return { proc, url: url as string, pid: Number(line.pid) };
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience
  json(): any;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Left out: a fresh key where the route requires one; null: none. */
  readonly key?: string | null;
  readonly timeoutMs?: number;
  /** A queue ticket to send back (`Queue-Ticket`). */
  readonly ticket?: string;
}

/** One request over loopback; rejects on network failure (a killed server) or timeout. */
export async function request(
  url: string,
  method: "GET" | "POST",
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const headers = keyedHeaders(method, path, { idempotencyKey: options.key });
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    headers: response.headers,
    json: () => JSON.parse(text),
  };
}

/**
 * A keep-alive client over node:http whose sockets the test controls: `close()` hangs up every
 * connection, as a client that goes away would (fetch's pool keeps idle sockets for a minute).
 */
export class Client {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(readonly url: string) {}

  request(method: "GET" | "POST", path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers = keyedHeaders(method, path, { idempotencyKey: options.key });
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.ticket !== undefined) headers["queue-ticket"] = options.ticket;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) headers["content-type"] = "application/json";
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${this.url}${path}`,
        { method, headers, agent: this.#agent, timeout: options.timeoutMs ?? 30_000 },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("error", reject);
          res.on("end", () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === "string") responseHeaders.set(name, value);
            }
            resolve({ status: res.statusCode ?? 0, text, headers: responseHeaders, json: () => JSON.parse(text) });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("request timed out")));
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly text: string;
}

/**
 * One HTTP/1.1 keep-alive connection written byte by byte, so a test can hold a request
 * half-sent (headers now, body later) or keep the connection open after an answer.
 */
export class RawConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;
  readonly host: string;

  private constructor(socket: Socket, host: string) {
    this.#socket = socket;
    this.host = host;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => {
      // "close" follows
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port, host } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        const connection = new RawConnection(socket, host);
        rawConnections.add(connection);
        resolve(connection);
      });
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The request line and headers of a JSON request, with Content-Length for `body` (and a fresh key where money moves). */
  head(method: string, path: string, token: string | undefined, body: string | undefined): string {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: ${this.host}`, "Connection: keep-alive"];
    if (token !== undefined) lines.push(`Authorization: Bearer ${token}`);
    for (const [name, value] of Object.entries(keyedHeaders(method, path))) lines.push(`${name}: ${value}`);
    if (body !== undefined) lines.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
    return `${lines.join("\r\n")}\r\n\r\n`;
  }

  write(text: string): void {
    this.#socket.write(text);
  }

  /** The next response on the connection (Content-Length bodies only, which is what the server sends). */
  async response(timeoutMs = 30_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [statusLine = "", ...headerLines] = this.#buffer.subarray(0, end).toString("latin1").split("\r\n");
        const headers = new Map<string, string>();
        for (const line of headerLines) {
          const colon = line.indexOf(":");
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        const length = Number(headers.get("content-length") ?? "0");
        if (this.#buffer.length >= end + 4 + length) {
          const text = this.#buffer.subarray(end + 4, end + 4 + length).toString("utf8");
          this.#buffer = this.#buffer.subarray(end + 4 + length);
          return { status: Number(statusLine.split(" ")[1]), headers, text };
        }
      }
      if (this.#closed) throw new Error(`connection closed before a whole response: ${this.#buffer.toString("utf8")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no response in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

export interface User {
  readonly userId: string;
  readonly token: string;
}

let phoneCounter = 0;

export function nextPhone(): string {
  phoneCounter += 1;
  return `+86137${String(process.pid % 10000).padStart(4, "0")}${String(phoneCounter).padStart(4, "0")}`;
}

export async function createUser(url: string, adminToken = ADMIN_TOKEN, name = "user"): Promise<User> {
  const reply = await request(url, "POST", "/v1/admin/users", {
    token: adminToken,
    body: { phone: nextPhone(), name },
  });
  assert.equal(reply.status, 201, `create user: ${reply.text}`);
  const { userId, token } = reply.json() as User;
  return { userId, token };
}

export async function deposit(url: string, userId: string, amount: number): Promise<void> {
  const reply = await request(url, "POST", "/v1/admin/deposits", { token: ADMIN_TOKEN, body: { userId, amount } });
  assert.equal(reply.status, 201, `deposit: ${reply.text}`);
}

// ---------------------------------------------------------------------------------------------
// The ledger in the file
// ---------------------------------------------------------------------------------------------

export interface TransferRow {
  readonly id: string;
  readonly from_user: string;
  readonly to_user: string;
  readonly amount: number;
  readonly memo: string;
  readonly status: string;
}

export interface Ledger {
  readonly transfers: Map<string, TransferRow>;
  readonly balances: Map<string, number>;
  readonly users: Set<string>;
  /** Transfer rows by memo (tests give every request its own memo). */
  readonly byMemo: Map<string, TransferRow[]>;
  readonly postings: number;
  /** Entries per account. */
  readonly entryCounts: Map<string, number>;
  readonly packets: Map<string, PacketRow>;
  /** Grabs by packet, then by user: the amount. */
  readonly grabs: Map<string, Map<string, number>>;
  readonly campaigns: Map<string, CampaignRow>;
  /** Claims by campaign, then by user: the amounts, one per claim. */
  readonly claims: Map<string, Map<string, number[]>>;
  /** Deposit postings by user: the amounts, oldest first. */
  readonly deposits: Map<string, number[]>;
}

export interface PacketRow {
  readonly id: string;
  readonly sender: string;
  readonly amount: number;
  readonly count: number;
  readonly greeting: string;
  readonly status: string;
  readonly expires_at: number;
}

export interface CampaignRow {
  readonly id: string;
  readonly name: string;
  readonly budget: number;
  readonly per_user_limit: number;
  readonly status: string;
  readonly returned: number;
  readonly ends_at: number;
}

interface EntryRow {
  readonly id: number;
  readonly posting_id: number;
  readonly account: string;
  readonly amount: number;
  readonly balance_after: number;
}

interface PostingRow {
  readonly id: number;
  readonly kind: string;
  readonly ref: string;
}

const ANSWER_POSTING: Record<string, string> = {
  accepted: "transfer.accept",
  declined: "transfer.decline",
  refunded: "transfer.refund",
  cancelled: "transfer.cancel",
};

/**
 * Opens the file read-only (the server must be dead or stopped) and checks that the ledger is
 * whole: every posting balances, every account's balance equals the sum of its entries and its
 * last running balance, balances sum to zero, escrow holds exactly the pending transfers, and
 * every transfer row has exactly the postings its status calls for, and no posting lacks its row.
 */
export function checkLedger(dbPath: string): Ledger {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma("integrity_check", { simple: true });
    assert.equal(integrity, "ok", "SQLite integrity_check");
    const balances = new Map<string, number>();
    for (const row of db.prepare("SELECT id, balance FROM balances").all() as { id: string; balance: number }[]) {
      balances.set(row.id, row.balance);
    }
    const users = new Set(db.prepare("SELECT id FROM users").pluck().all() as string[]);
    // A user without entries holds 0.
    for (const user of users) if (!balances.has(user)) balances.set(user, 0);
    const postings = new Map<number, PostingRow>();
    for (const row of db.prepare("SELECT id, kind, ref FROM postings ORDER BY id").all() as PostingRow[]) {
      postings.set(row.id, row);
    }
    const entries = db
      .prepare("SELECT id, posting_id, account, amount, balance_after FROM entries ORDER BY id")
      .all() as EntryRow[];
    const transfers = new Map<string, TransferRow>();
    for (const row of db
      .prepare("SELECT id, from_user, to_user, amount, memo, status FROM transfers")
      .all() as TransferRow[]) {
      transfers.set(row.id, row);
    }

    // Users and accounts.
    let sum = 0;
    for (const [account, balance] of balances) {
      assert.ok(Number.isSafeInteger(balance), `account ${account} balance ${balance} is not an integer`);
      if (account !== "funding") assert.ok(balance >= 0, `account ${account} is negative: ${balance}`);
      if (account.startsWith("usr_")) assert.ok(users.has(account), `account ${account} has no user row`);
      sum += balance;
    }
    assert.equal(sum, 0, "the balances of all accounts sum to 0");

    // Entries: per posting and per account, with the running balance.
    const legsOf = new Map<number, EntryRow[]>();
    const running = new Map<string, number>();
    const entryCounts = new Map<string, number>();
    for (const entry of entries) {
      assert.ok(postings.has(entry.posting_id), `entry ${entry.id} belongs to no posting (${entry.posting_id})`);
      const legs = legsOf.get(entry.posting_id) ?? [];
      legs.push(entry);
      legsOf.set(entry.posting_id, legs);
      const after = (running.get(entry.account) ?? 0) + entry.amount;
      assert.equal(entry.balance_after, after, `entry ${entry.id} of ${entry.account}: running balance`);
      running.set(entry.account, after);
      entryCounts.set(entry.account, (entryCounts.get(entry.account) ?? 0) + 1);
    }
    for (const [account, balance] of balances) {
      assert.equal(
        running.get(account) ?? 0,
        balance,
        `account ${account}: balance == sum of entries == last running balance`,
      );
    }
    for (const posting of postings.values()) {
      const legs = legsOf.get(posting.id) ?? [];
      assert.ok(legs.length >= 2, `posting ${posting.id} (${posting.kind} ${posting.ref}) has ${legs.length} entries`);
      assert.equal(
        legs.reduce((total, leg) => total + leg.amount, 0),
        0,
        `posting ${posting.id} (${posting.kind} ${posting.ref}) sums to 0`,
      );
    }

    // Transfers and their postings.
    const postingsByRef = new Map<string, PostingRow[]>();
    for (const posting of postings.values()) {
      const list = postingsByRef.get(posting.ref) ?? [];
      list.push(posting);
      postingsByRef.set(posting.ref, list);
    }
    const legsByAccount = (posting: PostingRow) => {
      const map = new Map<string, number>();
      for (const leg of legsOf.get(posting.id) ?? []) map.set(leg.account, (map.get(leg.account) ?? 0) + leg.amount);
      return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
    };
    const sorted = (record: Record<string, number>) =>
      Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
    let pendingSum = 0;
    const byMemo = new Map<string, TransferRow[]>();
    for (const transfer of transfers.values()) {
      const list = byMemo.get(transfer.memo) ?? [];
      list.push(transfer);
      byMemo.set(transfer.memo, list);
      const own = postingsByRef.get(transfer.id) ?? [];
      const expectedKinds = ["transfer.send"];
      if (transfer.status === "pending") pendingSum += transfer.amount;
      else {
        const kind = ANSWER_POSTING[transfer.status];
        assert.ok(kind !== undefined, `transfer ${transfer.id} has unknown status ${transfer.status}`);
        expectedKinds.push(kind);
      }
      assert.deepEqual(
        own.map((p) => p.kind),
        expectedKinds,
        `transfer ${transfer.id} (${transfer.status}) has exactly the postings its status calls for`,
      );
      const [send, answer] = own as [PostingRow, PostingRow | undefined];
      assert.deepEqual(
        legsByAccount(send),
        sorted({ [transfer.from_user]: -transfer.amount, escrow: transfer.amount }),
        `transfer ${transfer.id}: send posting legs`,
      );
      if (answer !== undefined) {
        const payee = transfer.status === "accepted" ? transfer.to_user : transfer.from_user;
        assert.deepEqual(
          legsByAccount(answer),
          sorted({ escrow: -transfer.amount, [payee]: transfer.amount }),
          `transfer ${transfer.id}: ${answer.kind} posting legs`,
        );
      }
    }
    for (const posting of postings.values()) {
      if (posting.kind.startsWith("transfer.")) {
        assert.ok(
          transfers.has(posting.ref),
          `posting ${posting.id} (${posting.kind}) refers to missing transfer ${posting.ref}`,
        );
      } else if (posting.kind === "deposit") {
        const legs = legsOf.get(posting.id) ?? [];
        const amount = legs.find((leg) => leg.account === posting.ref)?.amount ?? 0;
        assert.ok(amount > 0, `deposit posting ${posting.id} credits its user ${posting.ref}`);
        assert.deepEqual(
          legsByAccount(posting),
          sorted({ funding: -amount, [posting.ref]: amount }),
          `deposit posting ${posting.id}`,
        );
      }
    }
    // A withdrawal takes its amount from one wallet to funding, and nothing else.
    for (const posting of postings.values()) {
      if (posting.kind !== "withdrawal") continue;
      const legs = legsByAccount(posting);
      const payer = Object.keys(legs).find((account) => account.startsWith("usr_"));
      assert.ok(payer !== undefined && (legs.funding ?? 0) > 0, `withdrawal ${posting.ref} pays a wallet to funding`);
      assert.deepEqual(legs, sorted({ funding: legs.funding as number, [payer]: -(legs.funding as number) }));
    }
    const deposits = new Map<string, number[]>();
    for (const posting of postings.values()) {
      if (posting.kind !== "deposit") continue;
      const list = deposits.get(posting.ref) ?? [];
      list.push(legsByAccount(posting)[posting.ref] ?? 0);
      deposits.set(posting.ref, list);
    }
    // Red packets: escrow also holds what nobody has grabbed yet of every open packet.
    let openPacketsSum = 0;
    const packets = new Map<string, PacketRow>();
    const grabs = new Map<string, Map<string, number>>();
    const hasTable = (name: string) =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    const hasPackets = hasTable("red_packets");
    if (hasPackets) {
      for (const row of db
        .prepare("SELECT id, sender, amount, count, greeting, status, expires_at FROM red_packets")
        .all() as PacketRow[]) {
        packets.set(row.id, row);
      }
      for (const row of db.prepare("SELECT packet_id, user_id, amount FROM grabs").all() as {
        packet_id: string;
        user_id: string;
        amount: number;
      }[]) {
        const byUser = grabs.get(row.packet_id) ?? new Map<string, number>();
        assert.ok(!byUser.has(row.user_id), `${row.user_id} grabbed packet ${row.packet_id} twice`);
        byUser.set(row.user_id, row.amount);
        grabs.set(row.packet_id, byUser);
      }
      for (const packet of db
        .prepare(
          `SELECT p.id, p.amount, p.status, COALESCE((SELECT SUM(amount) FROM grabs g WHERE g.packet_id = p.id), 0) AS grabbed,
                  (SELECT COUNT(*) FROM grabs g WHERE g.packet_id = p.id) AS grabCount
           FROM red_packets p`,
        )
        .all() as { id: string; amount: number; status: string; grabbed: number; grabCount: number }[]) {
        const kinds = (postingsByRef.get(packet.id) ?? []).map((posting) => posting.kind);
        const refunds = kinds.filter((kind) => kind === "packet.refund").length;
        assert.equal(kinds.filter((kind) => kind === "packet.send").length, 1, `packet ${packet.id} is sent once`);
        assert.equal(
          kinds.filter((kind) => kind === "packet.grab").length,
          packet.grabCount,
          `packet ${packet.id}: a posting per grab`,
        );
        assert.equal(
          refunds,
          packet.status === "expired" && packet.grabbed < packet.amount ? 1 : 0,
          `packet ${packet.id} (${packet.status}) refunded at most once`,
        );
        if (packet.status === "active") openPacketsSum += packet.amount - packet.grabbed;
      }
    }
    assert.equal(
      balances.get("escrow") ?? 0,
      pendingSum + openPacketsSum,
      "escrow holds exactly the pending transfers and open packets",
    );
    const campaigns = new Map<string, CampaignRow>();
    const claims = new Map<string, Map<string, number[]>>();
    if (hasTable("campaigns")) checkCampaigns(db, postingsByRef, legsByAccount, balances, campaigns, claims);
    return {
      transfers,
      balances,
      users,
      byMemo,
      postings: postings.size,
      entryCounts,
      packets,
      grabs,
      campaigns,
      claims,
      deposits,
    };
  } finally {
    db.close();
  }
}

/**
 * Campaigns: the budget is never exceeded, nobody claims past the per-user limit, the budget
 * account holds exactly what was neither claimed nor returned, and the claim postings pay
 * exactly the claim rows.
 */
function checkCampaigns(
  db: Database.Database,
  postingsByRef: Map<string, PostingRow[]>,
  legsByAccount: (posting: PostingRow) => Record<string, number>,
  balances: Map<string, number>,
  campaigns: Map<string, CampaignRow>,
  claims: Map<string, Map<string, number[]>>,
): void {
  for (const row of db
    .prepare("SELECT id, name, budget, per_user_limit, status, returned, ends_at FROM campaigns")
    .all() as CampaignRow[]) {
    campaigns.set(row.id, row);
    claims.set(row.id, new Map());
  }
  for (const row of db
    .prepare("SELECT campaign_id, user_id, amount FROM campaign_claims ORDER BY campaign_id, user_id, n")
    .all() as { campaign_id: string; user_id: string; amount: number }[]) {
    const byUser = claims.get(row.campaign_id);
    assert.ok(byUser !== undefined, `claim of ${row.user_id} on missing campaign ${row.campaign_id}`);
    const list = byUser.get(row.user_id) ?? [];
    list.push(row.amount);
    byUser.set(row.user_id, list);
  }
  // Since migration 8 a campaign's row keeps its claim totals, added by the batches that pay them.
  const totalsOnRows = new Map<string, { count: number; amount: number }>();
  const columns = db.prepare("SELECT name FROM pragma_table_info('campaigns')").pluck().all() as string[];
  if (columns.includes("claimed_count")) {
    for (const row of db.prepare("SELECT id, claimed_count, claimed_amount FROM campaigns").all() as {
      id: string;
      claimed_count: number;
      claimed_amount: number;
    }[]) {
      totalsOnRows.set(row.id, { count: row.claimed_count, amount: row.claimed_amount });
    }
  }
  for (const campaign of campaigns.values()) {
    const account = `campaign:${campaign.id}`;
    const byUser = claims.get(campaign.id) as Map<string, number[]>;
    let claimed = 0;
    const paidByRows = new Map<string, number>();
    for (const [userId, amounts] of byUser) {
      assert.ok(
        amounts.length <= campaign.per_user_limit,
        `${userId} claimed campaign ${campaign.id} ${amounts.length} times (limit ${campaign.per_user_limit})`,
      );
      const sum = amounts.reduce((total, amount) => total + amount, 0);
      paidByRows.set(userId, sum);
      claimed += sum;
    }
    assert.ok(claimed <= campaign.budget, `campaign ${campaign.id}: ${claimed} claimed of a ${campaign.budget} budget`);
    const kept = totalsOnRows.get(campaign.id);
    if (kept !== undefined) {
      const count = [...byUser.values()].reduce((total, amounts) => total + amounts.length, 0);
      assert.deepEqual(
        kept,
        { count, amount: claimed },
        `campaign ${campaign.id}: the totals on its row are its claims'`,
      );
    }
    const own = postingsByRef.get(campaign.id) ?? [];
    const funds = own.filter((posting) => posting.kind === "campaign.fund");
    assert.equal(funds.length, 1, `campaign ${campaign.id} is funded once`);
    assert.deepEqual(
      legsByAccount(funds[0] as PostingRow),
      { [account]: campaign.budget, funding: -campaign.budget },
      `campaign ${campaign.id}: funding posting`,
    );
    const paidByPostings = new Map<string, number>();
    for (const posting of own.filter((p) => p.kind === "campaign.claim")) {
      for (const [leg, amount] of Object.entries(legsByAccount(posting))) {
        if (leg !== account) paidByPostings.set(leg, (paidByPostings.get(leg) ?? 0) + amount);
      }
    }
    assert.deepEqual(
      [...paidByPostings].sort(),
      [...paidByRows].sort(),
      `campaign ${campaign.id}: the claim postings pay exactly the claim rows`,
    );
    const returns = own.filter((posting) => posting.kind === "campaign.return");
    assert.ok(returns.length <= 1, `campaign ${campaign.id} returned its budget ${returns.length} times`);
    const returnedByPosting = returns.length === 0 ? 0 : -(legsByAccount(returns[0] as PostingRow)[account] ?? 0);
    assert.equal(returnedByPosting, campaign.returned, `campaign ${campaign.id}: the return posting`);
    if (campaign.status === "ended") {
      assert.equal(campaign.returned, campaign.budget - claimed, `ended campaign ${campaign.id} returned the rest`);
    } else assert.equal(campaign.returned, 0, `open campaign ${campaign.id} returned nothing`);
    assert.equal(
      balances.get(account) ?? 0,
      campaign.budget - claimed - campaign.returned,
      `campaign ${campaign.id}: the budget account holds what was neither claimed nor returned`,
    );
  }
}

/** Whether a process of ours still runs (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { seededRandom } from "../../src/domain/seeded-random.js";
