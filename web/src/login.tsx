import { useEffect, useState } from "preact/hooks";
import { call, session } from "./api.js";
import { t } from "./i18n.js";
import { ErrorLine, Field, Title } from "./ui.js";

export function LoginPage() {
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState("");
  const [sent, setSent] = useState(false);
  const [devCode, setDevCode] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState("");
  const [options, setOptions] = useState({ signup: false, devCodes: false });
  useEffect(() => {
    call<{ signup: boolean; devCodes: boolean }>("GET", "/v1/auth/options").then(setOptions).catch(setError);
  }, []);

  async function sendCode(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      await call("POST", "/v1/auth/otp", { body: { phone } });
      setSent(true);
      // Only a server using the dev sender keeps its codes readable; with a real sender there are none.
      if (options.devCodes) {
        const dev = await call<{ code: string }>("GET", `/v1/dev/login-code?phone=${encodeURIComponent(phone)}`);
        setDevCode(dev.code);
      }
    } catch (e) {
      setError(e);
    }
  }

  async function logIn(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const answer = await call<{ token: string; userId: string }>("POST", "/v1/auth/token", {
        body: { phone, code, ...(options.signup && name.trim() !== "" ? { name: name.trim() } : {}) },
      });
      session.set(answer.token, answer.userId);
      location.hash = "/";
      dispatchEvent(new HashChangeEvent("hashchange"));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section>
      <Title>{t("login")}</Title>
      <form onSubmit={sendCode}>
        <Field label={t("phone")} name="phone" type="tel" inputMode="tel" required value={phone} onInput={setPhone} />
        {options.signup && <p class="note">{t("signupHint")}</p>}
        <button type="submit">{t("sendCode")}</button>
      </form>
      {sent && (
        <form onSubmit={logIn}>
          {devCode !== null && (
            <p class="note" data-testid="dev-code">
              {t("devCode")} <strong>{devCode}</strong>
            </p>
          )}
          <Field label={t("code")} name="code" inputMode="numeric" required value={code} onInput={setCode} />
          {options.signup && <Field label={t("yourName")} name="name" value={name} onInput={setName} />}
          <button type="submit">{t("login")}</button>
        </form>
      )}
      <ErrorLine error={error} />
    </section>
  );
}
