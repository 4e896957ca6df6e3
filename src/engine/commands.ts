import type { Campaign, CampaignRequest } from "../domain/campaign.js";
import type { Group } from "../domain/group.js";
import type { Fen } from "../domain/money.js";
import type { Grab, RedPacket, SendPacketRequest } from "../domain/red-packet.js";
import type { Transfer, TransferAnswer, TransferRequest } from "../domain/transfer.js";
import type { UserRecord } from "./store-port.js";

/** What the engine can be asked to do; each kind has one result type below. */
export type Command =
  | { readonly type: "createUser"; readonly id: string; readonly phone: string; readonly name: string }
  /** Many users at once (an operator's import, a load test's crowd): all are created or none. */
  | {
      readonly type: "createUsers";
      readonly users: readonly { readonly id: string; readonly phone: string; readonly name: string }[];
    }
  | { readonly type: "deposit"; readonly userId: string; readonly amount: Fen }
  | { readonly type: "sendTransfer"; readonly request: Omit<TransferRequest, "id"> }
  | {
      readonly type: "answerTransfer";
      readonly transferId: string;
      readonly by: string;
      readonly answer: TransferAnswer;
    }
  | {
      readonly type: "createGroup";
      readonly id: string;
      readonly owner: string;
      readonly name: string;
      readonly memberIds: readonly string[];
    }
  | { readonly type: "sendPacket"; readonly request: Omit<SendPacketRequest, "id"> }
  | {
      readonly type: "grabPacket";
      readonly packetId: string;
      readonly userId: string;
      readonly password: string | null;
    }
  | { readonly type: "acknowledgeLoan"; readonly transferId: string; readonly by: string }
  /** The sender takes back a transfer not yet answered. */
  | { readonly type: "cancelTransfer"; readonly transferId: string; readonly by: string }
  /** Money out of a wallet to funding, the product's payout rail. */
  | { readonly type: "withdraw"; readonly userId: string; readonly amount: Fen }
  | { readonly type: "pauseCampaign"; readonly campaignId: string }
  | { readonly type: "resumeCampaign"; readonly campaignId: string }
  /** Ends a campaign now; its unspent budget goes back to funding in the same batch. */
  | { readonly type: "closeCampaign"; readonly campaignId: string }
  | { readonly type: "createCampaign"; readonly request: Omit<CampaignRequest, "id"> }
  /** A campaign claim: decided against memory when it is taken, made durable in the next batch. */
  | { readonly type: "claim"; readonly campaignId: string; readonly userId: string }
  /** An operator's special day; the rule is validated by the calendar. */
  | { readonly type: "addSpecialDay"; readonly rule: unknown }
  /** Does nothing but wait for the next batch: due timers run in it. */
  | { readonly type: "tick" };

export interface CommandResults {
  createUser: UserRecord;
  createUsers: { readonly created: number };
  deposit: { readonly userId: string; readonly amount: Fen; readonly balance: Fen };
  sendTransfer: Transfer;
  answerTransfer: Transfer;
  createGroup: Group;
  sendPacket: RedPacket;
  grabPacket: { readonly packet: RedPacket; readonly grab: Grab };
  acknowledgeLoan: Transfer;
  cancelTransfer: Transfer;
  withdraw: Withdrawal;
  pauseCampaign: CampaignControl;
  resumeCampaign: CampaignControl;
  closeCampaign: CampaignControl;
  addSpecialDay: { readonly rule: unknown };
  createCampaign: Campaign;
  claim: { readonly campaignId: string; readonly amount: Fen; readonly n: number };
  tick: { readonly at: number };
}

/** A payout: its id is the ref of its posting, which is its record. */
export interface Withdrawal {
  readonly id: string;
  readonly userId: string;
  readonly amount: Fen;
  /** The wallet's balance right after it. */
  readonly balance: Fen;
  readonly at: number;
}

/** A campaign after an operator's control, with the live counts its view shows. */
export interface CampaignControl {
  readonly campaign: Campaign;
  readonly claimedCount: number;
  readonly claimedAmount: Fen;
  readonly unreserved: Fen;
}

export type CommandOf<K extends Command["type"]> = Extract<Command, { type: K }>;

/** A deposit tops up a wallet from `funding`; this bounds a single one. */
export const DEPOSIT_MAX: Fen = 100_000_000_00;
