import Database from "better-sqlite3";

/** What a refused request must leave as it was: every balance, and the count of every kind of record. */
export interface LedgerSnapshot {
  readonly balanceSum: number;
  readonly balances: Readonly<Record<string, number>>;
  readonly counts: Readonly<Record<(typeof TABLES)[number], number>>;
}

const TABLES = [
  "users",
  "api_keys",
  "signing_keys",
  "token_generations",
  "external_subjects",
  "covers",
  "postings",
  "entries",
  "transfers",
  "groups",
  "group_members",
  "red_packets",
  "grabs",
  "campaigns",
  "campaign_claims",
  "special_days",
  "events",
  "webhook_endpoints",
] as const;

/**
 * Reads the store's file through a connection of its own (WAL lets it read what is committed
 * while the server writes), so the check does not go through the code under test.
 */
export class LedgerReader {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file, { readonly: true, fileMustExist: true });
  }

  snapshot(): LedgerSnapshot {
    const rows = this.#db.prepare("SELECT id, balance FROM balances ORDER BY id").all() as {
      id: string;
      balance: number;
    }[];
    const balances: Record<string, number> = {};
    let balanceSum = 0;
    for (const row of rows) {
      balances[row.id] = row.balance;
      balanceSum += row.balance;
    }
    const counts = {} as Record<(typeof TABLES)[number], number>;
    for (const table of TABLES)
      counts[table] = (this.#db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { balanceSum, balances, counts };
  }

  close(): void {
    this.#db.close();
  }
}
