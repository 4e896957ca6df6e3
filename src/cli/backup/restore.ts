import {
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { checkRestoredDatabase, type RestoredLedger, SCHEMA_VERSION_LATEST } from "../../store/sqlite/sqlite-backup.js";
import { fsyncPath, sha256File } from "./files.js";
import { DATABASE_FILE, MANIFEST_FILE, type Manifest, type ManifestFile, parseManifest } from "./manifest.js";
import { BackupRefused } from "./take.js";

/** Ours are a few hundred bytes: four files at most. */
const MANIFEST_BYTES_MAX = 64 * 1024;

export interface RestoreOptions {
  /** A folder written by `hongbao backup`. */
  readonly from: string;
  /** Where the database goes; its folder (which gets the secrets too) must be absent or empty. */
  readonly db: string;
}

export interface Restored {
  readonly folder: string;
  readonly manifest: Manifest;
  readonly ledger: RestoredLedger;
}

/**
 * Restores a backup into a new data folder, or refuses: a missing or malformed manifest, a
 * missing file, a size or checksum that differs, a schema newer than this build, a target
 * that holds anything, or a ledger that fails the store's load checks. Everything is staged
 * beside the target and moved into place only once it has passed, so a refusal leaves no
 * half-restored folder.
 */
export async function restoreBackup(options: RestoreOptions): Promise<Restored> {
  const from = resolve(options.from);
  const manifest = await readVerifiedManifest(from);
  const target = resolve(options.db);
  const folder = dirname(target);
  if (existsSync(folder) && readdirSync(folder).length > 0) {
    throw new BackupRefused(`the target folder ${folder} is not empty: restore into a new one`);
  }
  mkdirSync(dirname(folder), { recursive: true });
  const staging = mkdtempSync(join(dirname(folder), `.${basename(folder)}.restoring-`));
  try {
    for (const file of manifest.files) {
      const copy = join(staging, file.name === DATABASE_FILE ? basename(target) : file.name);
      copyFileSync(join(from, file.name), copy, constants.COPYFILE_EXCL);
      chmodSync(copy, 0o600);
      // The copy is checked, not only the original: the backup might have changed since its check.
      await verifyFile(copy, file);
      fsyncPath(copy);
    }
    let ledger: RestoredLedger;
    try {
      ledger = await checkRestoredDatabase(join(staging, basename(target)));
    } catch (error) {
      const reason = (error as Error).message.replace(/^ledger check failed: /, "");
      throw new BackupRefused(`the backup's ledger fails its check: ${reason}`);
    }
    fsyncPath(staging);
    if (existsSync(folder)) rmdirSync(folder);
    renameSync(staging, folder);
    fsyncPath(dirname(folder));
    return { folder, manifest, ledger };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

async function readVerifiedManifest(from: string): Promise<Manifest> {
  if (!existsSync(from)) throw new BackupRefused(`no backup at ${from}`);
  const path = join(from, MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new BackupRefused(`no ${MANIFEST_FILE} in ${from}: not a backup, or one that did not finish`);
  }
  if (statSync(path).size > MANIFEST_BYTES_MAX)
    throw new BackupRefused(`${MANIFEST_FILE} is too large to be one of ours`);
  const parsed = parseManifest(readFileSync(path, "utf8"));
  if (!parsed.ok) throw new BackupRefused(parsed.error);
  const manifest = parsed.value;
  if (manifest.schemaVersion > SCHEMA_VERSION_LATEST) {
    throw new BackupRefused(
      `the backup's schema is version ${manifest.schemaVersion}; this build knows up to ${SCHEMA_VERSION_LATEST}: restore it with a newer hongbao`,
    );
  }
  for (const file of manifest.files) await verifyFile(join(from, file.name), file);
  return manifest;
}

async function verifyFile(path: string, file: ManifestFile): Promise<void> {
  if (!existsSync(path)) throw new BackupRefused(`${file.name} is missing from the backup`);
  const bytes = statSync(path).size;
  if (bytes !== file.bytes) {
    throw new BackupRefused(`${file.name} is ${bytes} bytes; the manifest says ${file.bytes}: the backup is damaged`);
  }
  if ((await sha256File(path)) !== file.sha256) {
    throw new BackupRefused(`${file.name} does not match its SHA-256 in the manifest: the backup is damaged`);
  }
}
