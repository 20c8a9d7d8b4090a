/**
 * What call control tells the outside world: live events for the WebSocket
 * stream (`noun.verb`, one payload each) and rows for the call log.
 */
import type { Decision } from '../../acd/index.ts';

/** One disagreement between two views, found and corrected: a call, or a SIP leg of a lost instance. */
export type ReconcileFixed =
  | { what: 'call'; callId: string; fix: string; why: string }
  | { what: 'leg'; sipCallId: string; fix: string; why: string };

export interface CallFlowEventMap {
  'call.queued': { callId: string; departmentId: string; caller: string; dialled: string };
  'agent.ringing': { callId: string; agentId: string; attemptId: string; departmentId: string };
  'call.answered': { callId: string; agentId: string; attemptId: string; waitMs: number };
  'call.ended': {
    callId: string;
    departmentId: string;
    outcome: string;
    agentId: string | null;
    waitMs: number;
    talkMs: number | null;
    reason: string | null;
  };
  'call.abandoned': { callId: string; departmentId: string; waitMs: number };
  'call.overflowed': {
    callId: string;
    fromDepartmentId: string;
    toDepartmentId: string;
    reason: string;
  };
  'call.rejected': { callId: string; reason: string; exit: string; status: number };
  /** The agent's life-cycle state (available, ringing, onCall, wrapUp, away, ...). */
  'agent.state': { agentId: string; from: string; to: string; cause: string };
  /** Two views disagreed and one was corrected (see the reconcile in call-control.ts). */
  'reconcile.fixed': ReconcileFixed;
}

/** Matches the admin API's event bus `publish(type, data)`. */
export interface CallEventPublisher {
  publish<K extends keyof CallFlowEventMap & string>(type: K, data: CallFlowEventMap[K]): void;
}

export const nullPublisher: CallEventPublisher = { publish() {} };

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * One call-log event, shaped like the store's `LogEventInput` (see
 * src/store/call-log.ts for the types that write projections). The sink must
 * not block: the call-log writer queues and retries.
 */
export interface CallLogEvent {
  type: string;
  at: Date;
  callId?: string | null;
  agentId?: string | null;
  departmentId?: string | null;
  payload: { [k: string]: Json };
}

export interface CallLogSink {
  append(event: CallLogEvent): void;
}

export const nullCallLog: CallLogSink = { append() {} };

/** Routing explanations as JSON for the call log's `call.routed` row. */
export function decisionJson(d: Decision): { [k: string]: Json } {
  return {
    callId: d.callId,
    departmentId: d.departmentId,
    strategy: d.strategy,
    at: d.at,
    sticky: d.sticky,
    candidates: d.candidates,
    chosen: d.chosen,
    skipped: d.skipped.map((s) => ({
      agentId: s.agentId,
      reason: s.reason,
      ...(s.detail !== undefined ? { detail: s.detail } : {}),
    })),
  };
}
