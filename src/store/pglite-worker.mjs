/**
 * The worker half of pglite-thread.ts: one PGlite instance on its own thread,
 * so its queries (synchronous WASM) do not block the main event loop.
 *
 * Plain JavaScript on purpose: a worker thread gets no TypeScript loader
 * under vitest, and under `tsx` / `node --import tsx` one would have to be
 * passed along in `execArgv`. As .mjs this file runs unchanged everywhere.
 * It only moves messages; the protocol's types live in pglite-thread.ts.
 *
 * In:  { id, op: 'query', sql, params, tx? } | { id, op: 'exec', sql, tx? }
 *      | { id, op: 'begin' } | { id, op: 'end', tx, commit } | { id, op: 'memory' } | { id, op: 'close' }
 * Out: { id, ok: true, value } | { id, ok: false, error: { class, name, message, stack, fields } }
 *      and { id: 0, ok: true, value: { thread } } once the database is open
 *      (thread: the id of the thread whose priority was lowered, or null).
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { inspect } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { messages, PGlite, TransactionAbortedError } from '@electric-sql/pglite';

/** @type {{ dataDir?: string, dump?: ArrayBuffer, niceness?: number, settings: [string, string][] }} */
const source = workerData;

/**
 * Lowers this thread's CPU priority (Linux: the nice value is per thread, and
 * /proc/thread-self names this one). Database writes can wait a moment; the
 * SIP signalling on the other threads of this process should not wait for
 * them when the cores are busy. Returns the thread id, or null where the
 * system has no per-thread priority (then nothing changes).
 */
function lowerPriority(niceness) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    // Relative to what the thread inherited; 19 is the lowest priority there is.
    setPriority(tid, Math.min(19, getPriority(tid) + niceness));
    return tid;
  } catch {
    return null;
  }
}
const thread = source.niceness ? lowerPriority(source.niceness) : null;
const lite = await PGlite.create({
  ...(source.dump
    ? { loadDataDir: new Blob([source.dump]) }
    : source.dataDir === undefined
      ? {}
      : { dataDir: source.dataDir }),
  // PGlite's own start parameters stay; the settings (PGLITE_SETTINGS) follow.
  startParams: [
    ...PGlite.defaultStartParams,
    ...source.settings.flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ],
});

/** Open transactions by id: PGlite's handle, and how to end its callback. */
const transactions = new Map();
let lastTx = 0;
/** Rejects a transaction's callback so that PGlite rolls it back. */
const ROLLBACK = Symbol('rollback');

/** PGlite's own transaction(): its lock makes queries outside it wait. */
async function begin() {
  let opened;
  const open = new Promise((resolve) => {
    opened = resolve;
  });
  const settled = lite.transaction(
    (tx) => new Promise((commit, rollback) => opened({ tx, commit, rollback })),
  );
  // `settled` rejects first when BEGIN itself fails.
  const t = await Promise.race([open, settled]);
  const id = ++lastTx;
  transactions.set(id, { ...t, settled });
  return id;
}

async function end(id, commit) {
  const t = transactionOf(id);
  transactions.delete(id);
  if (commit) t.commit();
  else t.rollback(ROLLBACK);
  try {
    await t.settled;
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
}

function transactionOf(id) {
  const t = transactions.get(id);
  if (!t) throw new Error('Transaction is closed');
  return t;
}

const runnerOf = (tx) => (tx === undefined ? lite : transactionOf(tx).tx);

async function run(msg) {
  switch (msg.op) {
    case 'query': {
      const r = await runnerOf(msg.tx).query(msg.sql, msg.params);
      // The same count wrapPglite reports.
      return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length };
    }
    case 'exec':
      await runnerOf(msg.tx).exec(msg.sql);
      return undefined;
    case 'begin':
      return begin();
    case 'end':
      return end(msg.tx, msg.commit);
    case 'memory':
      return {
        wasmBytes: lite.Module?.HEAPU8?.byteLength ?? 0,
        heapBytes: getHeapStatistics().total_physical_size,
      };
    case 'close':
      return lite.close();
    default:
      throw new Error(`unknown operation ${msg.op}`);
  }
}

/** PGlite's error classes, by the name the main thread rebuilds them from. */
function classOf(err) {
  if (err instanceof TransactionAbortedError) return 'TransactionAbortedError';
  if (err instanceof messages.DatabaseError) return 'DatabaseError';
  return undefined;
}

/**
 * An Error's class and own properties (Postgres' code, constraint, detail,
 * ...) do not survive structured cloning, so they travel as plain fields.
 */
function errorOf(err) {
  if (typeof err !== 'object' || err === null) return { message: String(err), fields: {} };
  const fields = {};
  for (const [key, value] of Object.entries(err)) {
    if (typeof value !== 'function') fields[key] = value;
  }
  // PGlite's file system throws plain objects too, e.g. { name: 'ErrnoError', errno: 54 }.
  if (!(err instanceof Error)) return { message: inspect(err), fields };
  return { class: classOf(err), name: err.name, message: err.message, stack: err.stack, fields };
}

function reply(id, answer) {
  try {
    parentPort.postMessage({ id, ...answer });
  } catch (err) {
    // A value structured clone refuses: answer with the reason instead.
    const message = `PGlite worker could not send its answer: ${err.message}`;
    parentPort.postMessage({ id, ok: false, error: { message, fields: {} } });
  }
}

parentPort.on('message', (msg) => {
  run(msg).then(
    (value) => reply(msg.id, { ok: true, value }),
    (err) => reply(msg.id, { ok: false, error: errorOf(err) }),
  );
});
parentPort.postMessage({ id: 0, ok: true, value: { thread } });
