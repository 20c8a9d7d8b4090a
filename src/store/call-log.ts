/**
 * The call log: an append-only event log, and the `calls` / `call_attempts` /
 * `agent_status_history` projections written from the events by a trigger
 * (sql/0005) inside the events' own INSERT statement. Reports, the live view and CSV
 * exports read the projections, so they can never disagree with the log.
 * A projection that fails (unknown call, second answer, bad outcome) undoes
 * its event: ConstraintError / NotFoundError / ConflictError name the field.
 *
 * Events and what they project (`at` defaults to the database clock):
 *
 * | type            | needs                                    | projection                                    |
 * |-----------------|------------------------------------------|-----------------------------------------------|
 * | call.arrived    | callId, payload.caller, .dialledNumber   | new call (arrived_at)                         |
 * | call.queued     | callId, departmentId                     | call's department                             |
 * | call.routed     | callId, payload.explanation              | call's routing explanation                    |
 * | call.ringing    | callId, agentId, payload.attemptId, .device | new attempt (started_at)                   |
 * | attempt.ended   | callId, payload.attemptId, .result       | attempt ended, ring time                      |
 * | call.answered   | callId, agentId, [payload.attemptId]     | answered_at, agent, wait time (+ attempt answered) |
 * | call.ended      | callId, payload.outcome                  | ended_at, outcome, wait/talk time; open attempts -> cancelled |
 * | agent.status    | agentId, payload.to, .source, [.from, .until, .reason] | status history row             |
 *
 * Any other `noun.verb` type is logged as it is (e.g. 'call.announced').
 */
import type { Db, SqlParam } from './db.ts';
import { ConstraintError } from './errors.ts';
import { isUuid, json, toDate, toDateOrNull, toNumberOrNull } from './sql-helpers.ts';

export type CallOutcome =
  | 'answered'
  | 'abandoned'
  | 'overflowed'
  | 'out-of-hours'
  | 'no-agent'
  | 'rejected'
  | 'failed';
export const CALL_OUTCOMES: readonly CallOutcome[] = [
  'answered',
  'abandoned',
  'overflowed',
  'out-of-hours',
  'no-agent',
  'rejected',
  'failed',
];

export type AttemptResult =
  | 'answered'
  | 'no-answer'
  | 'busy'
  | 'declined'
  | 'unreachable'
  | 'cancelled'
  | 'failed';
export const ATTEMPT_RESULTS: readonly AttemptResult[] = [
  'answered',
  'no-answer',
  'busy',
  'declined',
  'unreachable',
  'cancelled',
  'failed',
];

export type StatusSource = 'agent' | 'admin' | 'system';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

/** An event to append. Known types (see the table above) must carry their fields. */
export interface LogEventInput {
  type: string;
  /** Default: the database's now(). */
  at?: Date;
  callId?: string | null;
  agentId?: string | null;
  departmentId?: string | null;
  payload?: JsonObject;
}

/** Typed shapes of the events that write projections (all are LogEventInputs). */
export type CallArrivedEvent = LogEventInput & {
  type: 'call.arrived';
  callId: string;
  payload: { caller: string; dialledNumber: string };
};
export type CallQueuedEvent = LogEventInput & { type: 'call.queued'; callId: string };
export type CallRoutedEvent = LogEventInput & {
  type: 'call.routed';
  callId: string;
  payload: { explanation: JsonValue };
};
export type CallRingingEvent = LogEventInput & {
  type: 'call.ringing';
  callId: string;
  agentId: string;
  payload: { attemptId: string; device: string };
};
export type AttemptEndedEvent = LogEventInput & {
  type: 'attempt.ended';
  callId: string;
  payload: { attemptId: string; result: AttemptResult };
};
export type CallAnsweredEvent = LogEventInput & {
  type: 'call.answered';
  callId: string;
  agentId: string;
  payload?: { attemptId?: string };
};
export type CallEndedEvent = LogEventInput & {
  type: 'call.ended';
  callId: string;
  payload: { outcome: CallOutcome };
};
export type AgentStatusEvent = LogEventInput & {
  type: 'agent.status';
  agentId: string;
  payload: {
    from?: string | null;
    to: string;
    until?: string | null;
    reason?: string | null;
    source: StatusSource;
  };
};

/** The event types that change a call's row or its attempts (what `lastEventId` points at). */
const PROJECTED_CALL_EVENTS = [
  'call.arrived',
  'call.queued',
  'call.routed',
  'call.ringing',
  'attempt.ended',
  'call.answered',
  'call.ended',
] as const;

export interface LoggedEvent {
  id: number;
  at: Date;
  type: string;
  callId: string | null;
  agentId: string | null;
  departmentId: string | null;
  payload: JsonObject;
}

export interface Call {
  id: string;
  caller: string;
  dialledNumber: string;
  departmentId: string | null;
  arrivedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** The agent who answered. */
  agentId: string | null;
  /** null while the call is live. */
  outcome: CallOutcome | null;
  /** Seconds from arrival to answer (or to the end when unanswered); null while waiting. */
  waitS: number | null;
  /** Seconds from answer to end; null unless answered and ended. */
  talkS: number | null;
  routing: JsonValue | null;
  /** Id of the last event that changed this call. */
  lastEventId: number;
}

export interface CallAttempt {
  id: string;
  callId: string;
  agentId: string;
  /** Contact URI or mobile number that rang. */
  device: string;
  startedAt: Date;
  endedAt: Date | null;
  result: AttemptResult | null;
  ringS: number | null;
}

export interface CallWithAttempts extends Call {
  attempts: CallAttempt[];
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface CallFilter {
  /** arrived_at >= from */
  from?: Date;
  /** arrived_at < to */
  to?: Date;
  departmentId?: string;
  /** The agent who answered. */
  agentId?: string;
  /** An outcome, or 'live' for calls not yet ended. */
  outcome?: CallOutcome | 'live';
  caller?: string;
  /** 1-1000, default 100. */
  limit?: number;
  cursor?: string;
}

export interface AttemptFilter {
  callId?: string;
  agentId?: string;
  /** started_at >= from */
  from?: Date;
  /** started_at < to */
  to?: Date;
  result?: AttemptResult;
  limit?: number;
  cursor?: string;
}

export interface EventFilter {
  /** Events with id > afterId (for followers catching up). */
  afterId?: number;
  callId?: string;
  agentId?: string;
  type?: string;
  from?: Date;
  to?: Date;
  /** 1-10000, default 1000. Oldest first. */
  limit?: number;
}

interface EventRecord {
  id: string | number;
  at: Date;
  type: string;
  call_id: string | null;
  agent_id: string | null;
  department_id: string | null;
  payload: JsonObject;
}

interface CallRecord {
  id: string;
  caller: string;
  dialled_number: string;
  department_id: string | null;
  arrived_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  agent_id: string | null;
  outcome: CallOutcome | null;
  wait_s: number | null;
  talk_s: number | null;
  routing: JsonValue | null;
  last_event_id: string | number;
  sort_key: string;
}

interface AttemptRecord {
  id: string;
  call_id: string;
  agent_id: string;
  device: string;
  started_at: Date;
  ended_at: Date | null;
  result: AttemptResult | null;
  ring_s: number | null;
  sort_key: string;
}

function eventFromRecord(r: EventRecord): LoggedEvent {
  return {
    id: Number(r.id),
    at: toDate(r.at),
    type: r.type,
    callId: r.call_id,
    agentId: r.agent_id,
    departmentId: r.department_id,
    payload: r.payload,
  };
}

function callFromRecord(r: CallRecord): Call {
  return {
    id: r.id,
    caller: r.caller,
    dialledNumber: r.dialled_number,
    departmentId: r.department_id,
    arrivedAt: toDate(r.arrived_at),
    answeredAt: toDateOrNull(r.answered_at),
    endedAt: toDateOrNull(r.ended_at),
    agentId: r.agent_id,
    outcome: r.outcome,
    waitS: toNumberOrNull(r.wait_s),
    talkS: toNumberOrNull(r.talk_s),
    routing: r.routing,
    lastEventId: Number(r.last_event_id),
  };
}

function attemptFromRecord(r: AttemptRecord): CallAttempt {
  return {
    id: r.id,
    callId: r.call_id,
    agentId: r.agent_id,
    device: r.device,
    startedAt: toDate(r.started_at),
    endedAt: toDateOrNull(r.ended_at),
    result: r.result,
    ringS: toNumberOrNull(r.ring_s),
  };
}

/**
 * Appends one event; the database's trigger (sql/0005) projects it within the
 * same INSERT, so this is atomic on its own. Inside a transaction (`db` may be
 * one), it commits or rolls back with the caller's other writes.
 */
export async function appendEventIn(db: Db, event: LogEventInput): Promise<LoggedEvent> {
  const [logged] = await appendEventsIn(db, [event]);
  return logged as LoggedEvent;
}

const MAX_EVENTS_PER_INSERT = 1000;

/**
 * Appends events in order with one multi-row INSERT: the trigger projects
 * them together, kind by kind in a call's lifecycle order, and a failure in
 * any of them undoes the whole statement, so the batch is all or nothing
 * without a transaction.
 */
export async function appendEventsIn(
  db: Db,
  events: readonly LogEventInput[],
): Promise<LoggedEvent[]> {
  if (events.length === 0) return [];
  if (events.length > MAX_EVENTS_PER_INSERT) {
    // Postgres takes at most 65535 parameters per statement: split, in one transaction.
    return db.transaction(async (tx) => {
      const out: LoggedEvent[] = [];
      for (let i = 0; i < events.length; i += MAX_EVENTS_PER_INSERT) {
        out.push(...(await appendEventsIn(tx, events.slice(i, i + MAX_EVENTS_PER_INSERT))));
      }
      return out;
    });
  }
  const { sql, params } = insertEvents(events);
  const { rows } = await db.query<EventRecord>(`${sql} RETURNING *`, params);
  // Ids follow the VALUES order; sort so the answer does too.
  return rows.map(eventFromRecord).sort((a, b) => a.id - b.id);
}

/**
 * Appends like `appendEventsIn` without reading the rows back: the call-log
 * writer needs only the commit, and reading back every payload (routing
 * explanations are kilobytes) was a large part of the database's work.
 */
export async function recordEventsIn(db: Db, events: readonly LogEventInput[]): Promise<void> {
  if (events.length === 0) return;
  if (events.length > MAX_EVENTS_PER_INSERT) {
    await db.transaction(async (tx) => {
      for (let i = 0; i < events.length; i += MAX_EVENTS_PER_INSERT) {
        await recordEventsIn(tx, events.slice(i, i + MAX_EVENTS_PER_INSERT));
      }
    });
    return;
  }
  const { sql, params } = insertEvents(events);
  await db.query(sql, params);
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

const CURSOR_VERSION = 1;

function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, sortKey, id])).toString('base64url');
}

function decodeCursor(cursor: string): { sortKey: string; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v[0] === CURSOR_VERSION &&
      typeof v[1] === 'string' &&
      typeof v[2] === 'string'
    ) {
      return { sortKey: v[1], id: v[2] };
    }
  } catch {
    // fall through
  }
  throw new ConstraintError('cursor', 'not a cursor from this API');
}

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new ConstraintError('limit', `must be an integer 1-${max}`);
  }
  return limit;
}

/** WHERE conditions with `?` placeholders, numbered as they are added. */
class Conditions {
  readonly params: SqlParam[] = [];
  private readonly where: string[] = [];
  add(cond: string, ...values: SqlParam[]): void {
    let c = cond;
    for (const v of values) {
      this.params.push(v);
      c = c.replace('?', `$${this.params.length}`);
    }
    this.where.push(c);
  }
  raw(cond: string): void {
    this.where.push(cond);
  }
  sql(): string {
    return this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
  }
}

/**
 * A calls row with what the log keeps of it (sql/0005_project_by_statement.sql):
 * its routing explanation, stored once in its latest call.routed event, and
 * the id of the latest event that changed it. Both come from the call's few
 * events through event_log's call_id index.
 */
const CALL_COLUMNS = `calls.*,
  (SELECT e.payload -> 'explanation' FROM event_log e
    WHERE e.call_id = calls.id AND e.type = 'call.routed' ORDER BY e.id DESC LIMIT 1) AS routing,
  (SELECT max(e.id) FROM event_log e
    WHERE e.call_id = calls.id AND e.type IN (${PROJECTED_CALL_EVENTS.map((t) => `'${t}'`).join(', ')})
  ) AS last_event_id`;

/**
 * One page, newest first, of `table` ordered by (`sortColumn`, id); the
 * cursor is the last row's key, so pages stay stable while rows arrive.
 */
async function keysetPage<Rec extends { sort_key: string; id: string }, Row>(
  db: Db,
  table: string,
  columns: string,
  sortColumn: string,
  conds: Conditions,
  filter: { cursor?: string; limit?: number },
  fromRecord: (r: Rec) => Row,
): Promise<Page<Row>> {
  if (filter.cursor !== undefined) {
    const c = decodeCursor(filter.cursor);
    conds.add(`(${sortColumn}, id) < (?::timestamptz, ?)`, c.sortKey, c.id);
  }
  const limit = clampLimit(filter.limit, 100, 1000);
  const params = [...conds.params, limit + 1];
  const { rows } = await db.query<Rec>(
    `SELECT ${columns}, ${sortColumn}::text AS sort_key FROM ${table} ${conds.sql()}
     ORDER BY ${sortColumn} DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(fromRecord),
    nextCursor: rows.length > limit && last ? encodeCursor(last.sort_key, last.id) : null,
  };
}

export interface CallLogRepo {
  /** Appends one event and updates the projections, atomically. */
  append(event: LogEventInput): Promise<LoggedEvent>;
  /** Appends several events in order, all or nothing. */
  appendMany(events: readonly LogEventInput[]): Promise<LoggedEvent[]>;
  /** Like appendMany, without reading the events back (cheaper: the call-log writer's path). */
  record(events: readonly LogEventInput[]): Promise<void>;
  /** Events oldest first. */
  listEvents(filter?: EventFilter): Promise<LoggedEvent[]>;
  getCall(id: string): Promise<CallWithAttempts | null>;
  /** Newest arrival first; keyset-paginated (stable while new calls arrive). */
  listCalls(filter?: CallFilter): Promise<Page<Call>>;
  /** Newest ring first; keyset-paginated. */
  listAttempts(filter?: AttemptFilter): Promise<Page<CallAttempt>>;
  /** Calls not yet ended, oldest first (the live view). */
  liveCalls(): Promise<Call[]>;
}

export function callLogRepo(db: Db): CallLogRepo {
  return {
    append: (event) => appendEventIn(db, event),
    appendMany: (events) => appendEventsIn(db, events),
    record: (events) => recordEventsIn(db, events),
    async listEvents(filter = {}) {
      const params: SqlParam[] = [];
      const where: string[] = [];
      const add = (cond: string, value: SqlParam) => {
        params.push(value);
        where.push(cond.replace('?', `$${params.length}`));
      };
      if (filter.afterId !== undefined) add('id > ?', filter.afterId);
      if (filter.callId !== undefined) add('call_id = ?', filter.callId);
      if (filter.agentId !== undefined) {
        if (!isUuid(filter.agentId)) return [];
        add('agent_id = ?', filter.agentId);
      }
      if (filter.type !== undefined) add('type = ?', filter.type);
      if (filter.from !== undefined) add('at >= ?', filter.from);
      if (filter.to !== undefined) add('at < ?', filter.to);
      params.push(clampLimit(filter.limit, 1000, 10000));
      const { rows } = await db.query<EventRecord>(
        `SELECT * FROM event_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id LIMIT $${params.length}`,
        params,
      );
      return rows.map(eventFromRecord);
    },
    async getCall(id) {
      const { rows } = await db.query<CallRecord>(
        `SELECT ${CALL_COLUMNS}, '' AS sort_key FROM calls WHERE id = $1`,
        [id],
      );
      if (!rows[0]) return null;
      const attempts = await db.query<AttemptRecord>(
        `SELECT *, '' AS sort_key FROM call_attempts WHERE call_id = $1 ORDER BY started_at, id`,
        [id],
      );
      return { ...callFromRecord(rows[0]), attempts: attempts.rows.map(attemptFromRecord) };
    },
    async listCalls(filter = {}) {
      const conds = new Conditions();
      const add = conds.add.bind(conds);
      for (const field of ['departmentId', 'agentId'] as const) {
        const v = filter[field];
        if (v !== undefined && !isUuid(v)) return { items: [], nextCursor: null };
      }
      if (filter.from !== undefined) add('arrived_at >= ?', filter.from);
      if (filter.to !== undefined) add('arrived_at < ?', filter.to);
      if (filter.departmentId !== undefined) add('department_id = ?', filter.departmentId);
      if (filter.agentId !== undefined) add('agent_id = ?', filter.agentId);
      if (filter.caller !== undefined) add('caller = ?', filter.caller);
      if (filter.outcome === 'live') conds.raw('ended_at IS NULL');
      else if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
      return keysetPage(db, 'calls', CALL_COLUMNS, 'arrived_at', conds, filter, callFromRecord);
    },
    async listAttempts(filter = {}) {
      const conds = new Conditions();
      const add = conds.add.bind(conds);
      if (filter.agentId !== undefined && !isUuid(filter.agentId)) {
        return { items: [], nextCursor: null };
      }
      if (filter.callId !== undefined) add('call_id = ?', filter.callId);
      if (filter.agentId !== undefined) add('agent_id = ?', filter.agentId);
      if (filter.from !== undefined) add('started_at >= ?', filter.from);
      if (filter.to !== undefined) add('started_at < ?', filter.to);
      if (filter.result !== undefined) add('result = ?', filter.result);
      return keysetPage(db, 'call_attempts', '*', 'started_at', conds, filter, attemptFromRecord);
    },
    async liveCalls() {
      const { rows } = await db.query<CallRecord>(
        `SELECT ${CALL_COLUMNS}, '' AS sort_key FROM calls WHERE ended_at IS NULL ORDER BY arrived_at, id`,
      );
      return rows.map(callFromRecord);
    },
  };
}
