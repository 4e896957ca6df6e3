/**
 * What an edge allocates, garbage included (`edges-bench.js --allocations DIR`): imported into
 * the bench's servers (`--import`), it acts only in an edge (HONGBAO_EDGE_SLOT). On SIGUSR2,
 * which the bench sends when the durable claims begin, it starts V8's sampling heap profiler
 * counting objects that later died too, and counts GC pauses by kind; when the edge stops it
 * writes DIR/edge-PID.heapprofile (DevTools' Memory tab reads it) and DIR/gc-PID.json.
 * A heap profile left to its defaults keeps only what is still alive at its end: none of a
 * claim's garbage.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { type PerformanceEntry, PerformanceObserver } from "node:perf_hooks";

const DIR = process.env.HONGBAO_BENCH_ALLOCATIONS;
/** Bytes between samples: V8's default is 32 KiB, too few samples over a claim's 13 KB. */
const SAMPLE_BYTES = 2048;

if (DIR !== undefined && process.env.HONGBAO_EDGE_SLOT !== undefined) {
  const session = new Session();
  session.connect();
  let started: { cpu: NodeJS.CpuUsage; at: number } | undefined;
  const pauses: Record<string, { count: number; ms: number }> = {};
  // 1 scavenge, 2 minor mark-compact, 4 mark-compact, 8 incremental marking, 16 weak callbacks.
  new PerformanceObserver((list) => {
    if (started === undefined) return;
    for (const entry of list.getEntries()) {
      const kind = String((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind);
      const seen = pauses[kind] ?? { count: 0, ms: 0 };
      seen.count++;
      seen.ms += entry.duration;
      pauses[kind] = seen;
    }
  }).observe({ entryTypes: ["gc"] });
  process.on("SIGUSR2", () => {
    if (started !== undefined) return;
    started = { cpu: process.cpuUsage(), at: performance.now() };
    session.post("HeapProfiler.enable");
    session.post("HeapProfiler.startSampling", {
      samplingInterval: SAMPLE_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  });
  let written = false;
  const write = () => {
    if (started === undefined || written) return;
    written = true;
    const cpu = process.cpuUsage(started.cpu);
    const gc = { pauses, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - started.at };
    writeFileSync(join(DIR, `gc-${process.pid}.json`), `${JSON.stringify(gc)}\n`);
    // An in-process session answers at once: the profile is written before the edge exits.
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (error === null) writeFileSync(join(DIR, `edge-${process.pid}.heapprofile`), JSON.stringify(result.profile));
    });
  };
  process.on("SIGTERM", write);
  process.on("exit", write);
}
