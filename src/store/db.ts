/**
 * One small database interface over both drivers: a Postgres server through a
 * `pg` Pool, and PGlite (Postgres compiled to WASM, one connection, in a data
 * folder or in memory). Repositories take a `Db` and never see a driver type;
 * driver errors leave here already mapped to store errors (see errors.ts).
 */
import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import pg from 'pg';
import { toStoreError } from './errors.ts';

/** Values a query parameter may take. JSON goes in as a string: `$1::text::jsonb`. */
export type SqlParam =
  | string
  | number
  | bigint
  | boolean
  | Date
  | null
  // Arrays go to array-typed parameters, e.g. `id = ANY($1::text[])`.
  | readonly (string | number | boolean | null)[];

export interface QueryResult<T> {
  rows: T[];
  /** Rows returned by a SELECT, or changed by INSERT/UPDATE/DELETE. */
  rowCount: number;
}

export interface Db {
  readonly kind: 'postgres' | 'pglite';
  /** One statement, with $1... parameters. */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlParam[],
  ): Promise<QueryResult<T>>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it
   * throws (the error is rethrown). Inside a transaction this nests with a
   * savepoint, so an inner failure undoes only the inner work.
   */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the pool / the PGlite instance; safe to call twice. */
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Idle connections die with the server (e.g. a restart); told here instead of crashing. */
  onIdleError?: (err: Error) => void;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

/** Runs `run`, turning a driver error into a store error (see errors.ts). */
export async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toStoreError(err);
  }
}

/** Whatever runs one statement: a pool, a client, PGlite, a transaction. */
export interface Runner {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount?: number | null }>;
}

export function runQuery<T>(
  runner: Runner,
  sql: string,
  params: readonly SqlParam[] | undefined,
): Promise<QueryResult<T>> {
  return mapped(async () => {
    const r = await runner.query(sql, params ? [...params] : []);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  });
}

/**
 * A transaction already open on one connection: nested `transaction()` calls
 * become savepoints.
 */
export function transactionDb(
  kind: Db['kind'],
  runner: Runner,
  execMany: (sql: string) => Promise<unknown>,
): Db {
  let depth = 0;
  const tx: Db = {
    kind,
    query: (sql, params) => runQuery(runner, sql, params),
    exec: (sql) => mapped(async () => void (await execMany(sql))),
    async transaction(fn) {
      depth += 1;
      const name = `sp_${depth}`;
      await runner.query(`SAVEPOINT ${name}`);
      try {
        const result = await fn(tx);
        await runner.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await runner.query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw toStoreError(err);
      } finally {
        depth -= 1;
      }
    },
    close: () => Promise.reject(new Error('close() the database, not a transaction')),
  };
  return tx;
}

export function openPostgres(connectionString: string, options: PostgresOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'open-acd',
  });
  // Without a listener, an idle client's error (server restart) kills the process.
  pool.on('error', (err) => options.onIdleError?.(err));
  let closed: Promise<void> | undefined;
  return {
    kind: 'postgres',
    query: (sql, params) => runQuery(pool, sql, params),
    exec: (sql) => mapped(async () => void (await pool.query(sql))),
    async transaction(fn) {
      const client = await mapped(() => pool.connect());
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx = transactionDb('postgres', client, (sql) => client.query(sql));
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is unusable: drop it rather than return it to the pool.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw toStoreError(err);
      } finally {
        client.release(broken);
      }
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}

/**
 * A `Db` over a PGlite instance on this thread (`openPglite` runs it on a
 * worker thread instead). PGlite has one connection: its `transaction()`
 * holds a lock so other queries wait, and it rolls back when the callback
 * throws, so the connection never stays in an aborted transaction.
 * `close()` closes the instance.
 */
export function wrapPglite(lite: PGlite): Db {
  let closed: Promise<void> | undefined;
  const liteRunner = (t: PGlite | PgliteTransaction): Runner => ({
    query: async (sql, params) => {
      const r = await t.query(sql, params);
      return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length };
    },
  });
  return {
    kind: 'pglite',
    query: (sql, params) => runQuery(liteRunner(lite), sql, params),
    exec: (sql) => mapped(async () => void (await lite.exec(sql))),
    transaction(fn) {
      return mapped(() =>
        lite.transaction((t) => fn(transactionDb('pglite', liteRunner(t), (sql) => t.exec(sql)))),
      );
    },
    close() {
      closed ??= lite.close();
      return closed;
    },
  };
}
