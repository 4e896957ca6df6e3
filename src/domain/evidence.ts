import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { canonicalJson } from "./canonical-json.js";
import { formatYuan } from "./money.js";
import { NATURE_DISCLAIMER } from "./nature-hints.js";
import type { RedPacket } from "./red-packet.js";
import { formatInstant, type Instant } from "./time.js";
import type { Transfer } from "./transfer.js";

/**
 * Evidence records: what the service recorded about a transfer or a red packet, signed
 * with its Ed25519 key over the canonical JSON of the record, so anyone holding the public
 * key can check offline that not one byte changed.
 */
export const EVIDENCE_FORMAT = "hongbao-evidence/1";

export interface Party {
  readonly userId: string;
  readonly name: string;
  readonly phone: string;
}

export interface PostingLine {
  readonly id: number;
  readonly kind: string;
  readonly at: Instant;
  readonly legs: readonly { readonly account: string; readonly amount: number }[];
}

export interface EvidenceDocument {
  readonly format: typeof EVIDENCE_FORMAT;
  readonly record: Record<string, unknown>;
  readonly signature: {
    readonly algorithm: "Ed25519";
    readonly keyId: string;
    /** base64 of the Ed25519 signature over utf8(canonical JSON of `record`). */
    readonly value: string;
    /** The signer's public key, for convenience; trust comes from comparing keyId with the published key. */
    readonly publicKeyPem: string;
  };
}

/** "+8613800001234" → "+86138****1234": enough to recognise, not to harvest. */
export function maskPhone(phone: string): string {
  if (phone.length <= 7) return phone;
  return `${phone.slice(0, phone.length - 8)}****${phone.slice(-4)}`;
}

function partyView(party: Party) {
  return { userId: party.userId, name: party.name, phone: maskPhone(party.phone) };
}

function postingsView(postings: readonly PostingLine[]) {
  return postings.map((posting) => ({
    id: posting.id,
    kind: posting.kind,
    at: formatInstant(posting.at),
    legs: posting.legs.map((leg) => ({ account: leg.account, amount: leg.amount })),
  }));
}

export function transferRecord(
  transfer: Transfer,
  parties: { sender: Party; recipient: Party },
  postings: readonly PostingLine[],
  issuedAt: Instant,
): Record<string, unknown> {
  return {
    type: "transfer",
    id: transfer.id,
    issuer: "hongbao",
    issuedAt: formatInstant(issuedAt),
    sender: partyView(parties.sender),
    recipient: partyView(parties.recipient),
    amount: transfer.amount,
    amountYuan: formatYuan(transfer.amount),
    currency: "CNY",
    memo: transfer.memo,
    declaredNature: transfer.nature,
    dueDate: transfer.dueDate,
    natureHintsShown: transfer.natureHints,
    warningsShown: transfer.warnings,
    disclaimer: NATURE_DISCLAIMER,
    status: transfer.status,
    createdAt: formatInstant(transfer.createdAt),
    answeredAt: transfer.answeredAt === null ? null : formatInstant(transfer.answeredAt),
    loanAcknowledgedAt: transfer.loanAcknowledgedAt === null ? null : formatInstant(transfer.loanAcknowledgedAt),
    postings: postingsView(postings),
  };
}

export function packetRecord(
  packet: RedPacket,
  parties: { sender: Party; grabbers: readonly Party[]; recipient: Party | null },
  postings: readonly PostingLine[],
  issuedAt: Instant,
): Record<string, unknown> {
  const revealed = packet.status !== "active";
  return {
    type: "redPacket",
    id: packet.id,
    issuer: "hongbao",
    issuedAt: formatInstant(issuedAt),
    kind: packet.kind,
    sender: partyView(parties.sender),
    recipient: parties.recipient === null ? null : partyView(parties.recipient),
    groupId: packet.groupId,
    amount: packet.amount,
    amountYuan: formatYuan(packet.amount),
    currency: "CNY",
    count: packet.count,
    greeting: packet.greeting,
    natureHintsShown: packet.natureHints,
    warningsShown: packet.warnings,
    disclaimer: NATURE_DISCLAIMER,
    status: packet.status,
    createdAt: formatInstant(packet.createdAt),
    expiresAt: formatInstant(packet.expiresAt),
    settledAt: packet.settledAt === null ? null : formatInstant(packet.settledAt),
    commitment: packet.commitment,
    grabs: packet.grabs.map((grab, i) => ({
      ...partyView(parties.grabbers[i] ?? { userId: grab.userId, name: "", phone: "" }),
      amount: grab.amount,
      at: formatInstant(grab.at),
    })),
    ...(revealed ? { shares: packet.shares, salt: packet.salt } : {}),
    postings: postingsView(postings),
  };
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 32);
}

export function signRecord(record: Record<string, unknown>, privateKey: KeyObject): EvidenceDocument {
  const publicKey = createPublicKey(privateKey);
  return {
    format: EVIDENCE_FORMAT,
    record,
    signature: {
      algorithm: "Ed25519",
      keyId: keyIdOf(publicKey),
      value: sign(null, Buffer.from(canonicalJson(record), "utf8"), privateKey).toString("base64"),
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    },
  };
}

export type EvidenceCheck =
  | { readonly valid: true; readonly keyId: string; readonly trustedKey: boolean }
  | { readonly valid: false; readonly reason: string };

/**
 * Checks a document's signature. With `trustedKey` (the service's published key) a valid
 * answer proves the service signed it; without one it only proves the embedded key did.
 */
export function verifyDocument(document: unknown, trustedKey?: KeyObject): EvidenceCheck {
  const doc = document as Partial<EvidenceDocument> | null;
  if (doc === null || typeof doc !== "object" || doc.format !== EVIDENCE_FORMAT) {
    return { valid: false, reason: `not a ${EVIDENCE_FORMAT} document` };
  }
  if (typeof doc.record !== "object" || doc.record === null || typeof doc.signature !== "object") {
    return { valid: false, reason: "the document has no record or no signature" };
  }
  const { value, publicKeyPem, algorithm } = doc.signature;
  if (algorithm !== "Ed25519" || typeof value !== "string")
    return { valid: false, reason: "the signature is not Ed25519" };
  // Base64 decoders ignore stray trailing bits; only the canonical spelling of the signature is accepted.
  const signature = Buffer.from(value, "base64");
  if (signature.toString("base64") !== value) return { valid: false, reason: "the signature is not canonical base64" };
  let key: KeyObject;
  try {
    key = trustedKey ?? createPublicKey(String(publicKeyPem));
  } catch {
    return { valid: false, reason: "the document carries no usable public key" };
  }
  let ok = false;
  try {
    ok = verify(null, Buffer.from(canonicalJson(doc.record), "utf8"), key, signature);
  } catch {
    ok = false;
  }
  if (!ok)
    return { valid: false, reason: "the signature does not match the record: it was changed or signed by another key" };
  const keyId = keyIdOf(key);
  if (doc.signature.keyId !== keyId)
    return { valid: false, reason: "the key id in the document is not the signing key's" };
  if (
    trustedKey !== undefined &&
    String(publicKeyPem) !== trustedKey.export({ type: "spki", format: "pem" }).toString()
  ) {
    return { valid: false, reason: "the public key in the document is not the trusted key" };
  }
  return { valid: true, keyId, trustedKey: trustedKey !== undefined };
}

/** The exact bytes the service serves: canonical JSON of the document. */
export function documentText(document: EvidenceDocument): string {
  return canonicalJson(document);
}

/**
 * Checks a document as its file holds it: the text must be the canonical form the service
 * wrote (one trailing newline is allowed), so a change to any byte, even white space or
 * key order outside the signed record, is caught.
 */
export function verifyDocumentText(text: string, trustedKey?: KeyObject): EvidenceCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { valid: false, reason: "the file is not JSON" };
  }
  const check = verifyDocument(parsed, trustedKey);
  if (!check.valid) return check;
  if (canonicalJson(parsed) !== text.replace(/\n$/, "")) {
    return {
      valid: false,
      reason: "the file is not byte for byte what the service wrote (it was edited or reformatted)",
    };
  }
  return check;
}
