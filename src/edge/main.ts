#!/usr/bin/env node
/**
 * An edge alone, for runtimes that cannot load the writer's database drivers (Bun): it imports
 * nothing of the store. `hongbao edge` does the same from the full CLI on Node.
 *
 *   HONGBAO_WIRE_SECRET=… node|bun dist/src/edge/main.js --writer HOST:PORT|--socket PATH [--port 8080] [--host 127.0.0.1]
 */
import { parseArgs } from "node:util";
import { createEdgeService, stopOnSignal } from "./edge-service.js";
import { parseHostPort, type WriterAddress } from "./writer-client.js";

const { values } = parseArgs({
  options: {
    writer: { type: "string" },
    socket: { type: "string" },
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "127.0.0.1" },
    "log-level": { type: "string", default: "info" },
  },
});

function fail(message: string): never {
  process.stderr.write(`hongbao edge: ${message}\n`);
  process.exit(2);
}

const secret = process.env.HONGBAO_WIRE_SECRET ?? fail("HONGBAO_WIRE_SECRET: the writer's secret is required");
const tcp = values.writer === undefined ? undefined : parseHostPort(values.writer);
if (values.writer !== undefined && tcp === undefined) fail(`--writer ${values.writer}: give HOST:PORT`);
const address: WriterAddress =
  tcp ?? (values.socket === undefined ? fail("give --writer HOST:PORT or --socket PATH") : { path: values.socket });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port ${values.port}: a port is 0 to 65535`);

const edge = await createEdgeService({
  writer: address,
  secret,
  name: `edge-${process.pid}`,
  logLevel: values["log-level"] as string,
});
await edge.app.listen({ port, host: values.host as string });
edge.app.log.info(
  { address: edge.app.server.address(), runtime: process.versions.bun === undefined ? "node" : "bun" },
  "edge listening",
);
stopOnSignal(edge);
