import { hostname } from "node:os";
import pg from "pg";

export interface WriterLeaseOptions {
  readonly url: string;
  readonly shard?: number;
  /** The lease lapses this long after its holder's last renewal (PostgreSQL's clock). */
  readonly ttlMs?: number;
  /** The holder renews this often. */
  readonly renewEveryMs?: number;
  /** A waiting writer tries to take the lease this often. */
  readonly pollEveryMs?: number;
  /** Who holds it, for operators: host and pid by default. */
  readonly holder?: string;
  /**
   * HOST:PORT where this writer takes edges, written in the statement that takes the lease so
   * the row never pairs this epoch with another holder's address. Undefined: none yet (a TCP
   * port the system picks is advertised once bound, by `advertiseWire`).
   */
  readonly wire?: string | undefined;
}

export const LEASE_TTL_MS = 3_000;
const RENEW_EVERY_MS = 500;
const POLL_EVERY_MS = 200;

/**
 * The writer lease of one shard: a row in `writer_lease` with an epoch and an expiry kept by
 * PostgreSQL's clock. Any number of writers call `acquire()`; one gets the lease, with an
 * epoch one higher than the last holder's, the others keep waiting. A lease is taken over when
 * it lapsed (its holder stopped renewing: dead, paused, cut off) or at once when its holder's
 * lease session is gone from the server (a killed process closes its connections). The lease
 * decides who should write; the epoch, checked inside every batch's transaction
 * (PostgresStore.fenceWith), makes sure nobody else does.
 */
export class WriterLease {
  readonly #url: string;
  readonly #shard: number;
  readonly #ttlMs: number;
  readonly #renewEveryMs: number;
  readonly #pollEveryMs: number;
  readonly #holder: string;
  readonly #wire: string | null;
  #client: pg.Client | undefined;
  #epoch: number | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #renewedAt = 0;
  #lost: ((reason: string) => void) | undefined;
  #stopped = false;

  constructor(options: WriterLeaseOptions) {
    this.#url = options.url;
    this.#shard = options.shard ?? 0;
    this.#ttlMs = options.ttlMs ?? LEASE_TTL_MS;
    this.#renewEveryMs = options.renewEveryMs ?? RENEW_EVERY_MS;
    this.#pollEveryMs = options.pollEveryMs ?? POLL_EVERY_MS;
    this.#holder = options.holder ?? `${hostname()}:${process.pid}`;
    this.#wire = options.wire ?? null;
  }

  get epoch(): number | undefined {
    return this.#epoch;
  }

  async #connection(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: "hongbao-lease",
      // A takeover waits behind the old holder's batch (it holds the lease row); never forever.
      lock_timeout: 5_000,
    });
    client.on("error", () => {
      if (this.#client === client) this.#client = undefined;
    });
    await client.connect();
    this.#client = client;
    return client;
  }

  /** One attempt: the new epoch if this writer now holds the lease, else undefined. */
  async tryAcquire(): Promise<number | undefined> {
    const client = await this.#connection();
    await client.query(
      "INSERT INTO writer_lease (shard, epoch, expires_at) VALUES ($1, 0, now()) ON CONFLICT (shard) DO NOTHING",
      [this.#shard],
    );
    const { rows } = await client.query<{ epoch: string }>(
      `UPDATE writer_lease SET epoch = epoch + 1, holder = $2, holder_pid = pg_backend_pid(), address = NULL, wire = $4,
         expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE shard = $1 AND (holder_pid IS NULL OR expires_at < now()
         OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = writer_lease.holder_pid))
       RETURNING epoch`,
      [this.#shard, this.#holder, this.#ttlMs, this.#wire],
    );
    const epoch = rows[0] === undefined ? undefined : Number(rows[0].epoch);
    if (epoch !== undefined) {
      this.#epoch = epoch;
      this.#renewedAt = performance.now();
    }
    return epoch;
  }

  /**
   * Waits until this writer holds the lease and returns its epoch; from then on it renews the
   * lease, and calls `onLost` once if it finds the lease gone (taken over, or not renewed in
   * time). `signal` stops the wait.
   */
  async acquire(onLost: (reason: string) => void, signal?: AbortSignal): Promise<number> {
    for (;;) {
      if (signal?.aborted === true || this.#stopped) throw new Error("stopped waiting for the writer lease");
      const epoch = await this.tryAcquire().catch(() => {
        // The server is away (restarting, failing over): keep waiting, with a new connection.
        this.#dropConnection();
        return undefined;
      });
      if (epoch !== undefined) {
        this.#lost = onLost;
        this.#scheduleRenewal();
        return epoch;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#pollEveryMs));
    }
  }

  #dropConnection(): void {
    const client = this.#client;
    this.#client = undefined;
    client?.end().catch(() => {});
  }

  #scheduleRenewal(): void {
    if (this.#stopped) return;
    this.#renewTimer = setTimeout(() => void this.#renew(), this.#renewEveryMs);
  }

  async #renew(): Promise<void> {
    const epoch = this.#epoch;
    if (epoch === undefined || this.#stopped) return;
    try {
      const client = await this.#connection();
      const { rowCount } = await client.query(
        `UPDATE writer_lease SET expires_at = now() + make_interval(secs => $3::double precision / 1000),
           holder_pid = pg_backend_pid()
         WHERE shard = $1 AND epoch = $2`,
        [this.#shard, epoch, this.#ttlMs],
      );
      if (rowCount === 0) return this.lose(`the lease was taken over (this writer held epoch ${epoch})`);
      this.#renewedAt = performance.now();
    } catch {
      this.#dropConnection();
      // Past the TTL another writer may hold the lease: stop before it could matter.
      if (performance.now() - this.#renewedAt > this.#ttlMs) {
        return this.lose("the lease could not be renewed within its time to live");
      }
    }
    this.#scheduleRenewal();
  }

  /** This writer no longer holds the lease (also called when a batch was fenced). */
  lose(reason: string): void {
    const lost = this.#lost;
    this.#lost = undefined;
    this.#epoch = undefined;
    if (this.#renewTimer !== undefined) clearTimeout(this.#renewTimer);
    lost?.(reason);
  }

  /** Tells readers of the lease (operators, tests) where this writer serves HTTP. */
  advertise(address: string): Promise<void> {
    return this.#setWhileHeld("address", address);
  }

  /** Tells edges where this writer takes them, when the port was not known as the lease was taken. */
  advertiseWire(address: string): Promise<void> {
    return this.#setWhileHeld("wire", address);
  }

  /** Only under this writer's epoch: a holder that lost the lease never names itself in the row. */
  async #setWhileHeld(column: "address" | "wire", value: string): Promise<void> {
    if (this.#epoch === undefined) return;
    const client = await this.#connection();
    await client.query(`UPDATE writer_lease SET ${column} = $3 WHERE shard = $1 AND epoch = $2`, [
      this.#shard,
      this.#epoch,
      value,
    ]);
  }

  /** Stops renewing; with `release`, lets a waiting writer take over at once (a clean shutdown). */
  async close(release = true): Promise<void> {
    this.#stopped = true;
    if (this.#renewTimer !== undefined) clearTimeout(this.#renewTimer);
    const epoch = this.#epoch;
    this.#epoch = undefined;
    this.#lost = undefined;
    try {
      if (release && epoch !== undefined && this.#client !== undefined) {
        await this.#client.query(
          "UPDATE writer_lease SET expires_at = now(), holder_pid = NULL, address = NULL, wire = NULL WHERE shard = $1 AND epoch = $2",
          [this.#shard, epoch],
        );
      }
    } finally {
      this.#dropConnection();
    }
  }
}

/** The lease as stored: who writes the shard now, and where it serves (null while it starts). */
export interface LeaseRow {
  readonly epoch: number;
  readonly holder: string | null;
  /** Its HTTP URL. */
  readonly address: string | null;
  /** HOST:PORT where it takes edges. */
  readonly wire: string | null;
  /** False once the holder stopped renewing (a takeover may be under way). */
  readonly live: boolean;
}

const READ_LEASE = "SELECT epoch, holder, address, wire, expires_at > now() AS live FROM writer_lease WHERE shard = $1";

async function readLease(client: pg.Client, shard: number): Promise<LeaseRow | undefined> {
  const { rows } = await client.query<Omit<LeaseRow, "epoch"> & { epoch: string }>(READ_LEASE, [shard]);
  const row = rows[0];
  return row === undefined ? undefined : { ...row, epoch: Number(row.epoch) };
}

export async function currentWriter(url: string, shard = 0): Promise<LeaseRow | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await readLease(client, shard);
  } finally {
    await client.end();
  }
}

/**
 * Reads the lease row over one kept connection, for an edge that follows the writer: a read
 * that fails drops the connection, and the next read opens another (the server may have
 * failed over meanwhile).
 */
export class LeaseReader {
  readonly #url: string;
  readonly #shard: number;
  #client: Promise<pg.Client> | undefined;

  constructor(url: string, shard = 0) {
    this.#url = url;
    this.#shard = shard;
  }

  async read(): Promise<LeaseRow | undefined> {
    this.#client ??= this.#open();
    const opening = this.#client;
    try {
      return await readLease(await opening, this.#shard);
    } catch (error) {
      if (this.#client === opening) this.#drop();
      throw error;
    }
  }

  async #open(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: "hongbao-edge",
      // A read that hangs (the server cut off) must not hold the edge's view of the writer.
      query_timeout: 2_000,
      connectionTimeoutMillis: 2_000,
    });
    client.on("error", () => undefined); // the next read finds it broken and opens another
    await client.connect();
    return client;
  }

  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    void client?.then((c) => c.end()).catch(() => undefined);
  }

  close(): void {
    this.#drop();
  }
}
