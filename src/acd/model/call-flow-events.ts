/**
 * The live events of the call path (`noun.verb`, one payload each): what call
 * control publishes and the admin API's event stream carries. Here, below
 * both, so that neither imports the other.
 */

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
  /** A caller left a message at a voicemail exit; it is stored and its audio can be fetched. */
  'voicemail.recorded': {
    voicemailId: string;
    callId: string;
    departmentId: string;
    caller: string;
    durationMs: number;
    startedAt: string;
  };
  /** Two views disagreed and one was corrected (call control's reconcile, a takeover). */
  'reconcile.fixed': ReconcileFixed;
}
