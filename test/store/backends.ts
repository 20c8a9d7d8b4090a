/**
 * Runs the same test bodies against a real Postgres server and against
 * PGlite. Each backend opens one database per test file (PGlite takes seconds
 * to start), and every test starts from an empty, freshly migrated schema.
 */
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { createStore, type Db, migrate, openPostgres, type Store } from '../../src/store/index.ts';
import { openMigratedPglite } from '../support/pglite.ts';
import { startPostgres } from '../support/postgres.ts';

export type BackendName = 'postgres' | 'pglite';

export interface BackendContext {
  kind: BackendName;
  db: Db;
  store: Store;
}

/** Drops everything the migrations created, so each test starts clean. */
export async function resetSchema(db: Db): Promise<void> {
  await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
}

export async function openBackend(
  kind: BackendName,
): Promise<{ db: Db; close: () => Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openMigratedPglite();
    return { db, close: () => db.close() };
  }
  const server = await startPostgres();
  try {
    const db = openPostgres(await server.createMigratedDatabase(), { max: 4 });
    return {
      db,
      close: async () => {
        await db.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

// One database per backend per test file, opened on first use and closed
// after the file's last test (this module is evaluated once per file).
const opened = new Map<BackendName, Promise<{ db: Db; close: () => Promise<void> }>>();

function shared(kind: BackendName) {
  let p = opened.get(kind);
  if (!p) {
    p = openBackend(kind);
    opened.set(kind, p);
  }
  return p;
}

afterAll(async () => {
  const all = [...opened.values()];
  opened.clear();
  for (const p of all) {
    const o = await p.catch(() => undefined);
    await o?.close();
  }
});

/**
 * `describe`s `body` once per backend. `ctx()` gives the current backend's
 * db and store; `options.migrate: false` leaves the schema empty.
 */
export function eachBackend(
  title: string,
  body: (ctx: () => BackendContext) => void,
  options: { migrate?: boolean } = {},
): void {
  describe.each(['postgres', 'pglite'] as const)(`${title} (%s)`, (kind) => {
    let current: BackendContext | undefined;
    beforeAll(async () => {
      const { db } = await shared(kind);
      current = { kind, db, store: createStore(db) };
    });
    beforeEach(async () => {
      if (!current) throw new Error(`${kind} did not open`);
      await resetSchema(current.db);
      if (options.migrate !== false) await migrate(current.db);
    });
    body(() => {
      if (!current) throw new Error(`${kind} did not open`);
      return current;
    });
  });
}
