/**
 * Calls this instance routed that the log still shows live although no call
 * of this process carries them: an end whose write was lost (a database
 * error the writer gave up on). Without this they would stay live until the
 * next restart. Every `everyMs` the call log is flushed and compared with
 * the calls carried; a call found live and uncarried in two sweeps in a row
 * (so an end still on its way to the log is never mistaken for a lost one)
 * is closed as `failed`, cause `not-carried`, and reported like every other
 * reconcile fix.
 */
import { closeOrphanCalls, type OrphanCallPorts } from '../../calls/orphan-calls.ts';
import type { CallEventPublisher } from '../../calls/recorder/call-events.ts';
import type { Logger } from '../../calls/ports/index.ts';

export const NOT_CARRIED = 'not-carried';

export interface UncarriedCallsOptions {
  everyMs: number;
  /** Ids of the calls the log shows live that this instance routed. */
  liveRoutedHere(): Promise<string[]>;
  carries(callId: string): boolean;
  /** Resolves once the call log has written what it was given. */
  flush(): Promise<void>;
  ports: OrphanCallPorts;
  logger: Logger;
  publisher: CallEventPublisher;
}

/** Starts the sweep; returns its stop (which waits for a sweep under way). */
export function watchUncarriedCalls(o: UncarriedCallsOptions): () => Promise<void> {
  let suspects = new Set<string>();
  let running: Promise<void> = Promise.resolve();
  const sweep = async () => {
    await o.flush();
    const uncarried = (await o.liveRoutedHere()).filter((id) => !o.carries(id));
    const confirmed = new Set(uncarried.filter((id) => suspects.has(id)));
    suspects = new Set(uncarried.filter((id) => !confirmed.has(id)));
    if (confirmed.size === 0) return;
    const { closed } = await closeOrphanCalls({
      ports: {
        openCalls: async () => (await o.ports.openCalls()).filter((c) => confirmed.has(c.id)),
        write: (events) => o.ports.write(events),
      },
      carried: (id) => o.carries(id),
      cause: NOT_CARRIED,
      logger: o.logger,
      publisher: o.publisher,
    });
    for (const callId of closed) {
      o.publisher.publish('reconcile.fixed', {
        what: 'call',
        callId,
        fix: `closed as failed, reason ${NOT_CARRIED}`,
        why: 'live in the call log, but no call of this process has carried it for a sweep',
      });
    }
  };
  const timer = setInterval(() => {
    running = running
      .then(sweep)
      .catch((err: unknown) =>
        o.logger.error({ err }, 'reconcile: closing uncarried calls failed'),
      );
  }, o.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
