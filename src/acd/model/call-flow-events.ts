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
  /**
   * Callbacks (docs/callbacks.md). `number` is the customer's number as the
   * caller gave it, in full, as `call.queued` carries the caller's.
   */
  /** A waiting caller asked to be called back; the request keeps the caller's place. */
  'callback.requested': { callId: string; departmentId: string; number: string };
  /** An agent took the request and the customer is being dialled (`attempt`: 1 for the first try). */
  'callback.dialing': {
    callId: string;
    departmentId: string;
    agentId: string;
    attemptId: string;
    number: string;
    attempt: number;
  };
  /** The customer answered and is talking to the agent (`waitMs` from the original arrival). */
  'callback.connected': {
    callId: string;
    departmentId: string;
    agentId: string;
    number: string;
    attempt: number;
    waitMs: number;
  };
  /** A try did not reach the customer; another follows at `retryAt` (ISO time). */
  'callback.retry-scheduled': {
    callId: string;
    departmentId: string;
    number: string;
    failedTries: number;
    retryAt: string;
  };
  /** The request ended without reaching the customer (the call log's `callback-failed`). */
  'callback.failed': {
    callId: string;
    departmentId: string;
    number: string;
    failedTries: number;
    reason: string | null;
  };
  /** Two views disagreed and one was corrected (call control's reconcile, a takeover). */
  'reconcile.fixed': ReconcileFixed;
}
