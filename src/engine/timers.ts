import { endCampaign } from "../domain/campaign.js";
import { expirePacket } from "../domain/red-packet.js";
import type { Instant } from "../domain/time.js";
import { refundTransfer } from "../domain/transfer.js";
import { invariant } from "./invariant.js";
import type { LedgerState, TimerKind } from "./ledger-state.js";
import type { Batch } from "./store-port.js";

/**
 * Runs the timers due by `at` into the batch, at most `timersMax` of them (the rest follow
 * in the next batch). Every kind comes off one heap in due order: refunds of unanswered
 * transfers, expiries of unopened packets, campaign starts and ends. Returns how many of
 * each kind fired.
 */
export function runDueTimers(state: LedgerState, at: Instant, batch: Batch, timersMax: number): Map<TimerKind, number> {
  const fired = new Map<TimerKind, number>();
  for (let n = 0; n < timersMax; n++) {
    const due = state.nextDueTimer(at);
    if (due === undefined) break;
    fired.set(due.kind, (fired.get(due.kind) ?? 0) + 1);
    switch (due.kind) {
      case "refund": {
        const refund = refundTransfer(due.transfer, at);
        if (refund === null) break;
        const posted = state.post(refund.posting, batch);
        invariant(posted.ok, "escrow cannot refund a transfer", { transferId: due.transfer.id });
        state.putTransfer(refund.transfer, batch, at);
        break;
      }
      case "expiry": {
        const expiry = expirePacket(due.packet, at);
        if (expiry === null) break;
        if (expiry.posting !== null) {
          const posted = state.post(expiry.posting, batch);
          invariant(posted.ok, "escrow cannot refund a packet", { packetId: due.packet.id });
        }
        state.putPacket(expiry.packet, batch, false, at);
        break;
      }
      case "campaignStart":
        // No money moves at a start; it is a timer so that whatever waits for the instant
        // (claims before it are refused from memory by the clock) is woken by the same heap,
        // and campaign.started goes out with the first batch at or after it.
        state.announceStart(due.campaign, at, batch);
        break;
      case "campaignEnd": {
        const open = due.campaign;
        const ended = endCampaign(open.campaign, open.unreserved, at);
        if (ended.posting !== null) {
          const posted = state.post(ended.posting, batch);
          invariant(posted.ok, "a campaign cannot return its budget", { campaignId: open.campaign.id });
        }
        state.endCampaign(open, ended.campaign, batch, at);
        break;
      }
    }
  }
  return fired;
}
