/**
 * Migration runner. Schema changes are numbered files `sql/0001_name.sql`,
 * applied in order at start-up, the same files for Postgres and PGlite.
 *
 * - Each file runs in its own transaction, which first records the file's
 *   number in `schema_migrations`: a second runner racing on the same
 *   database hits the primary key and stops with a clear error instead of
 *   applying the file twice.
 * - The record keeps a sha256 of the file. A recorded file that was edited or
 *   deleted afterwards stops the start: the database no longer matches the
 *   code, and guessing would be worse than asking a human.
 * - A failing file rolls back alone (the ones before it stay applied) and
 *   nothing after it runs.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';
import { ConflictError, PgCode } from './errors.ts';

export const DEFAULT_SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

const FILE_NAME = /^(\d{4})_[a-z0-9][a-z0-9_-]*\.sql$/;

export interface Migration {
  number: number;
  /** File name, e.g. '0001_configuration.sql'. */
  name: string;
  sql: string;
  /** sha256 (hex) of the text with line endings normalised to LF. */
  checksum: string;
}

export interface MigrationStatus {
  /** True when every file is applied and nothing recorded is changed or missing. */
  upToDate: boolean;
  applied: string[];
  pending: string[];
  /** Recorded files that changed or are missing (each a sentence). */
  problems: string[];
}

export interface MigrateResult {
  /** Files applied by this run, in order. */
  applied: string[];
  /** Files that were applied before. */
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Reads `dir`; refuses SQL files that do not follow `NNNN_name.sql` and duplicate numbers. */
export function loadMigrations(dir: string = DEFAULT_SQL_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue;
    const m = FILE_NAME.exec(name);
    if (!m) {
      throw new MigrationError(
        `${path.join(dir, name)}: migration files are named NNNN_name.sql (lowercase); rename it`,
      );
    }
    const number = Number(m[1]);
    const clash = migrations.find((x) => x.number === number);
    if (clash) {
      throw new MigrationError(
        `${clash.name} and ${name} share number ${m[1]}; give the newer one the next free number`,
      );
    }
    const sql = readFileSync(path.join(dir, name), 'utf8');
    migrations.push({ number, name, sql, checksum: checksum(sql) });
  }
  return migrations;
}

interface AppliedRecord {
  number: number;
  name: string;
  checksum: string;
}

async function ensureTable(db: Db): Promise<void> {
  const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (
    number integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;
  try {
    await db.exec(ddl);
  } catch (err) {
    // Two runners creating the table at once: one loses on the catalog's
    // unique index (a unique violation, or "type ... already exists" when the
    // row type collides first); the table exists now, so carry on.
    const code = (err as { code?: unknown }).code;
    const raced =
      err instanceof ConflictError ||
      code === PgCode.duplicateObject ||
      code === PgCode.duplicateTable;
    if (!raced) throw err;
  }
}

async function readApplied(db: Db): Promise<AppliedRecord[] | null> {
  const exists = await db.query<{ found: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS found`,
  );
  if (!exists.rows[0]?.found) return null;
  const { rows } = await db.query<AppliedRecord>(
    'SELECT number, name, checksum FROM schema_migrations ORDER BY number',
  );
  return rows.map((r) => ({ ...r, number: Number(r.number) }));
}

function findProblems(applied: AppliedRecord[], migrations: Migration[]): string[] {
  const problems: string[] = [];
  for (const rec of applied) {
    const file = migrations.find((m) => m.number === rec.number);
    if (!file) {
      problems.push(
        `migration ${rec.name} is recorded as applied but the file is missing; restore it from version control (applied migrations are never deleted)`,
      );
    } else if (file.checksum !== rec.checksum || file.name !== rec.name) {
      problems.push(
        `migration ${rec.name} was changed after it was applied (recorded sha256 ${rec.checksum.slice(0, 12)}…, file ${file.name} has ${file.checksum.slice(0, 12)}…); restore the original file and put the change into a new numbered file`,
      );
    }
  }
  return problems;
}

/** What /readyz needs: are all files applied and untouched? Never throws for a fresh database. */
export async function migrationStatus(
  db: Db,
  migrations: Migration[] = loadMigrations(),
): Promise<MigrationStatus> {
  const applied = (await readApplied(db)) ?? [];
  const problems = findProblems(applied, migrations);
  const done = new Set(applied.map((a) => a.number));
  const pending = migrations.filter((m) => !done.has(m.number)).map((m) => m.name);
  return {
    upToDate: pending.length === 0 && problems.length === 0,
    applied: applied.map((a) => a.name),
    pending,
    problems,
  };
}

/** Applies pending migrations in order; throws MigrationError (with `cause`) and stops on the first failure. */
export async function migrate(
  db: Db,
  options: { dir?: string; migrations?: Migration[] } = {},
): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations(options.dir);
  await ensureTable(db);
  const applied = (await readApplied(db)) ?? [];
  const problems = findProblems(applied, migrations);
  if (problems.length > 0) {
    throw new MigrationError(`refusing to start: ${problems.join('; ')}`);
  }
  const done = new Set(applied.map((a) => a.number));
  const result: MigrateResult = {
    applied: [],
    alreadyApplied: migrations.filter((m) => done.has(m.number)).map((m) => m.name),
  };
  for (const m of migrations) {
    if (done.has(m.number)) continue;
    try {
      await db.transaction(async (tx) => {
        try {
          await tx.query(
            'INSERT INTO schema_migrations (number, name, checksum) VALUES ($1, $2, $3)',
            [m.number, m.name, m.checksum],
          );
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          throw new MigrationError(
            `migration ${m.name} is being applied by another process at the same time; start again once it has finished`,
            { cause: err },
          );
        }
        await tx.exec(m.sql);
      });
    } catch (err) {
      if (err instanceof MigrationError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new MigrationError(
        `migration ${m.name} failed and was rolled back (${reason}); fix the file and start again`,
        { cause: err },
      );
    }
    result.applied.push(m.name);
  }
  return result;
}
