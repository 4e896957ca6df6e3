import type { Result } from "../domain/errors.js";
import { GRAB_REFUSED } from "../domain/red-packet.js";
import type { Instant } from "../domain/time.js";
import type { Fact } from "../wire/messages.js";

/** Packets remembered at most; past it the oldest are forgotten (their grabs go to the writer). */
export const PACKETS_MAX = 100_000;
/** Grabbers remembered across packets at most; past it the oldest packets are forgotten. */
export const GRABBERS_MAX = 1_000_000;
/** Group members remembered across groups at most (a group is at most 2 000). */
export const MEMBERS_MAX = 1_000_000;

interface KnownPacket {
  status: "active" | "finished" | "expired";
  readonly expiresAt: Instant;
  readonly recipient: string | null;
  readonly groupId: string | null;
  readonly grabbers: Set<string>;
  /** False once a grabber could not be remembered: then only "already grabbed" is said, for those that were. */
  complete: boolean;
}

/**
 * An edge's view of red packets, fed by facts after each commit: packets as sent and as
 * settled, who grabbed, and the members of groups made while the edge listened. Every one
 * of these only goes from false to true: a grab is never undone, a finished or expired
 * packet stays so, and a group's members are fixed when it is made. So the view refuses only
 * what the writer refuses (already grabbed, sold out, expired), to users it knows may open
 * the packet, and leaves the rest, a success above all, to the writer.
 */
export class PacketView {
  readonly #packets = new Map<string, KnownPacket>();
  readonly #groups = new Map<string, ReadonlySet<string>>();
  readonly #packetsMax: number;
  readonly #grabbersMax: number;
  readonly #membersMax: number;
  #grabbers = 0;
  #members = 0;

  constructor(options: { packetsMax?: number; grabbersMax?: number; membersMax?: number } = {}) {
    this.#packetsMax = options.packetsMax ?? PACKETS_MAX;
    this.#grabbersMax = options.grabbersMax ?? GRABBERS_MAX;
    this.#membersMax = options.membersMax ?? MEMBERS_MAX;
  }

  get packets(): number {
    return this.#packets.size;
  }

  get grabbers(): number {
    return this.#grabbers;
  }

  get members(): number {
    return this.#members;
  }

  reset(): void {
    this.#packets.clear();
    this.#groups.clear();
    this.#grabbers = 0;
    this.#members = 0;
  }

  apply(fact: Fact): void {
    if (fact.k === "packet") this.#learnPacket(fact);
    else if (fact.k === "grabs") this.#learnGrabs(fact.p, fact.users);
    else if (fact.k === "group") this.#learnGroup(fact.id, fact.members);
  }

  #learnPacket(fact: Extract<Fact, { k: "packet" }>): void {
    let known = this.#packets.get(fact.id);
    if (known === undefined) {
      if (this.#packets.size >= this.#packetsMax) this.#forgetOldestPacket();
      known = {
        status: fact.status,
        expiresAt: fact.expiresAt,
        recipient: fact.recipient,
        groupId: fact.groupId,
        grabbers: new Set(),
        complete: true,
      };
      this.#packets.set(fact.id, known);
    } else if (known.status === "active") known.status = fact.status; // settled stays settled
    this.#learnGrabs(fact.id, fact.grabbers);
  }

  #learnGrabs(packetId: string, users: readonly string[]): void {
    const known = this.#packets.get(packetId);
    if (known === undefined) return; // the packet's own fact comes first; without it the writer is asked
    for (const user of users) {
      if (known.grabbers.has(user)) continue;
      // The newest packets are where crowds grab: the oldest are forgotten to make room.
      while (this.#grabbers >= this.#grabbersMax && this.#packets.keys().next().value !== packetId)
        this.#forgetOldestPacket();
      if (this.#grabbers >= this.#grabbersMax) {
        known.complete = false;
        return;
      }
      known.grabbers.add(user);
      this.#grabbers += 1;
    }
  }

  #learnGroup(groupId: string, members: readonly string[]): void {
    if (this.#groups.has(groupId) || members.length > this.#membersMax) return;
    while (this.#members + members.length > this.#membersMax) this.#forgetOldestGroup();
    this.#groups.set(groupId, new Set(members));
    this.#members += members.length;
  }

  #forgetOldestPacket(): void {
    const oldest = this.#packets.keys().next();
    if (oldest.done === true) return;
    this.#grabbers -= this.#packets.get(oldest.value)?.grabbers.size ?? 0;
    this.#packets.delete(oldest.value);
  }

  #forgetOldestGroup(): void {
    const oldest = this.#groups.keys().next();
    if (oldest.done === true) return;
    this.#members -= this.#groups.get(oldest.value)?.size ?? 0;
    this.#groups.delete(oldest.value);
  }

  /**
   * The refusal the writer would give this grab, or undefined when the view cannot be sure.
   * The writer first asks whether the user may open the packet at all: the view answers only
   * for a user who grabbed it (allowed then, allowed for ever), its recipient, or a member of
   * its group it knows.
   */
  grabRefusal(packetId: string, userId: string): Result<never> | undefined {
    const known = this.#packets.get(packetId);
    if (known === undefined) return undefined;
    if (known.grabbers.has(userId)) return GRAB_REFUSED.ALREADY_GRABBED;
    const allowed =
      known.recipient !== null
        ? known.recipient === userId
        : known.groupId !== null && this.#groups.get(known.groupId)?.has(userId) === true;
    if (!allowed || !known.complete) return undefined;
    // Expiry by the clock is the writer's to say: the view may not have heard the packet finish first.
    if (known.status === "expired") return GRAB_REFUSED.EXPIRED;
    if (known.status === "finished") return GRAB_REFUSED.SOLD_OUT;
    return undefined;
  }
}
