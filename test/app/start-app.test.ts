/**
 * The composition root, started for real: embedded first start with a
 * generated token, restart on the same data folder, graceful shutdown with a
 * write in flight (real Postgres holding a lock), and a failed start that
 * leaves nothing open.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/settings/config.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import { captureLogs } from '../api/support/harness.ts';
import { connect, eventsUrl } from '../api/support/ws-client.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const dirs: string[] = [];
const apps: AcdApp[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'acd-app-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function configFor(dataDir: string, extra: Record<string, unknown> = {}) {
  return loadConfig({
    env: {},
    overrides: { http: { host: '127.0.0.1', port: 0 }, database: { dataDir }, ...extra },
  });
}

async function start(config: ReturnType<typeof loadConfig>, logs: string[]) {
  const app = await startApp(config, {
    logger: createLogger({ level: 'info', destination: captureLogs(logs) }),
  });
  apps.push(app);
  return app;
}

describe('embedded start (PGlite in the data folder)', () => {
  it('generates a token into the data folder (0600), logs where it is, never the token; restarts keep token and data', async () => {
    const dataDir = await tempDir();
    const logs: string[] = [];
    const first = await start(configFor(dataDir), logs);
    const tokenFile = path.join(dataDir, 'api-token');
    expect(first.tokenFile).toBe(tokenFile);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(first.token);
    const text = logs.join('\n');
    expect(text).toContain(tokenFile);
    expect(text).not.toContain(first.token);

    const auth = { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.httpUrl}/api/departments`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'Survives restarts' }),
    });
    expect(created.status).toBe(201);
    await first.close();
    apps.splice(apps.indexOf(first), 1);

    const again = await start(configFor(dataDir), logs);
    expect(again.token).toBe(first.token);
    const list = await fetch(`${again.httpUrl}/api/departments`, { headers: auth });
    const body = (await list.json()) as { items: Array<{ name: string }> };
    expect(body.items.map((d) => d.name)).toEqual(['Survives restarts']);
    expect(logs.join('\n')).not.toContain(first.token);
    // Two PGlite boots: slow on a loaded machine.
  }, 240_000);
});

describe('production start (Postgres server)', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('finishes a write in flight on close, then refuses new connections and closes the pool', async () => {
    const url = await server.createDatabase();
    const app = await start(
      configFor(await tempDir(), {
        database: { url, dataDir: await tempDir() },
        api: { token: 'graceful-token-0123456789' },
      }),
      [],
    );
    const headers = {
      authorization: 'Bearer graceful-token-0123456789',
      'content-type': 'application/json',
    };
    const events = await connect(eventsUrl(app.httpUrl, app.token));
    const closedWith = new Promise<number>((resolve) =>
      events.ws.once('close', (code) => resolve(code)),
    );

    // Another session holds a lock, so the API's INSERT waits inside the request.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE departments IN ACCESS EXCLUSIVE MODE');
    const write = fetch(`${app.httpUrl}/api/departments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'In flight' }),
    });
    // Wait until the INSERT is really blocked on the lock.
    let blocked = false;
    for (let i = 0; i < 100; i++) {
      const { rows } = await locker.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()`,
      );
      if (Number(rows[0]?.n) > 0) {
        blocked = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }

    expect(blocked).toBe(true);
    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(closed).toBe(false);
    // New connections are refused while the old request finishes.
    await expect(fetch(`${app.httpUrl}/healthz`)).rejects.toThrow();
    await locker.query('COMMIT');
    await locker.end();

    const res = await write;
    expect(res.status).toBe(201);
    await closing;
    expect(await closedWith).toBe(1001);
    // The pool is closed: the store refuses further queries.
    await expect(app.store.departments.list()).rejects.toThrow();
    // The write that was in flight is in the database.
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const { rows } = await check.query('SELECT name FROM departments');
    await check.end();
    expect(rows).toEqual([{ name: 'In flight' }]);
    // close() twice is harmless.
    await app.close();
  }, 120_000);

  it('reports not ready (503) when the database goes away, while /healthz stays 200', async () => {
    const own = await startPostgres();
    const logs: string[] = [];
    try {
      const app = await start(
        configFor(await tempDir(), {
          database: { url: await own.createDatabase(), dataDir: await tempDir() },
          api: { token: 'readiness-token-0123456789' },
        }),
        logs,
      );
      expect((await fetch(`${app.httpUrl}/readyz`)).status).toBe(200);
      await own.stop();
      const r = await fetch(`${app.httpUrl}/readyz`);
      expect(r.status).toBe(503);
      const body = (await r.json()) as { status: string; checks: Record<string, string> };
      expect(body.status).toBe('not ready');
      expect(body.checks.database).toMatch(/^failed/);
      expect((await fetch(`${app.httpUrl}/healthz`)).status).toBe(200);
      // API requests fail with a 500 that names the request, never the driver's message.
      const failed = await fetch(`${app.httpUrl}/api/departments`, {
        headers: { authorization: 'Bearer readiness-token-0123456789', 'x-request-id': 'req-42' },
      });
      expect(failed.status).toBe(500);
      expect(failed.headers.get('x-request-id')).toBe('req-42');
      expect(await failed.json()).toEqual({
        error: { code: 'internal', message: 'internal error (request req-42)' },
      });
      expect(
        logs.some((l) => l.includes('"requestId":"req-42"') && l.includes('request failed')),
      ).toBe(true);
    } finally {
      await own.stop();
    }
  }, 120_000);

  it('fails to start on a missing database, naming it, without logging the token', async () => {
    const logs: string[] = [];
    const config = configFor(await tempDir(), {
      database: {
        url: `postgres://postgres@127.0.0.1:${server.port}/no_such_db`,
        dataDir: await tempDir(),
      },
      api: { token: 'unreachable-token-0123456' },
    });
    await expect(
      startApp(config, { logger: createLogger({ level: 'info', destination: captureLogs(logs) }) }),
    ).rejects.toThrow(/no_such_db/);
    expect(logs.join('\n')).not.toContain('unreachable-token-0123456');
  });
});
