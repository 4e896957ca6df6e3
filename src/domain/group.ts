import { fail, ok, type Result } from "./errors.js";
import type { Instant } from "./time.js";

/** Members one group may have; a packet's audience is held in memory, so it is bounded. */
export const GROUP_MEMBERS_MAX = 2000;
export const GROUP_NAME_LENGTH_MAX = 50;
/** Groups one user may own: groups live in memory, so this bounds them per user. */
export const GROUPS_PER_OWNER_MAX = 500;

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly memberIds: readonly string[];
  readonly createdAt: Instant;
}

/** The owner is always a member; members are listed once each, in the order given. */
export function makeGroup(
  id: string,
  owner: string,
  name: string,
  memberIds: readonly string[],
  at: Instant,
): Result<Group> {
  const members = [...new Set([owner, ...memberIds])];
  if (members.length > GROUP_MEMBERS_MAX) {
    return fail("GROUP_TOO_LARGE", `a group has at most ${GROUP_MEMBERS_MAX} members`, { limit: GROUP_MEMBERS_MAX });
  }
  return ok({ id, name, owner, memberIds: members, createdAt: at });
}
