import type { IdentityState, IdentityStore, ServiceKeyRow, SigningKeyRow } from "./identity-port.js";

/** One statement with `?` placeholders, run on whichever database the store has. */
export type RunSql = (sql: string, values: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * The identity tables (migration 10), the same SQL on SQLite and PostgreSQL: each store
 * hands over how it runs a statement. Instants are milliseconds, as in the ledger tables.
 */
export class IdentityTables implements IdentityStore {
  readonly #run: RunSql;

  constructor(run: RunSql) {
    this.#run = run;
  }

  async loadIdentity(): Promise<IdentityState> {
    const keys = await this.#run(
      `SELECT id, name, scopes, secret_hash, previous_hash, previous_until, created_at, rotated_at, revoked_at
       FROM api_keys ORDER BY created_at, id`,
      [],
    );
    const signing = await this.#run(
      "SELECT kid, secret, created_at, retired_at FROM signing_keys ORDER BY created_at, kid",
      [],
    );
    const generations = await this.#run("SELECT user_id, generation FROM token_generations", []);
    return {
      serviceKeys: keys.map((row) => ({
        id: String(row.id),
        name: String(row.name),
        scopes: JSON.parse(String(row.scopes)) as string[],
        secretHash: String(row.secret_hash),
        previousHash: row.previous_hash === null ? null : String(row.previous_hash),
        previousUntil: row.previous_until === null ? null : Number(row.previous_until),
        createdAt: Number(row.created_at),
        rotatedAt: row.rotated_at === null ? null : Number(row.rotated_at),
        revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      })),
      signingKeys: signing.map((row) => ({
        kid: String(row.kid),
        secret: row.secret === null ? null : String(row.secret),
        createdAt: Number(row.created_at),
        retiredAt: row.retired_at === null ? null : Number(row.retired_at),
      })),
      tokenGenerations: generations.map((row) => ({
        userId: String(row.user_id),
        generation: Number(row.generation),
      })),
    };
  }

  async saveServiceKey(row: ServiceKeyRow): Promise<void> {
    await this.#run(
      `INSERT INTO api_keys (id, name, scopes, secret_hash, previous_hash, previous_until, created_at, rotated_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes,
         secret_hash = excluded.secret_hash, previous_hash = excluded.previous_hash,
         previous_until = excluded.previous_until, rotated_at = excluded.rotated_at, revoked_at = excluded.revoked_at`,
      [
        row.id,
        row.name,
        JSON.stringify(row.scopes),
        row.secretHash,
        row.previousHash,
        row.previousUntil,
        row.createdAt,
        row.rotatedAt,
        row.revokedAt,
      ],
    );
  }

  async saveSigningKey(row: SigningKeyRow): Promise<void> {
    await this.#run(
      `INSERT INTO signing_keys (kid, secret, created_at, retired_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (kid) DO UPDATE SET retired_at = excluded.retired_at`,
      [row.kid, row.secret, row.createdAt, row.retiredAt],
    );
  }

  async saveTokenGeneration(userId: string, generation: number): Promise<void> {
    await this.#run(
      `INSERT INTO token_generations (user_id, generation) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET generation = excluded.generation`,
      [userId, generation],
    );
  }

  async externalUser(issuer: string, subject: string): Promise<string | undefined> {
    const rows = await this.#run("SELECT user_id FROM external_subjects WHERE issuer = ? AND subject = ?", [
      issuer,
      subject,
    ]);
    return rows[0] === undefined ? undefined : String(rows[0].user_id);
  }

  async linkExternalUser(issuer: string, subject: string, userId: string, at: number): Promise<string> {
    await this.#run(
      `INSERT INTO external_subjects (issuer, subject, user_id, linked_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (issuer, subject) DO NOTHING`,
      [issuer, subject, userId, at],
    );
    const linked = await this.externalUser(issuer, subject);
    if (linked === undefined) throw new Error("external subject missing after insert");
    return linked;
  }
}
