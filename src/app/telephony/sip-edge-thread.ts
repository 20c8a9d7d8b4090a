/**
 * The embedded SIP server on a worker thread of its own. srf and the app
 * reach it over its drachtio control port exactly as in-thread (or as a real
 * drachtio-server in its own process), so nothing else changes; what moves is
 * the work of every SIP message (parsing, transactions, timers, sockets) and
 * its garbage, off the thread where calls are routed. That thread's latency
 * from "a call meets a free agent" to "the agent's INVITE leaves" no longer
 * waits behind SIP traffic or the SIP server's garbage collection.
 *
 * `stats()` reads counters the worker keeps in shared memory; log lines come
 * back as messages and go out through the app's logger.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import {
  type BoundAddress,
  COUNTERS_BYTES,
  type EdgeStats,
  type EmbeddedSipServer,
  type EmbeddedSipServerOptions,
  newCounters,
  type SentObserver,
} from '../../edge/index.ts';

/** What the worker starts with (structured-cloned; the counters are shared). */
export interface EdgeThreadData {
  options: Omit<EmbeddedSipServerOptions, 'logger'>;
  logLevel: string;
  counters: SharedArrayBuffer;
}

export type ToEdgeThread =
  | { type: 'observe'; methods?: string[] }
  | { type: 'unobserve' }
  | { type: 'close' };

export type FromEdgeThread =
  | { type: 'ready'; sipAddresses: BoundAddress[]; controlAddress: { host: string; port: number } }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; line: string }
  | { type: 'sent'; bytes: ArrayBuffer; sentAt: number }
  | { type: 'closed' };

const BOOT = new URL('./sip-edge-worker-boot.mjs', import.meta.url);

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Writes one of the worker's pino lines through `logger`. */
function relayLog(logger: Logger, line: string): void {
  try {
    const { level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const name = typeof level === 'string' && LEVELS.has(level) ? level : 'info';
    logger[name as 'info'](fields, typeof msg === 'string' ? msg : '');
  } catch {
    logger.info({ line }, 'SIP server log line');
  }
}

export interface SipServerThread extends EmbeddedSipServer {
  readonly worker: Worker;
}

/** Starts the server on a new worker thread; resolves once it listens (rejects if it cannot). */
export async function startSipServerThread(
  options: Omit<EmbeddedSipServerOptions, 'logger'>,
  logger: Logger,
): Promise<SipServerThread> {
  const shared = new SharedArrayBuffer(COUNTERS_BYTES);
  const counters = newCounters(shared);
  const data: EdgeThreadData = { options, logLevel: logger.level, counters: shared };
  const worker = new Worker(BOOT, { workerData: data });
  let observer: SentObserver | null = null;
  let closing = false;
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));

  worker.on('message', (m: FromEdgeThread) => {
    if (m.type === 'log') relayLog(logger, m.line);
    else if (m.type === 'sent') observer?.(Buffer.from(m.bytes), m.sentAt);
  });
  worker.on('error', (err) => {
    // An exception the server did not catch ends the thread: SIP is down
    // (srf sees its connection close and keeps retrying).
    logger.fatal({ err }, 'embedded SIP server thread failed');
  });
  void exited.then((code) => {
    if (!closing) logger.error({ code }, 'embedded SIP server thread exited');
  });

  const started = await new Promise<Extract<FromEdgeThread, { type: 'ready' }>>(
    (resolve, reject) => {
      const onMessage = (m: FromEdgeThread) => {
        if (m.type === 'ready') {
          worker.off('message', onMessage);
          resolve(m);
        } else if (m.type === 'failed') {
          worker.off('message', onMessage);
          reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
        }
      };
      worker.on('message', onMessage);
      void exited.then((code) =>
        reject(new Error(`the SIP server thread exited (code ${code}) before listening`)),
      );
    },
  ).catch(async (err: unknown) => {
    closing = true;
    await worker.terminate();
    throw err;
  });

  let closed: Promise<void> | null = null;
  return {
    worker,
    sipAddresses: started.sipAddresses,
    controlAddress: started.controlAddress,
    stats: (): EdgeStats => counters.snapshot(),
    observeSent(fn: SentObserver, methods?: string[]) {
      observer = fn;
      worker.postMessage({ type: 'observe', methods } satisfies ToEdgeThread);
      return () => {
        if (observer !== fn) return;
        observer = null;
        worker.postMessage({ type: 'unobserve' } satisfies ToEdgeThread);
      };
    },
    close() {
      closed ??= (async () => {
        closing = true;
        worker.postMessage({ type: 'close' } satisfies ToEdgeThread);
        // The worker ends once its sockets are closed; a stuck one is ended after a while.
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return closed;
    },
  };
}
