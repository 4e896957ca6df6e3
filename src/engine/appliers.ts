import { FUNDING } from "../domain/accounts.js";
import { closeCampaign, createCampaign, pauseCampaign, resumeCampaign } from "../domain/campaign.js";
import { dailyRefusal, dayOf, featureRefusal } from "../domain/daily-limits.js";
import { fail, ok, type Result } from "../domain/errors.js";
import { GROUPS_PER_OWNER_MAX, makeGroup } from "../domain/group.js";
import { isId } from "../domain/ids.js";
import { move } from "../domain/ledger.js";
import { type Audience, grabPacket, grabRefusal, sendPacket } from "../domain/red-packet.js";
import type { Calendar } from "../domain/rules.js";
import type { RandomInt } from "../domain/split.js";
import type { Instant } from "../domain/time.js";
import { acknowledgeLoan, answerTransfer, cancelTransfer, sendTransfer } from "../domain/transfer.js";
import { withdrawal } from "../domain/withdrawal.js";
import { type Command, type CommandOf, type CommandResults, DEPOSIT_MAX } from "./commands.js";
import type { IdSource } from "./id-source.js";
import { invariant } from "./invariant.js";
import {
  type CampaignState,
  type LedgerState,
  OPEN_PACKETS_PER_SENDER_MAX,
  PENDING_TRANSFERS_PER_USER_MAX,
  userNotFound,
} from "./ledger-state.js";
import type { LimitsCache } from "./limits-cache.js";
import type { Batch } from "./store-port.js";

/** What an applier may read and change: the ledger state and the batch it records into. */
export interface ApplyContext {
  readonly state: LedgerState;
  readonly batch: Batch;
  /** When the batch is made: what happens in it happens at this instant. */
  readonly at: Instant;
  /** When the engine took the command: the rules in force then are the ones that apply. */
  readonly acceptedAt: Instant;
  readonly calendar: Calendar;
  /** An operator's special day changes the calendar for every command after it. */
  readonly replaceCalendar: (calendar: Calendar) => void;
  readonly limits: LimitsCache;
  readonly ids: IdSource;
  readonly random: (size: number) => Uint8Array;
  readonly randomInt: RandomInt;
}

type Applier<K extends Command["type"]> = (command: CommandOf<K>, context: ApplyContext) => Result<CommandResults[K]>;

/**
 * One function per command over the ledger state, in the shape of a state machine: each
 * checks its command against memory, records what it changes in the batch, and returns its
 * result. None does I/O; the engine commits the batch and only then answers.
 */
export const APPLIERS: { readonly [K in Exclude<Command["type"], "claim">]: Applier<K> } = {
  createUser(command, { state, batch, at }) {
    if (state.phones.has(command.phone)) return fail("PHONE_TAKEN", "a user with this phone exists");
    invariant(isId("user", command.id) && !state.hasUser(command.id), "a new user id is fresh", { id: command.id });
    const user = { id: command.id, phone: command.phone, name: command.name, createdAt: at };
    state.addUser(user, batch);
    return ok(user);
  },

  createUsers(command, { state, batch, at }) {
    const phones = new Set<string>();
    for (const user of command.users) {
      if (state.phones.has(user.phone) || phones.has(user.phone)) {
        return fail("PHONE_TAKEN", `a user with phone ${user.phone} exists`, { phone: user.phone });
      }
      invariant(isId("user", user.id) && !state.hasUser(user.id), "a new user id is fresh", { id: user.id });
      phones.add(user.phone);
    }
    for (const user of command.users) state.addUser({ ...user, createdAt: at }, batch);
    return ok({ created: command.users.length });
  },

  deposit(command, { state, batch, at }) {
    if (!state.hasUser(command.userId)) return userNotFound();
    if (command.amount < 1) return fail("AMOUNT_BELOW_MIN", "a deposit is at least 1 fen", { limit: 1 });
    if (command.amount > DEPOSIT_MAX) {
      return fail("AMOUNT_ABOVE_MAX", `a deposit is at most ${DEPOSIT_MAX} fen`, { limit: DEPOSIT_MAX });
    }
    const posted = state.post(
      { kind: "deposit", ref: command.userId, at, legs: move(FUNDING, command.userId, command.amount) },
      batch,
    );
    if (!posted.ok) return posted;
    return ok({ userId: command.userId, amount: command.amount, balance: state.balanceOf(command.userId) });
  },

  sendTransfer(command, { state, batch, at, acceptedAt, calendar, limits, ids }) {
    const request = { ...command.request, id: ids.next("transfer") };
    if (!state.hasUser(request.from)) return userNotFound();
    if (!state.hasUser(request.to)) return fail("USER_NOT_FOUND", "the recipient does not exist");
    if (state.pendingCount(request.from) >= PENDING_TRANSFERS_PER_USER_MAX) {
      return fail("TOO_MANY_PENDING", `at most ${PENDING_TRANSFERS_PER_USER_MAX} transfers may wait for an answer`);
    }
    const sent = sendTransfer(request, at, limits.at(acceptedAt, calendar));
    if (!sent.ok) return sent;
    const posted = state.post(sent.value.posting, batch);
    if (!posted.ok) return posted;
    state.putTransfer(sent.value.transfer, batch, at);
    return ok(sent.value.transfer);
  },

  answerTransfer(command, { state, batch, at }) {
    const transfer = state.pending.get(command.transferId);
    if (transfer === undefined) return fail("TRANSFER_NOT_PENDING", "the transfer is no longer pending");
    const answered = answerTransfer(transfer, command.by, command.answer, at);
    if (!answered.ok) return answered;
    const posted = state.post(answered.value.posting, batch);
    invariant(posted.ok, "escrow cannot pay out a transfer", { transferId: transfer.id });
    state.putTransfer(answered.value.transfer, batch, at);
    return ok(answered.value.transfer);
  },

  acknowledgeLoan(command, { state, batch, at }) {
    const transfer = state.pending.get(command.transferId) ?? state.settledTransfers.get(command.transferId);
    if (transfer === undefined) return fail("TRANSFER_NOT_FOUND", "no such transfer");
    const acknowledged = acknowledgeLoan(transfer, command.by, at);
    if (!acknowledged.ok || acknowledged.value === transfer) return acknowledged;
    state.putTransfer(acknowledged.value, batch, at);
    return acknowledged;
  },

  cancelTransfer(command, { state, batch, at }) {
    const transfer = state.pending.get(command.transferId);
    if (transfer === undefined) return fail("TRANSFER_NOT_PENDING", "the transfer is no longer pending");
    const cancelled = cancelTransfer(transfer, command.by, at);
    if (!cancelled.ok) return cancelled;
    const posted = state.post(cancelled.value.posting, batch);
    invariant(posted.ok, "escrow cannot give a transfer back", { transferId: transfer.id });
    state.putTransfer(cancelled.value.transfer, batch, at);
    return ok(cancelled.value.transfer);
  },

  withdraw(command, { state, batch, at, acceptedAt, calendar, limits, ids }) {
    if (!state.hasUser(command.userId)) return userNotFound();
    const id = ids.next("withdrawal");
    const posting = withdrawal(id, command.userId, command.amount, at, limits.at(acceptedAt, calendar));
    if (!posting.ok) return posting;
    const posted = state.post(posting.value, batch);
    if (!posted.ok) return posted;
    return ok({ id, userId: command.userId, amount: command.amount, balance: state.balanceOf(command.userId), at });
  },

  pauseCampaign(command, { state, batch, at }) {
    return controlCampaign(state, command.campaignId, batch, (open) => pauseCampaign(open.campaign, at));
  },

  resumeCampaign(command, { state, batch }) {
    return controlCampaign(state, command.campaignId, batch, (open) => resumeCampaign(open.campaign));
  },

  closeCampaign(command, { state, batch, at }) {
    const open = state.campaigns.get(command.campaignId);
    if (open === undefined) return campaignGone(state, command.campaignId);
    const closed = closeCampaign(open.campaign, open.unreserved, at);
    if (!closed.ok) return closed;
    if (closed.value.posting !== null) {
      const posted = state.post(closed.value.posting, batch);
      invariant(posted.ok, "a campaign can return its unreserved budget", { campaignId: command.campaignId });
    }
    const view = { claimedCount: open.claimedCount, claimedAmount: open.claimedAmount, unreserved: 0 };
    state.endCampaign(open, closed.value.campaign, batch, at);
    return ok({ campaign: closed.value.campaign, ...view });
  },

  createGroup(command, { state, batch, at }) {
    for (const userId of [command.owner, ...command.memberIds]) {
      if (!state.hasUser(userId)) return fail("USER_NOT_FOUND", `no such user: ${userId}`, { userId });
    }
    if (state.groupsOwnedBy(command.owner) >= GROUPS_PER_OWNER_MAX) {
      return fail("TOO_MANY_GROUPS", `a user owns at most ${GROUPS_PER_OWNER_MAX} groups`, {
        limit: GROUPS_PER_OWNER_MAX,
      });
    }
    const group = makeGroup(command.id, command.owner, command.name, command.memberIds, at);
    if (!group.ok) return group;
    state.addGroup(group.value, batch);
    return group;
  },

  sendPacket(command, { state, batch, at, acceptedAt, calendar, limits, ids, random, randomInt }) {
    const request = { ...command.request, id: ids.next("redPacket") };
    if (!state.hasUser(request.sender)) return userNotFound();
    if (request.recipient !== null && !state.hasUser(request.recipient)) {
      return fail("USER_NOT_FOUND", "the recipient does not exist");
    }
    if (state.openPacketCount(request.sender) >= OPEN_PACKETS_PER_SENDER_MAX) {
      return fail("TOO_MANY_PENDING", `at most ${OPEN_PACKETS_PER_SENDER_MAX} of your packets may be open at once`);
    }
    const rules = limits.at(acceptedAt, calendar);
    const day = dayOf(acceptedAt);
    const refused =
      (request.password === null ? undefined : featureRefusal("passwordPackets", rules)) ??
      dailyRefusal(state.sentOn(request.sender, day), request.amount, rules);
    if (refused !== undefined) return refused;
    const sent = sendPacket(request, {
      at,
      limits: rules,
      audience: audienceOf(state, request.groupId),
      randomInt,
      salt: Buffer.from(random(32)).toString("hex"),
    });
    if (!sent.ok) return sent;
    const posted = state.post(sent.value.posting, batch);
    if (!posted.ok) return posted;
    state.putPacket(sent.value.packet, batch, false, at);
    state.countSent(request.sender, day, request.amount);
    return ok(sent.value.packet);
  },

  grabPacket(command, { state, batch, at }) {
    const packet = state.packets.get(command.packetId);
    if (packet === undefined) {
      const settled = state.settled.get(command.packetId);
      const refusal =
        settled && grabRefusal(settled, command.userId, command.password, at, audienceOf(state, settled.groupId));
      return refusal ?? fail("SOLD_OUT", "手慢了，红包派完了 (all shares are taken)");
    }
    const grabbed = grabPacket(packet, command.userId, command.password, at, audienceOf(state, packet.groupId));
    if (!grabbed.ok) return grabbed;
    const posted = state.post(grabbed.value.posting, batch);
    invariant(posted.ok, "escrow cannot pay a packet's share", { packetId: packet.id });
    state.putPacket(grabbed.value.packet, batch, true, at);
    return ok({ packet: grabbed.value.packet, grab: grabbed.value.grab });
  },

  createCampaign(command, { state, batch, at, ids }) {
    const created = createCampaign({ ...command.request, id: ids.next("campaign") }, at);
    if (!created.ok) return created;
    const posted = state.post(created.value.posting, batch);
    if (!posted.ok) return posted;
    state.addCampaign(created.value.campaign, batch);
    return ok(created.value.campaign);
  },

  addSpecialDay(command, { batch, calendar, replaceCalendar }) {
    const next = calendar.withDay?.(command.rule) ?? fail("VALIDATION_FAILED", "this calendar takes no additions");
    if (!next.ok) return next;
    replaceCalendar(next.value);
    batch.specialDays.push(command.rule);
    return ok({ rule: command.rule });
  },

  tick(_command, { at }) {
    return ok({ at });
  },
};

/** Pause and resume: a change of the campaign's row, no money. */
function controlCampaign(
  state: LedgerState,
  campaignId: string,
  batch: Batch,
  change: (open: CampaignState) => Result<CampaignState["campaign"]>,
): Result<CommandResults["pauseCampaign"]> {
  const open = state.campaigns.get(campaignId);
  if (open === undefined) return campaignGone(state, campaignId);
  const changed = change(open);
  if (!changed.ok) return changed;
  if (changed.value !== open.campaign) {
    open.campaign = changed.value;
    batch.campaigns.push(changed.value);
  }
  return ok({
    campaign: open.campaign,
    claimedCount: open.claimedCount,
    claimedAmount: open.claimedAmount,
    unreserved: open.unreserved,
  });
}

/** A campaign memory no longer holds open: ended (the engine looked it up before), or none. */
function campaignGone(state: LedgerState, campaignId: string): Result<never> {
  if (state.endedCampaigns.get(campaignId) !== undefined) return fail("ENDED", "the campaign has ended");
  return fail("CAMPAIGN_NOT_FOUND", "no such campaign");
}

export function audienceOf(state: LedgerState, groupId: string | null): Audience {
  return { members: groupId === null ? undefined : state.groups.get(groupId) };
}

/** Runs the applier of a command; claims are applied from their reservation, not here. */
export function applyCommand(command: Exclude<Command, { type: "claim" }>, context: ApplyContext): Result<unknown> {
  const applier = APPLIERS[command.type] as Applier<typeof command.type>;
  return applier(command as never, context);
}
