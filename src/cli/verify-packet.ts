import { existsSync } from "node:fs";
import { verifyRevealed } from "../domain/red-packet.js";
import { CliError, fetchJson, readJsonFile } from "./errors.js";

export interface VerifyPacketOptions {
  readonly url?: string;
  readonly token?: string;
}

/** Reads a packet view from a file, or from a server's GET /v1/red-packets/:id. */
async function loadPacket(source: string, options: VerifyPacketOptions): Promise<Record<string, unknown>> {
  let packet: unknown;
  if (options.url !== undefined) {
    packet = await fetchJson(
      new URL(`/v1/red-packets/${encodeURIComponent(source)}`, baseUrl(options.url)),
      options.token,
    );
  } else {
    if (/^rp_\w+$/.test(source) && !existsSync(source))
      throw new CliError(`${source} looks like a packet id: give --url of the server (and --token), or a file`);
    packet = await readJsonFile(source, "the packet file");
  }
  const p = packet as Record<string, unknown> | null;
  if (
    typeof p !== "object" ||
    p === null ||
    typeof p.id !== "string" ||
    !Number.isSafeInteger(p.amount) ||
    !Number.isSafeInteger(p.count) ||
    typeof p.commitment !== "string"
  )
    throw new CliError(`${source} is not a red packet's view (it needs id, amount, count and commitment)`);
  return p;
}

export function baseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // said below
  }
  throw new CliError(`--url ${text} is not an http(s) address, e.g. http://127.0.0.1:8080`);
}

/** Checks a revealed packet; returns the process exit code (0 holds, 1 does not, 2 cannot tell). */
export async function verifyPacket(
  source: string,
  options: VerifyPacketOptions,
  print: (line: string) => void,
): Promise<number> {
  const packet = await loadPacket(source, options);
  if (!Array.isArray(packet.shares) || typeof packet.salt !== "string") {
    print(
      `cannot tell yet: packet ${String(packet.id)} is ${String(packet.status)}; shares and salt are revealed once it is finished or expired`,
    );
    return 2;
  }
  const result = verifyRevealed({
    id: String(packet.id),
    amount: Number(packet.amount),
    count: Number(packet.count),
    commitment: String(packet.commitment),
    shares: packet.shares as number[],
    salt: packet.salt,
    grabs: Array.isArray(packet.grabs) ? (packet.grabs as { amount: number }[]) : [],
  });
  if (result.ok) {
    print(
      `holds: packet ${String(packet.id)}: sha256(id|shares|salt) equals the commitment published when it was sent,`,
    );
    print(
      `so its ${String(packet.count)} shares (${(packet.shares as number[]).join(", ")} fen, summing to ${String(packet.amount)}) were fixed before anyone grabbed, and every grab got the share of its position.`,
    );
    return 0;
  }
  print(`DOES NOT HOLD: packet ${String(packet.id)}:`);
  for (const problem of result.problems) print(`  - ${problem}`);
  return 1;
}
