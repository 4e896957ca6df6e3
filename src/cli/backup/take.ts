import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { copyDatabase } from "../../store/sqlite/sqlite-backup.js";
import { fsyncPath, sha256File } from "./files.js";
import {
  DATABASE_FILE,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  type Manifest,
  type ManifestFile,
  SECRET_FILES,
} from "./manifest.js";

/** A backup or restore that cannot go on; its message says why, in one line, for the operator. */
export class BackupRefused extends Error {}

export interface BackupOptions {
  /** The live database; its folder keeps the secrets. */
  readonly db: string;
  /** An absent or empty folder. */
  readonly to: string;
  /** Where the admin token is kept when not in the data folder (HONGBAO_ADMIN_TOKEN_FILE). */
  readonly adminTokenFile?: string | undefined;
}

export interface BackupTaken {
  readonly folder: string;
  readonly manifest: Manifest;
  /** Optional secrets that were not there to copy (the token secret when set in the environment). */
  readonly absent: readonly string[];
}

/** Makes `folder` if absent; refuses one that already holds something, so nothing is overwritten or mixed. */
export function claimEmptyFolder(folder: string, what: string): void {
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) throw new BackupRefused(`${what} ${folder} is a file, not a folder`);
    if (readdirSync(folder).length > 0) throw new BackupRefused(`${what} ${folder} is not empty`);
  }
  mkdirSync(folder, { recursive: true, mode: 0o700 });
}

/**
 * Takes a consistent copy of a database that may be serving (SQLite's online backup API),
 * with the secrets beside it, and writes the manifest last: a folder without one is a backup
 * that did not finish.
 */
export async function takeBackup(options: BackupOptions): Promise<BackupTaken> {
  const db = resolve(options.db);
  if (!existsSync(db)) throw new BackupRefused(`no database at ${db}`);
  const folder = resolve(options.to);
  claimEmptyFolder(folder, "the backup folder");
  const takenAt = new Date().toISOString();
  const copied = await copyDatabase(db, join(folder, DATABASE_FILE));
  const files: ManifestFile[] = [await describe(folder, DATABASE_FILE)];
  const absent: string[] = [];
  for (const secret of SECRET_FILES) {
    const source =
      secret.name === "admin-token" && options.adminTokenFile !== undefined
        ? resolve(options.adminTokenFile)
        : join(dirname(db), secret.name);
    if (!existsSync(source)) {
      if (secret.required) throw new BackupRefused(`no ${secret.name} at ${source}: a backup without it is not whole`);
      absent.push(secret.name);
      continue;
    }
    writeFileSync(join(folder, secret.name), readFileSync(source), { mode: 0o600, flag: "wx" });
    files.push(await describe(folder, secret.name));
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    takenAt,
    schemaVersion: copied.schemaVersion,
    files,
  };
  for (const file of files) fsyncPath(join(folder, file.name));
  const partial = join(folder, `${MANIFEST_FILE}.partial`);
  writeFileSync(partial, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  fsyncPath(partial);
  renameSync(partial, join(folder, MANIFEST_FILE));
  fsyncPath(folder);
  return { folder, manifest, absent };
}

async function describe(folder: string, name: string): Promise<ManifestFile> {
  const path = join(folder, name);
  return { name, bytes: statSync(path).size, sha256: await sha256File(path) };
}
