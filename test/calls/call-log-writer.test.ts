/**
 * The call-log writer against a real Postgres server with the store's own
 * call log (migrations, event_log and calls projections), stopping and
 * restarting the server while events are being written.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CallLogWriter, isPermanentDbError } from '../../src/calls/recorder/call-log-writer.ts';
import type { Logger } from '../../src/calls/ports/index.ts';
import {
  ConflictError,
  createStore,
  type Db,
  type LogEventInput,
  migrate,
  NotFoundError,
  openPostgres,
  type Store,
} from '../../src/store/index.ts';
import { RestartablePostgres } from './support/restartable-postgres.ts';

let server: RestartablePostgres;
beforeAll(async () => {
  server = await RestartablePostgres.create();
}, 60_000);
afterAll(async () => {
  await server?.destroy();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  if (!server.running) await server.start();
});

async function freshStore(): Promise<{ db: Db; store: Store; url: string }> {
  const name = `calls_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.url.replace(/\/postgres$/, `/${name}`);
  // Idle connections die when the server stops; the pool drops them.
  const db = openPostgres(url, { onIdleError: () => {} });
  cleanups.push(() => db.close());
  await migrate(db);
  return { db, store: createStore(db), url };
}

function recorder() {
  const logs: { level: string; msg: string; obj: object }[] = [];
  const push = (level: string) => (obj: object, msg: string) => logs.push({ level, msg, obj });
  const logger: Logger = {
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
  const metrics = {
    written: 0,
    retried: 0,
    dropped: [] as [number, string][],
    maxQueued: 0,
  };
  return {
    logs,
    logger,
    metrics,
    hooks: {
      written: (n: number) => {
        metrics.written += n;
      },
      retried: () => {
        metrics.retried++;
      },
      dropped: (n: number, reason: string) => {
        metrics.dropped.push([n, reason]);
      },
      queued: (n: number) => {
        metrics.maxQueued = Math.max(metrics.maxQueued, n);
      },
    },
  };
}

function writerFor(
  store: Store,
  rec: ReturnType<typeof recorder>,
  overrides: { maxQueued?: number; closeTimeoutMs?: number } = {},
) {
  const writer = new CallLogWriter<LogEventInput>({
    sink: { append: async (events) => void (await store.callLog.appendMany(events)) },
    batchSize: 16,
    initialRetryDelayMs: 50,
    maxRetryDelayMs: 400,
    describe: (e) => ({ type: e.type, callId: e.callId }),
    logger: rec.logger,
    metrics: rec.hooks,
    ...overrides,
  });
  cleanups.push(() => writer.close());
  return writer;
}

const arrived = (callId: string): LogEventInput => ({
  type: 'call.arrived',
  callId,
  payload: { caller: '+4930111', dialledNumber: '+4930222' },
});
const ended = (callId: string): LogEventInput => ({
  type: 'call.ended',
  callId,
  payload: { outcome: 'abandoned' },
});

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('CallLogWriter on a real Postgres server', () => {
  it('loses no call when the database server stops and restarts mid-stream', async () => {
    const { db, store } = await freshStore();
    const rec = recorder();
    const writer = writerFor(store, rec);
    const calls = Array.from({ length: 150 }, () => randomUUID());
    for (const [i, id] of calls.entries()) {
      if (i === 50) {
        await writer.flush();
        await server.stop();
      }
      if (i === 100) {
        await until(() => writer.backingOff, 'the writer to notice the outage');
        expect(writer.queued).toBeGreaterThan(0);
        await server.start();
      }
      writer.write(arrived(id));
      writer.write(ended(id));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(await writer.close()).toEqual({ unwritten: 0 });

    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM calls WHERE id = ANY(string_to_array($1, ',')) AND outcome = 'abandoned'`,
      [calls.join(',')],
    );
    expect(rows[0]?.n).toBe(150);
    // Written in order: each call's arrival precedes its end in the log.
    const order = await db.query<{ call_id: string; types: string[] }>(
      `SELECT call_id, array_agg(type ORDER BY id) AS types FROM event_log GROUP BY call_id`,
    );
    expect(order.rows).toHaveLength(150);
    for (const r of order.rows) expect(r.types[0]).toBe('call.arrived');
    expect(rec.metrics.retried).toBeGreaterThan(0);
    expect(rec.metrics.dropped).toEqual([]);
    expect(writer.written).toBe(300);
    expect(rec.logs.some((l) => l.level === 'warn' && l.msg.includes('retrying'))).toBe(true);
    expect(rec.logs.some((l) => l.level === 'info' && l.msg.includes('succeed again'))).toBe(true);
  });

  it('drops only the event the database refuses and writes the rest of its batch in order', async () => {
    const { db, store } = await freshStore();
    const rec = recorder();
    const writer = writerFor(store, rec);
    const [a, b] = [randomUUID(), randomUUID()];
    writer.write(arrived(a));
    writer.write(ended(randomUUID())); // a call the log never saw: NotFoundError
    writer.write(arrived(a)); // a duplicate: ConflictError
    writer.write(arrived(b));
    writer.write(ended(a));
    await writer.flush();
    const { rows } = await db.query<{ id: string; outcome: string | null }>(
      'SELECT id, outcome FROM calls ORDER BY arrived_at',
    );
    expect(rows).toEqual([
      { id: a, outcome: 'abandoned' },
      { id: b, outcome: null },
    ]);
    expect(rec.metrics.dropped).toEqual([
      [1, 'refused'],
      [1, 'refused'],
    ]);
    // The refused ones are not counted as written.
    expect(writer.written).toBe(3);
    expect(rec.logs.filter((l) => l.level === 'error' && l.msg.includes('refused'))).toHaveLength(
      2,
    );
  });

  it('keeps at most maxQueued events during an outage, drops the newest, and writes the kept ones after', async () => {
    const { db, store } = await freshStore();
    const rec = recorder();
    const writer = writerFor(store, rec, { maxQueued: 10 });
    await server.stop();
    const ids = Array.from({ length: 15 }, () => randomUUID());
    for (const id of ids) writer.write(arrived(id));
    expect(writer.queued).toBe(10);
    expect(rec.metrics.dropped).toEqual(Array.from({ length: 5 }, () => [1, 'queue-full']));
    expect(rec.logs.filter((l) => l.msg.includes('queue full'))).toHaveLength(1);
    expect(rec.logs.some((l) => l.msg.includes('more than half full'))).toBe(true);
    await server.start();
    await writer.flush();
    const { rows } = await db.query<{ id: string }>('SELECT id FROM calls ORDER BY arrived_at, id');
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids.slice(0, 10)));
  });

  it('close() with the database down gives up after its timeout and reports what was not written', async () => {
    const { store } = await freshStore();
    const rec = recorder();
    const writer = writerFor(store, rec, { closeTimeoutMs: 500 });
    await server.stop();
    writer.write(arrived(randomUUID()));
    writer.write(arrived(randomUUID()));
    const closing = writer.close();
    expect(writer.close()).toBe(closing);
    expect(await closing).toEqual({ unwritten: 2 });
    expect(writer.queued).toBe(0);
    writer.write(arrived(randomUUID()));
    expect(rec.metrics.dropped).toEqual([
      [2, 'closed'],
      [1, 'closed'],
    ]);
  });

  it('with gatherMs, events written close together share a batch; flush() does not wait', async () => {
    const { db, store } = await freshStore();
    const batches: number[] = [];
    const gathering = (gatherMs: number) => {
      const writer = new CallLogWriter<LogEventInput>({
        sink: {
          append: async (events) => {
            batches.push(events.length);
            await store.callLog.appendMany(events);
          },
        },
        gatherMs,
      });
      cleanups.push(() => writer.close());
      return writer;
    };
    // A window far longer than the test: only flush() can write these.
    const patient = gathering(3_600_000);
    const first = randomUUID();
    patient.write(arrived(first));
    await new Promise((r) => setTimeout(r, 20));
    patient.write(ended(first));
    expect(batches).toEqual([]);
    await patient.flush();
    expect(batches).toEqual([2]);
    // A short window ends by itself.
    const second = randomUUID();
    gathering(30).write(arrived(second));
    await until(() => batches.length === 2, 'the gathered batch');
    expect(batches).toEqual([2, 1]);
    const { rows } = await db.query('SELECT 1 FROM calls WHERE id = ANY($1)', [[first, second]]);
    expect(rows).toHaveLength(2);
  });

  it('close() writes what is queued when the database is up', async () => {
    const { db, store } = await freshStore();
    const writer = writerFor(store, recorder());
    const id = randomUUID();
    writer.write(arrived(id));
    expect(await writer.close()).toEqual({ unwritten: 0 });
    const { rows } = await db.query('SELECT 1 FROM calls WHERE id = $1', [id]);
    expect(rows).toHaveLength(1);
  });
});

describe('isPermanentDbError', () => {
  it('treats the store refusals and SQLSTATE classes 22, 23, 42 as permanent', () => {
    expect(isPermanentDbError(new ConflictError('callId', 'x'))).toBe(true);
    expect(isPermanentDbError(new NotFoundError('call', 'x'))).toBe(true);
    expect(isPermanentDbError(Object.assign(new Error('unique'), { code: '23505' }))).toBe(true);
    expect(isPermanentDbError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(true);
  });

  it('treats connection trouble and unknown errors as transient', () => {
    expect(isPermanentDbError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
    expect(isPermanentDbError(Object.assign(new Error('shutdown'), { code: '57P01' }))).toBe(false);
    expect(isPermanentDbError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isPermanentDbError('weird')).toBe(false);
  });
});
