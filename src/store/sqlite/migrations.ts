/**
 * Versioned schema. A migration is appended, never edited once released: the database
 * records the versions it has applied in `schema_migrations`.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "ledger, users, transfers, idempotency keys",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        phone TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        balance INTEGER NOT NULL,
        CHECK (id = 'funding' OR balance >= 0)
      ) STRICT;

      CREATE TABLE postings (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX postings_ref ON postings (ref);

      CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        posting_id INTEGER NOT NULL REFERENCES postings (id),
        account TEXT NOT NULL,
        amount INTEGER NOT NULL,
        balance_after INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX entries_account ON entries (account, id);
      CREATE INDEX entries_posting ON entries (posting_id);

      CREATE TABLE transfers (
        id TEXT PRIMARY KEY,
        from_user TEXT NOT NULL,
        to_user TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        memo TEXT NOT NULL,
        nature TEXT NOT NULL,
        due_date TEXT,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        refund_at INTEGER NOT NULL,
        answered_at INTEGER
      ) STRICT;
      CREATE INDEX transfers_pending ON transfers (refund_at) WHERE status = 'pending';

      CREATE TABLE idempotency (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX idempotency_created ON idempotency (created_at);
    `,
  },
  {
    version: 2,
    name: "groups and red packets",
    sql: `
      CREATE TABLE groups (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE group_members (
        group_id TEXT NOT NULL REFERENCES groups (id),
        position INTEGER NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (group_id, user_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE red_packets (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        count INTEGER NOT NULL CHECK (count > 0),
        group_id TEXT,
        recipient TEXT,
        greeting TEXT NOT NULL,
        password_hash TEXT,
        shares TEXT NOT NULL,
        salt TEXT NOT NULL,
        commitment TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        settled_at INTEGER
      ) STRICT;
      CREATE INDEX red_packets_active ON red_packets (expires_at) WHERE status = 'active';

      -- The last guard against a double grab: one row per position and per user.
      CREATE TABLE grabs (
        packet_id TEXT NOT NULL REFERENCES red_packets (id),
        seq INTEGER NOT NULL CHECK (seq >= 0),
        user_id TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount > 0),
        at INTEGER NOT NULL,
        PRIMARY KEY (packet_id, seq),
        UNIQUE (packet_id, user_id)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: "nature hints and warnings on transfers and packets; loan acknowledgements",
    sql: `
      ALTER TABLE transfers ADD COLUMN nature_hints TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE transfers ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE transfers ADD COLUMN loan_acknowledged_at INTEGER;
      ALTER TABLE red_packets ADD COLUMN nature_hints TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE red_packets ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 4,
    name: "special days added by operators",
    sql: `
      CREATE TABLE special_days (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "campaigns and their claims",
    sql: `
      CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        budget INTEGER NOT NULL CHECK (budget > 0),
        amount_rule TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        per_user_limit INTEGER NOT NULL CHECK (per_user_limit > 0),
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        returned INTEGER NOT NULL DEFAULT 0
      ) STRICT;

      -- The last guard against claiming past the per-user limit: one row per (campaign, user, n).
      CREATE TABLE campaign_claims (
        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
        user_id TEXT NOT NULL,
        n INTEGER NOT NULL CHECK (n > 0),
        amount INTEGER NOT NULL CHECK (amount > 0),
        at INTEGER NOT NULL,
        posting_id INTEGER NOT NULL,
        PRIMARY KEY (campaign_id, user_id, n)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: "balances are the last entry of each account",
    // Every entry already carries the balance it leaves. A row per account rewritten in every
    // batch cost a random B-tree page per account touched: a quarter of a claim's SQLite work
    // and 30 % of its WAL at HTTP batch sizes.
    // The accounts table's CHECK moves to a trigger: no entry may leave a balance below 0,
    // except the funding account's.
    sql: `
      DROP TABLE accounts;
      CREATE VIEW balances AS
        SELECT e.account AS id, e.balance_after AS balance
        FROM entries e JOIN (SELECT account, MAX(id) AS id FROM entries GROUP BY account) last ON last.id = e.id;
      CREATE TRIGGER entries_no_negative_balance BEFORE INSERT ON entries
        WHEN NEW.account <> 'funding' AND NEW.balance_after < 0
        BEGIN SELECT RAISE(ABORT, 'a balance may not go below 0'); END;
    `,
  },
  {
    version: 7,
    name: "idempotency keys keep the command's result, rendered after the commit",
    // Views run after the commit, outside the batch, so the batch keeps what the command
    // came to and every replay renders its answer from that. Rows from before keep the
    // answer they stored, wrapped so that both kinds read alike.
    sql: `
      CREATE TABLE idempotency_outcomes (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        outcome TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO idempotency_outcomes (scope, key, request_hash, outcome, created_at)
        SELECT scope, key, request_hash, json_object('answer', json_object('status', status, 'body', body)), created_at
        FROM idempotency;
      DROP TABLE idempotency;
      ALTER TABLE idempotency_outcomes RENAME TO idempotency;
      CREATE INDEX idempotency_created ON idempotency (created_at);
    `,
  },
  {
    version: 8,
    name: "lists newest first by their owner; campaigns paused and closed by an operator",
    // Every list is a keyset walk down one index, its owner first and the time-ordered id
    // after it, so a page reads its rows and no more at any size (docs/lists.md). Users are
    // listed by creation time: their ids are random.
    sql: `
      CREATE INDEX transfers_from ON transfers (from_user, id);
      CREATE INDEX transfers_to ON transfers (to_user, id);
      CREATE INDEX transfers_pending_from ON transfers (from_user, id) WHERE status = 'pending';
      CREATE INDEX transfers_pending_to ON transfers (to_user, id) WHERE status = 'pending';
      CREATE INDEX red_packets_sender ON red_packets (sender, id);
      CREATE INDEX red_packets_group ON red_packets (group_id, id) WHERE group_id IS NOT NULL;
      CREATE INDEX red_packets_created ON red_packets (created_at);
      CREATE INDEX grabs_user ON grabs (user_id, packet_id);
      CREATE INDEX users_created ON users (created_at, id);
      ALTER TABLE campaigns ADD COLUMN paused_at INTEGER;
      ALTER TABLE campaigns ADD COLUMN closed_at INTEGER;
      ALTER TABLE campaigns ADD COLUMN claimed_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE campaigns ADD COLUMN claimed_amount INTEGER NOT NULL DEFAULT 0;
      UPDATE campaigns SET
        claimed_count = (SELECT COUNT(*) FROM campaign_claims WHERE campaign_id = campaigns.id),
        claimed_amount = (SELECT COALESCE(SUM(amount), 0) FROM campaign_claims WHERE campaign_id = campaigns.id);
    `,
  },
  {
    version: 9,
    name: "the outbox of events, webhook endpoints and their deliveries",
    // Events are written by the engine's batch; deliveries by the dispatcher, beside it.
    sql: `
    -- The outbox: one row per event, written in the batch of the change it reports.
    CREATE TABLE events (
      seq INTEGER PRIMARY KEY,
      type TEXT NOT NULL,
      subject TEXT NOT NULL,
      at INTEGER NOT NULL,
      data TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_subject ON events (subject);
    -- Who an event concerns, so a user's page of events is one index range.
    CREATE TABLE event_users (
      user_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY (user_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE webhook_endpoints (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      event_types TEXT NOT NULL,
      secret TEXT NOT NULL,
      previous_secret TEXT,
      previous_secret_until INTEGER,
      created_at INTEGER NOT NULL,
      after_seq INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE webhook_deliveries (
      endpoint_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      event_type TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      first_attempt_at INTEGER,
      last_attempt_at INTEGER,
      last_status INTEGER,
      last_error TEXT,
      delivered_at INTEGER,
      PRIMARY KEY (endpoint_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
    -- How far the dispatcher has turned events into deliveries.
    CREATE TABLE webhook_cursor (
      id INTEGER PRIMARY KEY CHECK (id = 0),
      seq INTEGER NOT NULL
    ) STRICT;
    `,
  },
  {
    version: 10,
    name: "identity: service keys, token signing keys, token generations, products' subjects; red-packet covers",
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        scopes TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        previous_hash TEXT,
        previous_until INTEGER,
        created_at INTEGER NOT NULL,
        rotated_at INTEGER,
        revoked_at INTEGER
      ) STRICT;
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        secret TEXT,
        created_at INTEGER NOT NULL,
        retired_at INTEGER
      ) STRICT;
      CREATE TABLE token_generations (
        user_id TEXT PRIMARY KEY,
        generation INTEGER NOT NULL CHECK (generation > 0)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE external_subjects (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        user_id TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        PRIMARY KEY (issuer, subject)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE covers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        media_type TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        image BLOB NOT NULL,
        etag TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      ALTER TABLE red_packets ADD COLUMN cover_id TEXT;
    `,
  },
  {
    version: 11,
    name: "the outbox pruned by age: an event's rows found by its sequence number",
    sql: `
      CREATE INDEX event_users_seq ON event_users (seq);
      CREATE INDEX webhook_deliveries_seq ON webhook_deliveries (seq);
    `,
  },
];
