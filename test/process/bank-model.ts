/**
 * What the bank soak's clients were told, and the checks of the SQLite file against it: every
 * acknowledged operation is in the file exactly once, and nothing is in the file that no
 * client asked for. Operations whose answer was lost ("limbo") may be in the file or not, once
 * at most, until their retry after the restart gets a definite answer; then the file must
 * match what the clients were told exactly.
 */
import Database from "better-sqlite3";
import type { Ledger } from "./support.js";

export type OpKind = "deposit" | "campaign" | "send" | "accept" | "decline" | "packet" | "grab" | "claim";

export const OP_KINDS: readonly OpKind[] = [
  "deposit",
  "campaign",
  "send",
  "accept",
  "decline",
  "packet",
  "grab",
  "claim",
];

/** One money-moving POST with its Idempotency-Key: sent again, unchanged, until it gets a definite answer. */
export interface Op {
  readonly kind: OpKind;
  readonly key: string;
  readonly token: string;
  readonly path: string;
  readonly body?: unknown;
  /** The user the operation credits or debits: the sender, grabber, claimer or depositee. */
  readonly userId: string;
  /** What names this operation's row in the file before its answer is known: a memo, greeting or campaign name. */
  readonly tag?: string;
  readonly transferId?: string;
  readonly packetId?: string;
  readonly campaignId?: string;
  readonly amount?: number;
}

export interface SentTransfer {
  readonly from: string;
  readonly to: string;
  readonly amount: number;
  readonly memo: string;
}

const pair = (a: string, b: string) => `${a}|${b}`;

/** Counts the checks run, and throws with every breach found (not only the first). */
export class Checks {
  passed = 0;
  #breaches: string[] = [];

  expect(condition: boolean, what: () => string): void {
    if (condition) this.passed += 1;
    else this.#breaches.push(what());
  }

  /** Throws if any check of this round failed. */
  settle(context: string): void {
    if (this.#breaches.length === 0) return;
    const shown = this.#breaches.slice(0, 20).join("\n  ");
    const more = this.#breaches.length > 20 ? `\n  … and ${this.#breaches.length - 20} more` : "";
    this.#breaches = [];
    throw new Error(`${context}: ${shown}${more}`);
  }
}

export class BankModel {
  readonly transfers = new Map<string, SentTransfer>();
  /** Acknowledged answers to transfers. */
  readonly answers = new Map<string, "accepted" | "declined">();
  /** Transfers someone tried to answer, told or not. */
  readonly answerTried = new Set<string>();
  /** Acknowledged pending transfers nobody has tried to answer yet. */
  readonly openTransfers: string[] = [];
  readonly packets = new Map<string, { sender: string; amount: number; greeting: string }>();
  /** Acknowledged packets that may still have shares. */
  readonly grabbable: string[] = [];
  readonly grabs = new Map<string, string>();
  readonly grabAmounts = new Map<string, number>();
  readonly campaigns = new Map<string, { name: string; budget: number; endsAt: number }>();
  readonly openCampaigns: string[] = [];
  readonly claimAmounts = new Map<string, number>();
  readonly deposits = new Map<string, number[]>();
  /**
   * Grabs and claims sent, by (target, user), told or not. A few are sent on purpose by
   * someone who already sent one: all but one of those must be refused.
   */
  readonly tried = new Map<string, number>();
  /** Operations without a definite answer yet. */
  limbo: Op[] = [];

  static grabKey(packetId: string, userId: string): string {
    return pair(packetId, userId);
  }

  /** Records a 2xx answer. Returns a breach when the answer itself contradicts the model. */
  acknowledge(op: Op, body: Record<string, unknown>): string | undefined {
    switch (op.kind) {
      case "deposit":
        this.deposits.set(op.userId, [...(this.deposits.get(op.userId) ?? []), op.amount as number]);
        return undefined;
      case "campaign": {
        const id = body.id as string;
        const endsAt = Date.parse(body.endsAt as string);
        this.campaigns.set(id, { name: op.tag as string, budget: body.budget as number, endsAt });
        this.openCampaigns.push(id);
        return undefined;
      }
      case "send": {
        const sent = body as { id: string; from: string; to: string; amount: number; memo: string; status: string };
        if (sent.status !== "pending" || sent.memo !== op.tag) return `send ${op.key} answered ${JSON.stringify(body)}`;
        this.transfers.set(sent.id, { from: sent.from, to: sent.to, amount: sent.amount, memo: sent.memo });
        this.openTransfers.push(sent.id);
        return undefined;
      }
      case "accept":
      case "decline": {
        const status = op.kind === "accept" ? "accepted" : "declined";
        if (body.status !== status) return `${op.kind} ${op.transferId} answered ${JSON.stringify(body)}`;
        this.answers.set(op.transferId as string, status);
        return undefined;
      }
      case "packet": {
        const id = body.id as string;
        this.packets.set(id, { sender: op.userId, amount: body.amount as number, greeting: op.tag as string });
        this.grabbable.push(id);
        return undefined;
      }
      case "grab": {
        const key = pair(op.packetId as string, op.userId);
        if (this.grabAmounts.has(key)) return `${op.userId} was answered a second grab of ${op.packetId}`;
        this.grabAmounts.set(key, body.amount as number);
        return undefined;
      }
      case "claim": {
        const key = pair(op.campaignId as string, op.userId);
        if (this.claimAmounts.has(key)) return `${op.userId} was answered a second claim on ${op.campaignId}`;
        this.claimAmounts.set(key, body.amount as number);
        return undefined;
      }
    }
  }

  /** Forgets the campaigns that ended by `now`: claims on them are pointless. */
  pruneCampaigns(now: number): void {
    for (let i = this.openCampaigns.length - 1; i >= 0; i--) {
      const campaign = this.campaigns.get(this.openCampaigns[i] as string);
      if (campaign !== undefined && campaign.endsAt <= now) this.openCampaigns.splice(i, 1);
    }
  }

  /** A definite refusal: what it tells about the target. */
  refuse(op: Op, code: string): void {
    if ((op.kind === "grab" && (code === "SOLD_OUT" || code === "EXPIRED")) || op.kind === "claim") {
      if (code === "SOLD_OUT" || code === "EXPIRED" || code === "ENDED" || code === "CAMPAIGN_NOT_FOUND") {
        const list = op.kind === "grab" ? this.grabbable : this.openCampaigns;
        const target = (op.kind === "grab" ? op.packetId : op.campaignId) as string;
        const index = list.indexOf(target);
        if (index >= 0) list.splice(index, 1);
      }
    }
  }

  /**
   * Checks the file (read after a kill, or with the server idle after every retry) against
   * the model. With `exact`, nothing may be in limbo and the file must hold exactly what was
   * acknowledged; otherwise what is in limbo may be there or not, but once at most.
   */
  checkFile(ledger: Ledger, checks: Checks, exact: boolean): void {
    if (exact) checks.expect(this.limbo.length === 0, () => `${this.limbo.length} operations still in limbo`);
    const limboTags = new Set(this.limbo.map((op) => op.tag).filter((tag) => tag !== undefined));
    const limboPairs = new Set(
      this.limbo.flatMap((op) =>
        op.kind === "grab"
          ? [pair(op.packetId as string, op.userId)]
          : op.kind === "claim"
            ? [pair(op.campaignId as string, op.userId)]
            : [],
      ),
    );
    this.#checkTransfers(ledger, checks, limboTags);
    this.#checkPackets(ledger, checks, limboTags, limboPairs);
    this.#checkCampaigns(ledger, checks, limboTags, limboPairs);
    this.#checkDeposits(ledger, checks);
  }

  #checkTransfers(ledger: Ledger, checks: Checks, limboTags: Set<string>): void {
    for (const [id, sent] of this.transfers) {
      const row = ledger.transfers.get(id);
      checks.expect(row !== undefined, () => `acknowledged transfer ${id} (${sent.memo}) is not in the file`);
      if (row === undefined) continue;
      checks.expect(
        row.from_user === sent.from && row.to_user === sent.to && row.amount === sent.amount && row.memo === sent.memo,
        () => `transfer ${id} in the file is not the one acknowledged`,
      );
      const answered = this.answers.get(id);
      if (answered !== undefined) {
        checks.expect(row.status === answered, () => `transfer ${id} acknowledged ${answered} is ${row.status}`);
      } else if (!this.answerTried.has(id)) {
        checks.expect(
          row.status === "pending" || row.status === "refunded",
          () => `transfer ${id} nobody answered is ${row.status}`,
        );
      }
    }
    for (const [memo, rows] of ledger.byMemo) {
      checks.expect(rows.length === 1, () => `one request (${memo}) made ${rows.length} transfers`);
      const id = rows[0]?.id as string;
      checks.expect(
        this.transfers.has(id) || limboTags.has(memo),
        () => `transfer ${id} (${memo}) is in the file, but nobody was told of it nor waits for it`,
      );
    }
  }

  #checkPackets(ledger: Ledger, checks: Checks, limboTags: Set<string>, limboPairs: Set<string>): void {
    checkNamedRows(
      checks,
      "packet",
      ledger.packets,
      (row) => row.greeting,
      limboTags,
      (id, row) => {
        const packet = this.packets.get(id);
        return packet !== undefined && row.sender === packet.sender && row.amount === packet.amount;
      },
    );
    for (const id of this.packets.keys()) {
      checks.expect(ledger.packets.has(id), () => `acknowledged packet ${id} is not in the file`);
    }
    for (const [key, amount] of this.grabAmounts) {
      const [packetId, userId] = key.split("|") as [string, string];
      const inFile = ledger.grabs.get(packetId)?.get(userId);
      checks.expect(inFile === amount, () => `acknowledged grab ${key} of ${amount} is ${inFile} in the file`);
    }
    for (const [packetId, byUser] of ledger.grabs) {
      for (const userId of byUser.keys()) {
        const key = pair(packetId, userId);
        checks.expect(
          this.grabAmounts.has(key) || limboPairs.has(key),
          () => `grab ${key} is in the file, but nobody was told of it nor waits for it`,
        );
      }
    }
  }

  #checkCampaigns(ledger: Ledger, checks: Checks, limboTags: Set<string>, limboPairs: Set<string>): void {
    checkNamedRows(
      checks,
      "campaign",
      ledger.campaigns,
      (row) => row.name,
      limboTags,
      (id, row) => {
        const campaign = this.campaigns.get(id);
        return campaign !== undefined && row.budget === campaign.budget && row.name === campaign.name;
      },
    );
    for (const id of this.campaigns.keys()) {
      checks.expect(ledger.campaigns.has(id), () => `acknowledged campaign ${id} is not in the file`);
    }
    for (const [key, amount] of this.claimAmounts) {
      const [campaignId, userId] = key.split("|") as [string, string];
      const inFile = ledger.claims.get(campaignId)?.get(userId);
      checks.expect(
        inFile !== undefined && inFile.length === 1 && inFile[0] === amount,
        () => `acknowledged claim ${key} of ${amount} is ${JSON.stringify(inFile)} in the file`,
      );
    }
    for (const [campaignId, byUser] of ledger.claims) {
      for (const [userId, amounts] of byUser) {
        const key = pair(campaignId, userId);
        checks.expect(amounts.length === 1, () => `${userId} claimed ${campaignId} ${amounts.length} times`);
        checks.expect(
          this.claimAmounts.has(key) || limboPairs.has(key),
          () => `claim ${key} is in the file, but nobody was told of it nor waits for it`,
        );
      }
    }
  }

  #checkDeposits(ledger: Ledger, checks: Checks): void {
    const limboDeposits = new Map<string, number[]>();
    for (const op of this.limbo) {
      if (op.kind === "deposit")
        limboDeposits.set(op.userId, [...(limboDeposits.get(op.userId) ?? []), op.amount as number]);
    }
    const users = new Set([...this.deposits.keys(), ...ledger.deposits.keys()]);
    for (const userId of users) {
      // Every acknowledged deposit once, and besides them at most the ones in limbo, each once.
      const inFile = [...(ledger.deposits.get(userId) ?? [])];
      const told = this.deposits.get(userId) ?? [];
      const missing = told.filter((amount) => {
        const index = inFile.indexOf(amount);
        if (index < 0) return true;
        inFile.splice(index, 1);
        return false;
      });
      checks.expect(missing.length === 0, () => `acknowledged deposits ${missing} to ${userId} are not in the file`);
      const waiting = [...(limboDeposits.get(userId) ?? [])];
      const unexplained = inFile.filter((amount) => {
        const index = waiting.indexOf(amount);
        if (index < 0) return true;
        waiting.splice(index, 1);
        return false;
      });
      checks.expect(
        unexplained.length === 0,
        () => `deposits ${unexplained} to ${userId} are in the file, but nobody was told of them nor waits for them`,
      );
    }
  }
}

/**
 * Rows a request names by a tag made from its key (a packet's greeting, a campaign's name):
 * one row per request at most; each row either acknowledged (and then as acknowledged,
 * `asAcknowledged`) or still waiting for its answer.
 */
function checkNamedRows<Row>(
  checks: Checks,
  what: string,
  rows: Map<string, Row>,
  tagOf: (row: Row) => string,
  limboTags: Set<string>,
  asAcknowledged: (id: string, row: Row) => boolean,
): void {
  const perTag = new Map<string, number>();
  for (const [id, row] of rows) {
    const tag = tagOf(row);
    perTag.set(tag, (perTag.get(tag) ?? 0) + 1);
    checks.expect(
      asAcknowledged(id, row) || limboTags.has(tag),
      () => `${what} ${id} (${tag}) is in the file, but not as acknowledged, nor waiting for its answer`,
    );
  }
  for (const [tag, count] of perTag) checks.expect(count === 1, () => `one request (${tag}) made ${count} ${what}s`);
}

/**
 * With the test clock: every transfer whose 24 h passed before the last acknowledged clock
 * move is no longer pending, and every packet whose expiry passed is no longer active (the
 * exactly-once of each refund is checked with the postings, in checkLedger).
 */
export function checkDue(
  dbPath: string,
  clockAcknowledgedAt: number,
  checks: Checks,
): { refunded: number; expired: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const overdueTransfers = db
      .prepare("SELECT COUNT(*) FROM transfers WHERE status = 'pending' AND refund_at <= ?")
      .pluck()
      .get(clockAcknowledgedAt) as number;
    checks.expect(overdueTransfers === 0, () => `${overdueTransfers} transfers are pending past their refund time`);
    const overduePackets = db
      .prepare("SELECT COUNT(*) FROM red_packets WHERE status = 'active' AND expires_at <= ?")
      .pluck()
      .get(clockAcknowledgedAt) as number;
    checks.expect(overduePackets === 0, () => `${overduePackets} packets are active past their expiry`);
    return {
      refunded: db.prepare("SELECT COUNT(*) FROM transfers WHERE status = 'refunded'").pluck().get() as number,
      expired: db.prepare("SELECT COUNT(*) FROM red_packets WHERE status = 'expired'").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}
