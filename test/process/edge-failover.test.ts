/**
 * An edge that finds its writer through the lease, on the real PostgreSQL server with real
 * processes: two `hongbao serve --store postgres://… --wire-listen 127.0.0.1:<port>` writers
 * (one holds the lease, one waits without holding a port) and one `hongbao edge --store …` in
 * front. Under mixed load through the edge the active writer is SIGKILLed again and again and
 * started again as the standby; the edge finds each new holder by itself, and the time from
 * the kill to the first durable answer through the edge is measured. Then the active writer
 * is paused (SIGSTOP) until the other takes over, and woken: the edge never dials it again.
 * Afterwards the ledger is read straight from PostgreSQL and checked.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import { currentWriter } from "../../src/store/postgres/writer-lease.js";
import { createDatabase, dropDatabase } from "../support/postgres.js";
import { ADMIN_TOKEN, childEnv, cleanup, Proc, sleep, TOKEN_SECRET } from "./support.js";
import { checkLedger, Load, sendPacket, setUp } from "./writer-load.js";

const KILLS = Number(process.env.HONGBAO_EDGE_FAILOVER_KILLS ?? 3);
const WIRE_SECRET = "edge-failover-wire-secret-0123456789";
// A deadline for a starved machine, not a measure: the figures are printed (docs/reliability.md).
const STEP_MS = 90_000;

/** A port nothing listens on now (the system's pick, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The loopback ports this process listens on, from the kernel's socket tables: a port's probe
 * cannot say whose listener answered, and a port `freePort` released may be taken by any
 * process on the machine (another test's `listen(0)`) before the writer wants it.
 */
function listeningPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith("socket:[")) inodes.add(target.slice(8, -1));
    } catch {
      // The descriptor closed between the listing and the read.
    }
  }
  const ports = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // Columns: sl local_address rem_address st … inode (the tenth); st 0A is LISTEN.
      if (fields[3] !== "0A" || !inodes.has(fields[9] as string)) continue;
      ports.add(Number.parseInt((fields[1] as string).split(":")[1] as string, 16));
    }
  }
  return ports;
}

class Writer {
  proc: Proc;

  constructor(
    readonly url: string,
    readonly httpPort: number,
    readonly wirePort: number,
  ) {
    this.proc = this.#start();
  }

  #start(): Proc {
    const args = ["serve", "--edges", "0", "--store", this.url, "--port", String(this.httpPort), "--host", "127.0.0.1"];
    return new Proc([...args, "--wire-listen", `127.0.0.1:${this.wirePort}`, "--log-level", "info"], {
      env: childEnv({
        HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN,
        HONGBAO_TOKEN_SECRET: TOKEN_SECRET,
        HONGBAO_WIRE_SECRET: WIRE_SECRET,
      }),
    });
  }

  /** Started again on the same ports, after it died. */
  restart(): void {
    assert.ok(!this.proc.running);
    this.proc = this.#start();
  }

  /**
   * A writer whose renewal came later than the lease's TTL on a starved machine was taken over
   * and exited with status 3 (the design): started again, so a standby is always there.
   */
  keepAlive(): void {
    if (this.proc.running) return;
    assert.equal(this.proc.child.exitCode, 3, `a writer exits only when fenced\n${this.proc.describe()}`);
    this.restart();
  }

  /** The epoch it serves under, once it holds the lease and listens. */
  get epoch(): number | undefined {
    if (!this.proc.running) return undefined;
    return this.proc.lines.find((line) => line.msg === "listening")?.epoch as number | undefined;
  }
}

/** The epochs of the writers the edge was welcomed by, in order. */
function connectedEpochs(edge: Proc): number[] {
  return edge.lines
    .filter((line) => line.msg === "connected to the writer")
    .map((line) => (line.writer as { epoch: number }).epoch);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe("an edge that finds its writer through the lease", { concurrency: false }, () => {
  const databases: string[] = [];
  after(async () => {
    await cleanup();
    for (const name of databases) await dropDatabase(name);
  });

  it(`follows ${KILLS} SIGKILLs of the writer and a paused writer's takeover; nothing acknowledged is lost`, {
    timeout: 600_000,
  }, async () => {
    const database = await createDatabase();
    databases.push(database.name);
    let load: Load | undefined;
    try {
      const a = new Writer(database.url, await freePort(), await freePort());
      await a.proc.waitForLine((line) => line.msg === "listening", STEP_MS, "the first writer listening");
      const b = new Writer(database.url, await freePort(), await freePort());
      await b.proc.waitForLine((line) => line.msg === "waiting for the writer lease", STEP_MS, "the standby waiting");
      await sleep(1_000);
      // A standby holds no port before it holds the lease: neither HTTP nor the wire.
      // The same reading finds the holder's two listeners: the standby's empty set is a finding, not a blind spot.
      const holderPorts = listeningPorts(a.proc.child.pid as number);
      assert.ok(holderPorts.has(a.httpPort) && holderPorts.has(a.wirePort), `the holder listens: ${[...holderPorts]}`);
      const standbyPorts = listeningPorts(b.proc.child.pid as number);
      assert.equal(standbyPorts.has(b.httpPort), false, "the standby does not listen on HTTP");
      assert.equal(standbyPorts.has(b.wirePort), false, "the standby does not listen on the wire");
      assert.equal((await currentWriter(database.url))?.wire, `127.0.0.1:${a.wirePort}`, "the lease names the wire");

      const edge = new Proc(["edge", "--store", database.url, "--port", "0", "--log-level", "info"], {
        env: childEnv({ HONGBAO_WIRE_SECRET: WIRE_SECRET }),
      });
      const listening = await edge.waitForLine((line) => line.msg === "edge listening", STEP_MS, "the edge");
      const edgeUrl = `http://127.0.0.1:${(listening.address as { port: number }).port}`;
      const world = await setUp(edgeUrl);
      assert.equal((await sendPacket(edgeUrl, world)).status, 201);
      load = new Load(world, { current: { epoch: 0, address: edgeUrl } });
      const running = load.run();
      const takeoversMs: number[] = [];
      /** Where each takeover's time went, from the processes' own log times (ms after the kill). */
      const steps: Record<string, number>[] = [];
      const standbyReady = async () => {
        for (const writer of [a, b]) writer.keepAlive();
        for (const writer of [a, b]) {
          await writer.proc.waitForLine((l) => l.msg === "waiting for the writer lease", STEP_MS, "a writer waiting");
          const holds = () => writer.proc.lines.some((l) => l.msg === "holding the writer lease");
          if (holds()) continue;
          // A restarted standby too holds no port; unless it took the lease meanwhile (a lapse).
          const listening = listeningPorts(writer.proc.child.pid as number);
          const ports = [listening.has(writer.httpPort), listening.has(writer.wirePort)];
          // The lease's row, not the log line (which may reach this process after the listen), says who took it.
          const took = holds() || (await currentWriter(database.url))?.wire === `127.0.0.1:${writer.wirePort}`;
          if (!took) assert.deepEqual(ports, [false, false], "a waiting writer holds neither port");
        }
      };
      for (let kill = 0; kill < KILLS; kill++) {
        await standbyReady();
        await load.firstSuccessSentAfter(performance.now(), STEP_MS);
        const victim = [a, b].find((writer) => writer.epoch !== undefined);
        assert.ok(victim !== undefined, "one writer serves");
        const epoch = victim.epoch as number;
        const standby = victim === a ? b : a;
        const killedWall = Date.now();
        const killedAt = performance.now();
        await victim.proc.kill("SIGKILL");
        victim.restart();
        const answeredAt = await load.firstSuccessSentAfter(killedAt, STEP_MS);
        takeoversMs.push(answeredAt - killedAt);
        const epochs = connectedEpochs(edge);
        assert.ok((epochs.at(-1) as number) > epoch, `the edge is with a newer writer than ${epoch}: ${epochs}`);
        const at = (proc: Proc, msg: string) =>
          ((proc.lines.findLast((l) => l.msg === msg)?.time as number) ?? 0) - killedWall;
        steps.push({
          lease: at(standby.proc, "holding the writer lease"),
          wire: at(standby.proc, "serving edges over TCP"),
          edge: at(edge, "connected to the writer"),
          answer: Math.round(answeredAt - killedAt),
        });
      }

      // Paused until the standby takes over (the lease lapses), then woken: it is fenced.
      await standbyReady();
      await load.firstSuccessSentAfter(performance.now(), STEP_MS);
      const paused = [a, b].find((writer) => writer.epoch !== undefined) as Writer;
      const pausedEpoch = paused.epoch as number;
      const stoppedAt = performance.now();
      paused.proc.child.kill("SIGSTOP");
      const answeredAt = await load.firstSuccessSentAfter(stoppedAt, STEP_MS);
      const taken = (await currentWriter(database.url))?.epoch as number;
      assert.ok(taken > pausedEpoch, "the other writer took over");
      paused.proc.child.kill("SIGCONT");
      assert.deepEqual(await paused.proc.waitForExit(20_000), { code: 3, signal: null }, "the woken writer steps down");
      await load.firstSuccessSentAfter(performance.now(), STEP_MS);
      await sleep(500);
      load.stop = true;
      await running;

      const epochs = connectedEpochs(edge);
      assert.deepEqual(
        epochs,
        [...epochs].sort((x, y) => x - y),
        `the edge never went back to an older writer: ${epochs}`,
      );
      const firstWithNew = epochs.findIndex((e) => e >= taken);
      assert.ok(firstWithNew >= 0, "the edge found the writer that took over");
      assert.ok(
        epochs.slice(firstWithNew).every((e) => e !== pausedEpoch),
        "the paused writer was not dialled as current after the takeover",
      );
      const sorted = [...takeoversMs].sort((x, y) => x - y);
      console.log(
        `edge failover figures: ${JSON.stringify({
          kills: KILLS,
          killToFirstAnswerMsP50: Math.round(percentile(sorted, 50)),
          killToFirstAnswerMsMax: Math.round(sorted.at(-1) as number),
          killToFirstAnswerMs: takeoversMs.map(Math.round),
          steps,
          pauseToFirstAnswerMs: Math.round(answeredAt - stoppedAt),
          edgeConnections: epochs.length,
          transfers: load.acknowledged.transfers.size,
          grabs: load.acknowledged.grabs.length,
          claims: load.acknowledged.claims.length,
          answers: load.seen.length,
        })}`,
      );
      assert.ok(load.acknowledged.transfers.size > 0 && load.acknowledged.grabs.length > 0);
      assert.ok(load.acknowledged.claims.length > 0);
      await checkLedger(database.url, load.acknowledged);
      edge.child.kill("SIGTERM");
      assert.deepEqual(await edge.waitForExit(20_000), { code: 0, signal: null });
    } finally {
      if (load !== undefined) load.stop = true;
    }
  });
});
