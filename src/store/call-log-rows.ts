/**
 * The call log's read model: a call and its ring attempts as the
 * projections (`calls`, `call_attempts`) hold them, the filters of their
 * lists, and the mapping from the drivers' rows.
 */
import type { JsonValue } from './call-log-events.ts';
import type { CallLogAttemptResult, CallLogOutcome } from './call-vocabulary.ts';
import { toDate, toDateOrNull, toNumberOrNull } from './sql-helpers.ts';

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
  outcome: CallLogOutcome | null;
  /** `callback`: the caller asked to be called back and hung up (its own outcome marker). */
  kind: 'inbound' | 'callback';
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
  result: CallLogAttemptResult | null;
  ringS: number | null;
}

export interface CallWithAttempts extends Call {
  attempts: CallAttempt[];
  /** The voicemail the caller left, if any. */
  voicemailId: string | null;
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
  outcome?: CallLogOutcome | 'live';
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
  result?: CallLogAttemptResult;
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

/** A `calls` row with the columns the call log adds to it (see call-log-queries.ts). */
export interface CallRecord {
  id: string;
  caller: string;
  dialled_number: string;
  department_id: string | null;
  arrived_at: Date;
  answered_at: Date | null;
  ended_at: Date | null;
  agent_id: string | null;
  outcome: CallLogOutcome | null;
  kind: 'inbound' | 'callback';
  wait_s: number | null;
  talk_s: number | null;
  routing: JsonValue | null;
  last_event_id: string | number;
  sort_key: string;
}

export interface AttemptRecord {
  id: string;
  call_id: string;
  agent_id: string;
  device: string;
  started_at: Date;
  ended_at: Date | null;
  result: CallLogAttemptResult | null;
  ring_s: number | null;
  sort_key: string;
}

export function callFromRecord(r: CallRecord): Call {
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
    kind: r.kind,
    waitS: toNumberOrNull(r.wait_s),
    talkS: toNumberOrNull(r.talk_s),
    routing: r.routing,
    lastEventId: Number(r.last_event_id),
  };
}

export function attemptFromRecord(r: AttemptRecord): CallAttempt {
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
