/**
 * The server a run measures: a `hongbao serve` child on a fresh SQLite file in a temporary
 * folder, a bare node:http child (the baseline), or a server someone else runs (--target).
 * Children are always stopped and their folders removed, even when the run fails.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SERVER_NODE_FLAGS } from "../node-flags.js";

export interface ProcessStats {
  readonly pid: number;
  /** The process and those it started, whose figures are summed here. */
  readonly processes?: number;
  /** Bytes the server wrote to its stdout and stderr (a child we started; its log file). */
  readonly logBytes?: number | undefined;
  /** Peak resident set size (VmHWM), KiB. */
  readonly peakRssKiB: number | undefined;
  readonly rssKiB: number | undefined;
  /** User + system CPU seconds the process (and those it started) used so far. */
  readonly cpuSeconds: number | undefined;
}

export interface Target {
  readonly kind: "spawned" | "external" | "bare";
  readonly url: string;
  readonly adminToken: string;
  readonly pid: number | undefined;
  /** Stats of the server process when we know its pid (Linux /proc only). */
  stats(): ProcessStats | undefined;
  /** Stops a child we started (SIGTERM, then SIGKILL after a grace period); no-op for --target. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const BARE = fileURLToPath(new URL("./bare-server.js", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 30_000;

const children = new Set<ChildProcess>();
const folders = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: never leave a server or its folder behind, whatever happened to the run.
  process.once("exit", () => killEverythingNow());
}

/** Kills every child we started (SIGKILL) and removes their folders, synchronously. */
export function killEverythingNow(): void {
  for (const child of children) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  folders.clear();
}

export function externalTarget(url: string, adminToken: string): Target {
  return {
    kind: "external",
    url: url.replace(/\/+$/, ""),
    adminToken,
    pid: undefined,
    stats: () => undefined,
    stop: async () => {},
  };
}

/**
 * `hongbao serve --port 0` on a new database in a temporary folder, with a fresh admin token;
 * `serveArgs` go to `serve` as well (a benchmark's switches).
 */
export async function spawnHongbao(serveArgs: readonly string[] = []): Promise<Target> {
  const folder = newFolder();
  const adminToken = randomBytes(24).toString("base64url");
  // "listening" (with the url) is an info line: at warn the child would say nothing we can
  // wait for. Request logging is off in the app, so info adds nothing per request.
  const args = [
    ...SERVER_NODE_FLAGS,
    MAIN,
    "serve",
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    "--db",
    join(folder, "hongbao.db"),
  ];
  args.push("--log-level", "info", ...serveArgs);
  const child = await startChild(args, { HONGBAO_ADMIN_TOKEN: adminToken }, folder);
  return childTarget("spawned", child, adminToken);
}

/** The baseline: a node:http server that answers every request with the same small JSON 200. */
export async function spawnBare(): Promise<Target> {
  const child = await startChild([BARE], {}, newFolder());
  return childTarget("bare", child, "bare");
}

function newFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "hongbao-flash-crowd-"));
  folders.add(folder);
  return folder;
}

function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  folders.delete(folder);
}

interface StartedChild {
  readonly process: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  readonly folder: string;
  readonly logFile: string;
}

function childTarget(kind: "spawned" | "bare", child: StartedChild, adminToken: string): Target {
  const pid = child.process.pid as number;
  let stopping: Promise<void> | undefined;
  return {
    kind,
    url: child.url,
    adminToken,
    pid,
    stats: () => ({ ...processStats(pid), logBytes: fileSize(child.logFile) }),
    stop: () => {
      stopping ??= (async () => {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill("SIGTERM");
        const timer = setTimeout(() => child.process.kill("SIGKILL"), STOP_GRACE_MS);
        await child.exited;
        clearTimeout(timer);
        removeFolder(child.folder);
      })();
      return stopping;
    },
  };
}

function fileSize(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** What the tool's environment gives the server it spawns, of the HONGBAO_ variables. */
const PASSED_TO_THE_SERVER = new Set(["HONGBAO_BUN", "HONGBAO_COMMIT_THREAD", "HONGBAO_COMMIT_WINDOW_MS"]);

/**
 * Starts `node …args` with its stdout and stderr going to a file in `folder`, not to a pipe:
 * a server that logs every shed request would otherwise make this process read its logs.
 * Resolves with the url from its {"msg":"listening","url":…} line.
 */
async function startChild(args: string[], extraEnv: Record<string, string>, folder: string): Promise<StartedChild> {
  installExitHook();
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // The server's settings are the tool's to give; where Bun is (for --edge-runtime bun) is not a
    // setting, and the engine's switches measured against the default pass through.
    const setting = name.startsWith("HONGBAO_") && !PASSED_TO_THE_SERVER.has(name);
    if (setting || name.startsWith("NODE_TEST") || name === "NODE_OPTIONS") continue;
    env[name] = value;
  }
  Object.assign(env, extraEnv);
  const logFile = join(folder, "server.log");
  const log = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { env, stdio: ["ignore", log, log] });
  } finally {
    closeSync(log);
  }
  children.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      children.delete(child);
      resolve();
    });
    child.once("error", () => {
      children.delete(child);
      resolve();
    });
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const tail = () => {
    try {
      const text = readFileSync(logFile, "utf8");
      return text.slice(-4000);
    } catch {
      return "";
    }
  };
  const started = performance.now();
  let offset = 0;
  let partial = "";
  for (;;) {
    const size = fileSize(logFile) ?? 0;
    if (size > offset) {
      const handle = openSync(logFile, "r");
      const chunk = Buffer.alloc(Math.min(size - offset, 1 << 20));
      const read = readSync(handle, chunk, 0, chunk.length, offset);
      closeSync(handle);
      offset += read;
      partial += chunk.toString("utf8", 0, read);
      for (let newline = partial.indexOf("\n"); newline >= 0; newline = partial.indexOf("\n")) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        const url = listeningUrl(line);
        if (url !== undefined) return { process: child, url, exited, folder, logFile };
      }
    }
    if (gone) {
      removeFolder(folder);
      throw new Error(`the server exited before it was listening\n${tail()}`);
    }
    if (performance.now() - started > READY_TIMEOUT_MS) {
      child.kill("SIGKILL");
      await exited;
      const text = tail();
      removeFolder(folder);
      throw new Error(`the server did not say "listening" within ${READY_TIMEOUT_MS} ms\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function listeningUrl(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return parsed.msg === "listening" && typeof parsed.url === "string" ? parsed.url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * VmHWM, VmRSS and CPU time of a process and the processes it started (a server with edges
 * is a supervisor, its edges and its writer), summed, from /proc; undefined fields where
 * /proc is not there. Peaks are summed too: an upper bound when they came at different times.
 */
export function processStats(pid: number): ProcessStats {
  let peakRssKiB: number | undefined;
  let rssKiB: number | undefined;
  let cpuSeconds: number | undefined;
  const tree = [pid, ...descendantsOf(pid)];
  for (const member of tree) {
    const one = oneProcessStats(member);
    if (one === undefined) continue;
    peakRssKiB = sum(peakRssKiB, one.peakRssKiB);
    rssKiB = sum(rssKiB, one.rssKiB);
    cpuSeconds = sum(cpuSeconds, one.cpuSeconds);
  }
  return { pid, processes: tree.length, peakRssKiB, rssKiB, cpuSeconds };
}

function sum(total: number | undefined, more: number | undefined): number | undefined {
  if (more === undefined) return total;
  return (total ?? 0) + more;
}

/** Children of every thread of `pid`, and theirs (Linux 3.5 on); none where /proc cannot say. */
function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0 && found.length < 1_024) {
    const parent = pending.pop() as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, "utf8");
      } catch {
        continue;
      }
      for (const child of children.split(" ")) {
        const childPid = Number(child);
        if (child.trim() === "" || !Number.isInteger(childPid) || found.includes(childPid)) continue;
        found.push(childPid);
        pending.push(childPid);
      }
    }
  }
  return found;
}

function oneProcessStats(pid: number): { peakRssKiB?: number; rssKiB?: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const peak = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    const rss = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th, in clock ticks (100 a second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      ...(Number.isFinite(peak) ? { peakRssKiB: peak } : {}),
      ...(Number.isFinite(rss) ? { rssKiB: rss } : {}),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    };
  } catch {
    // not Linux, or the process is gone
    return undefined;
  }
}

/** This process's open-file limit (soft, hard) from /proc, or undefined where that is not readable. */
export function openFileLimit(): { soft: number; hard: number } | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
    if (match === null) return undefined;
    const number = (text: string | undefined) => (text === "unlimited" ? Number.POSITIVE_INFINITY : Number(text));
    return { soft: number(match[1]), hard: number(match[2]) };
  } catch {
    return undefined;
  }
}
