import type { EvidenceDocument } from "../domain/evidence.js";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: unknown): string {
  return String(text ?? "").replace(/[&<>"']/g, (char) => ESCAPES[char] as string);
}

function row(label: string, value: unknown): string {
  return `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
}

function party(value: unknown): string {
  const p = value as { name?: string; userId?: string; phone?: string } | null;
  return p === null ? "" : `${p.name ?? ""} (${p.userId ?? ""}, ${p.phone ?? ""})`;
}

/** A page a person can print and hand over: the facts, the signature, and how to check it. */
export function evidenceHtml(document: EvidenceDocument, text: string): string {
  const r = document.record;
  const hints = (r.natureHintsShown as { nature: string; reason: string }[]) ?? [];
  const isTransfer = r.type === "transfer";
  const rows = [
    row("Record", `${isTransfer ? "Transfer" : "Red packet"} ${r.id}`),
    row("From", party(r.sender)),
    row("To", isTransfer ? party(r.recipient) : r.recipient === null ? `group ${r.groupId}` : party(r.recipient)),
    row("Amount", `${r.amountYuan} yuan (${r.amount} fen)`),
    row(isTransfer ? "Memo" : "Greeting", isTransfer ? r.memo : r.greeting),
    ...(isTransfer ? [row("Declared nature", r.declaredNature), row("Due date", r.dueDate ?? "—")] : []),
    row(
      "Hints shown to the sender",
      hints.length === 0 ? "none" : hints.map((h) => `${h.nature}: ${h.reason}`).join("; "),
    ),
    row("Warnings shown", ((r.warningsShown as string[]) ?? []).join("; ") || "none"),
    row("Status", r.status),
    row("Sent at", r.createdAt),
    ...(isTransfer
      ? [row("Answered at", r.answeredAt ?? "—"), row("Loan acknowledged at", r.loanAcknowledgedAt ?? "—")]
      : []),
    row("Record issued at", r.issuedAt),
  ];
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>hongbao evidence ${escapeHtml(r.id)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#222}
h1{font-size:1.4rem;color:#b71c1c}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.35rem .6rem;text-align:left;vertical-align:top}th{width:14rem;background:#fafafa}
pre{white-space:pre-wrap;word-break:break-all;font-size:11px;background:#f6f6f6;padding:.6rem}
.note{font-size:12px;color:#555}@media print{body{margin:0}}
</style></head><body>
<h1>hongbao evidence record</h1>
<table>${rows.join("")}</table>
<p class="note">${escapeHtml(r.disclaimer)}</p>
<h2>Signature</h2>
<p>Ed25519, key id <code>${escapeHtml(document.signature.keyId)}</code>. The signature covers the record exactly as
written below (canonical JSON). To check it: save the block below to a file and run
<code>hongbao evidence verify FILE --key PUBLIC_KEY.pem</code> with the key the service publishes at
<code>/v1/evidence/public-key</code>; any changed byte makes the check fail.</p>
<pre>${escapeHtml(text)}</pre>
</body></html>`;
}
