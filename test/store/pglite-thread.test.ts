/**
 * PGlite on a worker thread (`openPgliteThread`) against PGlite on this
 * thread (`wrapPglite`): the same rows, errors and transactions; and what only
 * the worker gives: an event loop that keeps running during a long query, and
 * requests that fail instead of hanging when the worker stops.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite, TransactionAbortedError } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  PGLITE_SETTINGS,
  BACKGROUND_NICENESS,
  ConflictError,
  ConstraintError,
  createStore,
  type Db,
  openPgliteThread,
  type PgliteThreadDb,
  wrapPglite,
} from '../../src/store/index.ts';
import { OpenLegsRepo } from '../../src/store/open-legs.ts';
import { migratedTemplate } from '../support/pglite.ts';

const T0 = Date.parse('2026-01-05T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

/** Rows in every table, so every column type of the schema holds a value. */
async function populate(db: Db): Promise<void> {
  const store = createStore(db);
  const support = await store.departments.create({
    name: 'Support',
    businessHours: [{ day: 1, open: '08:00', close: '18:00' }],
    holidays: ['2026-12-25'],
  });
  await store.dids.create({ number: '+4930111', departmentId: support.id, description: 'main' });
  const ann = await store.agents.create({
    name: 'Ann',
    sipUsername: 'ann',
    mobileNumber: '+4917012345',
  });
  await store.memberships.create({ agentId: ann.id, departmentId: support.id, priority: 10 });
  await store.vipCallers.create({ callerNumber: '+4930222', dedicatedAgentId: ann.id, note: 'x' });
  await store.mobileAllowList.create({ pattern: '+4930*', description: 'Berlin' });
  await store.registrations.upsert({
    agentId: ann.id,
    contactUri: 'sip:ann@10.0.0.1:5060',
    expiresAt: at(3600),
    sourceAddress: '10.0.0.1',
    sourcePort: 5060,
    transport: 'udp',
    userAgent: 'phone',
    sipCallId: 'abc',
    cseq: 2,
  });
  await store.callLog.appendMany([
    {
      type: 'call.arrived',
      callId: 'c1',
      at: at(0),
      departmentId: support.id,
      payload: { caller: '+4930333', dialledNumber: '+4930111' },
    },
    {
      type: 'call.ringing',
      callId: 'c1',
      agentId: ann.id,
      at: at(1),
      payload: { attemptId: 'c1-1', device: 'sip:ann@10.0.0.1' },
    },
    {
      type: 'call.answered',
      callId: 'c1',
      agentId: ann.id,
      at: at(3.5),
      payload: { attemptId: 'c1-1' },
    },
    { type: 'call.ended', callId: 'c1', at: at(60), payload: { outcome: 'answered' } },
  ]);
  // The writes fill the report rollups; a later call moved to another
  // department after its ring leaves quarter hours (department and agent)
  // marked dirty, so the marks' tables have rows too.
  const sales = await store.departments.create({ name: 'Sales' });
  await store.callLog.appendMany([
    {
      type: 'call.arrived',
      callId: 'c2',
      at: at(30),
      departmentId: support.id,
      payload: { caller: '+4930334', dialledNumber: '+4930111' },
    },
    {
      type: 'call.ringing',
      callId: 'c2',
      agentId: ann.id,
      at: at(31),
      payload: { attemptId: 'c2-1', device: 'sip:ann@10.0.0.1' },
    },
  ]);
  await store.callLog.appendMany([
    { type: 'call.queued', callId: 'c2', at: at(40), departmentId: sales.id, payload: {} },
  ]);
  await store.agentStatus.set(ann.id, {
    status: 'break',
    until: at(900),
    reason: 'lunch',
    source: 'admin',
    at: at(100),
  });
  // Written by the routing lease on a database server (src/app/leadership/).
  await db.query(`INSERT INTO instances (id, host, pid) VALUES ('acd-a', 'host-a', 4242)`);
  await new OpenLegsRepo(db).write(
    'acd-a',
    [{ sipCallId: 'leg-1@host', target: 'sip:ann@10.0.0.1' }],
    [],
  );
  await store.voicemails.add({
    id: '5d0c3f4e-3c2a-4a8e-9a57-0c6f2b1d7e11',
    callId: 'c1',
    departmentId: support.id,
    caller: '+4930333',
    startedAt: at(70),
    endedAt: at(80),
    durationMs: 10_000,
    path: '/var/lib/acd/voicemail/v1.wav',
  });
  await store.recordings.add({
    callId: 'c1',
    departmentId: support.id,
    path: '/var/lib/acd/recordings/c1.wav',
    startedAt: at(4),
    endedAt: at(60),
    bytes: 1_792_044,
  });
  await store.callbacks.create({
    callId: 'c1',
    departmentId: support.id,
    number: '+4930333',
    arrivedAt: at(0),
  });
  await store.callbacks.retryScheduled('c1', 1, at(400));
}

let inThread: Db;
let thread: PgliteThreadDb;
/** The populated database, to open more copies from. */
let dump: Blob;

beforeAll(async () => {
  const lite = await PGlite.create({ loadDataDir: await migratedTemplate() });
  inThread = wrapPglite(lite);
  await populate(inThread);
  dump = await lite.dumpDataDir('none');
  thread = await openPgliteThread({ loadDataDir: dump });
});

afterAll(async () => {
  await inThread?.close();
  await thread?.close();
});

/** Runs the same on both databases: [in-thread, worker]. */
async function onBoth<T>(run: (db: Db) => Promise<T>): Promise<[T, T]> {
  return [await run(inThread), await run(thread)];
}

/** What a caller can see of an error: class, message, fields, and its cause's. */
function anatomy(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const fields = { ...err };
  return {
    class: err.constructor,
    name: err.name,
    message: err.message,
    fields,
    cause: anatomy(err.cause),
  };
}

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

let tables = 0;
/** A fresh scratch table `(i int PRIMARY KEY)` in the worker database. */
async function scratch(): Promise<string> {
  tables += 1;
  const name = `scratch_${tables}`;
  await thread.exec(`CREATE TABLE ${name} (i int PRIMARY KEY)`);
  return name;
}

const ids = async (db: Db, table: string) =>
  (await db.query<{ i: number }>(`SELECT i FROM ${table} ORDER BY i`)).rows.map((r) => r.i);

describe('values', () => {
  test('every table reads back as in-thread, and that covers every column type of the schema', async () => {
    const { rows: columns } = await inThread.query<{ table: string; column: string; type: string }>(
      `SELECT table_name AS table, column_name AS column, data_type AS type
         FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const covered = new Set<string>();
    for (const table of new Set(columns.map((c) => c.table))) {
      const [a, b] = await onBoth((db) => db.query(`SELECT * FROM ${table} ORDER BY 1`));
      expect(a.rows.length, table).toBeGreaterThan(0);
      expect(b, table).toStrictEqual(a);
      for (const c of columns.filter((c) => c.table === table)) {
        if (a.rows.some((r) => (r as Record<string, unknown>)[c.column] !== null))
          covered.add(c.type);
      }
    }
    const types = [...new Set(columns.map((c) => c.type))].sort();
    expect([...covered].sort()).toEqual(types);
    expect(types).toEqual(
      expect.arrayContaining(['bigint', 'jsonb', 'timestamp with time zone', 'uuid']),
    );
  });

  test('parameters and literals of other types round-trip as in-thread (Date, bigint, bytea, arrays, infinity)', async () => {
    const params = [
      new Date('2026-03-01T12:34:56.789Z'),
      9007199254740993n,
      ['a', null, 'c'],
      true,
      JSON.stringify({ nested: { list: [1, 'two', null] } }),
      '0b6e7c84-2f1e-4b8a-9c55-3b0d3a7f1e21',
      2.5,
      -7,
      null,
    ] as const;
    const [a, b] = await onBoth((db) =>
      db.query(
        `SELECT $1::timestamptz AS at, $2::bigint AS big, 42::bigint AS small, $3::text[] AS list,
                $4::boolean AS flag, $5::text::jsonb AS doc, $6::uuid AS id, $7::float8 AS ratio,
                $8::int AS n, $9::text AS nothing, 'infinity'::timestamptz AS forever,
                '\\x00ff10'::bytea AS bytes, 1.50::numeric AS amount, '08:30'::time AS opens,
                interval '90 seconds' AS span, now() - now() AS zero`,
        params,
      ),
    );
    expect(b).toStrictEqual(a);
    const row = b.rows[0] as Record<string, unknown>;
    expect(row.at).toEqual(params[0]);
    expect(row.big).toBe(9007199254740993n);
    expect(row.small).toBe(42);
    expect(row.bytes).toEqual(new Uint8Array([0, 255, 16]));
    expect(row.forever).toBe(Number.POSITIVE_INFINITY);
  });

  test('rowCount as in-thread for SELECT, INSERT, UPDATE, DELETE and DDL', async () => {
    const counts = async (db: Db) => {
      const name = `counts_${db === thread ? 'w' : 't'}`;
      return [
        (await db.query(`CREATE TABLE ${name} (i int)`)).rowCount,
        (await db.query(`INSERT INTO ${name} SELECT generate_series(1, 5)`)).rowCount,
        (await db.query(`UPDATE ${name} SET i = i + 1 WHERE i > 2`)).rowCount,
        (await db.query(`SELECT * FROM ${name}`)).rowCount,
        (await db.query(`DELETE FROM ${name} WHERE i < 3`)).rowCount,
        (await db.query(`DROP TABLE ${name}`)).rowCount,
      ];
    };
    const [a, b] = await onBoth(counts);
    expect(b).toEqual(a);
    expect(b.slice(1, 5)).toEqual([5, 3, 5, 2]);
  });
});

describe('transactions', () => {
  test('commit, and rollback with the same error rethrown', async () => {
    const t = await scratch();
    expect(
      await thread.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t} VALUES (1), (2)`);
        return 'done';
      }),
    ).toBe('done');
    const boom = new Error('boom');
    await expect(
      thread.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t} VALUES (3)`);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await ids(thread, t)).toEqual([1, 2]);
  });

  test('a nested transaction is a savepoint: its failure undoes only its own work', async () => {
    const t = await scratch();
    await thread.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${t} VALUES (1)`);
      await expect(
        tx.transaction(async (inner) => {
          await inner.query(`INSERT INTO ${t} VALUES (2)`);
          await inner.transaction(async (innermost) => {
            await innermost.exec(`INSERT INTO ${t} VALUES (3)`);
          });
          await inner.query(`INSERT INTO ${t} VALUES (1)`); // duplicate: fails
        }),
      ).rejects.toMatchObject({ name: 'ConflictError' });
      await tx.query(`INSERT INTO ${t} VALUES (4)`);
    });
    expect(await ids(thread, t)).toEqual([1, 4]);
  });

  test('a query outside waits until the transaction has ended', async () => {
    const t = await scratch();
    const order: string[] = [];
    let outside: Promise<number[]> | undefined;
    await thread.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${t} VALUES (1)`);
      outside = ids(thread, t).then((seen) => {
        order.push('outside answered');
        return seen;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await tx.query(`INSERT INTO ${t} VALUES (2)`);
      order.push('transaction done');
    });
    expect(await outside).toEqual([1, 2]);
    expect(order).toEqual(['transaction done', 'outside answered']);
  });

  test('concurrent queries and transactions each get their own answer', async () => {
    const t = await scratch();
    const doubled = Array.from({ length: 100 }, (_, i) =>
      thread.query<{ v: number }>('SELECT $1::int * 2 AS v', [i]).then((r) => r.rows[0]?.v),
    );
    const inserts = Array.from({ length: 20 }, (_, i) =>
      thread.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${t} VALUES ($1)`, [i]);
        return (await tx.query(`SELECT i FROM ${t}`)).rowCount;
      }),
    );
    expect(await Promise.all(doubled)).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
    // Transactions run one after another: each saw the rows of those before it.
    expect(await Promise.all(inserts)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('errors', () => {
  test('a unique violation, a foreign-key violation and a syntax error look as in-thread', async () => {
    const cases = [
      "INSERT INTO departments (name) VALUES ('Support')",
      "INSERT INTO dids (number, department_id) VALUES ('+4930999', '00000000-0000-4000-8000-000000000000')",
      'SELEKT 1',
    ];
    for (const sql of cases) {
      const [a, b] = await onBoth((db) => errorOf(() => db.query(sql)));
      expect(anatomy(b), sql).toEqual(anatomy(a));
    }
    const [a, b] = await onBoth((db) => errorOf(() => db.query('SELECT $1::int', ['x'])));
    expect(anatomy(b)).toEqual(anatomy(a));
    expect(anatomy(b)).toMatchObject({
      class: ConstraintError,
      cause: { fields: { code: '22P02' } },
    });
  });

  test('committing a transaction a failed statement aborted fails as in-thread', async () => {
    const [a, b] = await onBoth((db) =>
      errorOf(() =>
        db.transaction(async (tx) => {
          await tx.query('SELEKT 1').catch(() => undefined);
        }),
      ),
    );
    expect(anatomy(b)).toEqual(anatomy(a));
    expect(b).toBeInstanceOf(TransactionAbortedError);
  });

  test('errors inside a transaction are mapped too, and the work is rolled back', async () => {
    const [a, b] = await onBoth((db) =>
      errorOf(() =>
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO departments (name) VALUES ('Rolled back')");
          await tx.exec("INSERT INTO departments (name) VALUES ('Support')");
        }),
      ),
    );
    expect(anatomy(b)).toEqual(anatomy(a));
    expect(anatomy(b)).toMatchObject({ class: ConflictError, fields: { field: 'name' } });
    const [ra, rb] = await onBoth((db) =>
      db.query("SELECT 1 FROM departments WHERE name = 'Rolled back'"),
    );
    expect([ra.rowCount, rb.rowCount]).toEqual([0, 0]);
  });
});

describe('lifetime', () => {
  test('close() waits for work already asked for, is idempotent, and later calls are refused', async () => {
    const db = await openPgliteThread({ loadDataDir: dump });
    const earlier = db.query<{ n: number }>('SELECT 1 AS n FROM pg_sleep(0.05)');
    let release: () => void = () => {};
    let began: () => void = () => {};
    const open = new Promise<void>((resolve) => {
      began = resolve;
    });
    const transaction = db.transaction(async (tx) => {
      began();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return (await tx.query('SELECT 2 AS n')).rows;
    });
    await open;
    const closing = db.close();
    expect(db.close()).toBe(closing);
    await expect(db.query('SELECT 3')).rejects.toThrow('PGlite is closed');
    release(); // the open transaction still finishes: PGlite's close waits for it
    expect(await transaction).toEqual([{ n: 2 }]);
    expect((await earlier).rows).toEqual([{ n: 1 }]);
    await closing;
    await db.close();
    await expect(db.query('SELECT 1')).rejects.toThrow('PGlite is closed');
    await expect(db.exec('SELECT 1')).rejects.toThrow('PGlite is closed');
    await expect(db.transaction(async () => 1)).rejects.toThrow('PGlite is closed');
  });

  test('a worker terminated from outside fails every waiting and later request', async () => {
    const db = await openPgliteThread({ loadDataDir: dump });
    const slow = db.query('SELECT count(*) FROM generate_series(1, 50000000)');
    const inTransaction = db.transaction(async (tx) => tx.query('SELECT pg_sleep(10)'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await db.worker.terminate();
    await expect(slow).rejects.toThrow(/PGlite worker exited/);
    await expect(inTransaction).rejects.toThrow(/PGlite worker exited/);
    await expect(db.query('SELECT 1')).rejects.toThrow(/PGlite worker exited/);
    await db.close();
  });

  test('a new data folder is created by a thread that then ends; the folder opens again with its rows', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pglite-thread-new-'));
    try {
      const dataDir = path.join(dir, 'pglite');
      const first = await openPgliteThread({ dataDir });
      await first.exec('CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
      // One Postgres instance in the open thread: its memory, and the thread's heap.
      const memory = await first.memory();
      expect(memory.wasmBytes).toBeGreaterThan(16 * 2 ** 20);
      expect(memory.heapBytes).toBeGreaterThan(0);
      await first.close();
      const again = await openPgliteThread({ dataDir });
      expect((await again.query<{ n: number }>('SELECT n FROM kept')).rows).toEqual([{ n: 7 }]);
      // The start's settings win over the folder's postgresql.conf (initdb wrote 128MB there).
      const conf = await readFile(path.join(dataDir, 'postgresql.conf'), 'utf8');
      expect(conf).toMatch(/^shared_buffers = 128MB/m);
      for (const [name, value] of Object.entries(PGLITE_SETTINGS)) {
        const shown = await again.query<Record<string, string>>(`SHOW ${name}`);
        expect(shown.rows[0]?.[name]).toBe(value);
      }
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('a database that cannot be opened rejects the open', async () => {
    const notADir = path.join(os.tmpdir(), `pglite-thread-${process.pid}-file`);
    await writeFile(notADir, 'not a data folder');
    await expect(openPgliteThread({ dataDir: notADir })).rejects.toThrow(/PGlite worker crashed/);
  });
});

/** A thread's nice value as Linux reports it (field 19 of /proc/<pid>/task/<tid>/stat). */
async function niceOf(tid: number): Promise<number> {
  const stat = await readFile(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19 - 3]);
}

describe.runIf(process.platform === 'linux')('CPU priority (Linux)', () => {
  test('the database thread runs at background priority, the other threads keep theirs', async () => {
    const before = os.getPriority();
    const db = await openPgliteThread({ loadDataDir: dump });
    try {
      const tid = db.lowPriorityThread;
      expect(tid).toEqual(expect.any(Number));
      expect(await niceOf(tid as number)).toBe(Math.min(19, before + BACKGROUND_NICENESS));
      // The process (its main thread) is untouched, and the worker still answers.
      expect(os.getPriority()).toBe(before);
      expect(await niceOf(process.pid)).toBe(before);
      expect((await db.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
  });

  test('niceness 0 leaves the worker at the priority it was started with', async () => {
    const threads = async () => new Set(await readdir(`/proc/${process.pid}/task`));
    const earlier = await threads();
    const db = await openPgliteThread({ loadDataDir: dump, niceness: 0 });
    try {
      expect(db.lowPriorityThread).toBeNull();
      const started = [...(await threads())].filter((tid) => !earlier.has(tid));
      expect(started.length).toBeGreaterThan(0); // the worker's thread, at least
      for (const tid of started) expect(await niceOf(Number(tid))).toBe(os.getPriority());
    } finally {
      await db.close();
    }
  });
});

describe('the main event loop', () => {
  /** The longest gap between 5 ms timer ticks while `run` runs, and how long it ran. */
  async function gaps(
    run: () => Promise<unknown>,
  ): Promise<{ maxGapMs: number; ranMs: number; ticks: number }> {
    let last = performance.now();
    let maxGapMs = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      ticks++;
    }, 5);
    const start = performance.now();
    try {
      await run();
    } finally {
      clearInterval(timer);
    }
    // A blocked loop may not have ticked at all.
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { maxGapMs, ranMs: performance.now() - start, ticks };
  }

  test('keeps running while a heavy query runs in the worker (and would not in-thread)', async () => {
    const heavy = (db: Db) => db.query('SELECT sum(i) FROM generate_series(1, 600000) i');
    const worker = await gaps(() => heavy(thread));
    const blocked = await gaps(() => heavy(inThread));
    console.log('event loop during a heavy query', { worker, inThread: blocked });
    // Counted in timer ticks rather than milliseconds, so that a busy machine
    // (parallel test files) slows both runs without flipping the verdict:
    // the loop keeps ticking beside the worker and stands still in-thread.
    expect(worker.ranMs).toBeGreaterThan(100);
    expect(worker.ticks).toBeGreaterThanOrEqual(10);
    expect(blocked.ticks).toBeLessThanOrEqual(3);
    expect(worker.maxGapMs).toBeLessThan(blocked.maxGapMs);
  });
});
