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
} from '../index.ts';
import type { ThreadScheduling } from './thread-scheduling.ts';

/** What the worker starts with (structured-cloned; the counters are shared). */
export interface EdgeThreadData {
  options: Omit<EmbeddedSipServerOptions, 'logger'>;
  logLevel: string;
  counters: SharedArrayBuffer;
  /** SCHED_RR priority the thread asks for (0 = none; thread-scheduling.ts). */
  realtimePriority: number;
}

export type ToEdgeThread =
  | { type: 'observe'; methods?: string[] }
  | { type: 'unobserve' }
  | { type: 'close' };

export type FromEdgeThread =
  | {
      type: 'ready';
      sipAddresses: BoundAddress[];
      controlAddress: { host: string; port: number };
      scheduling: ThreadScheduling;
    }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; line: string }
  | { type: 'sent'; bytes: ArrayBuffer; sentAt: number };

const BOOT = new URL('./sip-edge-worker-boot.mjs', import.meta.url);

/**
 * The thread's young generation, where V8 puts new objects (12 MB: 4 MB
 * semi-spaces). V8's default lets it grow to 48 MB under load, and a grown
 * young generation stays resident: about 25 MB more for this thread, whose
 * short-lived objects (parsed messages, transactions) fit the smaller one.
 */
const YOUNG_GENERATION_MB = 12;

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
  /** The thread now serving (a new one after a restart). */
  readonly worker: Worker;
  /** How many times the thread was restarted after ending on its own. */
  readonly restarts: number;
  /** How the kernel schedules the serving thread (thread-scheduling.ts), and why. */
  readonly scheduling: ThreadScheduling;
}

/** First wait before starting a thread that ended on its own; doubles per failed start. */
const RESTART_DELAY_MS = 500;
const RESTART_DELAY_MAX_MS = 30_000;

interface Launched {
  worker: Worker;
  exited: Promise<number>;
  ready: Extract<FromEdgeThread, { type: 'ready' }>;
}

/**
 * Starts one thread and waits until it listens. `onMessage` sees every
 * message the thread sends; a thread that cannot listen is gone when this rejects.
 */
async function launch(
  data: EdgeThreadData,
  onMessage: (m: FromEdgeThread) => void,
  logger: Logger,
): Promise<Launched> {
  const worker = new Worker(BOOT, {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  worker.on('message', onMessage);
  worker.on('error', (err) => {
    // An exception the server did not catch ends the thread.
    logger.fatal({ err }, 'embedded SIP server thread failed');
  });
  try {
    const ready = await new Promise<Launched['ready']>((resolve, reject) => {
      const onStart = (m: FromEdgeThread) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'failed') {
          reject(Object.assign(new Error(m.message), m.code ? { code: m.code } : {}));
        }
      };
      worker.on('message', onStart);
      void exited.then((code) =>
        reject(new Error(`the SIP server thread exited (code ${code}) before listening`)),
      );
      void exited.finally(() => worker.off('message', onStart));
    });
    return { worker, exited, ready };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

/** `options` with every ephemeral port replaced by the one bound, so a restart keeps its addresses. */
function pinnedPorts(
  options: EdgeThreadData['options'],
  ready: Launched['ready'],
): EdgeThreadData['options'] {
  return {
    ...options,
    listen: ready.sipAddresses.map((a) => ({ protocol: a.protocol, host: a.host, port: a.port })),
    control: { ...ready.controlAddress },
  };
}

/**
 * Starts the server on a new worker thread; resolves once it listens
 * (rejects if it cannot). A thread that later ends on its own (an uncaught
 * exception) is logged and started again on the same addresses, after a
 * delay that grows while starts fail; srf reconnects by itself. Counters
 * start again from 0 with the new thread. With `realtimePriority` (1-99)
 * the thread asks for SCHED_RR at that priority (thread-scheduling.ts).
 */
export async function startSipServerThread(
  options: Omit<EmbeddedSipServerOptions, 'logger'>,
  logger: Logger,
  { realtimePriority = 0 }: { realtimePriority?: number } = {},
): Promise<SipServerThread> {
  const shared = new SharedArrayBuffer(COUNTERS_BYTES);
  const counters = newCounters(shared);
  let observer: { fn: SentObserver; methods: string[] | undefined } | null = null;
  let closing = false;
  let restarts = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  let relaunching: Promise<unknown> | null = null;

  const onMessage = (m: FromEdgeThread) => {
    if (m.type === 'log') relayLog(logger, m.line);
    else if (m.type === 'sent') observer?.fn(Buffer.from(m.bytes), m.sentAt);
  };
  const dataFor = (opts: EdgeThreadData['options']): EdgeThreadData => ({
    options: opts,
    logLevel: logger.level,
    counters: shared,
    realtimePriority,
  });

  let current = await launch(dataFor(options), onMessage, logger);
  const addresses = current.ready;
  const restartOptions = pinnedPorts(options, addresses);

  const watch = (running: Launched) => {
    void running.exited.then((code) => {
      if (closing || running !== current) return;
      logger.error({ code }, 'embedded SIP server thread exited; starting it again');
      restartAfter(RESTART_DELAY_MS);
    });
  };
  const restartAfter = (delayMs: number) => {
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (closing) return;
      // The dead thread's live counts (dialogs, transactions) died with it.
      new Float64Array(shared).fill(0);
      relaunching = launch(dataFor(restartOptions), onMessage, logger).then(
        async (next) => {
          if (closing) {
            await next.worker.terminate();
            return;
          }
          current = next;
          restarts++;
          if (observer) post({ type: 'observe', methods: observer.methods });
          logger.info({ restarts }, 'embedded SIP server thread started again');
          watch(next);
        },
        (err: unknown) => {
          const next = Math.min(delayMs * 2, RESTART_DELAY_MAX_MS);
          logger.error({ err, retryInMs: next }, 'embedded SIP server thread did not start again');
          restartAfter(next);
        },
      );
    }, delayMs);
  };
  const post = (m: ToEdgeThread) => current.worker.postMessage(m);
  watch(current);

  let closed: Promise<void> | null = null;
  return {
    get worker() {
      return current.worker;
    },
    get restarts() {
      return restarts;
    },
    get scheduling() {
      return current.ready.scheduling;
    },
    sipAddresses: addresses.sipAddresses,
    controlAddress: addresses.controlAddress,
    stats: (): EdgeStats => counters.snapshot(),
    observeSent(fn: SentObserver, methods?: string[]) {
      const mine = { fn, methods };
      observer = mine;
      post({ type: 'observe', methods });
      return () => {
        if (observer !== mine) return;
        observer = null;
        post({ type: 'unobserve' });
      };
    },
    close() {
      closed ??= (async () => {
        closing = true;
        if (restartTimer) clearTimeout(restartTimer);
        // A thread being started again is ended as soon as it is up.
        await relaunching;
        const { worker, exited } = current;
        worker.postMessage({ type: 'close' } satisfies ToEdgeThread);
        // The thread ends once its sockets are closed; a stuck one is ended after a while.
        const timer = setTimeout(() => void worker.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      })();
      return closed;
    },
  };
}
