#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Command, InvalidArgumentError, Option } from "commander";
import { calendarFor, isPostgresUrl } from "../server.js";
import { EVENT_RETENTION_DAYS_DEFAULT } from "../webhooks/dispatcher.js";
import { registerBackupCommands } from "./backup/command.js";
import { printCalendar } from "./calendar.js";
import { printFindings, runDoctor, runDoctorOnPostgres } from "./doctor.js";
import { runRemoteEdge, serveWithEdges } from "./edges.js";
import { CliError, reportFailure } from "./errors.js";
import { verifyEvidence } from "./evidence-verify.js";
import { type ServeFlags, serve } from "./serve.js";
import { type VerifyDrawOptions, verifyDraw } from "./verify-draw.js";
import { verifyPacket } from "./verify-packet.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

function port(value: string): number {
  const parsed = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 65535)) throw new InvalidArgumentError("a port is a whole number from 0 to 65535");
  return parsed;
}

/**
 * `auto` is one edge a core, at most 8: the core count a process sees need not be what a
 * container may use (a CPU quota is not always reflected), and each edge's views may grow to a
 * few hundred MB at their caps (docs/edges.md). More edges are asked for by number.
 */
const AUTO_EDGES_MAX = 8;

/** A count of edges, or `auto` for one per core (at most AUTO_EDGES_MAX). */
function edgeCount(value: string): number {
  if (value === "auto") return Math.min(availableParallelism(), AUTO_EDGES_MAX);
  const parsed = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 0 && parsed <= 256)) throw new InvalidArgumentError("edges: a whole number from 0 to 256, or auto");
  return parsed;
}

function retentionDays(value: string): number {
  const parsed = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= 1 && parsed <= 3650)) throw new InvalidArgumentError("a whole number of days from 1 to 3650");
  return parsed;
}

const program = new Command()
  .name("hongbao")
  .description("Red packets and transfers that stay exact when a festival crowd arrives in the same second")
  .version(pkg.version);

program
  .command("serve")
  .description("serve the HTTP API on an embedded SQLite file, or on PostgreSQL as one of any number of writers")
  .addOption(new Option("-p, --port <port>", "port to listen on").env("HONGBAO_PORT").argParser(port).default(8080))
  .option("--host <host>", "address to listen on (env HONGBAO_HOST)", process.env.HONGBAO_HOST ?? "127.0.0.1")
  .option("--db <path>", "SQLite file (env HONGBAO_DB)", process.env.HONGBAO_DB ?? "./data/hongbao.db")
  .option(
    "--store <url>",
    "postgres://… : keep the ledger in PostgreSQL; serve only while holding the writer lease (env HONGBAO_STORE)",
    process.env.HONGBAO_STORE || undefined,
  )
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
  .option("--no-isolation", "let campaign claims share one queue with transfers and never shed them (to compare)")
  .option(
    "--no-waiting-room",
    "answer claims that cannot be decided at once 503 + Retry-After, without a place in line (to compare)",
  )
  .option(
    "--otlp-endpoint <url>",
    "export traces over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (env OTEL_EXPORTER_OTLP_ENDPOINT); off without one",
  )
  .option(
    "--signup",
    "a verified login code for a phone without a user makes its user (env HONGBAO_SIGNUP=1)",
    process.env.HONGBAO_SIGNUP === "1",
  )
  .option(
    "--trust-proxy <addresses>",
    "proxies whose X-Forwarded-For gives the client's address: addresses or CIDRs, comma-separated (env HONGBAO_TRUST_PROXY)",
    process.env.HONGBAO_TRUST_PROXY || undefined,
  )
  .option(
    "--exchange-jwks-url <url>",
    "a product's JWKS: its own signed tokens are exchanged for user tokens at POST /v1/auth/exchange (env HONGBAO_EXCHANGE_JWKS_URL)",
    process.env.HONGBAO_EXCHANGE_JWKS_URL || undefined,
  )
  .option(
    "--exchange-issuer <iss>",
    "the iss the product's tokens carry (env HONGBAO_EXCHANGE_ISSUER)",
    process.env.HONGBAO_EXCHANGE_ISSUER || undefined,
  )
  .option(
    "--exchange-audience <aud>",
    "the aud the product's tokens carry (env HONGBAO_EXCHANGE_AUDIENCE)",
    process.env.HONGBAO_EXCHANGE_AUDIENCE || undefined,
  )
  .option(
    "--cors-origins <origins>",
    "browser origins allowed to call the API, scheme://host[:port], comma-separated (env HONGBAO_CORS_ORIGINS); none by default",
    process.env.HONGBAO_CORS_ORIGINS || undefined,
  )
  .option(
    "--webhook-allow-private",
    "let webhook endpoints point at loopback, private and link-local addresses (env HONGBAO_WEBHOOK_ALLOW_PRIVATE=1)",
    process.env.HONGBAO_WEBHOOK_ALLOW_PRIVATE === "1",
  )
  .addOption(
    new Option(
      "--event-retention-days <days>",
      "events (GET /v1/events) and their settled webhook deliveries are deleted after this many days",
    )
      .env("HONGBAO_EVENT_RETENTION_DAYS")
      .argParser(retentionDays)
      .default(EVENT_RETENTION_DAYS_DEFAULT),
  )
  .addOption(
    new Option("--log-format <format>", "pretty: readable lines for development")
      .choices(["json", "pretty"])
      .env("HONGBAO_LOG_FORMAT")
      .default("json"),
  )
  .addHelpText(
    "after",
    `
Environment:
  HONGBAO_ADMIN_TOKEN       admin token (else the one kept in the data folder as admin-token,
                            made and shown once on first start)
  HONGBAO_ADMIN_TOKEN_FILE  a file holding the admin token (a container secret), instead
  HONGBAO_TOKEN_SECRET      key for user tokens (kept beside the database when unset)`,
  )
  .addOption(
    new Option(
      "--edges <n>",
      "edge processes sharing the HTTP port in front of one writer process; auto: one per core; 0: one process does all",
    )
      .env("HONGBAO_EDGES")
      .argParser(edgeCount)
      .default(edgeCount("auto"), "auto"),
  )
  .addOption(
    new Option(
      "--edge-runtime <runtime>",
      "with --edges: run the edges on node or on bun (HONGBAO_BUN, else bun on PATH)",
    )
      .env("HONGBAO_EDGE_RUNTIME")
      .choices(["node", "bun"])
      .default("node"),
  )
  .addOption(
    new Option("--writer-port <port>", "with --edges: the writer's own HTTP port (health, metrics); 0: any")
      .env("HONGBAO_WRITER_PORT")
      .argParser(port)
      .default(0),
  )
  .option(
    "--wire-listen <host:port>",
    "also take edges of other machines on this TCP address (needs HONGBAO_WIRE_SECRET); with --store, named in the writer lease for edges to find (env HONGBAO_WIRE_LISTEN)",
    process.env.HONGBAO_WIRE_LISTEN || undefined,
  )
  .option(
    "--wire-advertise <host:port>",
    "the address edges dial, named in the writer lease, when --wire-listen is a wildcard such as 0.0.0.0 (env HONGBAO_WIRE_ADVERTISE)",
    process.env.HONGBAO_WIRE_ADVERTISE || undefined,
  )
  .action((options: ServeFlags & { writerPort: number }) => {
    process.env.HONGBAO_WRITER_PORT = String(options.writerPort);
    return options.edges > 0 || process.env.HONGBAO_ROLE === "writer"
      ? serveWithEdges(options, pkg.version)
      : serve(options, pkg.version);
  });

program
  .command("edge")
  .description(
    "serve the HTTP API as an edge of a writer on another machine (hongbao serve --wire-listen …), fixed or found through the writer lease",
  )
  .option(
    "--writer <host:port>",
    "the writer's --wire-listen address (env HONGBAO_WRITER); or --store",
    process.env.HONGBAO_WRITER || undefined,
  )
  .option(
    "--store <url>",
    "postgres://… where the writers keep the lease: dial whichever holds it, and follow a takeover (env HONGBAO_EDGE_STORE)",
    process.env.HONGBAO_EDGE_STORE || undefined,
  )
  .addOption(new Option("-p, --port <port>", "port to listen on").env("HONGBAO_PORT").argParser(port).default(8080))
  .option("--host <host>", "address to listen on (env HONGBAO_HOST)", process.env.HONGBAO_HOST ?? "127.0.0.1")
  .option("--log-level <level>", "pino log level (env HONGBAO_LOG_LEVEL)", process.env.HONGBAO_LOG_LEVEL ?? "info")
  .option(
    "--trust-proxy <addresses>",
    "proxies whose X-Forwarded-For gives the client's address (env HONGBAO_TRUST_PROXY)",
    process.env.HONGBAO_TRUST_PROXY || undefined,
  )
  .addHelpText("after", "\nEnvironment:\n  HONGBAO_WIRE_SECRET  the secret the writer was given (required)")
  .action((options: ServeFlags & { writer?: string }) => runRemoteEdge(options));

/** Exit status of a writer that lost its lease: a supervisor restarts it, and it waits for the lease again. */
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
    if (!/^\d{4}$/.test(year)) throw new CliError(`a year is four digits, not ${JSON.stringify(year)}`);
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
  .command("verify-draw")
  .description("check a campaign's pre-queue draw against the seed hash it was made with, and a holder's place")
  .argument("<source>", "a file holding the campaign's JSON, or with --url the campaign id")
  .option("--url <base>", "read the campaign from a running server, e.g. http://127.0.0.1:8080")
  .option("--token <token>", "a token that may read the campaign (env HONGBAO_TOKEN)", process.env.HONGBAO_TOKEN)
  .option("--ticket <ticket>", "a pre-queue ticket: its joining number is read from it")
  .option("--number <n>", "or the joining number itself, 0 the first")
  .option("--place <p>", "the place (1 first) the holder was given, to check")
  .action(async (source: string, options: VerifyDrawOptions) => {
    process.exitCode = await verifyDraw(source, options, (line) => console.log(line));
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

program
  .command("doctor")
  .description("check a deployment: data folder, disk fsync, keys, store schema, clock; say what to fix")
  .option(
    "--db <path>",
    "SQLite file (env HONGBAO_DB); its folder is the data folder",
    process.env.HONGBAO_DB ?? "./data/hongbao.db",
  )
  .option(
    "--store <url>",
    "postgres://… : check this store instead of the SQLite file (env HONGBAO_STORE)",
    process.env.HONGBAO_STORE || undefined,
  )
  .action(async (options: { db: string; store?: string }) => {
    const settings = { db: options.db, env: process.env, nowMs: Date.now };
    if (options.store !== undefined && !isPostgresUrl(options.store))
      throw new CliError("--store takes a postgres:// connection string (use --db for a SQLite file)");
    const findings =
      options.store === undefined
        ? runDoctor(settings)
        : await runDoctorOnPostgres({ ...settings, store: options.store });
    const what = options.store === undefined ? options.db : `${redacted(options.store)} (data folder of ${options.db})`;
    process.exitCode = printFindings(what, findings, (line) => console.log(line));
  });

program
  .command("store")
  .description("work with the ledger's store")
  .command("copy")
  .description("copy a stopped SQLite deployment into an empty PostgreSQL database, checking the ledger on both sides")
  .requiredOption("--from <file>", "the SQLite file (its folder's token-secret and evidence-key.pem go along)")
  .requiredOption("--to <url>", "postgres://… an empty database")
  .action(async (options: { from: string; to: string }) => {
    if (!isPostgresUrl(options.to)) throw new InvalidArgumentError("--to takes a postgres:// connection string");
    const { CopyRefused, copySqliteToPostgres } = await import("../store/copy.js");
    try {
      const report = await copySqliteToPostgres(options.from, options.to, (line) => console.log(line));
      console.log(
        `copied ${report.users} users and ${report.accounts} accounts; balances sum to ${report.balanceSum}; ` +
          `source check ${report.seconds.checkSource.toFixed(1)} s, copy ${report.seconds.copy.toFixed(1)} s, ` +
          `target check ${report.seconds.checkTarget.toFixed(1)} s`,
      );
    } catch (error) {
      if (!(error instanceof CopyRefused)) throw error;
      console.error(`hongbao store copy: ${error.message}`);
      process.exitCode = 2;
    }
  });

program
  .command("flash-crowd")
  .description("set up a crowd and a campaign, let the crowd claim in one burst, check the invariants, and report")
  .option("--users <n>", "people in the crowd (at most 1 000 000)", "10000")
  .option("--connections <n>", "keep-alive connections the claims share", "1000")
  .option("--burst <seconds>", "arrivals are uniform over this window", "10")
  .option("--start-in <seconds>", "the burst starts this long after setup", "3")
  .option("--shares <n>", "claims the budget pays (default users/10)")
  .option("--amount <fen>", "a fixed amount per claim (default 1314)")
  .option("--random-amount <min,max>", "a random amount per claim, in fen, e.g. 100,2000")
  .option("--retries <n>", "Retry-After-driven retries per user at most", "3")
  .option("--background-tps <n>", "steady transfers per second between funded users during the run", "0")
  .option("--target <url>", "a running server (else a `hongbao serve` child on a temporary database)")
  .option("--admin-token <token>", "the admin token of --target")
  .option("--report <file>", "the HTML report (default reports/flash-crowd-<timestamp>.html)")
  .option("--json <file>", "a machine-readable summary")
  .option("--people <file>", "a CSV of everyone given a place: tap, estimate, returns, final answer")
  .option("--bare", "against a bare node:http server answering a fixed 200: the physical-limit baseline")
  .option("--pre-queue <seconds>", "this long before the start, people begin to arrive (they join the pre-queue)", "0")
  .option(
    "--no-waiting-room",
    "the spawned server answers claims it cannot decide at once 503 without a place (to compare)",
  )
  .option(
    "--edges <n>",
    "the spawned server's edges (hongbao serve --edges): auto, or 0 for one process (default: serve's)",
  )
  .addOption(
    new Option("--edge-runtime <runtime>", "with --edges: the spawned server's edges run on node or on bun").choices([
      "node",
      "bun",
    ]),
  )
  .option("--seed <n>", "seed for the arrival instants (printed with every run)")
  .option("--timeout <seconds>", "a request without an answer this long fails", "30")
  .option("--deadline <seconds>", "send nothing past this long after the start (default: burst + 30 s a retry + 90 s)")
  .option("--no-progress", "no progress bar or lines on stderr")
  .action(async (options, command: Command) => {
    const { flashCrowdCli } = await import("./flash-crowd/cli.js");
    process.exitCode = await flashCrowdCli(options, (message) => command.error(message));
  });

registerBackupCommands(program);

/** A connection string without its password, to print. */
function redacted(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

/** The command the arguments name, with its subcommand (`store copy`, `evidence verify`), for the failure line. */
function commandNamed(args: readonly string[]): string {
  const names: string[] = [];
  let level: Command = program;
  for (const arg of args) {
    const sub = level.commands.find((c) => c.name() === arg);
    if (sub === undefined) continue;
    names.push(arg);
    level = sub;
  }
  return names.join(" ");
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Every command fails the same way: one line, exit 2, and nothing left running (a server
  // that failed to start may hold timers; flash-crowd may hold children it has already stopped).
  reportFailure(commandNamed(process.argv.slice(2)), error);
  process.exit();
}
