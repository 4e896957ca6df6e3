export const ID_PREFIXES = {
  user: "usr_",
  group: "grp_",
  redPacket: "rp_",
  transfer: "tr_",
  campaign: "cmp_",
  withdrawal: "wd_",
  webhookEndpoint: "we_",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/** Ids are a prefix and 20 lowercase hex digits (80 random bits). */
const ID_BODY = /^[0-9a-f]{20}$/;

export function isId(kind: IdKind, value: string): boolean {
  const prefix = ID_PREFIXES[kind];
  return value.startsWith(prefix) && ID_BODY.test(value.slice(prefix.length));
}

export const ID_PATTERN: Record<IdKind, string> = {
  user: "^usr_[0-9a-f]{20}$",
  group: "^grp_[0-9a-f]{20}$",
  redPacket: "^rp_[0-9a-f]{20}$",
  transfer: "^tr_[0-9a-f]{20}$",
  campaign: "^cmp_[0-9a-f]{20}$",
  withdrawal: "^wd_[0-9a-f]{20}$",
  webhookEndpoint: "^we_[0-9a-f]{20}$",
};

/** Builds an id from random bytes the caller supplies: the domain owns no randomness. */
export function makeId(kind: IdKind, randomBytes: Uint8Array): string {
  if (randomBytes.length < 10) throw new Error("an id needs 10 random bytes");
  let hex = "";
  for (let i = 0; i < 10; i++) hex += (randomBytes[i] as number).toString(16).padStart(2, "0");
  return ID_PREFIXES[kind] + hex;
}
