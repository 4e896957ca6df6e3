/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile DIR`, or node --cpu-prof):
 * self time by function, self time by file or package, and inclusive time of this
 * project's functions.
 * Usage: node dist/bench/profile-summary.js FILE.cpuprofile [top=30] [answers] [--from REGEX]
 * With `answers` (how many requests or transfers the profiled window served) it also splits
 * the time into the hot path's phases, in µs per answer. With `--from`, samples before the
 * first one whose stack has a frame ("function file:line") matching REGEX are left out: a
 * process's start and setup, when only its load is wanted.
 */
import { readFileSync } from "node:fs";

interface Node {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface Profile {
  readonly nodes: Node[];
  readonly samples: number[];
  readonly timeDeltas: number[];
  readonly startTime: number;
  readonly endTime: number;
}

const args = process.argv.slice(2);
const fromAt = args.indexOf("--from");
const from = fromAt >= 0 ? new RegExp(args.splice(fromAt, 2)[1] as string) : undefined;
const [file, topArg, answersArg] = args;
if (file === undefined) {
  console.error("usage: profile-summary FILE.cpuprofile [top]");
  process.exit(2);
}
const top = Number(topArg ?? 30);
if (file.endsWith(".heapprofile")) {
  summarizeHeap(JSON.parse(readFileSync(file, "utf8")) as HeapProfile);
  process.exit(0);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
interface HeapNode {
  readonly callFrame: Node["callFrame"];
  readonly selfSize: number;
  readonly children: HeapNode[];
}
interface HeapProfile {
  readonly head: HeapNode;
}

/** A sampling heap profile (bytes allocated, collected or not): where the garbage comes from. */
function summarizeHeap(heap: HeapProfile): void {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, stack: string[]): number => {
    const key = keyOf(node as unknown as Node);
    let sum = node.selfSize;
    self.set(key, (self.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) sum += walk(child, [...stack, key]);
    if (!stack.includes(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    return sum;
  };
  total = walk(heap.head, []);
  const mb = (b: number) =>
    `${(b / 2 ** 20).toFixed(1).padStart(8)} MiB ${((100 * b) / total).toFixed(1).padStart(5)}%`;
  console.log(`${file}: ${(total / 2 ** 20).toFixed(1)} MiB sampled allocations`);
  console.log("\nallocated by function (self)");
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${mb(v)}  ${k}`);
  console.log("\nallocated under src/ functions (inclusive)");
  for (const [k, v] of [...inclusive]
    .filter(([k]) => / src\//.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`${mb(v)}  ${k}`);
  }
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

function where(url: string): string {
  if (url === "") return "(native/vm)";
  const path = url.replace(/^file:\/\//, "");
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + "/node_modules/".length).split("/");
    return `npm:${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const dist = path.indexOf("/dist/");
  if (dist >= 0) return path.slice(dist + "/dist/".length).replace(/\.js$/, ".ts");
  if (path.startsWith("node:")) return path;
  return path;
}

function keyOf(n: Node): string {
  const f = n.callFrame;
  return `${f.functionName || "(anonymous)"} ${where(f.url)}${f.url === "" ? "" : `:${f.lineNumber + 1}`}`;
}

/** The first sample counted: with --from, the first whose stack matches it. */
const first = (() => {
  if (from === undefined) return 0;
  for (let i = 0; i < profile.samples.length; i++) {
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      if (from.test(keyOf(byId.get(id) as Node))) return i;
    }
  }
  throw new Error(`no sample under ${from}`);
})();

const self = new Map<string, number>();
const selfByPlace = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (let i = first; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  const node = byId.get(profile.samples[i] as number);
  if (node === undefined) continue;
  total += dt;
  const k = keyOf(node);
  self.set(k, (self.get(k) ?? 0) + dt);
  const place = node.callFrame.url === "" ? node.callFrame.functionName || "(native/vm)" : where(node.callFrame.url);
  selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id) as Node;
    const key = keyOf(n);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
}

const idle = (self.get("(idle) (native/vm)") ?? 0) + 0;
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const print = (title: string, map: Map<string, number>, filter: (k: string) => boolean = () => true, n = top) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...map]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)) {
    console.log(`${ms(v)} ${pct(v)}  ${k}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(idle / 1e6).toFixed(2)} s idle; % of non-idle time`);
print("self time by file / package", selfByPlace, (k) => k !== "(idle)");
print("self time by function", self, (k) => !k.startsWith("(idle)"));
print("inclusive time of src/ and bench/ functions", inclusive, (k) => / (src|bench)\//.test(k), top);

/**
 * Phases of hongbao's hot path, tried in this order against every frame of a sample's stack
 * (the first phase with a matching frame takes the sample). Frames are "function file:line".
 */
const PHASES: [string, RegExp][] = [
  ["GC", /^\(garbage collector\)/],
  ["profiler itself", /^dispatch |^(resume|pause) bench\/lib/],
  ["store: statements (#write)", /^#write src\/store\//],
  ["store: BEGIN/COMMIT (WAL write + fsync)", /^commit src\/store\//],
  ["writer: facts to edges after each batch", /^(batchDurable|committed) src\/edge\/writer-server/],
  ["engine: crypto ids (randomBytes)", /^randomBytes node:/],
  ["engine: limitsAt (rules + reasons text)", /^limitsAt src\//],
  ["engine: apply (domain + ledger state)", /^#apply src\/engine\//],
  ["engine: grab precheck (memory)", /^#precheckGrab src\/engine\//],
  [
    "engine: claims (reserve, deadline, one posting per batch)",
    /^(#reserveClaim|#applyItem|#postClaims|claimRefusal) src\//,
  ],
  ["admission control (campaign claims)", /^decide src\/api\/admission/],
  ["engine: idempotency lookup (store read)", /^#executeKeyed src\/engine\//],
  ["render answer (answerOf, transferView, JSON)", /^answerOf src\/api\//],
  [
    "engine: flush, queue, promises",
    /^(#flush|#enqueue|#track|#executeOnce|#executeWithKey|execute|submit) src\/engine\//,
  ],
  // The writer serving edges: what its wire adds around the engine.
  ["metrics (prom-client)", /npm:prom-client/],
  ["wire: encode (msgpackr pack, frame)", /^(encodeFrame|encodeBatch|add) src\/wire\/frames/],
  ["wire: decode (msgpackr unpack)", /npm:msgpackr/],
  ["waiting room (line.claim, arrive)", /src\/api\/(line|waiting-room)\.ts/],
  [
    "wire: socket writes, cork",
    /^(send|queue|close|#write|#flushBatch) src\/wire\/connection|^(writev|writevGeneric) /,
  ],
  ["writer: call dispatch, reply", /src\/edge\/writer-server/],
  ["auth: user token check (HMAC, cache)", /^(verifyUser|verifyUserNow|#verifySignature) src\/api\/tokens/],
  ["auth + metrics hooks (app.ts)", /^\(anonymous\) src\/api\/app\.ts/],
  ["socket writes (kernel, writev)", /^(writev|writevGeneric|writeGeneric|writeBuffer|writeUtf8String) /],
  ["reply send (Fastify + node:http)", /^sendAnswer src\/api\//],
  ["claim fast path (match, headers, answer)", /^(\(anonymous\)|send) src\/api\/claim-fast-path/],
  ["route handler other", /src\/api\/routes\//],
  [
    "Fastify (routing, body, validation, hooks)",
    /npm:fastify|npm:find-my-way|npm:secure-json-parse|npm:avvio|^validate/,
  ],
  ["node:http + streams", /node:(_http|internal\/streams|net|internal\/stream_base)/],
  ["promises, ticks, timers", /node:internal\/(process\/task_queues|timers)|^runMicrotasks|^processImmediate/],
  ["(program) / other native", /^\(program\)/],
];

if (answersArg !== undefined) {
  const answers = Number(answersArg);
  const phase = new Map<string, number>();
  for (let i = first; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined || node.callFrame.functionName === "(idle)") continue;
    const frames: string[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const key = keyOf(byId.get(id) as Node);
      const caller = parent.get(id);
      // app.ts's server factory (the claim fast path's switch) is under every request: not a hook.
      if (/^\(anonymous\) src\/api\/app\.ts/.test(key) && caller !== undefined) {
        if (/^emit node:events/.test(keyOf(byId.get(caller) as Node))) continue;
      }
      frames.push(key);
    }
    const name = PHASES.find(([, re]) => frames.some((f) => re.test(f)))?.[0] ?? "other";
    phase.set(name, (phase.get(name) ?? 0) + dt);
  }
  console.log(`\nphases, µs per answer over ${answers} answers (busy ${(busy / answers).toFixed(1)} µs per answer)`);
  for (const [name, us] of [...phase].sort((a, b) => b[1] - a[1])) {
    console.log(`${(us / answers).toFixed(1).padStart(7)} µs ${pct(us)}  ${name}`);
  }
}
