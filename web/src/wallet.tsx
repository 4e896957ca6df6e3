import { useEffect, useRef, useState } from "preact/hooks";
import { onLive } from "./live.js";
import { call, newKey, session } from "./api.js";
import { dayName, t } from "./i18n.js";
import { yuan, yuanPlain } from "./money.js";
import { duration, ErrorLine, Title, useTick } from "./ui.js";

interface Entry {
  id: string;
  kind: string;
  ref: string;
  at: string;
  amount: number;
  balance: number;
}
export interface TransferView {
  id: string;
  from: string;
  to: string;
  amount: number;
  memo: string;
  nature: string;
  status: string;
  refundAt: string;
  loanAcknowledgedAt: string | null;
}
interface Limits {
  singlePacketMax: number;
  shareMax: number;
  transferMax: number;
  specialDay: { name: string; date: string } | null;
}

export function WalletPage() {
  const [balance, setBalance] = useState<number | null>(null);
  const [limits, setLimits] = useState<Limits | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [pending, setPending] = useState<{ incoming: TransferView[]; outgoing: TransferView[] }>({
    incoming: [],
    outgoing: [],
  });
  const [error, setError] = useState<unknown>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const loading = useRef(false);

  async function refresh() {
    try {
      const [wallet, page, waiting, rules] = await Promise.all([
        call<{ balance: number }>("GET", "/v1/me/wallet"),
        call<{ items: Entry[]; nextCursor: string | null }>("GET", "/v1/me/statement?limit=20"),
        call<{ incoming: TransferView[]; outgoing: TransferView[] }>("GET", "/v1/me/transfers/pending"),
        call<Limits>("GET", "/v1/limits"),
      ]);
      setBalance(wallet.balance);
      setEntries(page.items);
      setCursor(page.nextCursor);
      setPending(waiting);
      setLimits(rules);
    } catch (e) {
      setError(e);
    }
  }

  async function more() {
    if (loading.current || typeof cursor !== "string") return;
    loading.current = true;
    try {
      const page = await call<{ items: Entry[]; nextCursor: string | null }>(
        "GET",
        `/v1/me/statement?limit=20&cursor=${cursor}`,
      );
      setEntries((list) => [...list, ...page.items]);
      setCursor(page.nextCursor);
    } catch (e) {
      setError(e);
    } finally {
      loading.current = false;
    }
  }

  useEffect(() => {
    void refresh();
    // Incoming transfers, answers to mine, deposits and my grabs arrive as live events: no polling, no reload.
    return onLive(({ event, data }) => {
      if (["transfer", "wallet", "resync"].includes(event) || (event === "grab" && data.userId === session.userId))
        void refresh();
    });
  }, []);

  // The statement pages in as its end scrolls into view.
  useEffect(() => {
    const node = sentinel.current;
    if (node === null) return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting)) void more();
    });
    observer.observe(node);
    return () => observer.disconnect();
  });

  return (
    <section>
      <Title>{t("wallet")}</Title>
      <p class="balance">
        <span>{t("balance")}</span>
        <strong data-testid="balance">{balance === null ? "…" : yuan(balance)}</strong>
      </p>
      <p class="muted">
        {t("myId")}: <code data-testid="my-id">{session.userId}</code>
      </p>
      {limits && (
        <div class="card" data-testid="limits">
          <h2>{t("limitsToday")}</h2>
          {limits.specialDay && (
            <p class="special" data-testid="special-day">
              {dayName(limits.specialDay.name)}: {t("singleMax")} {yuanPlain(limits.singlePacketMax)} {t("yuanUnit")}
            </p>
          )}
          <p>
            {t("singleMax")} {yuan(limits.singlePacketMax)} · {t("shareMax")} {yuan(limits.shareMax)} ·{" "}
            {t("transferMax")} {yuan(limits.transferMax)}
          </p>
        </div>
      )}
      <Pending list={pending.incoming} incoming onChange={refresh} />
      <Pending list={pending.outgoing} incoming={false} onChange={refresh} />
      <h2>{t("statement")}</h2>
      <ol class="statement" data-testid="statement">
        {entries.map((entry) => (
          <li key={entry.id}>
            <span>{entry.kind}</span>
            <span class="muted">{new Date(entry.at).toLocaleString()}</span>
            <span class={entry.amount < 0 ? "out" : "in"}>{yuan(entry.amount)}</span>
            <span class="muted">= {yuan(entry.balance)}</span>
          </li>
        ))}
      </ol>
      <div ref={sentinel}>
        {typeof cursor === "string" ? (
          <button type="button" onClick={more}>
            {t("loadMore")}
          </button>
        ) : (
          <p class="muted">{t("noMore")}</p>
        )}
      </div>
      <ErrorLine error={error} />
    </section>
  );
}

function Pending({ list, incoming, onChange }: { list: TransferView[]; incoming: boolean; onChange: () => void }) {
  const now = useTick(1000);
  const [error, setError] = useState<unknown>(null);
  if (list.length === 0) return null;
  async function answer(id: string, what: "accept" | "decline" | "acknowledge-loan") {
    setError(null);
    try {
      await call("POST", `/v1/transfers/${id}/${what}`, { idempotencyKey: newKey() });
      onChange();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <div class="card">
      <h2>{incoming ? t("incoming") : t("outgoing")}</h2>
      <ul class="pending" data-testid={incoming ? "incoming" : "outgoing"}>
        {list.map((transfer) => (
          <li key={transfer.id}>
            <strong>{yuan(transfer.amount)}</strong> {transfer.memo && <q>{transfer.memo}</q>}{" "}
            <span class="muted">
              {incoming ? transfer.from : transfer.to} · {transfer.nature}
            </span>
            <span class="muted" data-testid="time-left">
              {duration(Date.parse(transfer.refundAt) - now)} {t("timeLeft")}
            </span>
            {incoming && (
              <span class="actions">
                <button type="button" onClick={() => answer(transfer.id, "accept")}>
                  {t("accept")}
                </button>
                <button type="button" class="secondary" onClick={() => answer(transfer.id, "decline")}>
                  {t("decline")}
                </button>
                {transfer.nature === "loan" && transfer.loanAcknowledgedAt === null && (
                  <button type="button" class="secondary" onClick={() => answer(transfer.id, "acknowledge-loan")}>
                    {t("acknowledgeLoan")}
                  </button>
                )}
              </span>
            )}
            <a href={`/v1/transfers/${transfer.id}/evidence?format=html`} onClick={(e) => openEvidence(e, transfer.id)}>
              {t("evidence")}
            </a>
          </li>
        ))}
      </ul>
      <ErrorLine error={error} />
    </div>
  );
}

/** Evidence needs the bearer token, so it is fetched and opened as a printable page. */
async function openEvidence(event: Event, id: string) {
  event.preventDefault();
  const response = await fetch(`/v1/transfers/${id}/evidence?format=html`, {
    headers: { authorization: `Bearer ${session.token}` },
  });
  const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/html" }));
  window.open(url, "_blank", "noopener");
}
