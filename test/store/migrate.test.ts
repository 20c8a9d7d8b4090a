/**
 * The migration runner on Postgres and PGlite, with migration folders written
 * per test into a temporary directory.
 */
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import {
  loadMigrations,
  MigrationError,
  migrate,
  migrationStatus,
  openPostgres,
} from '../../src/store/index.ts';
import { startPostgres } from '../support/postgres.ts';
import { eachBackend } from './backends.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function migrationDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acd-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MigrationError);
  return err as Error;
}

const ONE = 'CREATE TABLE a (id integer PRIMARY KEY);';
const TWO = "INSERT INTO a VALUES (1); CREATE TABLE b (name text NOT NULL DEFAULT 'x');";

eachBackend(
  'migrations',
  (ctx) => {
    test('applies the files in order, records name and checksum, and a re-run does nothing', async () => {
      const { db } = ctx();
      // Written out of order: the number decides, not the write order.
      const dir = migrationDir({ '0002_second.sql': TWO, '0001_first.sql': ONE });
      expect(await migrate(db, { dir })).toEqual({
        applied: ['0001_first.sql', '0002_second.sql'],
        alreadyApplied: [],
      });
      const { rows } = await db.query<{ number: number; name: string; checksum: string }>(
        'SELECT number, name, checksum FROM schema_migrations ORDER BY number',
      );
      expect(rows).toEqual(
        loadMigrations(dir).map(({ number, name, checksum }) => ({ number, name, checksum })),
      );
      expect(rows[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(await migrate(db, { dir })).toEqual({
        applied: [],
        alreadyApplied: ['0001_first.sql', '0002_second.sql'],
      });
      expect((await db.query('SELECT * FROM a')).rows).toHaveLength(1);
      expect(await migrationStatus(db, loadMigrations(dir))).toEqual({
        upToDate: true,
        applied: ['0001_first.sql', '0002_second.sql'],
        pending: [],
        problems: [],
      });
    });

    test('a new file is applied on the next start; status shows it pending before', async () => {
      const { db } = ctx();
      const dir = migrationDir({ '0001_first.sql': ONE });
      await migrate(db, { dir });
      writeFileSync(path.join(dir, '0002_second.sql'), TWO);
      const status = await migrationStatus(db, loadMigrations(dir));
      expect(status).toMatchObject({ upToDate: false, pending: ['0002_second.sql'], problems: [] });
      expect((await migrate(db, { dir })).applied).toEqual(['0002_second.sql']);
    });

    test('a fresh database reports every file pending, without failing', async () => {
      const { db } = ctx();
      const dir = migrationDir({ '0001_first.sql': ONE });
      expect(await migrationStatus(db, loadMigrations(dir))).toEqual({
        upToDate: false,
        applied: [],
        pending: ['0001_first.sql'],
        problems: [],
      });
    });

    test('refuses to start when an applied file was changed, and says what to do', async () => {
      const { db } = ctx();
      const dir = migrationDir({ '0001_first.sql': ONE, '0002_second.sql': TWO });
      await migrate(db, { dir });
      writeFileSync(path.join(dir, '0001_first.sql'), `${ONE}\n-- edited`);
      writeFileSync(path.join(dir, '0003_third.sql'), 'CREATE TABLE c (x int);');
      const err = await errorOf(migrate(db, { dir }));
      expect(err.message).toContain('0001_first.sql was changed after it was applied');
      expect(err.message).toContain('new numbered file');
      // Nothing after the check ran.
      expect((await db.query(`SELECT to_regclass('c') AS t`)).rows[0]).toEqual({ t: null });
      const status = await migrationStatus(db, loadMigrations(dir));
      expect(status.upToDate).toBe(false);
      expect(status.problems).toHaveLength(1);
    });

    test('line endings do not count as a change (CRLF checkouts)', async () => {
      const { db } = ctx();
      const dir = migrationDir({
        '0001_first.sql': 'CREATE TABLE a (id int);\nCREATE TABLE z (id int);\n',
      });
      await migrate(db, { dir });
      writeFileSync(
        path.join(dir, '0001_first.sql'),
        'CREATE TABLE a (id int);\r\nCREATE TABLE z (id int);\r\n',
      );
      expect((await migrate(db, { dir })).alreadyApplied).toEqual(['0001_first.sql']);
    });

    test('refuses to start when an applied file is missing', async () => {
      const { db } = ctx();
      const dir = migrationDir({ '0001_first.sql': ONE, '0002_second.sql': TWO });
      await migrate(db, { dir });
      unlinkSync(path.join(dir, '0002_second.sql'));
      const err = await errorOf(migrate(db, { dir }));
      expect(err.message).toContain(
        '0002_second.sql is recorded as applied but the file is missing',
      );
      expect(err.message).toContain('restore it');
    });

    test('a failing file rolls back only itself and stops the run', async () => {
      const { db } = ctx();
      const dir = migrationDir({
        '0001_first.sql': ONE,
        // The first statement succeeds, the second fails: both must be undone.
        '0002_broken.sql': 'CREATE TABLE half (id int); INSERT INTO missing_table VALUES (1);',
        '0003_third.sql': 'CREATE TABLE c (x int);',
      });
      const err = await errorOf(migrate(db, { dir }));
      expect(err.message).toContain('0002_broken.sql failed and was rolled back');
      expect(err.cause).toBeDefined();
      const tables = await db.query<{ a: string | null; half: string | null; c: string | null }>(
        `SELECT to_regclass('a')::text AS a, to_regclass('half')::text AS half, to_regclass('c')::text AS c`,
      );
      expect(tables.rows[0]).toEqual({ a: 'a', half: null, c: null });
      const status = await migrationStatus(db, loadMigrations(dir));
      expect(status).toMatchObject({
        applied: ['0001_first.sql'],
        pending: ['0002_broken.sql', '0003_third.sql'],
      });
      // Fixed, the run continues where it stopped.
      writeFileSync(path.join(dir, '0002_broken.sql'), 'CREATE TABLE half (id int);');
      expect((await migrate(db, { dir })).applied).toEqual(['0002_broken.sql', '0003_third.sql']);
    });

    test('the shipped sql/ migrations apply and report up to date', async () => {
      const { db } = ctx();
      expect((await migrate(db)).applied.length).toBeGreaterThanOrEqual(2);
      expect((await migrationStatus(db)).upToDate).toBe(true);
    });
  },
  { migrate: false },
);

test('loadMigrations refuses badly named files and duplicate numbers, ignores other files', () => {
  expect(() => loadMigrations(migrationDir({ '1_first.sql': ONE }))).toThrow(/NNNN_name\.sql/);
  expect(() => loadMigrations(migrationDir({ '0001_First.sql': ONE }))).toThrow(/NNNN_name\.sql/);
  expect(() => loadMigrations(migrationDir({ '0001_a.sql': ONE, '0001_b.sql': TWO }))).toThrow(
    /share number 0001/,
  );
  const ok = loadMigrations(migrationDir({ '0001_a.sql': ONE, 'README.md': '# notes' }));
  expect(ok.map((m) => m.name)).toEqual(['0001_a.sql']);
});

test('two runners racing on one Postgres database: the schema is applied once, the loser fails cleanly', async () => {
  const server = await startPostgres();
  const url = await server.createDatabase();
  const dbs = [openPostgres(url), openPostgres(url), openPostgres(url)];
  try {
    const dir = migrationDir({
      '0001_first.sql': `${ONE} SELECT pg_sleep(1);`,
      '0002_second.sql': TWO,
    });
    // Connected before the race, so on a busy machine no runner is still
    // connecting when the first one's transaction has ended.
    await Promise.all(dbs.map((db) => db.query('SELECT 1')));
    const results = await Promise.allSettled(dbs.map((db) => migrate(db, { dir })));
    // Each file was applied by exactly one runner.
    const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.applied : []));
    expect(applied.sort()).toEqual(['0001_first.sql', '0002_second.sql']);
    // pg_sleep holds the first runner's transaction open, so the others collide with it.
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(MigrationError);
        expect(String(r.reason.message)).toMatch(/another process/);
      }
    }
    const db = dbs[0];
    if (!db) throw new Error('no db');
    expect((await db.query('SELECT * FROM a')).rows).toHaveLength(1);
    expect((await migrationStatus(db, loadMigrations(dir))).upToDate).toBe(true);
    // Every runner that failed starts cleanly the second time.
    for (const other of dbs) expect((await migrate(other, { dir })).applied).toEqual([]);
  } finally {
    for (const db of dbs) await db.close();
    await server.stop();
  }
});
