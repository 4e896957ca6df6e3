import { createHash } from "node:crypto";
import { closeSync, createReadStream, fsyncSync, openSync } from "node:fs";

/** SHA-256 of a file in hex, read as a stream: a database may be far larger than memory allows. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Flushes a file, or a folder's entries, to disk: a backup is only a backup once it is there. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
