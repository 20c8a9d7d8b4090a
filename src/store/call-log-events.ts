/**
 * The events of the call log: what a writer appends (`LogEventInput`, with
 * the typed shapes of the kinds that the database projects) and what a
 * reader gets back (`LoggedEvent`). The table of kinds and their projections
 * is in call-log.ts.
 */
import type { CallLogAttemptResult, CallLogOutcome, StatusSource } from './call-vocabulary.ts';
import { toDate } from './sql-helpers.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

/** An event to append. Known types (see call-log.ts) must carry their fields. */
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
  payload: { attemptId: string; result: CallLogAttemptResult };
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
  payload: { outcome: CallLogOutcome };
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
export const PROJECTED_CALL_EVENTS = [
  'call.arrived',
  'call.queued',
  'call.routed',
  'call.ringing',
  'attempt.ended',
  'call.answered',
  'call.ended',
  'call.callback-requested',
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

/** An `event_log` row as the drivers return it. */
export interface EventRecord {
  id: string | number;
  at: Date;
  type: string;
  call_id: string | null;
  agent_id: string | null;
  department_id: string | null;
  payload: JsonObject;
}

export function eventFromRecord(r: EventRecord): LoggedEvent {
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
