import { type AccountId, mayGoNegative } from "./accounts.js";
import { type DomainError, fail, ok, type Result } from "./errors.js";
import { assertFen, type Fen, formatYuan } from "./money.js";

/** One side of a posting: `amount` is added to the account's balance (negative takes money out). */
export interface Leg {
  readonly account: AccountId;
  readonly amount: Fen;
}

export type PostingKind =
  | "deposit"
  | "transfer.send"
  | "transfer.accept"
  | "transfer.decline"
  | "transfer.refund"
  | "transfer.cancel"
  | "withdrawal"
  | "packet.send"
  | "packet.grab"
  | "packet.refund"
  | "campaign.fund"
  | "campaign.claim"
  | "campaign.return";

/** A balanced movement of money: its legs sum to zero. */
export interface Posting {
  readonly kind: PostingKind;
  /** The business object the posting belongs to, e.g. a transfer id. */
  readonly ref: string;
  readonly at: number;
  readonly legs: readonly Leg[];
}

/** The largest balance any account may hold, far below 2^53 so sums never lose precision. */
export const BALANCE_ABS_MAX: Fen = 10 ** 15;

export function move(from: AccountId, to: AccountId, amount: Fen): Leg[] {
  return [
    { account: from, amount: -amount },
    { account: to, amount },
  ];
}

export function isBalanced(legs: readonly Leg[]): boolean {
  let sum = 0;
  for (const leg of legs) sum += leg.amount;
  return sum === 0;
}

/** Programmer-error guard, checked before a posting is applied and again when it is read back. */
export function assertBalanced(posting: Posting): void {
  if (posting.legs.length < 2) throw new Error(`posting ${posting.kind} ${posting.ref} has fewer than two legs`);
  for (const leg of posting.legs) assertFen(leg.amount, `leg of ${posting.kind}`);
  if (!isBalanced(posting.legs)) throw new Error(`posting ${posting.kind} ${posting.ref} does not balance`);
}

export type BalanceOf = (account: AccountId) => Fen;

/**
 * Computes the balances a posting leaves behind, or why it may not happen. Pure: it
 * reads balances through `balanceOf` and returns the new values for the caller to apply.
 */
export function postingEffect(posting: Posting, balanceOf: BalanceOf): Result<Map<AccountId, Fen>> {
  assertBalanced(posting);
  const after = new Map<AccountId, Fen>();
  for (const leg of posting.legs) {
    const before = after.get(leg.account) ?? balanceOf(leg.account);
    after.set(leg.account, before + leg.amount);
  }
  for (const [account, balance] of after) {
    if (balance < 0 && !mayGoNegative(account)) {
      return fail("INSUFFICIENT_FUNDS", insufficientMessage(account, balanceOf(account)), {
        account: account.startsWith("usr_") ? "wallet" : account,
      });
    }
    if (Math.abs(balance) > BALANCE_ABS_MAX) {
      return fail("BALANCE_LIMIT", `the balance would pass the ledger's limit of ${BALANCE_ABS_MAX} fen`);
    }
  }
  return ok(after);
}

function insufficientMessage(account: AccountId, balance: Fen): string {
  return account.startsWith("usr_")
    ? `the wallet holds ${formatYuan(balance)} yuan, not enough for this`
    : `account ${account} holds too little for this`;
}

export function errorOf<T>(result: Result<T>): DomainError | undefined {
  return result.ok ? undefined : result.error;
}
