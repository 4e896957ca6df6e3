/**
 * The name of each operation in the OpenAPI document, and so of each call of the typed
 * client (src/client). Routes may name themselves (`schema.operationId`); these are the
 * names of the routes that do not. A route in neither gets one made from its method and path.
 */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  "POST /v1/auth/otp": "sendLoginCode",
  "POST /v1/auth/token": "logIn",
  "POST /v1/admin/users": "createUser",
  "POST /v1/admin/users/bulk": "createUsers",
  "POST /v1/admin/deposits": "deposit",
  "GET /v1/admin/ledger": "getLedgerHealth",
  "POST /v1/admin/clock": "setTestClock",
  "GET /v1/me": "getMe",
  "GET /v1/me/wallet": "getWallet",
  "GET /v1/me/statement": "getStatement",
  "GET /v1/limits": "getLimits",
  "POST /v1/transfers": "createTransfer",
  "POST /v1/transfers/preview": "previewTransfer",
  "GET /v1/transfers/:id": "getTransfer",
  "POST /v1/transfers/:id/accept": "acceptTransfer",
  "POST /v1/transfers/:id/decline": "declineTransfer",
  "POST /v1/transfers/:id/acknowledge-loan": "acknowledgeLoan",
  "POST /v1/groups": "createGroup",
  "GET /v1/groups/:id": "getGroup",
  "POST /v1/red-packets": "sendRedPacket",
  "GET /v1/red-packets/:id": "getRedPacket",
  "POST /v1/red-packets/:id/grab": "grabRedPacket",
  "GET /v1/evidence/public-key": "getEvidencePublicKey",
  "GET /v1/transfers/:id/evidence": "getTransferEvidence",
  "GET /v1/red-packets/:id/evidence": "getRedPacketEvidence",
  "GET /v1/special-days": "listSpecialDays",
  "POST /v1/admin/special-days": "addSpecialDay",
  "POST /v1/admin/campaigns": "createCampaign",
  "GET /v1/campaigns/:id": "getCampaign",
  "POST /v1/campaigns/:id/claim": "claimCampaign",
  "GET /healthz": "getHealth",
  "GET /readyz": "getReadiness",
  "GET /metrics": "getMetrics",
};

/** `POST /v1/transfers/:id/accept` → `postV1TransfersIdAccept`: stable, if not pretty. */
function derived(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter((word) => word !== "");
  return method.toLowerCase() + words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join("");
}

export function operationIdOf(method: string, url: string, own: unknown): string {
  if (typeof own === "string") return own;
  return OPERATION_IDS[`${method} ${url}`] ?? derived(method, url);
}
