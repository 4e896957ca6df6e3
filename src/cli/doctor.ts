/**
 * `hongbao doctor`: checks a deployment's data folder the way the server will use it, and
 * says what to fix. It reads and writes only a scratch file of its own, so it can run beside
 * a serving process.
 */
import { createPrivateKey } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import pg from "pg";
import { DATA_FILES } from "../server.js";
import { MIGRATIONS as POSTGRES_MIGRATIONS } from "../store/postgres/migrations.js";
import { MIGRATIONS } from "../store/sqlite/migrations.js";
import { describeError } from "./errors.js";

export type Verdict = "ok" | "warn" | "FAIL";

export interface Finding {
  readonly check: string;
  readonly verdict: Verdict;
  /** What was seen, and for warn and FAIL what to do about it. */
  readonly say: string;
}

export interface DoctorOptions {
  readonly db: string;
  readonly env: NodeJS.ProcessEnv;
  /** The wall clock, in ms since the epoch (tests move it). */
  readonly nowMs: () => number;
}

const FSYNC_ROUNDS = 5;
/** The store's last commit may be this far ahead of the clock before it counts as the clock going back. */
const CLOCK_BEHIND_MS_MAX = 2_000;

export function runDoctor(options: DoctorOptions): Finding[] {
  const folder = dirname(options.db);
  const findings = checkDataFolder(folder);
  if (findings.some((f) => f.check === "data folder" && f.verdict === "FAIL")) return findings;
  const dbExists = existsSync(options.db);
  findings.push(...checkKeys(folder, dbExists, options.env));
  if (!dbExists) {
    findings.push({ check: "store", verdict: "ok", say: `no database yet at ${options.db}: the first start makes it` });
    return findings;
  }
  findings.push(...checkStore(options.db, options.nowMs));
  return findings;
}

/** The folder, its disk's fsync and its file system: what every deployment keeps files in. */
function checkDataFolder(folder: string): Finding[] {
  const folderFinding = checkFolder(folder);
  if (folderFinding.verdict === "FAIL") return [folderFinding];
  return [folderFinding, checkFsync(folder), checkFileSystem(folder)];
}

/**
 * A deployment on PostgreSQL: the data folder keeps only the admin token; the token secret and
 * the evidence key are rows of the store (service_keys), read here with a read-only session.
 */
export async function runDoctorOnPostgres(options: DoctorOptions & { readonly store: string }): Promise<Finding[]> {
  const folder = dirname(options.db);
  const findings = checkDataFolder(folder);
  if (findings.some((f) => f.check === "data folder" && f.verdict === "FAIL")) return findings;
  const admin = keySpecs(options.env).filter((spec) => spec.file === DATA_FILES.adminToken);
  findings.push(...checkKeys(folder, false, options.env, admin));
  const client = new pg.Client({
    connectionString: options.store,
    application_name: "hongbao-doctor",
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
  } catch (error) {
    findings.push({
      check: "store",
      verdict: "FAIL",
      say: `cannot connect to PostgreSQL: ${describeError(error)}: check HONGBAO_STORE and that the server runs`,
    });
    return findings;
  }
  client.on("error", () => {});
  try {
    await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    const tables = await client.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('schema_migrations', 'postings', 'service_keys')",
    );
    const has = new Set(tables.rows.map((row) => row.name));
    if (!has.has("schema_migrations")) {
      findings.push({
        check: "store schema",
        verdict: "ok",
        say: "an empty database: the first start makes the schema",
      });
      return findings;
    }
    const migrations = await client.query<{ version: number | null; applied: string | null }>(
      "SELECT MAX(version)::int AS version, (EXTRACT(EPOCH FROM MAX(applied_at)) * 1000)::bigint::text AS applied FROM schema_migrations",
    );
    const row = migrations.rows[0];
    const known = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));
    findings.push(schemaFinding(row?.version ?? null, known, "the database"));
    // The primary key's index read backwards: the last posting of the last shard (all are shard 0 today).
    const posting = has.has("postings")
      ? await client.query<{ at: string }>("SELECT at::text FROM postings ORDER BY shard DESC, id DESC LIMIT 1")
      : { rows: [] };
    const postingMs = posting.rows[0] === undefined ? undefined : Number(posting.rows[0].at);
    const migratedMs = row?.applied === null || row?.applied === undefined ? Number.NaN : Number(row.applied);
    findings.push(clockFinding(postingMs, migratedMs, options.nowMs()));
    const keys = has.has("service_keys")
      ? await client.query<{ name: string; value: string }>("SELECT name, value FROM service_keys")
      : { rows: [] };
    const stored = new Map(keys.rows.map((key) => [key.name, key.value]));
    const hasPostings = postingMs !== undefined;
    for (const spec of keySpecs(options.env).filter((spec) => spec.file !== DATA_FILES.adminToken)) {
      const name = spec.file.replace(/\.pem$/, "");
      const value = stored.get(name);
      if (spec.fromEnv !== undefined)
        findings.push({ check: spec.file, verdict: "ok", say: `the ${spec.what} comes from ${spec.fromEnv}` });
      else if (value === undefined)
        findings.push(
          hasPostings
            ? {
                check: spec.file,
                verdict: "FAIL",
                say: `the store has postings but no ${spec.what}: ${spec.lostWithout}`,
              }
            : {
                check: spec.file,
                verdict: "ok",
                say: `no ${spec.what} yet: the first start stores one in service_keys`,
              },
        );
      else {
        const wrong = spec.validate(value);
        findings.push(
          wrong === undefined
            ? { check: spec.file, verdict: "ok", say: `in the store (service_keys '${name}'), readable` }
            : { check: spec.file, verdict: "FAIL", say: `service_keys '${name}' ${wrong}: restore it from a backup` },
        );
      }
    }
  } catch (error) {
    findings.push({ check: "store", verdict: "FAIL", say: `not a hongbao database (${describeError(error)})` });
  } finally {
    await client.end().catch(() => {});
  }
  return findings;
}

function checkFolder(folder: string): Finding {
  const check = "data folder";
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(folder);
  } catch (error) {
    return {
      check,
      verdict: "FAIL",
      say: `${describeError(error)}: create it, or give --db inside an existing folder`,
    };
  }
  if (!stat.isDirectory())
    return { check, verdict: "FAIL", say: `${folder} is not a folder: give --db inside a folder` };
  const scratch = join(folder, `.doctor-${process.pid}`);
  try {
    closeSync(openSync(scratch, "wx", 0o600));
    unlinkSync(scratch);
  } catch (error) {
    const uid = process.getuid?.() ?? "?";
    return {
      check,
      verdict: "FAIL",
      say: `cannot write in it (${describeError(error)}): make it writable by the server's user (uid ${uid})`,
    };
  }
  return { check, verdict: "ok", say: `${folder} is writable` };
}

/** Writes and fsyncs a scratch file a few times, and the folder once (a new file's name is in the folder). */
function checkFsync(folder: string): Finding {
  const check = "disk fsync";
  const scratch = join(folder, `.doctor-fsync-${process.pid}`);
  const timesMs: number[] = [];
  let fd: number | undefined;
  try {
    fd = openSync(scratch, "wx", 0o600);
    const page = Buffer.alloc(4096, 1);
    for (let i = 0; i < FSYNC_ROUNDS; i++) {
      writeSync(fd, page, 0, page.length, i * page.length);
      const started = performance.now();
      fsyncSync(fd);
      timesMs.push(performance.now() - started);
    }
    const dir = openSync(folder, "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch (error) {
    return {
      check,
      verdict: "FAIL",
      say: `fsync failed (${describeError(error)}): put the data folder on a local disk whose fsync works`,
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (existsSync(scratch)) unlinkSync(scratch);
  }
  const median = [...timesMs].sort((a, b) => a - b)[Math.floor(timesMs.length / 2)] as number;
  return {
    check,
    verdict: "ok",
    say:
      `fsync works: median ${median.toFixed(2)} ms over ${FSYNC_ROUNDS} writes (every batch waits for one; ` +
      "a disk that answers in far under 0.1 ms may be acknowledging writes it has not stored)",
  };
}

/** The file system under the folder, from /proc/self/mounts: a memory one keeps nothing across a reboot. */
function checkFileSystem(folder: string): Finding {
  const check = "file system";
  let mounts: string;
  try {
    mounts = readFileSync("/proc/self/mounts", "utf8");
  } catch {
    return { check, verdict: "ok", say: "cannot tell (no /proc/self/mounts on this system)" };
  }
  const path = realpathSync(folder);
  let best: { point: string; type: string } | undefined;
  for (const line of mounts.split("\n")) {
    const [, point, type] = line.split(" ");
    if (point === undefined || type === undefined) continue;
    const decoded = point.replace(/\\040/g, " ");
    const inside = decoded === "/" || path === decoded || path.startsWith(`${decoded}/`);
    if (inside && (best === undefined || decoded.length > best.point.length)) best = { point: decoded, type };
  }
  if (best === undefined) return { check, verdict: "ok", say: "cannot tell (no mount holds it)" };
  if (best.type === "tmpfs" || best.type === "ramfs")
    return {
      check,
      verdict: "warn",
      say: `${best.type} at ${best.point}: the money is lost at reboot; put the data folder on a disk (a volume)`,
    };
  return { check, verdict: "ok", say: `${best.type} at ${best.point}` };
}

interface KeySpec {
  readonly file: string;
  readonly what: string;
  /** Set when the server takes this key from the environment instead of the file. */
  readonly fromEnv: string | undefined;
  /** Without the file but with a database, what is lost. undefined: the next start makes it, harmlessly. */
  readonly lostWithout: string | undefined;
  /** undefined when the content is what the server expects, else what is wrong with it. */
  readonly validate: (text: string) => string | undefined;
}

function keySpecs(env: NodeJS.ProcessEnv): KeySpec[] {
  return [
    {
      file: DATA_FILES.tokenSecret,
      what: "user-token key",
      fromEnv: env.HONGBAO_TOKEN_SECRET ? "HONGBAO_TOKEN_SECRET" : undefined,
      lostWithout: "a new one would be made and every user token issued so far would stop working",
      validate: (text) => (/^[0-9a-f]{64}$/.test(text.trim()) ? undefined : "is not 32 bytes of hex"),
    },
    {
      file: DATA_FILES.evidenceKey,
      what: "evidence signing key",
      fromEnv: undefined,
      lostWithout: "a new key would sign new records; restore it from a backup so one key signs them all",
      validate: (text) => {
        try {
          return createPrivateKey(text).asymmetricKeyType === "ed25519" ? undefined : "is not an Ed25519 key";
        } catch {
          return "is not a PEM private key";
        }
      },
    },
    {
      file: DATA_FILES.adminToken,
      what: "admin token",
      fromEnv: env.HONGBAO_ADMIN_TOKEN
        ? "HONGBAO_ADMIN_TOKEN"
        : env.HONGBAO_ADMIN_TOKEN_FILE
          ? `HONGBAO_ADMIN_TOKEN_FILE`
          : undefined,
      lostWithout: undefined,
      validate: (text) => (text.trim().length >= 16 ? undefined : "is shorter than 16 characters"),
    },
  ];
}

function checkKeys(
  folder: string,
  dbExists: boolean,
  env: NodeJS.ProcessEnv,
  specs: readonly KeySpec[] = keySpecs(env),
): Finding[] {
  return specs.map((spec) => {
    const path =
      spec.fromEnv === "HONGBAO_ADMIN_TOKEN_FILE" ? String(env.HONGBAO_ADMIN_TOKEN_FILE) : join(folder, spec.file);
    if (spec.fromEnv !== undefined && spec.fromEnv !== "HONGBAO_ADMIN_TOKEN_FILE")
      return { check: spec.file, verdict: "ok", say: `the ${spec.what} comes from ${spec.fromEnv}` };
    if (!existsSync(path)) {
      if (!dbExists || spec.lostWithout === undefined)
        return { check: spec.file, verdict: "ok", say: `no ${spec.what} yet: the next start makes ${path}` };
      return {
        check: spec.file,
        verdict: "FAIL",
        say: `the database exists but ${path} does not: ${spec.lostWithout}`,
      };
    }
    return checkKeyFile(spec, path);
  });
}

function checkKeyFile(spec: KeySpec, path: string): Finding {
  const check = spec.file;
  const stat = statSync(path);
  const mode = (stat.mode & 0o777).toString(8).padStart(3, "0");
  if ((stat.mode & 0o077) !== 0)
    return { check, verdict: "FAIL", say: `${path} is readable by others (mode ${mode}): chmod 600 ${path}` };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { check, verdict: "FAIL", say: `cannot read it (${describeError(error)}): chown it to the server's user` };
  }
  const wrong = spec.validate(text);
  if (wrong !== undefined)
    return {
      check,
      verdict: "FAIL",
      say: `${path} ${wrong}: restore it from a backup (or remove it, if ${spec.what === "admin token" ? "a new admin token will do" : "nothing depends on it yet"})`,
    };
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid)
    return {
      check,
      verdict: "warn",
      say: `${path} belongs to uid ${stat.uid}, not this user (uid ${uid}): run the server as its owner`,
    };
  return { check, verdict: "ok", say: `${path}: present, mode ${mode}, ${spec.what} readable` };
}

function checkStore(db: string, nowMs: () => number): Finding[] {
  let database: Database.Database;
  try {
    database = new Database(db, { readonly: true, fileMustExist: true });
  } catch (error) {
    return [{ check: "store", verdict: "FAIL", say: `cannot open ${db}: ${describeError(error)}` }];
  }
  try {
    return [checkSchema(database, db), checkClock(database, nowMs)];
  } catch (error) {
    return [{ check: "store", verdict: "FAIL", say: `${db} is not a hongbao database (${describeError(error)})` }];
  } finally {
    database.close();
  }
}

function checkSchema(database: Database.Database, db: string): Finding {
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  const version = database.prepare("SELECT MAX(version) FROM schema_migrations").pluck().get() as number | null;
  return schemaFinding(version, known, db);
}

function schemaFinding(version: number | null, known: number, db: string): Finding {
  const check = "store schema";
  if (version === null) return { check, verdict: "warn", say: `${db} has no schema yet: the next start makes it` };
  if (version > known)
    return {
      check,
      verdict: "FAIL",
      say: `version ${version}, made by a newer hongbao than this one (knows ${known}): run that version`,
    };
  if (version < known)
    return { check, verdict: "ok", say: `version ${version} of ${known}: the next start migrates it` };
  return { check, verdict: "ok", say: `version ${version}, current` };
}

/**
 * No network time source is asked (hongbao talks to nobody but its clients): the honest local
 * reference is the store itself. Every posting records the clock when it was made, so a clock
 * behind the last one has gone back, and ids, expiries and refunds would follow it back.
 */
function checkClock(database: Database.Database, nowMs: () => number): Finding {
  const postingMs = database.prepare("SELECT at FROM postings ORDER BY id DESC LIMIT 1").pluck().get() as
    | number
    | undefined;
  const migratedAt = database.prepare("SELECT MAX(applied_at) FROM schema_migrations").pluck().get() as string | null;
  const migratedMs = migratedAt === null ? Number.NaN : Date.parse(migratedAt);
  return clockFinding(postingMs, migratedMs, nowMs());
}

function clockFinding(postingMs: number | undefined, migratedMs: number, now: number): Finding {
  const check = "clock";
  const candidates = [postingMs ?? Number.NaN, migratedMs].filter((ms) => Number.isFinite(ms));
  if (candidates.length === 0) return { check, verdict: "ok", say: "nothing in the store to compare the clock with" };
  const lastMs = Math.max(...candidates);
  const what = lastMs === postingMs ? "last posting" : "last migration";
  const aheadMs = now - lastMs;
  const last = new Date(lastMs).toISOString();
  if (aheadMs < -CLOCK_BEHIND_MS_MAX)
    return {
      check,
      verdict: "FAIL",
      say:
        `the clock (${new Date(now).toISOString()}) is ${formatSeconds(-aheadMs)} behind the store's ${what} (${last}): ` +
        "it went back, or the store ran with --test-clock ahead; set the clock right (NTP) before serving",
    };
  return {
    check,
    verdict: "ok",
    say: `${formatSeconds(aheadMs)} after the store's ${what} (${last}); no network time source is asked: check NTP too`,
  };
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** Prints the findings one a line; returns the exit code (1 if anything must be fixed). */
export function printFindings(db: string, findings: readonly Finding[], print: (line: string) => void): number {
  print(`hongbao doctor: ${db}`);
  for (const f of findings) print(`  ${f.verdict.padEnd(4)}  ${f.check.padEnd(16)} ${f.say}`);
  const failed = findings.filter((f) => f.verdict === "FAIL").length;
  const warned = findings.filter((f) => f.verdict === "warn").length;
  print(
    failed > 0
      ? `${failed} to fix before serving${warned > 0 ? `, ${warned} to look at` : ""}.`
      : warned > 0
        ? `nothing blocks serving; ${warned} to look at.`
        : "all good.",
  );
  return failed > 0 ? 1 : 0;
}
