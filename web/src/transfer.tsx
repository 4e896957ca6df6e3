import { useState } from "preact/hooks";
import { call, newKey } from "./api.js";
import { t } from "./i18n.js";
import { parseYuan, yuan } from "./money.js";
import { ErrorLine, Field, Title } from "./ui.js";

interface Preview {
  natureHints: { nature: string; reason: string }[];
  warnings: string[];
}

export function TransferPage() {
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("");
  const [memo, setMemo] = useState("");
  const [nature, setNature] = useState("unspecified");
  const [dueDate, setDueDate] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [key, setKey] = useState(newKey());
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  function body() {
    const fen = parseYuan(amount);
    if (fen === null) throw new Error(t("amountYuan"));
    return {
      to: to.trim(),
      amount: fen,
      ...(memo ? { memo } : {}),
      nature,
      ...(nature === "loan" && dueDate ? { dueDate } : {}),
    };
  }

  async function showPreview(event: Event) {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      setPreview(await call<Preview>("POST", "/v1/transfers/preview", { body: body() }));
      setKey(newKey());
    } catch (e) {
      setError(e);
    }
  }

  async function confirm() {
    setError(null);
    try {
      const sent = await call<{ id: string; amount: number }>("POST", "/v1/transfers", {
        body: body(),
        idempotencyKey: key,
      });
      setDone(`${t("sent")}: ${yuan(sent.amount)} → ${to} (${sent.id})`);
      setPreview(null);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section>
      <Title>{t("transfer")}</Title>
      <form onSubmit={showPreview}>
        <fieldset disabled={preview !== null}>
          <Field label={t("to")} name="to" required value={to} onInput={setTo} />
          <Field label={t("amountYuan")} name="amount" inputMode="decimal" required value={amount} onInput={setAmount} />
          <Field label={t("memo")} name="memo" value={memo} onInput={setMemo} />
          <div class="field">
            <label for="f-nature">{t("nature")}</label>
            <select id="f-nature" value={nature} onChange={(e) => setNature((e.target as HTMLSelectElement).value)}>
              <option value="unspecified">{t("natureUnspecified")}</option>
              <option value="gift">{t("natureGift")}</option>
              <option value="loan">{t("natureLoan")}</option>
              <option value="repayment">{t("natureRepayment")}</option>
            </select>
          </div>
          {nature === "loan" && <Field label={t("dueDate")} name="dueDate" type="date" value={dueDate} onInput={setDueDate} />}
          <button type="submit">{t("preview")}</button>
        </fieldset>
      </form>
      {preview && (
        <div class="card preview" data-testid="preview" role="region" aria-label={t("preview")}>
          {preview.natureHints.length > 0 && (
            <>
              <h2>{t("hints")}</h2>
              <ul>
                {preview.natureHints.map((hint) => (
                  <li key={hint.reason}>
                    <strong>{hint.nature}</strong>: {hint.reason}
                  </li>
                ))}
              </ul>
            </>
          )}
          {preview.warnings.length > 0 && (
            <>
              <h2>{t("warnings")}</h2>
              <ul class="warnings" data-testid="warnings">
                {preview.warnings.map((warning) => (
                  <li key={warning}>{warning}</li>
                ))}
              </ul>
            </>
          )}
          <p class="muted">{t("notLegalAdvice")}</p>
          <div class="actions">
            <button type="button" onClick={confirm}>
              {t("confirmSend")} {amount}
            </button>
            <button type="button" class="secondary" onClick={() => setPreview(null)}>
              {t("edit")}
            </button>
          </div>
        </div>
      )}
      {done && (
        <p class="ok" role="status" data-testid="transfer-done">
          {done}
        </p>
      )}
      <ErrorLine error={error} />
    </section>
  );
}
