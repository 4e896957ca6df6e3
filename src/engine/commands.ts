import type { Fen } from "../domain/money.js";
import type { Transfer, TransferAnswer, TransferRequest } from "../domain/transfer.js";
import type { UserRecord } from "./store-port.js";

/** What the engine can be asked to do; each kind has one result type below. */
export type Command =
  | { readonly type: "createUser"; readonly id: string; readonly phone: string; readonly name: string }
  | { readonly type: "deposit"; readonly userId: string; readonly amount: Fen }
  | { readonly type: "sendTransfer"; readonly request: Omit<TransferRequest, "id"> }
  | {
      readonly type: "answerTransfer";
      readonly transferId: string;
      readonly by: string;
      readonly answer: TransferAnswer;
    }
  /** Does nothing but wait for the next batch: due timers run in it. */
  | { readonly type: "tick" };

export interface CommandResults {
  createUser: UserRecord;
  deposit: { readonly userId: string; readonly amount: Fen; readonly balance: Fen };
  sendTransfer: Transfer;
  answerTransfer: Transfer;
  tick: { readonly at: number };
}

export type CommandOf<K extends Command["type"]> = Extract<Command, { type: K }>;

/** A deposit tops up a wallet from `funding`; this bounds a single one. */
export const DEPOSIT_MAX: Fen = 100_000_000_00;
