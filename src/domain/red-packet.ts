import { createHash } from "node:crypto";
import { ESCROW } from "./accounts.js";
import { fail, ok, type Result } from "./errors.js";
import { move, type Posting } from "./ledger.js";
import { type Fen, formatYuan } from "./money.js";
import type { NatureHint } from "./nature-hints.js";
import { codePointLength, type LimitsAt } from "./rules.js";
import { equalSplit, luckySplit, type RandomInt } from "./split.js";
import type { Instant } from "./time.js";
import { natureOf } from "./transfer.js";

export const PACKET_KINDS = ["single", "lucky", "equal", "exclusive"] as const;
export type PacketKind = (typeof PACKET_KINDS)[number];
export type PacketStatus = "active" | "finished" | "expired";

export const PASSWORD_LENGTH_MAX = 32;

export interface Grab {
  readonly userId: string;
  readonly amount: Fen;
  readonly at: Instant;
}

export interface SendPacketRequest {
  readonly id: string;
  readonly sender: string;
  readonly kind: PacketKind;
  readonly amount: Fen;
  readonly count: number;
  readonly groupId: string | null;
  /** The one user who may open a single or exclusive packet. */
  readonly recipient: string | null;
  readonly greeting: string;
  readonly password: string | null;
  /** The catalogue cover the sender picked (封面), or none. */
  readonly coverId?: string | null;
}

/** A sent packet: the request (its password kept only as a hash) and its state since. */
export interface RedPacket extends Omit<SendPacketRequest, "password"> {
  /** sha256 of the packet id and its password (口令), or null without one. */
  readonly passwordHash: string | null;
  /** Fixed at send time, in grab order; secret until the packet is finished or expired. */
  readonly shares: readonly Fen[];
  readonly salt: string;
  readonly commitment: string;
  readonly status: PacketStatus;
  readonly createdAt: Instant;
  readonly expiresAt: Instant;
  readonly settledAt: Instant | null;
  readonly grabs: readonly Grab[];
  /** How the amount and greeting may be read (gift words, 520 …), shown to the sender. */
  readonly natureHints: readonly NatureHint[];
  readonly warnings: readonly string[];
}

/** Who the packet is sent to, as the engine knows it. */
export interface Audience {
  /** Members of the packet's group, or undefined for a single packet. */
  readonly members: ReadonlySet<string> | undefined;
}

export function commitmentOf(id: string, shares: readonly Fen[], salt: string): string {
  return createHash("sha256")
    .update(`${id}|${shares.join(",")}|${salt}`, "utf8")
    .digest("hex");
}

export function passwordHashOf(id: string, password: string): string {
  return createHash("sha256").update(`${id}|${password}`, "utf8").digest("hex");
}

export function checkPacket(request: SendPacketRequest, limits: LimitsAt, audience: Audience): Result<void> {
  const { kind, count } = request;
  if (!Number.isSafeInteger(count) || count < limits.shareCountMin || count > limits.shareCountMax) {
    return fail("BAD_SPLIT", `a packet has ${limits.shareCountMin} to ${limits.shareCountMax} shares`, {
      cap: "shareCountMax",
      limit: limits.shareCountMax,
    });
  }
  if (codePointLength(request.greeting) > limits.memoLengthMax) {
    return fail("MEMO_TOO_LONG", `a greeting is at most ${limits.memoLengthMax} characters`, {
      cap: "memoLengthMax",
      limit: limits.memoLengthMax,
    });
  }
  if (
    request.password !== null &&
    (request.password.length === 0 || codePointLength(request.password) > PASSWORD_LENGTH_MAX)
  ) {
    return fail("VALIDATION_FAILED", `a password is 1 to ${PASSWORD_LENGTH_MAX} characters`);
  }
  if (kind === "single") return checkSingle(request, limits);
  if (audience.members === undefined) return fail("GROUP_NOT_FOUND", "no such group");
  if (!audience.members.has(request.sender))
    return fail("NOT_A_MEMBER", "only a member may send a packet to the group");
  if (kind === "exclusive") {
    if (count !== 1) return fail("BAD_SPLIT", "an exclusive packet has one share", { cap: "count", limit: 1 });
    if (request.recipient === null || !audience.members.has(request.recipient)) {
      return fail("NOT_A_MEMBER", "an exclusive packet goes to a member of the group");
    }
    if (request.recipient === request.sender) return fail("SELF_TRANSFER", "an exclusive packet to oneself is refused");
  }
  return checkShares(request, limits);
}

function checkSingle(request: SendPacketRequest, limits: LimitsAt): Result<void> {
  if (request.count !== 1) return fail("BAD_SPLIT", "a single packet has one share", { cap: "count", limit: 1 });
  if (request.recipient === null) return fail("VALIDATION_FAILED", "a single packet needs `to`");
  if (request.recipient === request.sender) return fail("SELF_TRANSFER", "a packet to oneself is refused");
  if (request.amount < limits.singlePacketMin) {
    return fail("AMOUNT_BELOW_MIN", `a packet is at least ${limits.singlePacketMin} fen`, {
      cap: "singlePacketMin",
      limit: limits.singlePacketMin,
    });
  }
  if (request.amount > limits.singlePacketMax) {
    const why = limits.specialDay === null ? "" : ` on ${limits.specialDay.name} ${limits.specialDay.date}`;
    return fail(
      "AMOUNT_ABOVE_MAX",
      `a single packet is at most ${limits.singlePacketMax} fen (${formatYuan(limits.singlePacketMax)} yuan)${why}`,
      { cap: "singlePacketMax", limit: limits.singlePacketMax },
    );
  }
  return ok(undefined);
}

function checkShares(request: SendPacketRequest, limits: LimitsAt): Result<void> {
  const { amount, count } = request;
  if (amount < count * limits.shareMin) {
    return fail(
      "AMOUNT_BELOW_MIN",
      `every share is at least ${limits.shareMin} fen: ${count} shares need ${count * limits.shareMin} fen`,
      {
        cap: "shareMin",
        limit: limits.shareMin,
      },
    );
  }
  if (amount > count * limits.shareMax) {
    return fail(
      "AMOUNT_ABOVE_MAX",
      `a share is at most ${limits.shareMax} fen: ${count} shares hold at most ${count * limits.shareMax} fen`,
      {
        cap: "shareMax",
        limit: limits.shareMax,
      },
    );
  }
  if (request.kind === "equal" && amount % count !== 0) {
    return fail("BAD_SPLIT", `an equal packet's total must divide evenly by its ${count} shares`);
  }
  return ok(undefined);
}

export interface SendPacketInputs {
  readonly at: Instant;
  readonly limits: LimitsAt;
  readonly audience: Audience;
  readonly randomInt: RandomInt;
  /** 32 random bytes in hex. */
  readonly salt: string;
}

export function sendPacket(
  request: SendPacketRequest,
  inputs: SendPacketInputs,
): Result<{ packet: RedPacket; posting: Posting }> {
  const checked = checkPacket(request, inputs.limits, inputs.audience);
  if (!checked.ok) return checked;
  const { limits } = inputs;
  const shares =
    request.kind === "lucky"
      ? luckySplit(request.amount, request.count, limits.shareMin, limits.shareMax, inputs.randomInt)
      : request.kind === "equal"
        ? equalSplit(request.amount, request.count)
        : [request.amount];
  const packet: RedPacket = {
    id: request.id,
    sender: request.sender,
    kind: request.kind,
    amount: request.amount,
    count: request.count,
    groupId: request.kind === "single" ? null : request.groupId,
    recipient: request.kind === "single" || request.kind === "exclusive" ? request.recipient : null,
    greeting: request.greeting,
    coverId: request.coverId ?? null,
    passwordHash: request.password === null ? null : passwordHashOf(request.id, request.password),
    shares,
    salt: inputs.salt,
    commitment: commitmentOf(request.id, shares, inputs.salt),
    status: "active",
    createdAt: inputs.at,
    expiresAt: inputs.at + limits.redPacketExpiryMs,
    settledAt: null,
    grabs: [],
    ...natureOf({ amount: request.amount, memo: request.greeting, nature: "unspecified", dueDate: null }),
  };
  const posting: Posting = {
    kind: "packet.send",
    ref: request.id,
    at: inputs.at,
    legs: move(request.sender, ESCROW, request.amount),
  };
  return ok({ packet, posting });
}

/** Whether a user may open the packet at all, whatever its state. */
export function mayGrab(packet: RedPacket, userId: string, audience: Audience): Result<void> {
  if (packet.recipient !== null) {
    if (userId === packet.recipient) return ok(undefined);
    if (packet.kind === "exclusive" && audience.members?.has(userId) === true) {
      return fail("NOT_FOR_YOU", "this exclusive packet is for another member");
    }
    return fail("NOT_FOR_YOU", "this packet is for someone else");
  }
  if (audience.members?.has(userId) !== true) return fail("NOT_A_MEMBER", "only members of the group may grab");
  return ok(undefined);
}

/** The refusals a packet's crowd hears many times: the same objects each time (an edge answers them from its view). */
export const GRAB_REFUSED = Object.freeze({
  ALREADY_GRABBED: Object.freeze(fail("ALREADY_GRABBED", "you have already grabbed this packet")),
  EXPIRED: Object.freeze(fail("EXPIRED", "the packet has expired; its remainder went back to the sender")),
  SOLD_OUT: Object.freeze(fail("SOLD_OUT", "手慢了，红包派完了 (all shares are taken)")),
});

/**
 * The answer to a grab that needs no batch: not allowed, expired, already grabbed, sold
 * out, wrong password. Undefined when the grab may go ahead.
 */
export function grabRefusal(
  packet: RedPacket,
  userId: string,
  password: string | null,
  at: Instant,
  audience: Audience,
) {
  const allowed = mayGrab(packet, userId, audience);
  if (!allowed.ok) return allowed;
  if (packet.grabs.some((grab) => grab.userId === userId)) return GRAB_REFUSED.ALREADY_GRABBED;
  if (packet.status === "expired" || (packet.status === "active" && at >= packet.expiresAt)) {
    return GRAB_REFUSED.EXPIRED;
  }
  if (packet.status === "finished" || packet.grabs.length >= packet.count) return GRAB_REFUSED.SOLD_OUT;
  if (
    packet.passwordHash !== null &&
    (password === null || passwordHashOf(packet.id, password) !== packet.passwordHash)
  ) {
    return fail("WRONG_PASSWORD", "the password (口令) does not match");
  }
  return undefined;
}

export function grabPacket(
  packet: RedPacket,
  userId: string,
  password: string | null,
  at: Instant,
  audience: Audience,
): Result<{ packet: RedPacket; grab: Grab; posting: Posting }> {
  const refusal = grabRefusal(packet, userId, password, at, audience);
  if (refusal !== undefined) return refusal;
  const amount = packet.shares[packet.grabs.length] as Fen;
  const grab: Grab = { userId, amount, at };
  const grabs = [...packet.grabs, grab];
  const finished = grabs.length === packet.count;
  return ok({
    packet: { ...packet, grabs, status: finished ? "finished" : "active", settledAt: finished ? at : null },
    grab,
    posting: { kind: "packet.grab", ref: packet.id, at, legs: move(ESCROW, userId, amount) },
  });
}

/** The refund of what nobody grabbed within the expiry; null while not due or already settled. */
export function expirePacket(packet: RedPacket, at: Instant): { packet: RedPacket; posting: Posting | null } | null {
  if (packet.status !== "active" || at < packet.expiresAt) return null;
  const remainder = remainingAmount(packet);
  return {
    packet: { ...packet, status: "expired", settledAt: at },
    posting:
      remainder === 0
        ? null
        : { kind: "packet.refund", ref: packet.id, at, legs: move(ESCROW, packet.sender, remainder) },
  };
}

export function remainingAmount(packet: RedPacket): Fen {
  let taken = 0;
  for (const grab of packet.grabs) taken += grab.amount;
  return packet.amount - taken;
}

/** The lucky king (手气最佳) of a finished packet: the largest share, the earliest grab on ties. */
export function luckyKing(packet: RedPacket): Grab | null {
  if (packet.status !== "finished" || packet.count < 2) return null;
  let king: Grab | null = null;
  for (const grab of packet.grabs) if (king === null || grab.amount > king.amount) king = grab;
  return king;
}

/** Checks a revealed packet: the commitment matches its shares and salt, and the shares add up. */
export function verifyRevealed(revealed: {
  id: string;
  amount: Fen;
  count: number;
  commitment: string;
  shares: readonly Fen[];
  salt: string;
  grabs?: readonly { amount: Fen }[];
}): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  if (commitmentOf(revealed.id, revealed.shares, revealed.salt) !== revealed.commitment) {
    problems.push("the commitment does not match the shares and salt");
  }
  if (revealed.shares.length !== revealed.count)
    problems.push(`${revealed.shares.length} shares for a count of ${revealed.count}`);
  if (revealed.shares.some((share) => !Number.isSafeInteger(share) || share < 1))
    problems.push("a share is not a positive integer");
  const sum = revealed.shares.reduce((total, share) => total + share, 0);
  if (sum !== revealed.amount) problems.push(`the shares sum to ${sum}, not ${revealed.amount}`);
  revealed.grabs?.forEach((grab, i) => {
    if (grab.amount !== revealed.shares[i])
      problems.push(`grab ${i + 1} got ${grab.amount}, its share was ${revealed.shares[i]}`);
  });
  return { ok: problems.length === 0, problems };
}
