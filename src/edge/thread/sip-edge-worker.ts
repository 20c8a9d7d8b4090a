/**
 * The worker-thread side of `sip-edge-thread.ts`: runs the embedded SIP
 * server and answers its parent. Log lines go to the parent, which writes
 * them through the app's logger (one redaction, one destination); counters
 * are shared memory the parent reads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { type EmbeddedSipServer, startSipServer } from '../index.ts';
import { prioritiseThisThread } from './thread-scheduling.ts';
import type { FromEdgeThread, ToEdgeThread, EdgeThreadData } from './sip-edge-thread.ts';

const SCHEDULING_NAMES = {
  realtime: 'real-time scheduling (SCHED_RR)',
  'short-slices': 'short time slices',
  default: 'default scheduling',
} as const;

const port = parentPort;
if (!port) throw new Error('sip-edge-worker.ts runs only as a worker thread');
const data = workerData as EdgeThreadData;
const tell = (m: FromEdgeThread, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const logger = pino(
  {
    level: data.logLevel,
    base: null,
    timestamp: false,
    formatters: { level: (label) => ({ level: label }) },
  },
  { write: (line: string) => tell({ type: 'log', line }) },
);

let server: EmbeddedSipServer | null = null;
let stopObserving: (() => void) | null = null;

port.on('message', (m: ToEdgeThread) => {
  if (m.type === 'observe') {
    stopObserving?.();
    stopObserving =
      server?.observeSent((message, sentAt) => {
        // A copy: the transport may still be sending `message`.
        const bytes = new Uint8Array(message).buffer;
        tell({ type: 'sent', bytes, sentAt }, [bytes]);
      }, m.methods) ?? null;
  } else if (m.type === 'unobserve') {
    stopObserving?.();
    stopObserving = null;
  } else if (m.type === 'close') {
    stopObserving?.();
    // Once the sockets are closed and the port too, the thread has nothing left and ends.
    void (server?.close() ?? Promise.resolve())
      .catch((err: unknown) => logger.error({ err }, 'embedded SIP server: close failed'))
      .finally(() => port.close());
  }
});

try {
  server = await startSipServer({ ...data.options, logger }, data.counters);
  // This thread wakes for every SIP message; it should get a core at once (thread-scheduling.ts).
  const scheduling = await prioritiseThisThread(data.realtimePriority);
  logger.info({ scheduling }, `SIP server thread: ${SCHEDULING_NAMES[scheduling.got]}`);
  tell({
    type: 'ready',
    sipAddresses: server.sipAddresses,
    controlAddress: server.controlAddress,
    scheduling,
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  tell({ type: 'failed', message: e.message, code: e.code });
  port.close();
}
