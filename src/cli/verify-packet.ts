import { readFile } from "node:fs/promises";
import { verifyRevealed } from "../domain/red-packet.js";

export interface VerifyPacketOptions {
  readonly url?: string;
  readonly token?: string;
}

/** Reads a packet view from a file, or from a server's GET /v1/red-packets/:id. */
async function loadPacket(source: string, options: VerifyPacketOptions): Promise<Record<string, unknown>> {
  if (options.url !== undefined) {
    const url = new URL(`/v1/red-packets/${encodeURIComponent(source)}`, options.url);
    const response = await fetch(url, {
      headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }
  return JSON.parse(await readFile(source, "utf8")) as Record<string, unknown>;
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
