/**
 * Opens the configured database: a Postgres server when `database.url` is
 * set (production), otherwise PGlite in `<dataDir>/pglite` (embedded). Then
 * applies the migrations; a changed or failing migration stops the start.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Db, migrate, migrationStatus, openPglite, openPostgres } from '../store/index.ts';
import { instanceSessionOption, nameSession } from '../store/instances.ts';
import type { Config } from './settings/config.ts';
import { instanceId } from './leadership/instance-id.ts';
import type { Logger } from './runtime/logger.ts';

export function pgliteDir(config: Config): string {
  return path.resolve(config.database.dataDir, 'pglite');
}

/**
 * The URL with this instance's name as a session setting of every connection
 * (`acd.instance`): the call log and change notifications name it.
 */
export function urlNamingInstance(url: string, id: string): string {
  const u = new URL(url);
  const options = [u.searchParams.get('options'), instanceSessionOption(id)].filter(Boolean);
  u.searchParams.set('options', options.join(' '));
  return u.toString();
}

export async function openDatabase(config: Config, logger: Logger): Promise<Db> {
  const id = instanceId(config);
  if (config.database.url !== null) {
    const db = openPostgres(urlNamingInstance(config.database.url, id), {
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
  const db = await openPglite(dir);
  await nameSession(db, id);
  return db;
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
