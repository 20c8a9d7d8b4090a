/**
 * Appending to the call log. Each append is one multi-row INSERT into
 * `event_log`; the database's statement trigger (sql/0005_call_log_projection.sql)
 * projects the whole statement's events, so an append is atomic on its own.
 * Inside a transaction (`db` may be one), it commits or rolls back with the
 * caller's other writes.
 */
import {
  type EventRecord,
  eventFromRecord,
  type LogEventInput,
  type LoggedEvent,
} from './call-log-events.ts';
import type { Db, SqlParam } from './db.ts';
import { ConstraintError } from './errors.ts';
import { isUuid, json } from './sql-helpers.ts';

/** Postgres takes at most 65535 parameters per statement (six per event). */
const MAX_EVENTS_PER_INSERT = 1000;

/** Appends one event and returns it as stored. */
export async function appendEventIn(db: Db, event: LogEventInput): Promise<LoggedEvent> {
  const [logged] = await appendEventsIn(db, [event]);
  return logged as LoggedEvent;
}

/**
 * Appends events in order with one multi-row INSERT: the trigger projects
 * them together, kind by kind in a call's lifecycle order, and a failure in
 * any of them undoes the whole statement, so the batch is all or nothing
 * without a transaction. Returns them as stored, oldest first.
 */
export async function appendEventsIn(
  db: Db,
  events: readonly LogEventInput[],
): Promise<LoggedEvent[]> {
  const rows = await insertInChunks(db, events, async (chunkDb, chunk) => {
    const { sql, params } = insertEvents(chunk);
    const { rows } = await chunkDb.query<EventRecord>(`${sql} RETURNING *`, params);
    return rows;
  });
  // Ids follow the VALUES order; sort so the answer does too.
  return rows.map(eventFromRecord).sort((a, b) => a.id - b.id);
}

/**
 * Appends like `appendEventsIn` without reading the rows back: the call-log
 * writer needs only the commit, and reading back every payload (routing
 * explanations are kilobytes) would be a large part of the database's work.
 */
export async function recordEventsIn(db: Db, events: readonly LogEventInput[]): Promise<void> {
  await insertInChunks(db, events, async (chunkDb, chunk) => {
    const { sql, params } = insertEvents(chunk);
    await chunkDb.query(sql, params);
    return [];
  });
}

/**
 * Runs `insert` on `events` as one statement, or, for more than one
 * statement can carry, chunk by chunk in one transaction.
 */
async function insertInChunks<T>(
  db: Db,
  events: readonly LogEventInput[],
  insert: (db: Db, chunk: readonly LogEventInput[]) => Promise<T[]>,
): Promise<T[]> {
  if (events.length === 0) return [];
  if (events.length <= MAX_EVENTS_PER_INSERT) return insert(db, events);
  return db.transaction(async (tx) => {
    const out: T[] = [];
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_INSERT) {
      out.push(...(await insert(tx, events.slice(i, i + MAX_EVENTS_PER_INSERT))));
    }
    return out;
  });
}

/** One multi-row INSERT of `events` (validated ids), without a RETURNING clause. */
function insertEvents(events: readonly LogEventInput[]): { sql: string; params: SqlParam[] } {
  const params: SqlParam[] = [];
  const rowsSql: string[] = [];
  for (const event of events) {
    for (const field of ['agentId', 'departmentId'] as const) {
      const v = event[field];
      if (v !== undefined && v !== null && !isUuid(v)) {
        throw new ConstraintError(field, 'must be a uuid');
      }
    }
    const n = params.length;
    params.push(
      event.at ?? null,
      event.type,
      event.callId ?? null,
      event.agentId ?? null,
      event.departmentId ?? null,
      json(event.payload ?? {}),
    );
    rowsSql.push(
      `(coalesce($${n + 1}::timestamptz, now()), $${n + 2}, $${n + 3}, $${n + 4}::uuid, $${n + 5}::uuid, $${n + 6}::text::jsonb)`,
    );
  }
  return {
    sql: `INSERT INTO event_log (at, type, call_id, agent_id, department_id, payload)
     VALUES ${rowsSql.join(', ')}`,
    params,
  };
}
