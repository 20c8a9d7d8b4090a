/**
 * What call control tells the outside world: live events for the WebSocket
 * stream (`noun.verb`, one payload each) and rows for the call log.
 */
import type { CallFlowEventMap, Decision } from '../../acd/index.ts';

export type { CallFlowEventMap, ReconcileFixed } from '../../acd/index.ts';

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
