#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { calendarFor, startServer } from "../server.js";
import { printCalendar } from "./calendar.js";
import { verifyEvidence } from "./evidence-verify.js";
import { verifyPacket } from "./verify-packet.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

function port(value: string): number {
  const parsed = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 65535)) throw new InvalidArgumentError("a port is a whole number from 0 to 65535");
  return parsed;
}

const program = new Command()
  .name("hongbao")
  .description("Red packets and transfers that stay exact when a festival crowd arrives in the same second")
  .version(pkg.version);

program
  .command("serve")
  .description("serve the HTTP API on an embedded SQLite file")
  .option("-p, --port <port>", "port to listen on (env HONGBAO_PORT)", port, port(process.env.HONGBAO_PORT ?? "8080"))
  .option("--host <host>", "address to listen on (env HONGBAO_HOST)", process.env.HONGBAO_HOST ?? "127.0.0.1")
  .option("--db <path>", "SQLite file (env HONGBAO_DB)", process.env.HONGBAO_DB ?? "./data/hongbao.db")
  .option(
    "--test-clock",
    "take POST /v1/admin/clock to set the clock (env HONGBAO_TEST_CLOCK=1)",
    process.env.HONGBAO_TEST_CLOCK === "1",
  )
  .option("--log-level <level>", "pino log level (env HONGBAO_LOG_LEVEL)", process.env.HONGBAO_LOG_LEVEL ?? "info")
  .option(
    "--rules <file>",
    "rules document: caps and special days (env HONGBAO_RULES; see config/rules.json)",
    process.env.HONGBAO_RULES,
  )
  .addHelpText(
    "after",
    "\nEnvironment:\n  HONGBAO_ADMIN_TOKEN   admin token (generated and printed when unset)\n  HONGBAO_TOKEN_SECRET  key for user tokens (kept beside the database when unset)",
  )
  .action(
    async (options: {
      port: number;
      host: string;
      db: string;
      testClock: boolean;
      logLevel: string;
      rules?: string;
    }) => {
      const server = await startServer({
        port: options.port,
        host: options.host,
        db: options.db,
        adminToken: process.env.HONGBAO_ADMIN_TOKEN || undefined,
        tokenSecret: process.env.HONGBAO_TOKEN_SECRET || undefined,
        testClock: options.testClock,
        logLevel: options.logLevel,
        rules: options.rules,
      });
      const stop = (signal: string) => {
        server.app.log.info({ signal }, "shutting down: draining requests and committing the last batch");
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            server.app.log.error({ err: error }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      let stopping = false;
      const onSignal = (signal: string) => {
        // A second signal while draining is logged, not obeyed: the last batch is still being committed.
        if (stopping) return server.app.log.warn({ signal }, "already shutting down");
        stopping = true;
        stop(signal);
      };
      process.on("SIGTERM", () => onSignal("SIGTERM"));
      process.on("SIGINT", () => onSignal("SIGINT"));
    },
  );

program
  .command("calendar")
  .description("print a year's special days and the caps they bring")
  .argument("<year>", "a Gregorian year, e.g. 2027")
  .option(
    "--rules <file>",
    "rules document (env HONGBAO_RULES); the built-in defaults without one",
    process.env.HONGBAO_RULES,
  )
  .action((year: string, options: { rules?: string }) => {
    if (!/^\d{4}$/.test(year)) throw new InvalidArgumentError("a year is four digits");
    printCalendar(calendarFor(options.rules), Number(year), (line) => console.log(line));
  });

program
  .command("verify-packet")
  .description("check a finished or expired red packet against the commitment it was sent with")
  .argument("<source>", "a file holding the packet's JSON, or with --url the packet id")
  .option("--url <base>", "read the packet from a running server, e.g. http://127.0.0.1:8080")
  .option("--token <token>", "a user token that may read the packet (env HONGBAO_TOKEN)", process.env.HONGBAO_TOKEN)
  .action(async (source: string, options: { url?: string; token?: string }) => {
    process.exitCode = await verifyPacket(source, options, (line) => console.log(line));
  });

program
  .command("evidence")
  .description("work with signed evidence records")
  .command("verify")
  .description("check an evidence file offline and say what it proves")
  .argument("<file>", "the JSON the service served from …/evidence")
  .option("--key <file>", "the service's public key: a PEM file, or the JSON of /v1/evidence/public-key")
  .action(async (file: string, options: { key?: string }) => {
    process.exitCode = await verifyEvidence(file, options.key, (line) => console.log(line));
  });

await program.parseAsync(process.argv);
