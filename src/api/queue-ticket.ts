import { createHmac } from "node:crypto";
import { sameText } from "./tokens.js";

/**
 * A place in a campaign's waiting room, held by the client, not the server: the campaign,
 * the user, which line (`pre`: asked before the start, placed by the draw; `fifo`: asked
 * after, placed by arrival), the number of the place in that line, the arrival instant,
 * how many claims the user had made when it was given (so it serves one claim only), the
 * server run that gave it, and when the holder was told to come back (so that how late
 * returns are read corrects the estimates told next). HMAC-SHA256 over all of it, cut to 144 bits (its first 24 base64url characters), with a key
 * derived from the token secret: a million tickets cost the server no memory.
 */
export interface QueueTicket {
  readonly campaignId: string;
  readonly userId: string;
  readonly line: "pre" | "fifo";
  readonly number: number;
  readonly arrivedAt: number;
  readonly claims: number;
  readonly run: string;
  /** Wall ms the holder was told to come back at; 0: not told. */
  readonly dueAt: number;
}

/** Tickets are short ASCII; anything longer is refused before any crypto runs. */
export const TICKET_LENGTH_MAX = 400;
/** 144 bits: a whole number of base64url characters, compared as text with no decoding. */
const MAC_CHARS = 24;
const FIELD = /^[A-Za-z0-9_-]{1,64}$/;
const WHOLE = /^\d{1,15}$/;

export class TicketSigner {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  sign(ticket: QueueTicket): string {
    const payload = Buffer.from(
      [
        ticket.campaignId,
        ticket.userId,
        ticket.line,
        ticket.number,
        ticket.arrivedAt,
        ticket.claims,
        ticket.run,
        ticket.dueAt,
      ].join("~"),
    ).toString("base64url");
    return `${payload}.${this.#mac(payload)}`;
  }

  /** The ticket a text signs, or undefined for anything forged, altered or malformed. */
  open(text: string): QueueTicket | undefined {
    if (text.length > TICKET_LENGTH_MAX) return undefined;
    const dot = text.indexOf(".");
    if (dot < 1 || dot !== text.lastIndexOf(".")) return undefined;
    const payload = text.slice(0, dot);
    if (!sameText(text.slice(dot + 1), this.#mac(payload))) return undefined;
    return readTicket(payload);
  }

  #mac(payload: string): string {
    return createHmac("sha256", this.#key).update(payload).digest("base64url").slice(0, MAC_CHARS);
  }
}

/**
 * The fields of a ticket's payload, not checked against its MAC: for a holder or a verifier
 * reading what they were given (the server checks with `TicketSigner.open`).
 */
export function readTicket(text: string): QueueTicket | undefined {
  const payload = text.split(".")[0] ?? "";
  if (payload.length > TICKET_LENGTH_MAX) return undefined;
  const fields = Buffer.from(payload, "base64url").toString("latin1").split("~");
  if (fields.length !== 8) return undefined;
  const [campaignId, userId, line, number, arrivedAt, claims, run, dueAt] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!FIELD.test(campaignId) || !FIELD.test(userId) || !FIELD.test(run)) return undefined;
  if (
    (line !== "pre" && line !== "fifo") ||
    !WHOLE.test(number) ||
    !WHOLE.test(arrivedAt) ||
    !WHOLE.test(claims) ||
    !WHOLE.test(dueAt)
  )
    return undefined;
  return {
    campaignId,
    userId,
    line,
    number: Number(number),
    arrivedAt: Number(arrivedAt),
    claims: Number(claims),
    run,
    dueAt: Number(dueAt),
  };
}
