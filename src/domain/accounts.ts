/**
 * Account ids. A user's wallet account is the user id itself (`usr_…`); platform accounts
 * are `funding` (money entering and leaving the system, the only account that may go
 * negative), `escrow` (money inside unopened packets and pending transfers) and
 * `campaign:<id>` (a campaign's budget).
 */
export type AccountId = string;

export const FUNDING: AccountId = "funding";
export const ESCROW: AccountId = "escrow";

export type AccountKind = "user" | "funding" | "escrow" | "campaign";

export function campaignAccount(campaignId: string): AccountId {
  return `campaign:${campaignId}`;
}

export function accountKind(account: AccountId): AccountKind {
  if (account === FUNDING) return "funding";
  if (account === ESCROW) return "escrow";
  if (account.startsWith("campaign:")) return "campaign";
  if (account.startsWith("usr_")) return "user";
  throw new Error(`unknown account: ${account}`);
}

/** Only the funding account is allowed below zero; it mirrors money that entered the system. */
export function mayGoNegative(account: AccountId): boolean {
  return account === FUNDING;
}
