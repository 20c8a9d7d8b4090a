/**
 * Several app instances on one database (sql/0007_instances.sql): each names
 * itself in its sessions' `acd.instance` setting, so the calls its events
 * create carry its name (`calls.routed_by`) and its changes' notifications
 * say who made them.
 */
import type { Db } from './db.ts';
import type { CallLogRepo } from './call-log.ts';

/** The settings value as a Postgres connection's `options` parameter gives it. */
export function instanceSessionOption(instanceId: string): string {
  return `-c acd.instance=${instanceId}`;
}

/** Names the instance on a single-session database (PGlite). */
export async function nameSession(db: Db, instanceId: string): Promise<void> {
  await db.query(`SELECT set_config('acd.instance', $1, false)`, [instanceId]);
}

/** Live calls in the log that another instance (or none known) routed. */
export async function liveCallsNotRoutedBy(
  db: Db,
  instanceId: string,
): Promise<{ id: string; routedBy: string | null }[]> {
  const { rows } = await db.query<{ id: string; routed_by: string | null }>(
    `SELECT id, routed_by FROM calls WHERE ended_at IS NULL AND routed_by IS DISTINCT FROM $1 ORDER BY arrived_at`,
    [instanceId],
  );
  return rows.map((r) => ({ id: r.id, routedBy: r.routed_by }));
}

/** Ids of the live calls in the log that this instance routed, oldest first. */
export async function liveCallsRoutedBy(db: Db, instanceId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM calls WHERE ended_at IS NULL AND routed_by = $1 ORDER BY arrived_at`,
    [instanceId],
  );
  return rows.map((r) => r.id);
}

/** The caller's SIP Call-ID of each given call, as its arrival logged it. */
export async function callerLegsOfCalls(
  db: Db,
  callIds: readonly string[],
): Promise<{ callId: string; sipCallId: string }[]> {
  if (callIds.length === 0) return [];
  const { rows } = await db.query<{ call_id: string; sip_call_id: string }>(
    `SELECT call_id, payload->>'sipCallId' AS sip_call_id
       FROM event_log
      WHERE call_id = ANY($1::text[]) AND type = 'call.arrived' AND payload ? 'sipCallId'`,
    [callIds],
  );
  return rows.map((r) => ({ callId: r.call_id, sipCallId: r.sip_call_id }));
}

/**
 * Live calls that an earlier run of this same instance (a configured
 * `leadership.instanceId`, restarted after a crash) routed: they arrived
 * before this process started, so no dialog of it carries them.
 */
export async function liveCallsOfEarlierRun(
  db: Db,
  instanceId: string,
  startedAt: Date,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM calls WHERE ended_at IS NULL AND routed_by = $1 AND arrived_at < $2 ORDER BY arrived_at`,
    [instanceId, startedAt],
  );
  return rows.map((r) => r.id);
}

/**
 * Closes calls whose router is gone: `failed`, the cause in the event's
 * payload. One statement per call: a call that its own router closed
 * meanwhile is refused by the log and left as it is. Returns the ids closed.
 */
export async function closeOrphanedCalls(
  callLog: Pick<CallLogRepo, 'record'>,
  callIds: readonly string[],
  cause: string,
): Promise<string[]> {
  const closed: string[] = [];
  for (const callId of callIds) {
    try {
      await callLog.record([
        { type: 'call.ended', callId, payload: { outcome: 'failed', reason: cause } },
      ]);
      closed.push(callId);
    } catch {
      // Ended meanwhile (the log refuses a second end): nothing to fix.
    }
  }
  return closed;
}
