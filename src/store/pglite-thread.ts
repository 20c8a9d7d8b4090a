/**
 * PGlite on a worker thread, behind the same `Db` as `wrapPglite`. PGlite
 * runs Postgres as WASM on the thread that calls it, so on the main thread
 * every query would block the event loop (and with it SIP timing). Here only
 * messages cross (pglite-worker.mjs): SQL and parameters in; rows already
 * parsed by PGlite out, which structured clone keeps as they were (Date,
 * bigint, Uint8Array, JSON values); errors as their Postgres fields, rebuilt
 * here so `mapped()` sees what it would see in-thread. `transaction(fn)` runs
 * `fn` on this thread while the worker holds PGlite's transaction (and its
 * lock) open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { Worker } from 'node:worker_threads';
import { messages, TransactionAbortedError } from '@electric-sql/pglite';
import { type Db, mapped, type QueryResult, type Runner, runQuery, transactionDb } from './db.ts';

export interface PgliteSource {
  /** A data folder, created when missing. Neither field: in memory. */
  dataDir?: string;
  /** A dump from PGlite's `dumpDataDir()` to start from, in memory. */
  loadDataDir?: Blob;
  /**
   * How much to lower the worker thread's CPU priority (a nice value added on
   * Linux; 0 leaves it). Default BACKGROUND_NICENESS: the call log and
   * configuration reads can wait a moment when the cores are busy, SIP
   * signalling on the process's other threads should not.
   */
  niceness?: number;
}

/**
 * Postgres settings every start passes to PGlite; on the command line they win
 * over the data folder's postgresql.conf, so folders made before get them
 * too. PGlite's WASM memory only grows, and a page of it once written stays
 * resident: initdb's 128 MB of shared buffers filled with the call log's pages
 * and made about 130 MB of the process's resident memory. The operating
 * system's page cache still holds the data files, so a page outside the pool
 * costs a read call, not a disk read. maintenance_work_mem is what an index
 * build or a VACUUM (a migration's backfill) takes at once, kept afterwards.
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  maintenance_work_mem: '16MB',
};

/**
 * The database thread's young generation, where V8 puts new objects (12 MB:
 * 4 MB semi-spaces). V8's default lets it grow to 48 MB under load, and a
 * grown young generation stays resident; this thread's new objects are
 * messages and rows on their way through.
 */
const YOUNG_GENERATION_MB = 12;

/** The database thread's default nice value: background work. */
export const BACKGROUND_NICENESS = 10;

/** A `Db` on a worker thread; `worker` is there for diagnostics and tests. */
export interface PgliteThreadDb extends Db {
  readonly worker: Worker;
  /** The OS id of the thread whose priority was lowered, or null (not lowered). */
  readonly lowPriorityThread: number | null;
  /** Where the database thread's memory goes (a WASM memory never shrinks). */
  memory(): Promise<PgliteMemory>;
}

export interface PgliteMemory {
  /** Postgres' WASM linear memory, in bytes. */
  wasmBytes: number;
  /** The worker thread's JavaScript heap, in bytes (resident: V8's physical size). */
  heapBytes: number;
}

type Request =
  | { op: 'query'; sql: string; params: unknown[]; tx?: number }
  | { op: 'exec'; sql: string; tx?: number }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'memory' }
  | { op: 'close' };

interface WireError {
  /** One of PGlite's error classes (ERROR_CLASSES), else a plain Error. */
  class?: keyof typeof ERROR_CLASSES;
  name?: string;
  message: string;
  stack?: string;
  /** The error's own properties: code, constraint, detail, ... */
  fields: Record<string, unknown>;
}

type Answer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const WORKER = new URL('./pglite-worker.mjs', import.meta.url);
/** The id the worker answers once PGlite is open. */
const OPENED = 0;

/** PGlite in `dataDir` (created when missing), or in memory when undefined. */
export function openPglite(dataDir?: string): Promise<PgliteThreadDb> {
  return openPgliteThread(dataDir === undefined ? {} : { dataDir });
}

export async function openPgliteThread(source: PgliteSource = {}): Promise<PgliteThreadDb> {
  if (source.dataDir !== undefined && !fs.existsSync(path.join(source.dataDir, 'PG_VERSION'))) {
    // PGlite creates a new database with a second Postgres instance (initdb)
    // whose few hundred MB would stay with the thread that ran it: a thread
    // of its own creates the folder and ends, and its memory with it.
    await (await startWorker({ dataDir: source.dataDir, niceness: source.niceness })).close();
  }
  return startWorker(source);
}

async function startWorker(source: PgliteSource): Promise<PgliteThreadDb> {
  // The dump's bytes move to the worker (transferred, not copied).
  const dump = source.loadDataDir ? await source.loadDataDir.arrayBuffer() : undefined;
  const worker = new Worker(WORKER, {
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    workerData: {
      dataDir: source.dataDir,
      dump,
      niceness: source.niceness ?? BACKGROUND_NICENESS,
      settings: Object.entries(PGLITE_SETTINGS),
    },
    transferList: dump ? [dump] : [],
  });
  const channel = connect(worker);
  const { thread } = (await channel.opened) as { thread: number | null };
  return threadDb(worker, channel, thread);
}

const ERROR_CLASSES = { DatabaseError: messages.DatabaseError, TransactionAbortedError };

/** The worker's error as PGlite threw it: same class, same fields. */
function rebuild(e: WireError): Error {
  const Class = (e.class && ERROR_CLASSES[e.class]) || Error;
  // A real Error with the class's prototype, without calling its constructor.
  const err: Error = Object.assign(Reflect.construct(Error, [e.message], Class), e.fields);
  if (e.name !== undefined) err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

interface Channel {
  opened: Promise<unknown>;
  /** Sends a request; `inTransaction` ones still go through while closing. */
  call(req: Request, inTransaction?: boolean): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Requests by id. The worker keeps the process alive only while one is
 * waiting for an answer, as a pending in-thread query would. When the worker
 * stops (closed, crashed, terminated), every waiting and later request fails.
 */
function connect(worker: Worker): Channel {
  const pending = new Map<number, Pending>();
  let lastId = OPENED;
  let closing = false;
  let crash: unknown;
  let stopped: Error | undefined;

  const take = (id: number): Pending | undefined => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return p;
  };
  const wait = (id: number) =>
    new Promise<unknown>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (pending.size === 1) worker.ref();
    });

  const onMessage = (a: Answer) => {
    const p = take(a.id);
    if (a.ok) p?.resolve(a.value);
    else p?.reject(rebuild(a.error));
  };
  const onError = (err: unknown) => {
    crash = err;
  };
  // An answer that cannot be read leaves a request unanswered: stop it all.
  const onMessageError = (err: unknown) => {
    crash = err;
    void worker.terminate();
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('messageerror', onMessageError);
  worker.once('exit', (code) => {
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('messageerror', onMessageError);
    stopped =
      crash !== undefined
        ? // PGlite throws plain objects too (e.g. { name: 'ErrnoError', errno }).
          new Error(
            `PGlite worker crashed: ${crash instanceof Error ? crash.message : inspect(crash)}`,
            { cause: crash },
          )
        : new Error(closing ? 'PGlite is closed' : `PGlite worker exited (code ${code})`);
    for (const p of pending.values()) p.reject(stopped);
    pending.clear();
  });

  const opened = wait(OPENED);
  let closed: Promise<void> | undefined;
  const channel: Channel = {
    opened,
    call(req, inTransaction = false) {
      if (stopped) return Promise.reject(stopped);
      if (closing && !inTransaction) return Promise.reject(new Error('PGlite is closed'));
      const id = ++lastId;
      try {
        worker.postMessage({ id, ...req });
      } catch (err) {
        // A parameter structured clone refuses (DataCloneError): nothing was sent.
        return Promise.reject(err);
      }
      return wait(id);
    },
    close() {
      closed ??= (async () => {
        closing = true;
        try {
          // PGlite's close() waits for a transaction still open to end.
          await channel.call({ op: 'close' }, true);
        } catch (err) {
          if (!stopped) throw err;
        } finally {
          await worker.terminate();
        }
      })();
      return closed;
    },
  };
  return channel;
}

function threadDb(worker: Worker, channel: Channel, thread: number | null): PgliteThreadDb {
  const runner = (tx?: number): Runner => ({
    query: (sql, params = []) =>
      channel.call({ op: 'query', sql, params, tx }, tx !== undefined) as Promise<
        QueryResult<unknown>
      >,
  });
  const execIn = (tx: number) => (sql: string) => channel.call({ op: 'exec', sql, tx }, true);

  async function transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return mapped(async () => {
      const tx = (await channel.call({ op: 'begin' })) as number;
      const end = (commit: boolean) => channel.call({ op: 'end', tx, commit }, true);
      let result: T;
      try {
        result = await fn(transactionDb('pglite', runner(tx), execIn(tx)));
      } catch (err) {
        await end(false);
        throw err;
      }
      await end(true);
      return result;
    });
  }

  return {
    kind: 'pglite',
    worker,
    lowPriorityThread: thread,
    memory: () => channel.call({ op: 'memory' }) as Promise<PgliteMemory>,
    query: (sql, params) => runQuery(runner(), sql, params),
    exec: (sql) => mapped(async () => void (await channel.call({ op: 'exec', sql }))),
    transaction,
    close: () => channel.close(),
  };
}
