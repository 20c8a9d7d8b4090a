/**
 * Reading the call log: events oldest first, calls and ring attempts from
 * their projections, newest first in keyset-paginated pages. Filters on an
 * id that is not a uuid match nothing (such an id cannot exist).
 */
import {
  type EventRecord,
  eventFromRecord,
  type LoggedEvent,
  PROJECTED_CALL_EVENTS,
} from './call-log-events.ts';
import {
  type AttemptFilter,
  type AttemptRecord,
  attemptFromRecord,
  type Call,
  type CallAttempt,
  type CallFilter,
  type CallRecord,
  type CallWithAttempts,
  callFromRecord,
  type EventFilter,
} from './call-log-rows.ts';
import { sqlList } from './call-vocabulary.ts';
import type { Db } from './db.ts';
import { Conditions, clampLimit, type KeysetQuery, keysetPage, type Page } from './keyset-page.ts';
import { isUuid } from './sql-helpers.ts';

/**
 * A calls row with what the log keeps of it (sql/0005_call_log_projection.sql):
 * its routing explanation, stored once in its latest call.routed event, and
 * the id of the latest event that changed it. Both come from the call's few
 * events through event_log's call_id index.
 */
const CALL_COLUMNS = `calls.*,
  (SELECT e.payload -> 'explanation' FROM event_log e
    WHERE e.call_id = calls.id AND e.type = 'call.routed' ORDER BY e.id DESC LIMIT 1) AS routing,
  (SELECT max(e.id) FROM event_log e
    WHERE e.call_id = calls.id AND e.type IN (${sqlList(PROJECTED_CALL_EVENTS)})
  ) AS last_event_id`;

const CALL_PAGES: KeysetQuery<CallRecord, Call> = {
  table: 'calls',
  columns: CALL_COLUMNS,
  sortColumn: 'arrived_at',
  fromRecord: callFromRecord,
};

const ATTEMPT_PAGES: KeysetQuery<AttemptRecord, CallAttempt> = {
  table: 'call_attempts',
  columns: '*',
  sortColumn: 'started_at',
  fromRecord: attemptFromRecord,
};

const noPage = <T>(): Page<T> => ({ items: [], nextCursor: null });

export async function listEvents(db: Db, filter: EventFilter = {}): Promise<LoggedEvent[]> {
  const conds = new Conditions();
  if (filter.afterId !== undefined) conds.add('id > ?', filter.afterId);
  if (filter.callId !== undefined) conds.add('call_id = ?', filter.callId);
  if (filter.agentId !== undefined) {
    if (!isUuid(filter.agentId)) return [];
    conds.add('agent_id = ?', filter.agentId);
  }
  if (filter.type !== undefined) conds.add('type = ?', filter.type);
  if (filter.from !== undefined) conds.add('at >= ?', filter.from);
  if (filter.to !== undefined) conds.add('at < ?', filter.to);
  const params = [...conds.params, clampLimit(filter.limit, 1000, 10000)];
  const { rows } = await db.query<EventRecord>(
    `SELECT * FROM event_log ${conds.sql()} ORDER BY id LIMIT $${params.length}`,
    params,
  );
  return rows.map(eventFromRecord);
}

export async function getCall(db: Db, id: string): Promise<CallWithAttempts | null> {
  const { rows } = await db.query<CallRecord>(
    `SELECT ${CALL_COLUMNS}, '' AS sort_key FROM calls WHERE id = $1`,
    [id],
  );
  if (!rows[0]) return null;
  const attempts = await db.query<AttemptRecord>(
    `SELECT *, '' AS sort_key FROM call_attempts WHERE call_id = $1 ORDER BY started_at, id`,
    [id],
  );
  // The message the caller left at a voicemail exit (sql/0010), if any.
  const voicemail = await db.query<{ id: string }>(
    'SELECT id FROM voicemails WHERE call_id = $1 ORDER BY started_at DESC LIMIT 1',
    [id],
  );
  return {
    ...callFromRecord(rows[0]),
    attempts: attempts.rows.map(attemptFromRecord),
    voicemailId: voicemail.rows[0]?.id ?? null,
  };
}

export async function listCalls(db: Db, filter: CallFilter = {}): Promise<Page<Call>> {
  const conds = new Conditions();
  for (const field of ['departmentId', 'agentId'] as const) {
    const v = filter[field];
    if (v !== undefined && !isUuid(v)) return noPage();
  }
  if (filter.from !== undefined) conds.add('arrived_at >= ?', filter.from);
  if (filter.to !== undefined) conds.add('arrived_at < ?', filter.to);
  if (filter.departmentId !== undefined) conds.add('department_id = ?', filter.departmentId);
  if (filter.agentId !== undefined) conds.add('agent_id = ?', filter.agentId);
  if (filter.caller !== undefined) conds.add('caller = ?', filter.caller);
  if (filter.outcome === 'live') conds.raw('ended_at IS NULL');
  else if (filter.outcome !== undefined) conds.add('outcome = ?', filter.outcome);
  return keysetPage(db, CALL_PAGES, conds, filter);
}

export async function listAttempts(db: Db, filter: AttemptFilter = {}): Promise<Page<CallAttempt>> {
  const conds = new Conditions();
  if (filter.agentId !== undefined && !isUuid(filter.agentId)) return noPage();
  if (filter.callId !== undefined) conds.add('call_id = ?', filter.callId);
  if (filter.agentId !== undefined) conds.add('agent_id = ?', filter.agentId);
  if (filter.from !== undefined) conds.add('started_at >= ?', filter.from);
  if (filter.to !== undefined) conds.add('started_at < ?', filter.to);
  if (filter.result !== undefined) conds.add('result = ?', filter.result);
  return keysetPage(db, ATTEMPT_PAGES, conds, filter);
}

/** Calls not yet ended, oldest first (the live view). */
export async function liveCalls(db: Db): Promise<Call[]> {
  const { rows } = await db.query<CallRecord>(
    `SELECT ${CALL_COLUMNS}, '' AS sort_key FROM calls WHERE ended_at IS NULL ORDER BY arrived_at, id`,
  );
  return rows.map(callFromRecord);
}
