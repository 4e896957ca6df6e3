import { useEffect, useRef, useState } from "preact/hooks";
import { call, newKey, session } from "./api.js";
import type { Campaign } from "./campaign.js";
import { dayName, t } from "./i18n.js";
import { parseYuan, yuan, yuanPlain } from "./money.js";
import { parseMetrics, quantileOf, type Sample } from "./prom.js";
import { ErrorLine, Field, Title } from "./ui.js";

export function ConsolePage() {
  const [token, setToken] = useState(session.adminToken ?? "");
  const [entered, setEntered] = useState(session.adminToken !== null);
  if (!entered) {
    return (
      <section>
        <Title>{t("console")}</Title>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            session.setAdmin(token.trim());
            setEntered(true);
          }}
        >
          <Field label={t("adminToken")} name="adminToken" type="password" required value={token} onInput={setToken} />
          <button type="submit">{t("enter")}</button>
        </form>
      </section>
    );
  }
  return <Console />;
}

function localInput(ms: number): string {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function Console() {
  const [name, setName] = useState("13:14");
  const [budget, setBudget] = useState("131.40");
  const [fixed, setFixed] = useState("13.14");
  const [startsAt, setStartsAt] = useState(localInput(Date.now() + 60_000));
  const [endsAt, setEndsAt] = useState(localInput(Date.now() + 3_600_000));
  const [watching, setWatching] = useState(location.hash.split("?id=")[1] ?? "");
  const [error, setError] = useState<unknown>(null);

  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const budgetFen = parseYuan(budget);
      const fixedFen = parseYuan(fixed);
      if (budgetFen === null || fixedFen === null) throw new Error(t("amountYuan"));
      const created = await call<Campaign>("POST", "/v1/admin/campaigns", {
        admin: true,
        idempotencyKey: newKey(),
        body: {
          name,
          budget: budgetFen,
          amount: { fixed: fixedFen },
          startsAt: new Date(startsAt).toISOString(),
          endsAt: new Date(endsAt).toISOString(),
          perUserLimit: 1,
        },
      });
      setWatching(created.id);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section>
      <Title>{t("console")}</Title>
      <form onSubmit={create} class="card">
        <h2>{t("createCampaign")}</h2>
        <Field label={t("name")} name="campaignName" required value={name} onInput={setName} />
        <Field label={t("budgetYuan")} name="budget" inputMode="decimal" required value={budget} onInput={setBudget} />
        <Field label={t("fixedYuan")} name="fixed" inputMode="decimal" required value={fixed} onInput={setFixed} />
        <Field label={t("startsAt")} name="startsAt" type="datetime-local" required value={startsAt} onInput={setStartsAt} />
        <Field label={t("endsAt")} name="endsAt" type="datetime-local" required value={endsAt} onInput={setEndsAt} />
        <button type="submit">{t("create")}</button>
      </form>
      <Field label={t("watch")} name="watchId" value={watching} onInput={setWatching} />
      {/^cmp_/.test(watching) && <Live id={watching} />}
      <ErrorLine error={error} />
      <Calendar />
    </section>
  );
}

interface SpecialDay {
  date: string;
  name: string;
  caps: Record<string, number>;
}

/** A year's special days with their caps, and adding one (a date, or every year by either calendar). */
function Calendar() {
  const [year, setYear] = useState(String(new Date().getFullYear()));
  const [days, setDays] = useState<SpecialDay[]>([]);
  const [name, setName] = useState("");
  const [kind, setKind] = useState("date");
  const [date, setDate] = useState("");
  const [cap, setCap] = useState("520");
  const [error, setError] = useState<unknown>(null);

  async function load(of = year) {
    if (!/^[12][0-9]{3}$/.test(of)) return;
    try {
      setDays((await call<{ days: SpecialDay[] }>("GET", `/v1/special-days?year=${of}`)).days);
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    void load();
  }, [year]);

  async function add(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const capFen = parseYuan(cap);
      const [, month, day] = date.split("-").map(Number);
      if (capFen === null || month === undefined || day === undefined) throw new Error(t("date"));
      await call("POST", "/v1/admin/special-days", {
        admin: true,
        idempotencyKey: newKey(),
        body: {
          name,
          kind,
          ...(kind === "date" ? { date } : { month, day }),
          caps: { singlePacketMax: capFen },
        },
      });
      await load();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div class="card" data-testid="calendar">
      <h2>{t("calendar")}</h2>
      <Field label={t("year")} name="calendarYear" inputMode="numeric" value={year} onInput={setYear} />
      <ul>
        {days.map((day) => (
          <li key={`${day.date}-${day.name}`}>
            {day.date} {dayName(day.name)} · {t("singleMax")} {day.caps.singlePacketMax === undefined ? "–" : yuanPlain(day.caps.singlePacketMax)}
          </li>
        ))}
      </ul>
      <form onSubmit={add}>
        <h3>{t("addSpecialDay")}</h3>
        <Field label={t("name")} name="dayName" required value={name} onInput={setName} />
        <label for="f-dayKind">{t("dayKind")}</label>
        <select id="f-dayKind" value={kind} onChange={(event) => setKind((event.target as HTMLSelectElement).value)}>
          <option value="date">{t("dayKindDate")}</option>
          <option value="gregorian">{t("dayKindGregorian")}</option>
          <option value="lunar">{t("dayKindLunar")}</option>
        </select>
        <Field label={t("date")} name="dayDate" type="date" required value={date} onInput={setDate} />
        <Field label={t("singleMaxYuan")} name="dayCap" inputMode="decimal" required value={cap} onInput={setCap} />
        <button type="submit">{t("addSpecialDay")}</button>
      </form>
      <ErrorLine error={error} />
    </div>
  );
}

interface Figures {
  campaign: Campaign;
  claimsPerS: number;
  admission: Record<string, { admitted: number; shed: number }>;
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  answerP99Ms: number | null;
}

/** The operator's live view, once a second: the campaign's counts and the service's metrics. */
function Live({ id }: { id: string }) {
  const [figures, setFigures] = useState<Figures | null>(null);
  const [error, setError] = useState<unknown>(null);
  const last = useRef<{ at: number; claimed: number } | null>(null);

  useEffect(() => {
    let stopped = false;
    async function tick() {
      try {
        const [campaign, text] = await Promise.all([
          call<Campaign>("GET", `/v1/campaigns/${id}`, { admin: true }),
          fetch("/metrics").then((r) => r.text()),
        ]);
        if (stopped) return;
        const samples = parseMetrics(text);
        const at = Date.now();
        const previous = last.current;
        const claimsPerS =
          previous === null ? 0 : ((campaign.claimedCount - previous.claimed) * 1000) / Math.max(1, at - previous.at);
        last.current = { at, claimed: campaign.claimedCount };
        setFigures({
          campaign,
          claimsPerS,
          admission: admissionOf(samples),
          waitP50Ms: quantileOf(samples, "hongbao_queue_wait_seconds", 0.5, { class: "campaign" }),
          waitP99Ms: quantileOf(samples, "hongbao_queue_wait_seconds", 0.99, { class: "campaign" }),
          answerP99Ms: quantileOf(samples, "hongbao_http_request_duration_seconds", 0.99, {}),
        });
      } catch (e) {
        setError(e);
      }
    }
    void tick();
    const timer = setInterval(tick, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id]);

  if (figures === null) return <ErrorLine error={error} />;
  const ms = (value: number | null) => (value === null ? "–" : `${value.toFixed(1)} ms`);
  return (
    <div class="card live" data-testid="live" aria-live="off">
      <h2>
        {figures.campaign.name} · {figures.campaign.status}
      </h2>
      <dl class="figures">
        <dt>{t("claimsPerSecond")}</dt>
        <dd data-testid="claims-per-s">{figures.claimsPerS.toFixed(0)}</dd>
        <dt>{t("claimedCount")}</dt>
        <dd data-testid="claimed-count">{figures.campaign.claimedCount}</dd>
        <dt>{t("budgetLeft")}</dt>
        <dd data-testid="budget-left">{yuan(figures.campaign.remainingBudget)}</dd>
        <dt>
          {t("queueDelay")} p50 / p99
        </dt>
        <dd>
          {ms(figures.waitP50Ms)} / {ms(figures.waitP99Ms)}
        </dd>
        <dt>{t("answerLatency")} p99</dt>
        <dd>{ms(figures.answerP99Ms)}</dd>
      </dl>
      <table>
        <caption>
          {t("admitted")} / {t("shed")}
        </caption>
        <tbody>
          {Object.entries(figures.admission).map(([name, counts]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td data-testid={`admitted-${name}`}>{counts.admitted}</td>
              <td data-testid={`shed-${name}`}>{counts.shed}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorLine error={error} />
    </div>
  );
}

function admissionOf(samples: Sample[]): Record<string, { admitted: number; shed: number }> {
  const out: Record<string, { admitted: number; shed: number }> = {};
  for (const sample of samples) {
    if (sample.name !== "hongbao_admission_total") continue;
    const name = sample.labels.class ?? "?";
    const row = (out[name] ??= { admitted: 0, shed: 0 });
    if (sample.labels.decision === "admitted") row.admitted += sample.value;
    else row.shed += sample.value;
  }
  return out;
}
