/**
 * What a transaction machine needs from the layer that owns it: the
 * transport, timer values and source, ids, and a way to leave the layer's
 * table when it terminates. The machines import only this interface, so the
 * layer can import the machines without a circle.
 */
import type { SipIds } from '../shared/ids.ts';
import type { TimerSource, TimerValues } from '../shared/timers.ts';
import type { Remote, Transport } from '../transport/transport.ts';

export interface TxnServices {
  readonly transport: Transport;
  readonly timers: TimerValues;
  readonly timerSource: TimerSource;
  readonly ids: Pick<SipIds, 'tag'>;
  queueMicrotask(fn: () => void): void;
  /** Sends a retransmission (counted). */
  resend(dest: Remote, bytes: Buffer): void;
  /** A terminated client transaction leaves the table. */
  removeClient(txn: { readonly key: string }): void;
  /** A terminated server transaction leaves the table. */
  removeServer(txn: { readonly key: string }): void;
}
