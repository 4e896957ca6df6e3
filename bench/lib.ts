import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A child entry of the bench, next to this file once compiled (dist/bench/*.js). */
export function benchScript(name: string): string {
  return fileURLToPath(new URL(`./${name}.js`, import.meta.url));
}

export interface Child {
  readonly process: ChildProcess;
  /** The next IPC message whose `type` is `type`; rejects if the child exits first or the time runs out. */
  next<T>(type: string, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  /** Asks the child to stop, then kills it (this one process, by its handle) if it lingers. */
  stop(timeoutMs?: number): Promise<void>;
}

interface Message {
  readonly type: string;
}

/** Forks one bench child with an IPC channel; stdout/stderr go to ours. */
export function forkChild(name: string, args: string[], env: Record<string, string> = {}): Child {
  const child = fork(benchScript(name), args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
  });
  const inbox: Message[] = [];
  const waiters: { type: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | undefined;
  child.on("message", (raw) => {
    const message = raw as Message;
    const i = waiters.findIndex((w) => w.type === message.type);
    if (i >= 0) {
      const [waiter] = waiters.splice(i, 1);
      waiter?.resolve(message);
    } else {
      inbox.push(message);
    }
  });
  // A child that has already let go of its channel makes send() fail with EPIPE: not an error here.
  child.on("error", () => {});
  child.on("exit", (code, signal) => {
    exited = new Error(`bench child ${name} exited (code ${code}, signal ${signal})`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  return {
    process: child,
    next<T>(type: string, timeoutMs = 120_000): Promise<T> {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T);
      if (exited !== undefined) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          const j = waiters.indexOf(waiter);
          if (j >= 0) waiters.splice(j, 1);
          reject(new Error(`bench child ${name}: no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          type,
          resolve: (m: Message) => {
            clearTimeout(timer);
            resolve(m as T);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        waiters.push(waiter);
      });
    },
    send(message: unknown): void {
      if (child.connected) child.send(message as object, () => {});
    },
    async stop(timeoutMs = 15_000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      if (child.connected) child.send({ type: "stop" }, () => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Sends a message to the parent (children only). */
export function tell(message: { type: string } & Record<string, unknown>): void {
  process.send?.(message);
}

/** Resolves on the parent's first message of `type`. */
export function heard<T>(type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if ((m as Message).type === type) {
        process.off("message", on);
        resolve(m as T);
      }
    };
    process.on("message", on);
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A seeded PRNG, so both sides of a comparison draw the same traffic. */
export { seededRandom as prng } from "../src/domain/seeded-random.js";

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${"-".repeat(w + 1)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** CPU seconds (user + system) this process used since `since`. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** Where children write CPU profiles of their measured window (run.js --profile DIR), if anywhere. */
export const PROFILE_ENV = "HONGBAO_BENCH_PROFILE_DIR";

/**
 * V8's sampling profiler (CPU, and allocations) over the measured windows only, when
 * PROFILE_ENV is set: `resume()` at the start of a measured slice, `pause()` at its end, so
 * set-up between slices (users, packets, the other side's turn) stays out of the picture.
 * `finish(name)` writes `<name>-<pid>.cpuprofile` and `.heapprofile`, every window merged.
 * Without PROFILE_ENV every call does nothing.
 */
export interface Profiler {
  resume(): Promise<void>;
  pause(): Promise<void>;
  finish(name: string): Promise<void>;
}

interface CpuProfile {
  nodes: { id: number; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
interface HeapProfileNode {
  callFrame: unknown;
  selfSize: number;
  id: number;
  children: HeapProfileNode[];
}

export async function makeProfiler(): Promise<Profiler> {
  const dir = process.env[PROFILE_ENV];
  if (dir === undefined || dir === "") return { resume: async () => {}, pause: async () => {}, finish: async () => {} };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 250 });
  await session.post("HeapProfiler.enable");
  const cpu: CpuProfile[] = [];
  const heap: HeapProfileNode[] = [];
  let running = false;
  const pause = async () => {
    if (!running) return;
    running = false;
    const { profile } = await session.post("Profiler.stop");
    const { profile: sampled } = await session.post("HeapProfiler.stopSampling");
    cpu.push(profile as unknown as CpuProfile);
    heap.push(sampled.head as unknown as HeapProfileNode);
  };
  return {
    async resume() {
      if (running) return;
      running = true;
      // Where the garbage comes from: one sample per 32 KiB allocated, kept even once collected.
      await session.post("HeapProfiler.startSampling", {
        samplingInterval: 32 * 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      await session.post("Profiler.start");
    },
    pause,
    async finish(name: string) {
      await pause();
      session.disconnect();
      if (cpu.length === 0) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(mergeCpu(cpu)));
      const root: HeapProfileNode = { callFrame: heap[0]?.callFrame ?? {}, selfSize: 0, id: 0, children: heap };
      writeFileSync(join(dir, `${name}-${process.pid}.heapprofile`), JSON.stringify({ head: root }));
    },
  };
}

/** One profile out of several windows: node ids renumbered, each window's tree under its own root. */
function mergeCpu(profiles: readonly CpuProfile[]): CpuProfile {
  const merged: CpuProfile = {
    nodes: [],
    samples: [],
    timeDeltas: [],
    startTime: profiles[0]?.startTime ?? 0,
    endTime: profiles.at(-1)?.endTime ?? 0,
  };
  let offset = 0;
  for (const p of profiles) {
    let max = 0;
    for (const node of p.nodes) {
      max = Math.max(max, node.id);
      merged.nodes.push({ ...node, id: node.id + offset, children: node.children?.map((c) => c + offset) });
    }
    for (const id of p.samples) merged.samples.push(id + offset);
    merged.timeDeltas.push(...p.timeDeltas);
    offset += max;
  }
  return merged;
}

/** `--name VALUE` from this process's arguments, or `fallback`. */
export function flag(name: string, fallback: string): string {
  const argv = process.argv;
  const i = argv.indexOf(`--${name}`, 2);
  return i >= 0 ? (argv[i + 1] as string) : fallback;
}

const TICKS = 100; // USER_HZ on Linux

/** User and system CPU seconds another process has used, from /proc: the kernel's share is its sockets' and disk's. */
export function cpuSplitOf(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [Number(fields[11]) / TICKS, Number(fields[12]) / TICKS];
}

/** CPU seconds (user + system) another process has used, from /proc. */
export function cpuOf(pid: number): number {
  const [user, system] = cpuSplitOf(pid);
  return user + system;
}

/** SIGTERM to a server this bench started (by its handle), SIGKILL if it is still there after 30 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await gone;
  clearTimeout(timer);
}
