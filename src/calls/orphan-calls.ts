/**
 * Calls the call log still shows as live although no dialog of this process
 * carries them: the process that had them died (kill -9, power loss) before
 * it could write their end. Left alone they would stay "live" for ever (the
 * wallboard, the reports' live counts) and keep their agent's ring or answer
 * open in the log.
 *
 * `closeOrphanCalls` ends each such call in the log as `failed` with the
 * given cause (the log's projection closes its open rings as cancelled, so
 * the agent shows free again), publishes `call.ended` for the live stream,
 * and writes ONE log line with the count and the ids. The app runs it at
 * start with cause `restart`, before it takes calls, when no call can be
 * carried yet; `carried` lets a running instance use it too (the calls of
 * another instance that died), leaving the calls it carries itself alone.
 */
import type { Logger } from './ports/index.ts';
import type { CallEventPublisher, CallLogEvent } from './recorder/call-events.ts';

/** A call the log shows as live. */
export interface OpenCall {
  id: string;
  departmentId: string | null;
  /** The agent who answered, if it was answered. */
  agentId: string | null;
  arrivedAt: Date;
  answeredAt: Date | null;
}

export interface OrphanCallPorts {
  /** Calls without an end in the log. */
  openCalls(): Promise<OpenCall[]>;
  /** Writes the events at once (all or nothing); rejects when the log refuses them. */
  write(events: readonly CallLogEvent[]): Promise<void>;
}

export interface CloseOrphansOptions {
  ports: OrphanCallPorts;
  /** True for a call a live dialog of this process carries (it is left alone). */
  carried: (callId: string) => boolean;
  /** Why they ended, e.g. `restart` (the `reason` of `call.ended`). */
  cause: string;
  logger: Logger;
  publisher?: CallEventPublisher;
  now?: () => number;
}

export interface ClosedOrphans {
  closed: string[];
  /** Calls that could not be closed (logged as an error; the next run tries again). */
  failed: string[];
}

export async function closeOrphanCalls(o: CloseOrphansOptions): Promise<ClosedOrphans> {
  const now = o.now ?? Date.now;
  const orphans = (await o.ports.openCalls()).filter((c) => !o.carried(c.id));
  if (orphans.length === 0) return { closed: [], failed: [] };
  const endOf = (c: OpenCall): CallLogEvent => ({
    type: 'call.ended',
    at: new Date(now()),
    callId: c.id,
    departmentId: c.departmentId,
    agentId: c.agentId,
    payload: { outcome: 'failed', reason: o.cause },
  });
  const closed: OpenCall[] = [];
  const failed: string[] = [];
  try {
    await o.ports.write(orphans.map(endOf));
    closed.push(...orphans);
  } catch {
    // One refused event (a call that ended meanwhile) must not keep the others open.
    for (const c of orphans) {
      try {
        await o.ports.write([endOf(c)]);
        closed.push(c);
      } catch (err) {
        failed.push(c.id);
        o.logger.error({ err, callId: c.id, cause: o.cause }, 'could not close an orphaned call');
      }
    }
  }
  for (const c of closed) {
    o.publisher?.publish('call.ended', {
      callId: c.id,
      departmentId: c.departmentId ?? '',
      outcome: 'failed',
      agentId: c.agentId,
      waitMs: Math.max(0, (c.answeredAt?.getTime() ?? now()) - c.arrivedAt.getTime()),
      talkMs: null,
      reason: o.cause,
    });
  }
  if (closed.length > 0) {
    o.logger.warn(
      {
        count: closed.length,
        callIds: closed.map((c) => c.id),
        agentIds: [...new Set(closed.flatMap((c) => (c.agentId ? [c.agentId] : [])))],
        cause: o.cause,
      },
      'closed calls that no live dialog carries (outcome failed)',
    );
  }
  return { closed: closed.map((c) => c.id), failed };
}
