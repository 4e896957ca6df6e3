import { createPublicKey, type KeyObject } from "node:crypto";
import { verifyDocumentText } from "../domain/evidence.js";
import { CliError, parseJson, readText } from "./errors.js";

/** Reads a public key: a PEM file, or the JSON that /v1/evidence/public-key answers. */
async function readKey(path: string): Promise<KeyObject> {
  const text = await readText(path, "the key file");
  const pem = text.trimStart().startsWith("{")
    ? (parseJson(text, `the key file ${path}`) as { publicKeyPem?: unknown } | null)?.publicKeyPem
    : text;
  try {
    return createPublicKey(String(pem));
  } catch {
    throw new CliError(`${path} holds no public key (a PEM file, or the JSON of /v1/evidence/public-key)`);
  }
}

/** Checks an evidence file offline; returns the exit code (0 valid, 1 not). */
export async function verifyEvidence(
  file: string,
  keyPath: string | undefined,
  print: (line: string) => void,
): Promise<number> {
  const text = await readText(file, "the evidence file");
  const trusted = keyPath === undefined ? undefined : await readKey(keyPath);
  const check = verifyDocumentText(text, trusted);
  if (!check.valid) {
    print(`NOT VALID: ${check.reason}.`);
    return 1;
  }
  const record = (JSON.parse(text) as { record: Record<string, unknown> }).record;
  const who = (party: unknown) => {
    const p = party as { name?: string; userId?: string } | null;
    return p === null ? "the group" : `${p.name ?? ""} (${p.userId ?? ""})`;
  };
  print(`valid: the signature matches, key id ${check.keyId}.`);
  print(
    check.trustedKey
      ? "The key is the one you trust, so the service signed this record and not one byte of it has changed since."
      : "Checked against the key inside the file only: compare its key id with the service's published key (GET /v1/evidence/public-key), or pass --key, before relying on it.",
  );
  print(
    `It shows that hongbao recorded, at ${String(record.issuedAt)}: ${String(record.type)} ${String(record.id)} of ${String(record.amountYuan)} yuan from ${who(record.sender)} to ${who(record.recipient)}, sent ${String(record.createdAt)}, status ${String(record.status)}` +
      (record.type === "transfer"
        ? `, declared as ${String(record.declaredNature)}${record.loanAcknowledgedAt ? `, loan acknowledged by the recipient at ${String(record.loanAcknowledgedAt)}` : ""}.`
        : "."),
  );
  print(`It does not decide whether the money was a gift or a loan: ${String(record.disclaimer)}`);
  return 0;
}
