/**
 * What a backup folder holds and how it describes itself. Pure: parsing and checking the
 * manifest's shape; reading files and checksums is the caller's.
 */

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "hongbao-backup";
export const MANIFEST_FORMAT_VERSION = 1;
/** The database's name inside a backup, whatever it was called in the data folder. */
export const DATABASE_FILE = "hongbao.db";

/**
 * The secrets kept beside the database, by their names in the data folder (and in a
 * backup). A server makes the evidence key on first start; the token secret only when
 * HONGBAO_TOKEN_SECRET is not set, and the admin token file only when one is kept there.
 */
export const SECRET_FILES = [
  { name: "token-secret", required: false },
  { name: "evidence-key.pem", required: true },
  { name: "admin-token", required: false },
] as const;

const KNOWN_FILES: ReadonlySet<string> = new Set([DATABASE_FILE, ...SECRET_FILES.map((file) => file.name)]);
const REQUIRED_FILES = [DATABASE_FILE, ...SECRET_FILES.filter((file) => file.required).map((file) => file.name)];

export interface ManifestFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** ISO 8601: every operation acknowledged before this instant is in the copy. */
  readonly takenAt: string;
  readonly schemaVersion: number;
  readonly files: readonly ManifestFile[];
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Checks a manifest's shape: the names, sizes and checksums it promises, not the files themselves. */
export function parseManifest(text: string): Parsed<Manifest> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "manifest.json is not JSON" };
  }
  if (!isRecord(value)) return { ok: false, error: "manifest.json is not an object" };
  if (value.format !== MANIFEST_FORMAT)
    return { ok: false, error: `manifest.json is not a ${MANIFEST_FORMAT} manifest` };
  if (value.formatVersion !== MANIFEST_FORMAT_VERSION) {
    return {
      ok: false,
      error: `manifest.json has format version ${String(value.formatVersion)}; this build reads ${MANIFEST_FORMAT_VERSION}`,
    };
  }
  if (typeof value.takenAt !== "string" || Number.isNaN(Date.parse(value.takenAt))) {
    return { ok: false, error: "manifest.json has no valid takenAt instant" };
  }
  if (!Number.isSafeInteger(value.schemaVersion) || (value.schemaVersion as number) < 1) {
    return { ok: false, error: "manifest.json has no valid schemaVersion" };
  }
  if (!Array.isArray(value.files)) return { ok: false, error: "manifest.json lists no files" };
  const files: ManifestFile[] = [];
  for (const file of value.files as unknown[]) {
    if (!isRecord(file) || typeof file.name !== "string" || !KNOWN_FILES.has(file.name)) {
      return {
        ok: false,
        error: `manifest.json lists a file this build does not know: ${JSON.stringify(isRecord(file) ? file.name : file)}`,
      };
    }
    if (!Number.isSafeInteger(file.bytes) || (file.bytes as number) < 0) {
      return { ok: false, error: `manifest.json: ${file.name} has no valid size` };
    }
    if (typeof file.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(file.sha256)) {
      return { ok: false, error: `manifest.json: ${file.name} has no valid SHA-256` };
    }
    if (files.some((seen) => seen.name === file.name))
      return { ok: false, error: `manifest.json lists ${file.name} twice` };
    files.push({ name: file.name, bytes: file.bytes as number, sha256: file.sha256 });
  }
  for (const name of REQUIRED_FILES) {
    if (!files.some((file) => file.name === name)) return { ok: false, error: `manifest.json does not list ${name}` };
  }
  return {
    ok: true,
    value: {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_FORMAT_VERSION,
      takenAt: value.takenAt,
      schemaVersion: value.schemaVersion as number,
      files,
    },
  };
}
