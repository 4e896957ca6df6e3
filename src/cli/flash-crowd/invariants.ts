/**
 * What must hold after a crowd, checked over the public API against what the crowd was told:
 * the campaign's own counts against the 200s and amounts the users received, the budget, one
 * 200 per user at most, a definite answer for everyone, and a ledger that sums to zero.
 */
import type { CrowdLoad } from "./load.js";
import type { AmountRule } from "./options.js";
import { apiCall } from "./setup.js";
import { KIND, UNANSWERED } from "./stats.js";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CampaignFacts {
  readonly id: string;
  readonly budget: number;
  readonly shares: number;
  readonly amount: AmountRule;
}

export interface Tally {
  /** Users by final outcome. */
  readonly claimed: number;
  readonly alreadyClaimed: number;
  readonly soldOut: number;
  readonly notStarted: number;
  readonly ended: number;
  readonly busy: number;
  readonly otherHttp: number;
  readonly network: number;
  readonly unanswered: number;
  /** Users who got more than one 200. */
  readonly doubleClaims: number;
  /** All 200 answers (over all users and attempts). */
  readonly oks: number;
}

/** Counts users by final outcome, from the per-user arrays. */
export function tally(load: CrowdLoad): Tally {
  const byOutcome = new Array<number>(UNANSWERED + 1).fill(0);
  let doubleClaims = 0;
  let oks = 0;
  for (let user = 0; user < load.outcome.length; user++) {
    byOutcome[load.outcome[user] as number] = (byOutcome[load.outcome[user] as number] as number) + 1;
    const count = load.oks[user] as number;
    oks += count;
    if (count > 1) doubleClaims++;
  }
  const of = (kind: number) => byOutcome[kind + 1] as number;
  return {
    claimed: of(KIND.claimed),
    alreadyClaimed: of(KIND.alreadyClaimed),
    soldOut: of(KIND.soldOut),
    notStarted: of(KIND.notStarted),
    ended: of(KIND.ended),
    busy: of(KIND.busy),
    otherHttp: of(KIND.otherHttp),
    network: of(KIND.network),
    unanswered: byOutcome[UNANSWERED] as number,
    doubleClaims,
    oks,
  };
}

const n = (value: number) => value.toLocaleString("en-US");

export async function checkInvariants(
  base: string,
  adminToken: string,
  campaign: CampaignFacts,
  users: number,
  counts: Tally,
  amountSum: number,
): Promise<Check[]> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const view = await apiCall(base, "GET", `/v1/campaigns/${campaign.id}`, adminToken);
  if (view.status !== 200) {
    check("the campaign can be read", false, `GET /v1/campaigns/${campaign.id}: HTTP ${view.status}`);
  } else {
    const { claimedCount, claimedAmount } = view.json as { claimedCount: number; claimedAmount: number };
    const fixed = "fixed" in campaign.amount;
    check(
      "claimedCount equals the number of 200 answers",
      claimedCount === counts.oks,
      `claimedCount ${n(claimedCount)}, 200 answers ${n(counts.oks)}`,
    );
    if (fixed) {
      check(
        "claimedCount ≤ shares",
        claimedCount <= campaign.shares,
        `claimedCount ${n(claimedCount)}, shares ${n(campaign.shares)}`,
      );
    }
    check(
      "claimedAmount ≤ budget",
      claimedAmount <= campaign.budget,
      `claimedAmount ${n(claimedAmount)}, budget ${n(campaign.budget)} fen`,
    );
    check(
      "claimedAmount equals the sum of the amounts answered",
      claimedAmount === amountSum,
      `claimedAmount ${n(claimedAmount)}, answered ${n(amountSum)} fen`,
    );
    // With at least as many users as shares (fixed), or once anyone heard "sold out" (either
    // rule: a random rule pays out the last fen), every fen of the budget is claimed.
    const exhausted = counts.soldOut > 0 || (fixed && users >= campaign.shares);
    if (exhausted) {
      check(
        "claimedAmount equals the budget exactly",
        claimedAmount === campaign.budget,
        `claimedAmount ${n(claimedAmount)}, budget ${n(campaign.budget)} fen` +
          (counts.soldOut > 0 ? `; ${n(counts.soldOut)} heard sold out` : ""),
      );
    }
  }
  check("no user got two 200s", counts.doubleClaims === 0, `${n(counts.doubleClaims)} users with more than one 200`);
  const indefinite = users - counts.claimed - counts.alreadyClaimed - counts.soldOut;
  const parts = [
    ["busy after every retry", counts.busy],
    ["network error", counts.network],
    ["no definite answer by the deadline", counts.unanswered],
    ["not started", counts.notStarted],
    ["ended", counts.ended],
    ["other answer", counts.otherHttp],
  ] as const;
  check(
    "every user holds a definite answer (claimed, already claimed or sold out)",
    indefinite === 0,
    indefinite === 0
      ? `${n(users)} of ${n(users)}`
      : `${n(indefinite)} without one: ${parts
          .filter(([, count]) => count > 0)
          .map(([label, count]) => `${n(count)} ${label}`)
          .join(", ")}`,
  );
  const ledger = await apiCall(base, "GET", "/v1/admin/ledger", adminToken);
  if (ledger.status !== 200) check("ledger balanceSum == 0", false, `GET /v1/admin/ledger: HTTP ${ledger.status}`);
  else {
    const { balanceSum, funding, escrow } = ledger.json as { balanceSum: number; funding: number; escrow: number };
    check(
      "ledger balanceSum == 0",
      balanceSum === 0,
      `balanceSum ${n(balanceSum)} (funding ${n(funding)}, escrow ${n(escrow)})`,
    );
  }
  return checks;
}
