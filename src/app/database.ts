/**
 * Opens the configured database: a Postgres server when `database.url` is
 * set (production), otherwise PGlite in `<dataDir>/pglite` (embedded). Then
 * applies the migrations; a changed or failing migration stops the start.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Db, migrate, migrationStatus, openPglite, openPostgres } from '../store/index.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export function pgliteDir(config: Config): string {
  return path.resolve(config.database.dataDir, 'pglite');
}

export async function openDatabase(config: Config, logger: Logger): Promise<Db> {
  if (config.database.url !== null) {
    const db = openPostgres(config.database.url, {
      max: config.database.poolMax,
      applicationName: 'open-acd',
      onIdleError: (err) => logger.warn({ err }, 'idle database connection failed'),
    });
    logger.info({ database: 'postgres' }, 'using the Postgres server from DATABASE_URL');
    return db;
  }
  const dir = pgliteDir(config);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  logger.info({ database: 'pglite', dir }, 'using embedded PGlite');
  return openPglite(dir);
}

export async function migrateDatabase(db: Db, logger: Logger): Promise<void> {
  const result = await migrate(db);
  logger.info(
    { applied: result.applied, alreadyApplied: result.alreadyApplied.length },
    result.applied.length > 0 ? 'migrations applied' : 'database schema up to date',
  );
}

/** Readiness check: null when every migration is applied and unchanged. */
export async function migrationProblem(db: Db): Promise<string | null> {
  const s = await migrationStatus(db);
  if (s.upToDate) return null;
  if (s.problems.length > 0) return s.problems.join('; ');
  return `pending: ${s.pending.join(', ')}`;
}

/** Readiness check: null when the database answers. */
export async function databaseProblem(db: Db): Promise<string | null> {
  await db.query('SELECT 1');
  return null;
}
