#!/usr/bin/env node
/**
 * An edge alone, for runtimes that cannot load the writer's database drivers (Bun): it imports
 * nothing of the store but, with --store, the PostgreSQL client (pure JavaScript) to read the
 * writer lease. `hongbao edge` does the same from the full CLI on Node.
 *
 *   HONGBAO_WIRE_SECRET=… node|bun dist/src/edge/main.js --writer HOST:PORT|--socket PATH|--store postgres://… [--port 8080] [--host 127.0.0.1]
 *     [--http serve|node] [--reuse-port] [--trust-proxy LIST]
 *
 * HONGBAO_EDGE_TUNING, optional: JSON `{"gate": {…}, "admission": {…}}`, the crowd gate's and
 * admission's numeric options (src/api/crowd-gate.ts, src/api/admission.ts), as `serve` takes them.
 *
 * `--http serve` (the default on Bun) puts Bun.serve in front of the app (src/edge/bun/front.ts);
 * `--http node` serves with node:http (the only choice on Node). `--reuse-port` lets several
 * Bun edges listen on one port, the kernel spreading connections among them.
 */
import { parseArgs } from "node:util";
import { createEdgeService, stopOnSignal } from "./edge-service.js";
import { parseHostPort, type WriterTarget } from "./writer-client.js";

const { values } = parseArgs({
  options: {
    writer: { type: "string" },
    socket: { type: "string" },
    store: { type: "string" },
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "127.0.0.1" },
    "log-level": { type: "string", default: "info" },
    http: { type: "string" },
    "reuse-port": { type: "boolean", default: false },
    "trust-proxy": { type: "string" },
  },
});
const onBun = process.versions.bun !== undefined;

function fail(message: string): never {
  process.stderr.write(`hongbao edge: ${message}\n`);
  process.exit(2);
}

const secret = process.env.HONGBAO_WIRE_SECRET ?? fail("HONGBAO_WIRE_SECRET: the writer's secret is required");
const tcp = values.writer === undefined ? undefined : parseHostPort(values.writer);
if (values.writer !== undefined && tcp === undefined) fail(`--writer ${values.writer}: give HOST:PORT`);
if ([values.writer, values.socket, values.store].filter((given) => given !== undefined).length !== 1)
  fail("give one of --writer HOST:PORT, --socket PATH, --store postgres://…");
if (values.store !== undefined && !/^postgres(ql)?:\/\//.test(values.store))
  fail(`--store: a postgres:// connection string, where the writer lease is`);
const address: WriterTarget =
  tcp ??
  (values.store === undefined
    ? { path: values.socket as string }
    : (await import("./lease-finder.js")).leaseFinder(values.store));
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port ${values.port}: a port is 0 to 65535`);

const http = values.http ?? (onBun ? "serve" : "node");
if (http !== "serve" && http !== "node") fail(`--http ${http}: give serve (Bun.serve) or node (node:http)`);
if (http === "serve" && !onBun) fail("--http serve runs on Bun only; on Node give --http node");
if (values["reuse-port"] && http !== "serve") fail("--reuse-port goes with --http serve (Bun.serve)");

/** The numeric fields of one tuning section; anything else is refused. */
function numbers(section: unknown, name: string): Record<string, number> {
  if (section === undefined) return {};
  if (typeof section !== "object" || section === null) fail(`HONGBAO_EDGE_TUNING: ${name} is an object of numbers`);
  for (const [key, value] of Object.entries(section))
    if (typeof value !== "number") fail(`HONGBAO_EDGE_TUNING: ${name}.${key} is not a number`);
  return section as Record<string, number>;
}
let tuning: { gate?: unknown; admission?: unknown } = {};
try {
  tuning = JSON.parse(process.env.HONGBAO_EDGE_TUNING ?? "{}");
} catch {
  fail("HONGBAO_EDGE_TUNING: not JSON");
}
if (typeof tuning !== "object" || tuning === null || Array.isArray(tuning))
  fail('HONGBAO_EDGE_TUNING: a JSON object, {"gate": {…}, "admission": {…}}');

const edge = await createEdgeService({
  gate: numbers(tuning.gate, "gate"),
  admission: numbers(tuning.admission, "admission"),
  writer: address,
  secret,
  name: `edge-${process.pid}`,
  logLevel: values["log-level"] as string,
  trustProxy: values["trust-proxy"],
  behindFront: http === "serve",
});
const runtime = onBun ? "bun" : "node";
if (http === "serve") {
  const { startBunFront } = await import("./bun/front.js");
  const front = await startBunFront({
    host: values.host as string,
    port,
    reusePort: values["reuse-port"] === true,
    context: edge.context,
    listenApp: async (path) => {
      await edge.app.listen({ path });
    },
  });
  edge.app.log.info({ address: { address: values.host, port: front.port }, runtime, http }, "edge listening");
  stopOnSignal({ close: () => front.close(() => edge.close()) });
} else {
  await edge.app.listen({ port, host: values.host as string });
  edge.app.log.info({ address: edge.app.server.address(), runtime, http }, "edge listening");
  stopOnSignal(edge);
}
