/**
 * Versioned PostgreSQL schema. A migration is appended, never edited once released: the
 * database records the versions it has applied in `schema_migrations`.
 *
 * Every table that sharding the writer would split carries a `shard` column that leads its
 * primary key and its indexes (docs/decisions/0029-sharding-the-writer.md): wallets,
 * postings and entries by user, packets with their group, a campaign's sub-budget per
 * shard. One writer owns one shard and reads and writes only its rows, so a later split
 * moves whole shards (by `WHERE shard = n`), never rewrites a row. Today every row is in
 * shard 0. Special days are global rules every shard reads, so they have no shard.
 *
 * Money is bigint fen; instants are bigint milliseconds since the epoch, as in the SQLite
 * store, so both stores hold the same numbers. No foreign keys on the hot tables: the engine
 * is the only writer and checks every reference in memory before a batch; the load checks
 * the ledger again.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Run in one transaction with the version's row. */
  readonly sql: string;
  /**
   * Indexes on tables a serving writer keeps writing, built with CREATE INDEX CONCURRENTLY
   * (outside any transaction) before `sql`: a new version's writer migrates while the old one
   * still holds the lease, and a plain CREATE INDEX would stop the old one's batches until
   * the index was built. Each is `[name, "ON table (columns)"]`.
   */
  readonly concurrentIndexes?: readonly (readonly [string, string])[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "ledger, users, transfers, packets, campaigns, idempotency keys, special days, the writer lease",
    sql: `
      CREATE TABLE users (
        shard smallint NOT NULL,
        id text NOT NULL,
        phone text NOT NULL,
        name text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (shard, id),
        UNIQUE (shard, phone)
      );

      CREATE TABLE postings (
        shard smallint NOT NULL,
        id bigint NOT NULL,
        kind text NOT NULL,
        ref text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (shard, id)
      );
      CREATE INDEX postings_ref ON postings (shard, ref);

      -- A balance is the balance_after of its account's last entry; none may go below 0
      -- but the funding account's.
      CREATE TABLE entries (
        shard smallint NOT NULL,
        id bigint NOT NULL,
        posting_id bigint NOT NULL,
        account text NOT NULL,
        amount bigint NOT NULL,
        balance_after bigint NOT NULL,
        PRIMARY KEY (shard, id),
        CONSTRAINT entries_no_negative_balance CHECK (account = 'funding' OR balance_after >= 0)
      );
      CREATE INDEX entries_account ON entries (shard, account, id);
      CREATE INDEX entries_posting ON entries (shard, posting_id);
      -- For operators and checks, as in the SQLite store: every account's balance now.
      -- (Qualified names: in ORDER BY a bare "id" would be the output column, the account.)
      CREATE VIEW balances AS
        SELECT DISTINCT ON (e.shard, e.account) e.shard, e.account AS id, e.balance_after AS balance
        FROM entries e ORDER BY e.shard, e.account, e.id DESC;

      CREATE TABLE transfers (
        shard smallint NOT NULL,
        id text NOT NULL,
        from_user text NOT NULL,
        to_user text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        memo text NOT NULL,
        nature text NOT NULL,
        due_date text,
        status text NOT NULL,
        created_at bigint NOT NULL,
        refund_at bigint NOT NULL,
        answered_at bigint,
        nature_hints text NOT NULL,
        warnings text NOT NULL,
        loan_acknowledged_at bigint,
        PRIMARY KEY (shard, id)
      );
      CREATE INDEX transfers_pending ON transfers (shard, refund_at) WHERE status = 'pending';

      CREATE TABLE idempotency (
        shard smallint NOT NULL,
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        -- What the command came to, as JSON ({"result": …}); every replay renders its answer from it.
        outcome text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (shard, scope, key)
      );
      CREATE INDEX idempotency_created ON idempotency (shard, created_at);

      CREATE TABLE groups (
        shard smallint NOT NULL,
        id text NOT NULL,
        name text NOT NULL,
        owner text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (shard, id)
      );

      CREATE TABLE group_members (
        shard smallint NOT NULL,
        group_id text NOT NULL,
        position integer NOT NULL,
        user_id text NOT NULL,
        PRIMARY KEY (shard, group_id, user_id)
      );

      CREATE TABLE red_packets (
        shard smallint NOT NULL,
        id text NOT NULL,
        sender text NOT NULL,
        kind text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        count integer NOT NULL CHECK (count > 0),
        group_id text,
        recipient text,
        greeting text NOT NULL,
        password_hash text,
        shares text NOT NULL,
        salt text NOT NULL,
        commitment text NOT NULL,
        status text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        settled_at bigint,
        nature_hints text NOT NULL,
        warnings text NOT NULL,
        PRIMARY KEY (shard, id)
      );
      CREATE INDEX red_packets_active ON red_packets (shard, expires_at) WHERE status = 'active';

      -- The last guard against a double grab: one row per position and per user.
      CREATE TABLE grabs (
        shard smallint NOT NULL,
        packet_id text NOT NULL,
        seq integer NOT NULL CHECK (seq >= 0),
        user_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        at bigint NOT NULL,
        PRIMARY KEY (shard, packet_id, seq),
        UNIQUE (shard, packet_id, user_id)
      );

      -- On one shard a campaign's budget is that shard's sub-budget of it.
      CREATE TABLE campaigns (
        shard smallint NOT NULL,
        id text NOT NULL,
        name text NOT NULL,
        budget bigint NOT NULL CHECK (budget > 0),
        amount_rule text NOT NULL,
        starts_at bigint NOT NULL,
        ends_at bigint NOT NULL,
        per_user_limit integer NOT NULL CHECK (per_user_limit > 0),
        created_at bigint NOT NULL,
        status text NOT NULL,
        returned bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (shard, id)
      );

      -- The last guard against claiming past the per-user limit: one row per (campaign, user, n).
      CREATE TABLE campaign_claims (
        shard smallint NOT NULL,
        campaign_id text NOT NULL,
        user_id text NOT NULL,
        n integer NOT NULL CHECK (n > 0),
        amount bigint NOT NULL CHECK (amount > 0),
        at bigint NOT NULL,
        posting_id bigint NOT NULL,
        PRIMARY KEY (shard, campaign_id, user_id, n)
      );

      CREATE TABLE special_days (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rule text NOT NULL
      );

      -- One row per shard: who may write it, until when, and the epoch every batch checks.
      CREATE TABLE writer_lease (
        shard smallint PRIMARY KEY,
        epoch bigint NOT NULL,
        holder text,
        holder_pid integer,
        address text,
        expires_at timestamptz NOT NULL
      );

      -- Keys every writer of a deployment must share (user tokens, evidence signatures), so
      -- a token or a record made by one writer holds after another takes over.
      CREATE TABLE service_keys (
        name text PRIMARY KEY,
        value text NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: "lists newest first by their owner; campaigns paused and closed by an operator",
    // As in the SQLite store: each list is a keyset walk down one index (docs/lists.md).
    sql: `
      CREATE INDEX transfers_from ON transfers (shard, from_user, id);
      CREATE INDEX transfers_to ON transfers (shard, to_user, id);
      CREATE INDEX transfers_pending_from ON transfers (shard, from_user, id) WHERE status = 'pending';
      CREATE INDEX transfers_pending_to ON transfers (shard, to_user, id) WHERE status = 'pending';
      CREATE INDEX red_packets_sender ON red_packets (shard, sender, id);
      CREATE INDEX red_packets_group ON red_packets (shard, group_id, id) WHERE group_id IS NOT NULL;
      CREATE INDEX red_packets_created ON red_packets (shard, created_at);
      CREATE INDEX grabs_user ON grabs (shard, user_id, packet_id);
      CREATE INDEX users_created ON users (shard, created_at, id);
      ALTER TABLE campaigns ADD COLUMN paused_at bigint;
      ALTER TABLE campaigns ADD COLUMN closed_at bigint;
      ALTER TABLE campaigns ADD COLUMN claimed_count bigint NOT NULL DEFAULT 0;
      ALTER TABLE campaigns ADD COLUMN claimed_amount bigint NOT NULL DEFAULT 0;
      UPDATE campaigns c SET
        claimed_count = (SELECT COUNT(*) FROM campaign_claims k WHERE k.shard = c.shard AND k.campaign_id = c.id),
        claimed_amount = (SELECT COALESCE(SUM(amount), 0) FROM campaign_claims k WHERE k.shard = c.shard AND k.campaign_id = c.id);
    `,
  },
  {
    version: 9,
    name: "the outbox of events, webhook endpoints and their deliveries",
    // Events are per shard like the ledger rows they report, written in the batch; endpoints
    // are the deployment's; deliveries and the fan-out cursor are written by the dispatcher.
    sql: `
      CREATE TABLE events (
        shard smallint NOT NULL,
        seq bigint NOT NULL,
        type text NOT NULL,
        subject text NOT NULL,
        at bigint NOT NULL,
        data text NOT NULL,
        PRIMARY KEY (shard, seq)
      );
      CREATE INDEX events_subject ON events (shard, subject);
      CREATE TABLE event_users (
        shard smallint NOT NULL,
        user_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (shard, user_id, seq)
      );
      CREATE TABLE webhook_endpoints (
        id text PRIMARY KEY,
        url text NOT NULL,
        event_types text NOT NULL,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_until bigint,
        created_at bigint NOT NULL,
        after_seq bigint NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        endpoint_id text NOT NULL,
        shard smallint NOT NULL,
        seq bigint NOT NULL,
        event_type text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL,
        next_attempt_at bigint NOT NULL,
        first_attempt_at bigint,
        last_attempt_at bigint,
        last_status integer,
        last_error text,
        delivered_at bigint,
        PRIMARY KEY (endpoint_id, shard, seq)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (shard, state, next_attempt_at);
      CREATE TABLE webhook_cursor (
        shard smallint PRIMARY KEY,
        seq bigint NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: "identity: service keys, token signing keys, token generations, products' subjects; red-packet covers",
    // Identity is the deployment's, not a shard's: no shard column.
    sql: `
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        scopes text NOT NULL,
        secret_hash text NOT NULL,
        previous_hash text,
        previous_until bigint,
        created_at bigint NOT NULL,
        rotated_at bigint,
        revoked_at bigint
      );
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        secret text,
        created_at bigint NOT NULL,
        retired_at bigint
      );
      CREATE TABLE token_generations (
        user_id text PRIMARY KEY,
        generation integer NOT NULL CHECK (generation > 0)
      );
      CREATE TABLE external_subjects (
        issuer text NOT NULL,
        subject text NOT NULL,
        user_id text NOT NULL,
        linked_at bigint NOT NULL,
        PRIMARY KEY (issuer, subject)
      );
      CREATE TABLE covers (
        id text PRIMARY KEY,
        name text NOT NULL,
        media_type text NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        image bytea NOT NULL,
        etag text NOT NULL,
        created_at bigint NOT NULL
      );
      ALTER TABLE red_packets ADD COLUMN cover_id text;
    `,
  },
  {
    version: 11,
    name: "the lease row names where its holder takes edges",
    // Set in the statement that takes the lease, so an edge never pairs an epoch with another
    // holder's address (docs/decisions/0048-edges-find-the-writer.md).
    sql: `
      ALTER TABLE writer_lease ADD COLUMN wire text;
    `,
  },
  {
    version: 12,
    name: "the outbox pruned by age: an event's rows found by its sequence number",
    concurrentIndexes: [
      ["event_users_seq", "ON event_users (shard, seq)"],
      ["webhook_deliveries_seq", "ON webhook_deliveries (shard, seq)"],
    ],
    sql: "",
  },
];
