/**
 * The routing lease in Postgres (table `routing_lease`, sql/0007_instances.sql),
 * on a connection of its own: a busy pool never delays a renewal, and every
 * statement has a deadline shorter than one renewal period, so a hung
 * connection shows up as a failed renewal instead of a wait.
 *
 * The database's clock decides when a lease ends (`expires_at`, set from the
 * server's now()); the leader's own watchdog (leadership.ts) ends its routing
 * a margin earlier, from the moment it sent the renewal.
 */
import pg from 'pg';

export interface Acquired {
  epoch: number;
  /** Who held the lease before (null: nobody yet, or this instance itself). */
  previousHolder: string | null;
}

/** What leadership.ts needs from the lease, whatever keeps it. */
export interface LeaseStore {
  /** Takes the lease if it is free, expired or already ours; null if another instance holds it. */
  acquire(holder: string, leaseMs: number): Promise<Acquired | null>;
  /** Extends our lease; false if it is no longer ours (expired, or taken over). */
  renew(holder: string, epoch: number, leaseMs: number): Promise<boolean>;
  /** Ends our lease at once (graceful stop), so a standby need not wait for it to expire. */
  release(holder: string, epoch: number): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresLeaseOptions {
  url: string;
  /** Deadline of each statement, client side and server side (ms). */
  timeoutMs: number;
  /** Describes the instance in `instances` on every successful acquire. */
  instance: { id: string; host: string; pid: number };
  onError?: (err: Error) => void;
}

const ACQUIRE = `
WITH prev AS (SELECT holder FROM routing_lease WHERE id FOR UPDATE)
UPDATE routing_lease l
   SET holder = $1, epoch = l.epoch + 1, acquired_at = now(),
       expires_at = now() + make_interval(secs => $2::float8 / 1000)
  FROM prev
 WHERE l.id AND (l.expires_at <= now() OR l.holder = $1)
RETURNING l.epoch, prev.holder AS previous`;

const RENEW = `
UPDATE routing_lease
   SET expires_at = now() + make_interval(secs => $3::float8 / 1000)
 WHERE id AND holder = $1 AND epoch = $2 AND expires_at > now()
RETURNING epoch`;

const RELEASE = `
UPDATE routing_lease SET expires_at = '-infinity' WHERE id AND holder = $1 AND epoch = $2`;

const SEEN = `
INSERT INTO instances (id, host, pid) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, seen_at = now()`;

export class PostgresLease implements LeaseStore {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private closed = false;

  constructor(private readonly o: PostgresLeaseOptions) {}

  async acquire(holder: string, leaseMs: number): Promise<Acquired | null> {
    const r = await this.query<{ epoch: string; previous: string | null }>(ACQUIRE, [
      holder,
      leaseMs,
    ]);
    const row = r.rows[0];
    if (!row) return null;
    await this.query(SEEN, [this.o.instance.id, this.o.instance.host, this.o.instance.pid]);
    return {
      epoch: Number(row.epoch),
      previousHolder: row.previous === holder ? null : row.previous,
    };
  }

  async renew(holder: string, epoch: number, leaseMs: number): Promise<boolean> {
    const r = await this.query(RENEW, [holder, epoch, leaseMs]);
    return r.rows.length === 1;
  }

  async release(holder: string, epoch: number): Promise<void> {
    await this.query(RELEASE, [holder, epoch]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private async query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[],
  ): Promise<pg.QueryResult<T>> {
    const client = await this.connection();
    try {
      return await client.query<T>(sql, params);
    } catch (err) {
      // Any failure on this connection: drop it; the next call opens a new one.
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      throw err;
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('lease store closed'));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.o.url,
        application_name: `open-acd lease ${this.o.instance.id}`,
        connectionTimeoutMillis: this.o.timeoutMs,
        query_timeout: this.o.timeoutMs,
        statement_timeout: this.o.timeoutMs,
        keepAlive: true,
      });
      client.on('error', (err) => {
        if (this.client === client) this.client = null;
        this.o.onError?.(err);
      });
      try {
        await client.connect();
      } catch (err) {
        client.end().catch(() => undefined);
        throw err;
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        throw new Error('lease store closed');
      }
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }
}
