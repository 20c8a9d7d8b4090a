/**
 * The drivers themselves: PGlite keeps its data folder across restarts, the
 * test Postgres helper cleans up after itself, and driver errors map to the
 * store's typed errors.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { toStoreError } from '../../src/store/errors.ts';
import {
  ConflictError,
  ConstraintError,
  createStore,
  migrate,
  migrationStatus,
  NotFoundError,
  openPglite,
  openPostgres,
} from '../../src/store/index.ts';
import { openMigratedPglite } from '../support/pglite.ts';
import { startPostgres } from '../support/postgres.ts';

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

test('PGlite in a data folder keeps schema and rows across a restart', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acd-pglite-'));
  folders.push(dir);
  const dataDir = path.join(dir, 'db');
  const first = await openPglite(dataDir);
  try {
    await migrate(first);
    await createStore(first).departments.create({ name: 'Support' });
  } finally {
    await first.close();
  }
  await first.close(); // closing twice is harmless
  const second = await openPglite(dataDir);
  try {
    expect((await migrate(second)).applied).toEqual([]);
    expect((await migrationStatus(second)).upToDate).toBe(true);
    expect((await createStore(second).departments.list()).map((d) => d.name)).toEqual(['Support']);
  } finally {
    await second.close();
  }
  // Two cold PGlite starts with initdb on disk: slow on a busy 2-core machine.
}, 120_000);

test('the test Postgres gives separate databases and removes its folder when stopped', async () => {
  const server = await startPostgres();
  const [urlA, urlB] = [await server.createDatabase(), await server.createDatabase()];
  expect(urlA).not.toBe(urlB);
  const a = openPostgres(urlA);
  const b = openPostgres(urlB);
  try {
    await a.exec('CREATE TABLE only_in_a (x int)');
    const seen = await b.query<{ t: string | null }>(`SELECT to_regclass('only_in_a')::text AS t`);
    expect(seen.rows[0]?.t).toBeNull();
  } finally {
    await a.close();
    await b.close();
  }
  const version = openPostgres(server.url);
  const { rows } = await version.query<{ data_directory: string }>('SHOW data_directory');
  await version.close();
  const dataDirectory = rows[0]?.data_directory ?? '';
  expect(existsSync(dataDirectory)).toBe(true);
  await server.stop();
  await server.stop(); // safe twice
  expect(existsSync(dataDirectory)).toBe(false);
  const gone = openPostgres(urlA);
  await expect(gone.query('SELECT 1')).rejects.toThrow();
  await gone.close();
});

test('driver errors map to typed store errors naming the field', () => {
  const unique = toStoreError({ code: '23505', constraint: 'agents_sip_username_key' });
  expect(unique).toBeInstanceOf(ConflictError);
  expect((unique as ConflictError).field).toBe('sipUsername');
  const check = toStoreError({ code: '23514', constraint: 'memberships_priority_check' });
  expect(check).toMatchObject({ field: 'priority' });
  expect((check as ConstraintError).reason).toMatch(/1 .*100/);
  expect(toStoreError({ code: '23514', constraint: 'dids_number_check' })).toMatchObject({
    field: 'number',
    reason: expect.stringContaining('E.164'),
  });
  expect(toStoreError({ code: '23502', column: 'dialled_number' })).toMatchObject({
    field: 'dialledNumber',
    reason: 'is required',
  });
  const fk = toStoreError({
    code: '23503',
    constraint: 'memberships_agent_id_fkey',
    detail: 'Key (agent_id)=(x) is not present in table "agents".',
  });
  expect(fk).toBeInstanceOf(ConstraintError);
  expect(fk).toMatchObject({ field: 'agentId' });
  const inUse = toStoreError({
    code: '23503',
    constraint: 'dids_department_id_fkey',
    detail: 'Key (id)=(x) is still referenced from table "dids".',
  });
  expect(inUse).toBeInstanceOf(ConflictError);
  expect(toStoreError({ code: 'P0002', table: 'calls', detail: 'c1' })).toEqual(
    new NotFoundError('call', 'c1'),
  );
  expect(toStoreError({ code: '22P02' })).toBeInstanceOf(ConstraintError);
  // Unknown causes pass through unchanged.
  const other = { code: '57P01', message: 'terminating connection' };
  expect(toStoreError(other)).toBe(other);
  const plain = new Error('x');
  expect(toStoreError(plain)).toBe(plain);
});

test('createMigratedDatabase hands out independent, fully migrated copies, also in parallel', async () => {
  const server = await startPostgres();
  const dbs: ReturnType<typeof openPostgres>[] = [];
  try {
    const urls = await Promise.all([1, 2, 3].map(() => server.createMigratedDatabase()));
    expect(new Set(urls).size).toBe(3);
    for (const url of urls) dbs.push(openPostgres(url, { max: 1 }));
    for (const db of dbs) expect((await migrationStatus(db)).upToDate).toBe(true);
    const [first, second] = dbs;
    if (!first || !second) throw new Error('missing database');
    await createStore(first).departments.create({ name: 'Only in the first' });
    expect(await createStore(second).departments.list()).toEqual([]);
  } finally {
    for (const db of dbs) await db.close();
    await server.stop();
  }
});

test('openMigratedPglite starts from the cached template, migrated and empty', async () => {
  const [a, b] = await Promise.all([openMigratedPglite(), openMigratedPglite()]);
  try {
    expect((await migrationStatus(a)).upToDate).toBe(true);
    await createStore(a).departments.create({ name: 'Only in a' });
    expect(await createStore(b).departments.list()).toEqual([]);
  } finally {
    await a.close();
    await b.close();
  }
});
