import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api.js";
import { t } from "./i18n.js";

export function Title({ children }: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{children}</h1>;
}

export function Field(props: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  inputMode?: "numeric" | "decimal" | "text" | "tel";
  required?: boolean;
  name?: string;
}) {
  const id = `f-${props.name ?? props.label}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={(props.type ?? "text") as "text"}
        inputMode={props.inputMode}
        required={props.required}
        value={props.value}
        onInput={(event) => props.onInput((event.target as HTMLInputElement).value)}
      />
    </div>
  );
}

export function ErrorLine({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  const text = error instanceof ApiError ? `${error.code}: ${error.message}` : String(error);
  return (
    <p class="error" role="alert">
      {t("error")} — {text}
    </p>
  );
}

/** Re-renders every `ms` (countdowns and time left). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}
