/**
 * What the engine figures submit, one workload per figure: transfers between funded users,
 * grabs of lucky packets in big groups, and campaign claims by distinct users. A workload
 * builds its state through the engine (untimed) and hands out the commands of a slice; the
 * engine side and the raw side of a comparison run the same workload from the same seed,
 * so they write the same kinds of rows in the same proportions.
 */
import { randomBytes } from "node:crypto";
import { makeId } from "../src/domain/ids.js";
import type { Command } from "../src/engine/commands.js";
import type { Engine } from "../src/engine/engine.js";

export const WORKLOADS = ["transfer", "grab", "claim"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export interface Workload {
  /** Untimed: makes the state the next `count` commands need (users, packets, …). */
  prepare(count: number): Promise<void>;
  /** The next command; every one of them is meant to succeed. */
  next(): Command;
}

const FUNDS = 1_000_000_000; // fen per funded user: far more than the bench can spend

/** Grab set-up: groups of this many members, lucky packets of this many shares. */
export const GROUP_SIZE = 1000;
export const PACKET_SHARES = 100;
/** 100 shares of 200 fen on average: well inside the share caps. */
export const PACKET_AMOUNT = 20_000;
/** Funded members per group who send the packets, in turn (each may have 1 000 open packets). */
const SENDERS_PER_GROUP = 20;
/** Packets sent together whose grabs are shuffled together: grabs of a batch spread over about this many packets. */
export const PACKET_WINDOW = 50;
/** Claims pay a fixed 13.14 yuan, as on Qixi. */
export const CLAIM_AMOUNT = 1314;
const USERS_PER_CALL = 10_000;

function must<T>(
  result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } },
  what: string,
): T {
  if (!result.ok) throw new Error(`${what}: ${result.error.code} ${result.error.message}`);
  return result.value;
}

/** `count` new users through createUsers commands (10 000 each, as the bulk route does). */
async function newUsers(engine: Engine, count: number, phoneBase: number): Promise<string[]> {
  const ids: string[] = [];
  const calls: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += USERS_PER_CALL) {
    const users = Array.from({ length: Math.min(USERS_PER_CALL, count - start) }, (_, i) => ({
      id: makeId("user", randomBytes(10)),
      phone: `+8613${String(phoneBase + start + i).padStart(9, "0")}`,
      name: `bench ${phoneBase + start + i}`,
    }));
    for (const user of users) ids.push(user.id);
    calls.push(engine.submit({ type: "createUsers", users }).then((r) => must(r, "createUsers")));
  }
  await Promise.all(calls);
  return ids;
}

async function fund(engine: Engine, users: readonly string[]): Promise<void> {
  await Promise.all(
    users.map(async (userId) => must(await engine.submit({ type: "deposit", userId, amount: FUNDS }), "deposit")),
  );
}

/** Transfers of 1–999 fen between random distinct users of `users` funded users (figure 1). */
async function transferWorkload(engine: Engine, users: number, random: () => number): Promise<Workload> {
  const ids = await newUsers(engine, users, 0);
  await fund(engine, ids);
  return {
    async prepare() {},
    next() {
      const a = Math.floor(random() * ids.length);
      let b = Math.floor(random() * (ids.length - 1));
      if (b >= a) b += 1;
      return {
        type: "sendTransfer",
        request: {
          from: ids[a] as string,
          to: ids[b] as string,
          amount: 1 + Math.floor(random() * 999),
          memo: "",
          nature: "unspecified",
          dueDate: null,
        },
      };
    },
  };
}

/**
 * Grabs of lucky packets (figure 3): `users` users in groups of GROUP_SIZE, each packet of
 * PACKET_SHARES shares sent by a funded member to its group and grabbed by PACKET_SHARES
 * other members chosen at random. Packets are sent as the slices need them, PACKET_WINDOW
 * at a time, and the grabs of a window are shuffled together, so concurrent grabs hit many
 * packets and every grab succeeds.
 */
async function grabWorkload(engine: Engine, users: number, random: () => number): Promise<Workload> {
  const ids = await newUsers(engine, Math.max(GROUP_SIZE, users), 0);
  const groups: { id: string; members: string[]; senders: string[] }[] = [];
  for (let start = 0; start + GROUP_SIZE <= ids.length; start += GROUP_SIZE) {
    const members = ids.slice(start, start + GROUP_SIZE);
    const group = must(
      await engine.submit({
        type: "createGroup",
        id: makeId("group", randomBytes(10)),
        owner: members[0] as string,
        name: `bench group ${groups.length}`,
        memberIds: members,
      }),
      "createGroup",
    );
    groups.push({ id: group.id, members, senders: members.slice(0, SENDERS_PER_GROUP) });
  }
  await fund(
    engine,
    groups.flatMap((g) => g.senders),
  );
  const queue: { packetId: string; userId: string }[] = [];
  let head = 0;
  let sent = 0;
  const sendWindow = async () => {
    const packets = await Promise.all(
      Array.from({ length: PACKET_WINDOW }, async () => {
        const group = groups[sent % groups.length] as (typeof groups)[number];
        const sender = group.senders[Math.floor(sent / groups.length) % group.senders.length] as string;
        sent += 1;
        const packet = must(
          await engine.submit({
            type: "sendPacket",
            request: {
              sender,
              kind: "lucky",
              amount: PACKET_AMOUNT,
              count: PACKET_SHARES,
              groupId: group.id,
              recipient: null,
              greeting: "恭喜发财",
              password: null,
            },
          }),
          "sendPacket",
        );
        return { packetId: packet.id, grabbers: pick(group.members, PACKET_SHARES, random, sender) };
      }),
    );
    const window = packets.flatMap(({ packetId, grabbers }) => grabbers.map((userId) => ({ packetId, userId })));
    shuffle(window, random);
    queue.push(...window);
  };
  return {
    async prepare(count) {
      if (head > 100_000) {
        queue.splice(0, head);
        head = 0;
      }
      while (queue.length - head < count) await sendWindow();
    },
    next() {
      const grab = queue[head++];
      if (grab === undefined) throw new Error("grab workload: not prepared");
      return { type: "grabPacket", packetId: grab.packetId, userId: grab.userId, password: null };
    },
  };
}

/**
 * Claims of one campaign by distinct users (figure 5): a fixed CLAIM_AMOUNT, a budget far
 * larger than the bench can claim, per-user limit 1; the users are made as slices need them.
 */
async function claimWorkload(engine: Engine, random: () => number): Promise<Workload> {
  const now = Date.now();
  const campaign = must(
    await engine.submit({
      type: "createCampaign",
      request: {
        name: "bench campaign",
        budget: 100_000_000_000,
        amount: { fixed: CLAIM_AMOUNT },
        startsAt: now - 60_000,
        endsAt: now + 24 * 3_600_000,
        perUserLimit: 1,
      },
    }),
    "createCampaign",
  );
  let users: string[] = [];
  let head = 0;
  let made = 0;
  return {
    async prepare(count) {
      const missing = count - (users.length - head);
      if (missing <= 0) return;
      // Claimers come in any order, not in the order they signed up.
      const fresh = await newUsers(engine, missing, made);
      shuffle(fresh, random);
      users = users.slice(head).concat(fresh);
      head = 0;
      made += missing;
    },
    next() {
      const userId = users[head++];
      if (userId === undefined) throw new Error("claim workload: not prepared");
      return { type: "claim", campaignId: campaign.id, userId };
    },
  };
}

export function makeWorkload(name: WorkloadName, engine: Engine, users: number, random: () => number) {
  switch (name) {
    case "transfer":
      return transferWorkload(engine, users, random);
    case "grab":
      return grabWorkload(engine, users, random);
    case "claim":
      return claimWorkload(engine, random);
  }
}

/** `n` distinct members other than `except`, at random (a partial Fisher–Yates on a copy). */
export function pick(members: readonly string[], n: number, random: () => number, except: string): string[] {
  const pool = members.filter((m) => m !== except);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as string, pool[i] as string];
  }
  return pool.slice(0, n);
}

export function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}
