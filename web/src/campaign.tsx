import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, call, session } from "./api.js";
import { type Key, t } from "./i18n.js";
import { yuan } from "./money.js";
import { duration, ErrorLine, Title, useTick } from "./ui.js";

export interface Campaign {
  id: string;
  name: string;
  budget: number;
  startsAt: string;
  endsAt: string;
  status: string;
  claimedCount: number;
  claimedAmount: number;
  remainingBudget: number;
}

type Answer =
  | { kind: "claimed"; amount: number }
  | { kind: "final"; key: Key }
  | { kind: "wait"; untilMs: number; position: number | null };

const FINAL: Record<string, Key> = {
  SOLD_OUT: "campaignSoldOut",
  ALREADY_CLAIMED: "alreadyClaimed",
  CAMPAIGN_ENDED: "ended",
  ENDED: "ended",
  NOT_STARTED: "notStarted",
};

export function CampaignPage({ id }: { id: string }) {
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const ticket = useRef<string | null>(null);
  const now = useTick(250);

  useEffect(() => {
    call<Campaign>("GET", `/v1/campaigns/${id}`).then(setCampaign).catch(setError);
  }, [id]);

  async function claim() {
    setError(null);
    try {
      const claimed = await call<{ amount: number }>("POST", `/v1/campaigns/${id}/claim`, {
        headers: ticket.current ? { "queue-ticket": ticket.current } : {},
      });
      setAnswer({ kind: "claimed", amount: claimed.amount });
    } catch (e) {
      if (!(e instanceof ApiError)) return setError(e);
      const final = FINAL[e.code];
      if (final) return setAnswer({ kind: "final", key: final });
      if (e.retryAfterS !== null) {
        const body = e.body as { ticket?: string; position?: number };
        if (typeof body.ticket === "string") ticket.current = body.ticket;
        // Honour Retry-After: the button stays off until then, and the claim is retried once, then.
        setAnswer({ kind: "wait", untilMs: Date.now() + e.retryAfterS * 1000, position: body.position ?? null });
        return;
      }
      if (e.code === "CAMPAIGN_NOT_STARTED" || e.status === 425) return setAnswer({ kind: "final", key: "notStarted" });
      setError(e);
    }
  }

  const waiting = answer?.kind === "wait" && answer.untilMs > now;
  useEffect(() => {
    if (answer?.kind !== "wait") return;
    const timer = setTimeout(claim, Math.max(0, answer.untilMs - Date.now()));
    return () => clearTimeout(timer);
  }, [answer]);

  const startsInMs = campaign ? Date.parse(campaign.startsAt) - now : 0;
  return (
    <section class="campaign">
      <Title>
        {t("campaign")}: {campaign?.name ?? id}
      </Title>
      {campaign && startsInMs > 0 && (
        <p class="countdown" data-testid="countdown" aria-live="off">
          {t("startsIn")} <strong>{duration(startsInMs)}</strong>
        </p>
      )}
      {session.token === null ? (
        <p>
          <a href="#/">{t("login")}</a>
        </p>
      ) : (
        <button
          type="button"
          class="red big"
          data-testid="claim"
          disabled={
            startsInMs > 0 || waiting || answer?.kind === "claimed" || (answer?.kind === "final" && answer.key !== "notStarted")
          }
          onClick={claim}
        >
          {t("claim")}
        </button>
      )}
      <p role="status" data-testid="claim-answer" class="answer">
        {answer?.kind === "claimed" && (
          <>
            {t("claimed")} <strong>{yuan(answer.amount)}</strong> {t("yuanUnit")}
          </>
        )}
        {answer?.kind === "final" && t(answer.key)}
        {answer?.kind === "wait" &&
          (answer.position === null
            ? t("busyRetry", { s: Math.max(0, Math.ceil((answer.untilMs - now) / 1000)) })
            : t("waitingRoom", { n: answer.position, s: Math.max(0, Math.ceil((answer.untilMs - now) / 1000)) }))}
      </p>
      <ErrorLine error={error} />
    </section>
  );
}
