/**
 * A PostgreSQL primary with a synchronous standby on loopback, made and driven by the
 * project's own script (scripts/pg-replica/pg-replica.sh), so the tests exercise the very
 * steps docs/replication.md tells an operator to take. Every pair made here is stopped and
 * its folder removed by `down()`, and, as a last resort, when the test process exits.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The script, seen from dist/test/process/. */
export const PG_REPLICA = fileURLToPath(new URL("../../../scripts/pg-replica/pg-replica.sh", import.meta.url));

const livePairs = new Set<PgPair>();

process.once("exit", () => {
  // Synchronous last resort: no cluster of ours outlives the tests, whatever happened.
  for (const pair of livePairs) pair.killNow();
});

/** A port the kernel just handed out and took back: free now, for a server that needs a number. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

export interface ScriptRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export class PgPair {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Makes the pair under a new folder in /tmp (short: Unix socket paths are limited). */
  static async up(options: { database?: string } = {}): Promise<PgPair> {
    const pair = new PgPair(mkdtempSync("/tmp/hb-pg-"));
    livePairs.add(pair);
    const [primaryPort, standbyPort] = [await freePort(), await freePort()];
    await pair.run("up", [
      "--primary-port",
      String(primaryPort),
      "--standby-port",
      String(standbyPort),
      "--database",
      options.database ?? "hongbao",
    ]);
    return pair;
  }

  /** Runs one command of the script on this pair; rejects with its output if it fails. */
  run(command: string, args: readonly string[] = [], timeoutMs = 120_000): Promise<ScriptRun> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      execFile(
        "bash",
        [PG_REPLICA, command, "--dir", this.dir, ...args],
        { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 20 },
        (error, stdout, stderr) => {
          const ms = performance.now() - started;
          if (error !== null) reject(new Error(`pg-replica.sh ${command} failed: ${error.message}\n${stderr}`));
          else resolve({ stdout, stderr, ms });
        },
      );
    });
  }

  port(node: "a" | "b"): number {
    return Number(readFileSync(join(this.dir, `${node}.port`), "utf8").trim());
  }

  async url(role: "primary" | "standby" = "primary"): Promise<string> {
    return (await this.run("url", [role])).stdout.trim();
  }

  /** The running postmaster's pid of a node, from its own postmaster.pid. */
  postmasterPid(node: "a" | "b"): number | undefined {
    const file = join(this.dir, node, "postmaster.pid");
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /** Stops both nodes (immediate) and removes the folder. */
  async down(): Promise<void> {
    if (!livePairs.has(this)) return;
    try {
      await this.run("down", ["--remove"]);
    } finally {
      this.killNow();
    }
  }

  /** SIGKILL of whatever postmaster of ours still runs, then the folder: for the exit handler. */
  killNow(): void {
    for (const node of ["a", "b"] as const) {
      const pid = this.postmasterPid(node);
      if (pid !== undefined) process.kill(pid, "SIGKILL");
    }
    rmSync(this.dir, { recursive: true, force: true });
    livePairs.delete(this);
  }

  /** psql on a node, one command, tuples only; synchronous, for short checks. */
  psql(node: "a" | "b", sql: string, database = "hongbao"): string {
    const result = spawnSync(
      "bash",
      [PG_REPLICA, "psql", "--dir", this.dir, "--database", database, node, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    if (result.status !== 0) throw new Error(`psql on ${node} failed (${result.status}): ${result.stderr}`);
    return result.stdout.trim();
  }
}
