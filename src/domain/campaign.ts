import { campaignAccount, FUNDING } from "./accounts.js";
import { type ErrorCode, fail, ok, type Result } from "./errors.js";
import { move, type Posting } from "./ledger.js";
import type { Fen } from "./money.js";
import type { RandomInt } from "./split.js";
import { DAY_MS, type Instant } from "./time.js";

/** Platform red packets: a budget, an amount rule, a time window and a per-user limit. */
export type AmountRule = { readonly fixed: Fen } | { readonly min: Fen; readonly max: Fen };

export const CAMPAIGN_AMOUNT_MAX: Fen = 20_000;
export const CAMPAIGN_BUDGET_MAX: Fen = 10 ** 12;
export const CAMPAIGN_PER_USER_LIMIT_MAX = 100;
export const CAMPAIGN_LENGTH_MS_MAX = 31 * DAY_MS;

/** A campaign: what was asked for, and what became of it. */
export interface Campaign extends CampaignRequest {
  readonly createdAt: Instant;
  readonly status: "open" | "ended";
  /** The unspent budget that went back to funding when the campaign ended. */
  readonly returned: Fen;
  /** Set while an operator holds the campaign: claims are refused with CAMPAIGN_PAUSED. */
  readonly pausedAt: Instant | null;
  /** When an operator closed the campaign before its end; null when it ran its course. */
  readonly closedAt: Instant | null;
}

export interface CampaignRequest {
  readonly id: string;
  readonly name: string;
  readonly budget: Fen;
  readonly amount: AmountRule;
  readonly startsAt: Instant;
  readonly endsAt: Instant;
  readonly perUserLimit: number;
}

export function createCampaign(
  request: CampaignRequest,
  at: Instant,
): Result<{ campaign: Campaign; posting: Posting }> {
  const { budget, amount, startsAt, endsAt, perUserLimit } = request;
  if (budget < 1 || budget > CAMPAIGN_BUDGET_MAX) {
    return fail(budget < 1 ? "AMOUNT_BELOW_MIN" : "AMOUNT_ABOVE_MAX", `a budget is 1 to ${CAMPAIGN_BUDGET_MAX} fen`, {
      cap: "budget",
      limit: budget < 1 ? 1 : CAMPAIGN_BUDGET_MAX,
    });
  }
  const [low, high] = "fixed" in amount ? [amount.fixed, amount.fixed] : [amount.min, amount.max];
  if (low < 1 || high > CAMPAIGN_AMOUNT_MAX || low > high) {
    return fail("BAD_AMOUNT_RULE", `a claim is 1 to ${CAMPAIGN_AMOUNT_MAX} fen, with min ≤ max`, {
      limit: CAMPAIGN_AMOUNT_MAX,
    });
  }
  if (high > budget) return fail("BAD_AMOUNT_RULE", "a claim cannot be larger than the budget");
  if (perUserLimit < 1 || perUserLimit > CAMPAIGN_PER_USER_LIMIT_MAX) {
    return fail("VALIDATION_FAILED", `perUserLimit is 1 to ${CAMPAIGN_PER_USER_LIMIT_MAX}`);
  }
  if (endsAt <= startsAt || endsAt <= at)
    return fail("BAD_WINDOW", "a campaign ends after it starts, and in the future");
  if (endsAt - startsAt > CAMPAIGN_LENGTH_MS_MAX) return fail("BAD_WINDOW", "a campaign runs 31 days at most");
  return ok({
    campaign: { ...request, createdAt: at, status: "open", returned: 0, pausedAt: null, closedAt: null },
    posting: { kind: "campaign.fund", ref: request.id, at, legs: move(FUNDING, campaignAccount(request.id), budget) },
  });
}

/** Why a user may not claim now, or undefined when a claim may be drawn. */
export function claimRefusal(
  campaign: Campaign,
  userClaims: number,
  unreserved: Fen,
  at: Instant,
): Result<never> | undefined {
  if (at < campaign.startsAt)
    return fail("NOT_STARTED", "the campaign has not started yet", { startsAt: campaign.startsAt });
  if (campaign.status === "ended" || at >= campaign.endsAt) return ENDED;
  if (campaign.pausedAt !== null) return PAUSED;
  if (userClaims >= campaign.perUserLimit) return ALREADY_CLAIMED;
  if (unreserved < amountFloor(campaign.amount, unreserved)) return SOLD_OUT;
  return undefined;
}

/**
 * The refusal a claim gets whoever asks (sold out, ended), or undefined: it needs no token,
 * so a crowd's late arrivals can be answered before any is checked.
 */
export function refusalForAnyone(campaign: Campaign, unreserved: Fen, at: Instant): Result<never> | undefined {
  const refusal = claimRefusal(campaign, 0, unreserved, at);
  if (refusal === undefined || refusal.ok) return undefined;
  return refusal === SOLD_OUT || refusal === ENDED ? refusal : undefined;
}

// The refusals a crowd hears a million times are the same objects each time, so the answer
// rendered for one can be reused for all (see api/claim.ts).
const ENDED = constantRefusal("ENDED", "the campaign has ended");
const ALREADY_CLAIMED = constantRefusal("ALREADY_CLAIMED", "you have already claimed this campaign");
const PAUSED = constantRefusal("CAMPAIGN_PAUSED", "the campaign is paused by its operator; it may resume");
const SOLD_OUT = constantRefusal("SOLD_OUT", "手慢了，红包派完了 (the budget is spent)");

function constantRefusal(code: ErrorCode, message: string): Result<never> {
  return Object.freeze({ ok: false, error: Object.freeze({ code, message }) });
}

/** True when what is left of a budget cannot pay one more claim. */
export function isSoldOut(campaign: Campaign, left: Fen): boolean {
  return left < amountFloor(campaign.amount, left);
}

/**
 * The smallest claim the rule still pays from what is left: a fixed amount needs all of it;
 * a random rule pays out the last fen (the last claim gets what is left, even below min),
 * so its budget is spent exactly.
 */
function amountFloor(rule: AmountRule, unreserved: Fen): Fen {
  if ("fixed" in rule) return rule.fixed;
  return unreserved > 0 ? 1 : Number.POSITIVE_INFINITY;
}

/** Draws a claim's amount, never more than what is left unreserved. */
export function drawClaim(rule: AmountRule, unreserved: Fen, randomInt: RandomInt): Fen {
  if ("fixed" in rule) return rule.fixed;
  return Math.min(rule.min + randomInt(rule.max - rule.min + 1), unreserved);
}

/** One posting pays every claim of a batch: the budget account is debited once. */
export function claimsPosting(
  campaignId: string,
  claims: readonly { userId: string; amount: Fen }[],
  at: Instant,
): Posting {
  let total = 0;
  for (const claim of claims) total += claim.amount;
  return {
    kind: "campaign.claim",
    ref: campaignId,
    at,
    legs: [
      { account: campaignAccount(campaignId), amount: -total },
      ...claims.map((claim) => ({ account: claim.userId, amount: claim.amount })),
    ],
  };
}

/** At its end a campaign returns what nobody claimed to funding. */
export function endCampaign(
  campaign: Campaign,
  unreserved: Fen,
  at: Instant,
): { campaign: Campaign; posting: Posting | null } {
  return {
    campaign: { ...campaign, status: "ended", returned: unreserved },
    posting:
      unreserved === 0
        ? null
        : {
            kind: "campaign.return",
            ref: campaign.id,
            at,
            legs: move(campaignAccount(campaign.id), FUNDING, unreserved),
          },
  };
}

/**
 * A claim reserved before its campaign ended and given back after (it waited too long for
 * its batch): its amount goes back to funding like the rest of the unspent budget.
 */
export function returnReleasedClaim(
  campaign: Campaign,
  amount: Fen,
  at: Instant,
): { campaign: Campaign; posting: Posting } {
  return {
    campaign: { ...campaign, returned: campaign.returned + amount },
    posting: {
      kind: "campaign.return",
      ref: campaign.id,
      at,
      legs: move(campaignAccount(campaign.id), FUNDING, amount),
    },
  };
}

/** An operator holds a running campaign: claims are refused until it resumes; its end still comes. */
export function pauseCampaign(campaign: Campaign, at: Instant): Result<Campaign> {
  if (campaign.status === "ended") return ENDED;
  if (campaign.pausedAt !== null) return ok(campaign);
  return ok({ ...campaign, pausedAt: at });
}

export function resumeCampaign(campaign: Campaign): Result<Campaign> {
  if (campaign.status === "ended") return ENDED;
  if (campaign.pausedAt === null) return fail("CAMPAIGN_NOT_PAUSED", "the campaign is not paused");
  return ok({ ...campaign, pausedAt: null });
}

/**
 * An operator ends a campaign before its time: what nobody has claimed goes back to funding
 * now, in the same posting an end returns it with. A second close finds it ended.
 */
export function closeCampaign(
  campaign: Campaign,
  unreserved: Fen,
  at: Instant,
): Result<{ campaign: Campaign; posting: Posting | null }> {
  if (campaign.status === "ended") return ENDED;
  const ended = endCampaign({ ...campaign, closedAt: at }, unreserved, at);
  return ok(ended);
}
