/**
 * The call log: an append-only event log, and the `calls` / `call_attempts` /
 * `agent_status_history` projections written from the events by a statement
 * trigger (sql/0005_call_log_projection.sql) inside the events' own INSERT.
 * Reports, the live view and CSV exports read the projections, so they can
 * never disagree with the log. A projection that fails (unknown call, second
 * answer, bad outcome) undoes its statement: ConstraintError / NotFoundError /
 * ConflictError name the field.
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
 * The words of outcomes and results are in call-vocabulary.ts.
 */
import { appendEventIn, appendEventsIn, recordEventsIn } from './call-log-append.ts';
import type { LogEventInput, LoggedEvent } from './call-log-events.ts';
import { getCall, listAttempts, listCalls, listEvents, liveCalls } from './call-log-queries.ts';
import type {
  AttemptFilter,
  Call,
  CallAttempt,
  CallFilter,
  CallWithAttempts,
  EventFilter,
} from './call-log-rows.ts';
import type { Db } from './db.ts';
import type { Page } from './keyset-page.ts';

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
    listEvents: (filter) => listEvents(db, filter),
    getCall: (id) => getCall(db, id),
    listCalls: (filter) => listCalls(db, filter),
    listAttempts: (filter) => listAttempts(db, filter),
    liveCalls: () => liveCalls(db),
  };
}
