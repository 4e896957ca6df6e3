import { existsSync } from "node:fs";
import { readTicket } from "../api/queue-ticket.js";
import { drawOrder, drawSeedHash, PRE_QUEUE_MAX } from "../domain/draw.js";
import { CliError, fetchJson, readJsonFile } from "./errors.js";
import { baseUrl } from "./verify-packet.js";

export interface VerifyDrawOptions {
  readonly url?: string;
  readonly token?: string;
  /** A pre-queue ticket: its joining number is read from it. */
  readonly ticket?: string;
  /** Or the joining number itself (0 the first to join). */
  readonly number?: string;
  /** The place (1 first) the holder was given, to check. */
  readonly place?: string;
}

interface Draw {
  readonly seedHash: string;
  readonly seed?: string;
  readonly preQueueSize?: number;
}

/** What a revealed draw says: whether the seed is the committed one, and each joiner's place. */
export function checkDraw(draw: Draw): { ok: true; order: Uint32Array } | { ok: false; problem: string } {
  if (typeof draw.seed !== "string" || !/^[0-9a-f]{64}$/.test(draw.seed))
    return { ok: false, problem: "the seed is not revealed (it is, once the campaign has started)" };
  const size = draw.preQueueSize ?? 0;
  if (!Number.isSafeInteger(size) || size < 0 || size > PRE_QUEUE_MAX)
    return { ok: false, problem: `preQueueSize ${String(size)} is not 0 to ${PRE_QUEUE_MAX}` };
  const seed = Buffer.from(draw.seed, "hex");
  if (drawSeedHash(seed) !== draw.seedHash)
    return { ok: false, problem: "sha256(seed) is not the seedHash published when the campaign was made" };
  return { ok: true, order: drawOrder(seed, size) };
}

async function loadCampaign(source: string, options: VerifyDrawOptions): Promise<{ id: string; draw: Draw }> {
  let campaign: unknown;
  if (options.url !== undefined) {
    campaign = await fetchJson(
      new URL(`/v1/campaigns/${encodeURIComponent(source)}`, baseUrl(options.url)),
      options.token,
    );
  } else {
    if (/^cmp_\w+$/.test(source) && !existsSync(source))
      throw new CliError(`${source} looks like a campaign id: give --url of the server (and --token), or a file`);
    campaign = await readJsonFile(source, "the campaign file");
  }
  const c = campaign as { id?: unknown; draw?: Draw } | null;
  if (typeof c !== "object" || c === null || typeof c.id !== "string" || typeof c.draw?.seedHash !== "string")
    throw new CliError(`${source} is not a campaign's view with a draw (it needs id and draw.seedHash)`);
  return { id: c.id, draw: c.draw };
}

/** Checks a campaign's pre-queue draw; returns the exit code (0 holds, 1 does not, 2 cannot tell). */
export async function verifyDraw(
  source: string,
  options: VerifyDrawOptions,
  print: (line: string) => void,
): Promise<number> {
  const { id, draw } = await loadCampaign(source, options);
  let number: number | undefined;
  if (options.ticket !== undefined) {
    const ticket = readTicket(options.ticket);
    if (ticket === undefined) throw new CliError("--ticket is not a queue ticket");
    if (ticket.campaignId !== id) throw new CliError(`the ticket is for campaign ${ticket.campaignId}, not ${id}`);
    if (ticket.line !== "pre") throw new CliError("the ticket was given after the start: its place is its arrival");
    number = ticket.number;
  } else if (options.number !== undefined) {
    if (!/^\d{1,7}$/.test(options.number)) throw new CliError("--number is a whole number, 0 the first to join");
    number = Number(options.number);
  }
  const checked = checkDraw(draw);
  if (!checked.ok) {
    if (draw.seed === undefined) {
      print(`cannot tell yet: campaign ${id}: ${checked.problem}`);
      return 2;
    }
    print(`DOES NOT HOLD: campaign ${id}: ${checked.problem}`);
    return 1;
  }
  const size = checked.order.length;
  print(`holds: campaign ${id}: sha256(seed) equals the seedHash published when it was made,`);
  print(`so the order of its pre-queue of ${size} was fixed before anyone joined.`);
  if (number === undefined) {
    const first = [...checked.order.keys()].sort((a, b) => (checked.order[a] as number) - (checked.order[b] as number));
    print(`first places (joining numbers): ${first.slice(0, 10).join(", ")}${size > 10 ? ", …" : ""}`);
    return 0;
  }
  if (number >= size) {
    print(`DOES NOT HOLD: joining number ${number} is not in a pre-queue of ${size}`);
    return 1;
  }
  const place = (checked.order[number] as number) + 1;
  if (options.place !== undefined && Number(options.place) !== place) {
    print(`DOES NOT HOLD: joining number ${number} was drawn place ${place}, not ${options.place}`);
    return 1;
  }
  print(
    `joining number ${number} was drawn place ${place} of ${size}${options.place === undefined ? "" : ", as given"}.`,
  );
  return 0;
}
