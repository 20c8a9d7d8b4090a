/**
 * Counters behind `stats()`. Live values are incremented and decremented by
 * their owners. They live in one Float64Array so that a server running on a
 * worker thread can hand its buffer (a SharedArrayBuffer) to the thread that
 * reads them: `stats()` there is then a plain read, always current.
 */
import type { EdgeStats } from './types.ts';

const SLOTS = [
  'messagesIn',
  'messagesOut',
  'retransmissions',
  'badMessages',
  'serverTransactions',
  'clientTransactions',
  'dialogs',
  'pendingRequests',
  'unansweredRequests',
  'timers',
  'appConnections',
  'tcpConnections',
  'udpFlows',
  'transactionsCreated',
  'dialogsCreated',
  'framesIn',
  'framesOut',
] as const;

/** Bytes a counters buffer needs. */
export const COUNTERS_BYTES = SLOTS.length * Float64Array.BYTES_PER_ELEMENT;

export type Counters = Record<(typeof SLOTS)[number], number> & {
  readonly buffer: ArrayBufferLike;
  snapshot(): EdgeStats;
};

/** Counters in `buffer` (shared with another thread), or in a private buffer when absent. */
export function newCounters(buffer: ArrayBufferLike = new ArrayBuffer(COUNTERS_BYTES)): Counters {
  const v = new Float64Array(buffer, 0, SLOTS.length);
  const c = {
    buffer,
    snapshot(): EdgeStats {
      const s = Object.fromEntries(SLOTS.map((name, i) => [name, v[i] as number]));
      return { ...s, transactions: c.serverTransactions + c.clientTransactions } as EdgeStats;
    },
  } as Counters;
  SLOTS.forEach((name, i) => {
    Object.defineProperty(c, name, {
      enumerable: true,
      get: () => v[i],
      set: (n: number) => {
        v[i] = n;
      },
    });
  });
  return c;
}
