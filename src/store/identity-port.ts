/**
 * What the identity layer keeps: operators' service keys (hashed), the keys that sign user
 * tokens, each user's token generation ("log out everywhere") and the users that products'
 * own identities stand for. None of it is money: it is written straight to the store, not
 * through the engine's batches, and read whole into memory at start (it is small).
 */
export interface ServiceKeyRow {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** SHA-256 of the key's secret, hex: the secret itself is shown once and never kept. */
  readonly secretHash: string;
  /** After a rotation with a grace period: the old secret's hash, valid until `previousUntil`. */
  readonly previousHash: string | null;
  readonly previousUntil: number | null;
  readonly createdAt: number;
  readonly rotatedAt: number | null;
  readonly revokedAt: number | null;
}

export interface SigningKeyRow {
  readonly kid: string;
  /** The HMAC key, hex; null for the configured key, which is never written to the store. */
  readonly secret: string | null;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export interface IdentityState {
  readonly serviceKeys: readonly ServiceKeyRow[];
  readonly signingKeys: readonly SigningKeyRow[];
  /** Users who logged out everywhere at least once: tokens of an older generation are refused. */
  readonly tokenGenerations: readonly { readonly userId: string; readonly generation: number }[];
}

export interface IdentityStore {
  loadIdentity(): Promise<IdentityState>;
  /** Inserts or replaces the key with this id. */
  saveServiceKey(row: ServiceKeyRow): Promise<void>;
  /** Inserts or replaces the key with this kid. */
  saveSigningKey(row: SigningKeyRow): Promise<void>;
  saveTokenGeneration(userId: string, generation: number): Promise<void>;
  /** The user a product's subject stands for, if linked. */
  externalUser(issuer: string, subject: string): Promise<string | undefined>;
  /** Links a subject to a user unless it is linked already; answers the user it is linked to. */
  linkExternalUser(issuer: string, subject: string, userId: string, at: number): Promise<string>;
}

/** The identity tables of a store that has them (both stores do). */
export function identityStoreOf(store: object): IdentityStore {
  const identity = (store as { identity?: () => IdentityStore }).identity;
  if (typeof identity !== "function") throw new Error("this store keeps no identity tables");
  return identity.call(store);
}

/** One identity row as written: what every process that checks identity must hear of. */
export type IdentityChange =
  | { readonly kind: "serviceKey"; readonly row: ServiceKeyRow }
  | { readonly kind: "signingKey"; readonly row: SigningKeyRow }
  | { readonly kind: "generation"; readonly userId: string; readonly generation: number };

/**
 * The identity tables, telling `changed` of each row once it is written and before the
 * write is answered: a writer holds its answer until every edge has applied the change.
 */
export function announcing(store: IdentityStore, changed: (change: IdentityChange) => Promise<void>): IdentityStore {
  return {
    loadIdentity: () => store.loadIdentity(),
    saveServiceKey: async (row) => {
      await store.saveServiceKey(row);
      await changed({ kind: "serviceKey", row });
    },
    saveSigningKey: async (row) => {
      await store.saveSigningKey(row);
      await changed({ kind: "signingKey", row });
    },
    saveTokenGeneration: async (userId, generation) => {
      await store.saveTokenGeneration(userId, generation);
      await changed({ kind: "generation", userId, generation });
    },
    externalUser: (issuer, subject) => store.externalUser(issuer, subject),
    linkExternalUser: (issuer, subject, userId, at) => store.linkExternalUser(issuer, subject, userId, at),
  };
}
