import { type Campaign, claimRefusal, refusalForAnyone } from "../domain/campaign.js";
import type { Result } from "../domain/errors.js";
import type { Instant } from "../domain/time.js";
import type { Fact } from "../wire/messages.js";
import { PacketView } from "./packet-view.js";

/** Users remembered as having claimed, across campaigns, at most; past it the writer is asked. */
export const CLAIMERS_MAX = 1_000_000;
/** Campaigns remembered at most; past it the oldest are forgotten (and asked about). */
export const CAMPAIGNS_MAX = 10_000;

interface Known {
  campaign: Campaign;
  /** Committed claims' total: it only grows, so the budget left only shrinks. */
  claimedAmount: number;
  /** Committed claims per user, for those the view still has room for. */
  readonly claims: Map<string, number>;
}

/**
 * An edge's view of the writer's state, fed by facts after each commit (src/wire/messages.ts).
 * Every fact only goes from false to true, so the view can lag but never run ahead: a refusal
 * it gives (ended, not started, already claimed, sold out) the writer would give too, and
 * anything it does not know yet it leaves to the writer. Memory is bounded by the caps above.
 */
export class StateView {
  readonly #campaigns = new Map<string, Known>();
  readonly #claimersMax: number;
  readonly #campaignsMax: number;
  #claimers = 0;

  /** Red packets, their grabbers and groups' members (src/edge/packet-view.ts). */
  readonly packets: PacketView;

  constructor(
    options: {
      claimersMax?: number;
      campaignsMax?: number;
      packets?: ConstructorParameters<typeof PacketView>[0];
    } = {},
  ) {
    this.#claimersMax = options.claimersMax ?? CLAIMERS_MAX;
    this.#campaignsMax = options.campaignsMax ?? CAMPAIGNS_MAX;
    this.packets = new PacketView(options.packets);
  }

  /** Forgets everything: a new connection starts from the writer's snapshot. */
  reset(): void {
    this.#campaigns.clear();
    this.#claimers = 0;
    this.packets.reset();
  }

  get claimers(): number {
    return this.#claimers;
  }

  get campaigns(): number {
    return this.#campaigns.size;
  }

  apply(facts: readonly Fact[]): void {
    for (const fact of facts) {
      if (fact.k === "campaign") this.#learnCampaign(fact.campaign, fact.claimedAmount);
      else if (fact.k === "claims") this.#learnClaims(fact.c, fact.users, fact.amount);
      else this.packets.apply(fact);
    }
  }

  #learnCampaign(campaign: Campaign, claimedAmount: number): void {
    const known = this.#campaigns.get(campaign.id);
    if (known === undefined) {
      if (this.#campaigns.size >= this.#campaignsMax) this.#forgetOldest();
      this.#campaigns.set(campaign.id, { campaign, claimedAmount: Math.max(0, claimedAmount), claims: new Map() });
      return;
    }
    // An ended campaign stays ended, whatever order facts come in.
    if (known.campaign.status !== "ended") known.campaign = campaign;
    known.claimedAmount = Math.max(known.claimedAmount, claimedAmount);
  }

  #learnClaims(campaignId: string, users: readonly string[], amount: number): void {
    const known = this.#campaigns.get(campaignId);
    if (known === undefined) return; // the campaign's own fact comes first; without it the writer is asked
    known.claimedAmount += amount;
    for (const user of users) {
      const before = known.claims.get(user);
      if (before !== undefined) known.claims.set(user, before + 1);
      else if (this.#claimers < this.#claimersMax) {
        known.claims.set(user, 1);
        this.#claimers += 1;
      }
    }
  }

  #forgetOldest(): void {
    const oldest = this.#campaigns.keys().next();
    if (oldest.done === true) return;
    this.#claimers -= this.#campaigns.get(oldest.value)?.claims.size ?? 0;
    this.#campaigns.delete(oldest.value);
  }

  /** Whether the view has heard of the campaign (else its claims' refusals are the writer's to say). */
  knows(campaignId: string): boolean {
    return this.#campaigns.has(campaignId);
  }

  /**
   * The refusal the writer would give a claim, or undefined when the view cannot be sure (the
   * writer is asked). Only what was committed counts, so a claim the writer is still deciding
   * never makes the view refuse. Without `now` (the edge's clock follows a test clock it may
   * not have caught up with) refusals that depend on the time are left to the writer.
   */
  claimRefusal(campaignId: string, userId: string, now: Instant | undefined): Result<never> | undefined {
    const known = this.#campaigns.get(campaignId);
    // A pause is undone by a resume: the view may lag behind either, so the writer judges paused campaigns.
    if (known === undefined || known.campaign.pausedAt !== null) return undefined;
    const left = known.campaign.budget - known.claimedAmount;
    return claimRefusal(known.campaign, known.claims.get(userId) ?? 0, left, now ?? known.campaign.startsAt);
  }

  /** Sold out or ended, as committed: the writer would refuse anyone so, token or not (else undefined). */
  refusalForAnyone(campaignId: string, now: Instant | undefined): Result<never> | undefined {
    const known = this.#campaigns.get(campaignId);
    if (known === undefined || known.campaign.pausedAt !== null) return undefined;
    const left = known.campaign.budget - known.claimedAmount;
    return refusalForAnyone(known.campaign, left, now ?? known.campaign.startsAt);
  }
}
