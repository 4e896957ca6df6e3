import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../engine/clock.js";
import type {
  IdentityChange,
  IdentityState,
  IdentityStore,
  ServiceKeyRow,
  SigningKeyRow,
} from "../store/identity-port.js";
import { ApiError } from "./errors.js";
import { INITIAL_KID, type Tokens } from "./tokens.js";

/** What an operator's key may do; the bootstrap admin token may do all of it. */
export const SCOPES = [
  "read",
  "users:write",
  "deposits:write",
  "campaigns:write",
  "special-days:write",
  "covers:write",
  "keys:write",
  "webhooks:write",
  "clock:write",
] as const;
export type Scope = (typeof SCOPES)[number];

export const SERVICE_KEYS_MAX = 1_000;
/** The longest a rotated key's old secret may stay valid beside the new one: a week. */
export const ROTATION_GRACE_SECONDS_MAX = 7 * 24 * 3600;
export const SIGNING_KEYS_MAX = 100;
/** `hk_<16 hex id>_<43 base64url secret>`: the id finds the key, the secret proves it. */
const SERVICE_KEY = /^hk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const SERVICE_KEY_PREFIX = "hk_";

/** Who sent an operator's request: the bootstrap token, or a service key with its scopes. */
export interface Operator {
  readonly keyId: string | undefined;
  has(scope: Scope): boolean;
}

const BOOTSTRAP: Operator = { keyId: undefined, has: () => true };

export interface ServiceKeyView {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: number;
  readonly rotatedAt: number | null;
  readonly revokedAt: number | null;
  /** Until when the secret before the last rotation is still taken, or null. */
  readonly previousValidUntil: number | null;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest();
const viewOf = ({
  secretHash: _hash,
  previousHash: _previous,
  previousUntil,
  ...view
}: ServiceKeyRow): ServiceKeyView => ({
  ...view,
  previousValidUntil: previousUntil,
});

/**
 * Operators' service keys, token signing keys and users' token generations, kept in the
 * store and mirrored in memory so every request is checked without a query; a change is
 * in force for the next request once the store has it (docs/decisions/0041).
 */
export class Identity {
  readonly #store: IdentityStore;
  readonly #tokens: Tokens;
  readonly #clock: Clock;
  readonly #keys = new Map<
    string,
    { row: ServiceKeyRow; hash: Buffer; previous: Buffer | undefined; scopes: ReadonlySet<string> }
  >();
  #signing: SigningKeyRow[] = [];

  private constructor(store: IdentityStore, tokens: Tokens, clock: Clock) {
    this.#store = store;
    this.#tokens = tokens;
    this.#clock = clock;
  }

  static async load(store: IdentityStore, tokens: Tokens, clock: Clock): Promise<Identity> {
    const identity = new Identity(store, tokens, clock);
    identity.absorb(await store.loadIdentity());
    return identity;
  }

  /** The whole of the identity tables as read, over what memory holds (an edge reconnecting). */
  absorb(state: IdentityState): void {
    for (const row of state.serviceKeys) this.#remember(row);
    for (const { userId, generation } of state.tokenGenerations) this.#raiseGeneration(userId, generation);
    for (const row of state.signingKeys) this.#upsertSigning(row);
    this.#applySigning();
  }

  /** Every row as memory holds it: what an edge reads when it starts or reconnects. */
  state(): IdentityState {
    return {
      serviceKeys: [...this.#keys.values()].map(({ row }) => row),
      signingKeys: [...this.#signing],
      tokenGenerations: this.#tokens.generations(),
    };
  }

  /** A row another process wrote (an edge hears the writer's); rows only ever move forward. */
  apply(change: IdentityChange): void {
    switch (change.kind) {
      case "serviceKey":
        this.#remember(change.row);
        return;
      case "generation":
        this.#raiseGeneration(change.userId, change.generation);
        return;
      case "signingKey":
        this.#upsertSigning(change.row);
        this.#applySigning();
        return;
    }
  }

  #raiseGeneration(userId: string, generation: number): void {
    if (generation > this.#tokens.generation(userId)) this.#tokens.setGeneration(userId, generation);
  }

  #upsertSigning(row: SigningKeyRow): void {
    const at = this.#signing.findIndex((key) => key.kid === row.kid);
    if (at !== -1) {
      this.#signing[at] = row;
      return;
    }
    // Older keys first, whichever order their rows were heard in: the newest live key signs.
    this.#signing.push(row);
    this.#signing.sort((a, b) => a.createdAt - b.createdAt);
  }

  get store(): IdentityStore {
    return this.#store;
  }

  /**
   * The operator a bearer token names, undefined when it is not an operator's token (a
   * user's, or garbage, for the caller to judge). A token shaped as a service key that does
   * not match, or was revoked, is refused at once.
   */
  operatorOf(token: string): Operator | undefined {
    if (this.#tokens.isAdmin(token)) return BOOTSTRAP;
    if (!token.startsWith(SERVICE_KEY_PREFIX)) return undefined;
    const match = SERVICE_KEY.exec(token);
    const known = match === null ? undefined : this.#keys.get(match[1] as string);
    if (match === null || known === undefined) throw new ApiError("INVALID_TOKEN", "the service key is not valid");
    const given = sha256(match[2] as string);
    const current = timingSafeEqual(given, known.hash);
    // The secret before a rotation holds through the grace period the operator gave it.
    const previous =
      !current &&
      known.previous !== undefined &&
      this.#clock.now() < (known.row.previousUntil ?? 0) &&
      timingSafeEqual(given, known.previous);
    if (!current && !previous) throw new ApiError("INVALID_TOKEN", "the service key is not valid");
    if (known.row.revokedAt !== null) throw new ApiError("TOKEN_REVOKED", "the service key was revoked");
    return { keyId: known.row.id, has: (scope) => known.scopes.has(scope) };
  }

  /** A new key; its secret is in the answer only. */
  async createKey(name: string, scopes: readonly Scope[]): Promise<{ key: ServiceKeyView; secret: string }> {
    if (this.#keys.size >= SERVICE_KEYS_MAX) {
      throw new ApiError("TOO_MANY_KEYS", `at most ${SERVICE_KEYS_MAX} service keys; revoke unused ones`);
    }
    const id = randomBytes(8).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const row: ServiceKeyRow = {
      id,
      name,
      scopes: [...new Set(scopes)].sort(),
      secretHash: sha256(secret).toString("hex"),
      previousHash: null,
      previousUntil: null,
      createdAt: this.#clock.now(),
      rotatedAt: null,
      revokedAt: null,
    };
    await this.#store.saveServiceKey(row);
    this.#remember(row);
    return { key: viewOf(row), secret: `${SERVICE_KEY_PREFIX}${id}_${secret}` };
  }

  listKeys(): ServiceKeyView[] {
    return [...this.#keys.values()].map(({ row }) => viewOf(row));
  }

  async revokeKey(id: string): Promise<ServiceKeyView> {
    const row = this.#known(id);
    if (row.revokedAt !== null) return viewOf(row);
    const revoked = { ...row, revokedAt: this.#clock.now() };
    await this.#store.saveServiceKey(revoked);
    this.#remember(revoked);
    return viewOf(revoked);
  }

  /**
   * A new secret for the key. The old one is refused from the next request on, or, with a
   * grace period, from then on: time to deploy the new secret without a gap.
   */
  async rotateKey(id: string, graceSeconds = 0): Promise<{ key: ServiceKeyView; secret: string }> {
    const row = this.#known(id);
    if (row.revokedAt !== null) throw new ApiError("TOKEN_REVOKED", "a revoked key cannot be rotated");
    const secret = randomBytes(32).toString("base64url");
    const now = this.#clock.now();
    const rotated: ServiceKeyRow = {
      ...row,
      secretHash: sha256(secret).toString("hex"),
      previousHash: graceSeconds > 0 ? row.secretHash : null,
      previousUntil: graceSeconds > 0 ? now + graceSeconds * 1000 : null,
      rotatedAt: now,
    };
    await this.#store.saveServiceKey(rotated);
    this.#remember(rotated);
    return { key: viewOf(rotated), secret: `${SERVICE_KEY_PREFIX}${id}_${secret}` };
  }

  /** Every token of the user issued so far is refused from the next request on. */
  async logOutEverywhere(userId: string): Promise<number> {
    const generation = this.#tokens.generation(userId) + 1;
    await this.#store.saveTokenGeneration(userId, generation);
    this.#raiseGeneration(userId, generation);
    return generation;
  }

  listSigningKeys(): { kid: string; createdAt: number; retiredAt: number | null; current: boolean }[] {
    const initial = this.#signing.find((key) => key.kid === INITIAL_KID) ?? {
      kid: INITIAL_KID,
      secret: null,
      createdAt: 0,
      retiredAt: null,
    };
    const all = [initial, ...this.#signing.filter((key) => key.kid !== INITIAL_KID)];
    const live = all.filter((key) => key.retiredAt === null);
    const current = live[live.length - 1]?.kid;
    return all.map(({ kid, createdAt, retiredAt }) => ({ kid, createdAt, retiredAt, current: kid === current }));
  }

  /** A new signing key that signs from now on; tokens of older live keys stay valid. */
  async rotateSigningKey(): Promise<{ kid: string }> {
    if (this.#signing.length >= SIGNING_KEYS_MAX) {
      throw new ApiError("TOO_MANY_KEYS", `at most ${SIGNING_KEYS_MAX} signing keys`);
    }
    const row: SigningKeyRow = {
      kid: `k${randomBytes(6).toString("hex")}`,
      secret: randomBytes(32).toString("hex"),
      createdAt: this.#clock.now(),
      retiredAt: null,
    };
    await this.#store.saveSigningKey(row);
    this.#upsertSigning(row);
    this.#applySigning();
    return { kid: row.kid };
  }

  /** Tokens signed with `kid` are refused from the next request on; the key that signs now cannot be retired. */
  async retireSigningKey(kid: string): Promise<void> {
    const listed = this.listSigningKeys().find((key) => key.kid === kid);
    if (listed === undefined) throw new ApiError("KEY_NOT_FOUND", "no signing key with this kid");
    if (listed.current) {
      throw new ApiError("SIGNING_KEY_IN_USE", "this key signs new tokens: rotate to a new key before retiring it");
    }
    if (listed.retiredAt !== null) return;
    const existing = this.#signing.find((key) => key.kid === kid);
    const row: SigningKeyRow = { ...(existing ?? { kid, secret: null, createdAt: 0 }), retiredAt: this.#clock.now() };
    await this.#store.saveSigningKey(row);
    this.#upsertSigning(row);
    this.#applySigning();
  }

  #applySigning(): void {
    this.#tokens.useKeys(
      this.#signing.map((key) => ({
        kid: key.kid,
        secret: key.secret === null ? new Uint8Array() : Buffer.from(key.secret, "hex"),
        retired: key.retiredAt !== null,
      })),
    );
  }

  #known(id: string): ServiceKeyRow {
    const known = this.#keys.get(id);
    if (known === undefined) throw new ApiError("KEY_NOT_FOUND", "no service key with this id");
    return known.row;
  }

  #remember(row: ServiceKeyRow): void {
    this.#keys.set(row.id, {
      row,
      hash: Buffer.from(row.secretHash, "hex"),
      previous: row.previousHash === null ? undefined : Buffer.from(row.previousHash, "hex"),
      scopes: new Set(row.scopes),
    });
  }
}
