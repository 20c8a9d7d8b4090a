import type { AgentState } from './agent-state.ts';
import type { Decision } from './decision.ts';
import type { RingFailure } from './events.ts';
import type { QueueExit } from './types.ts';

/** What the engine asks call control to do, in order. The engine has already updated its state. */
export type AcdAction =
  | Ring
  | CancelRing
  | Bridge
  | HangUp
  | DropLateAnswer
  | Announce
  | Overflow
  | Reject
  | PauseAgent
  | AgentStateChanged
  | CallbackAccepted
  | DialCallback
  | EndCallbackDial
  | CallbackRetryScheduled
  | CallCompleted;

/** Offer `callId` to `agentId`: fork to the agent's devices per its forwarding mode. */
export interface Ring {
  type: 'ring';
  callId: string;
  departmentId: string;
  agentId: string;
  attemptId: string;
  /** Ring timeout, kept by the engine alone: it emits `cancelRing {reason: 'timeout'}` on the tick at `timeoutAt`. */
  timeoutMs: number;
  timeoutAt: number;
  /** Why this agent (absent when the engine runs with `explain: false`). */
  decision?: Decision;
  /** Set for a callback request: the number the customer will be called back on. */
  callbackNumber?: string;
}

export type CancelReason =
  | 'timeout'
  | 'answered-elsewhere'
  | 'caller-hung-up'
  | 'max-wait'
  | 'agent-removed'
  | 'department-removed'
  | 'callback-requested';

/** Stop ringing this attempt (the engine has released the agent). */
export interface CancelRing {
  type: 'cancelRing';
  callId: string;
  agentId: string;
  attemptId: string;
  reason: CancelReason;
}

/** The agent answered: connect caller and agent. */
export interface Bridge {
  type: 'bridge';
  callId: string;
  agentId: string;
  attemptId: string;
  /** How long the caller waited in this department's queue. */
  waitMs: number;
}

/** An answer arrived for an attempt that had already ended: ACK and hang up that leg. */
export interface DropLateAnswer {
  type: 'dropLateAnswer';
  attemptId: string;
}

/** Tell the caller where they stand. `expectedWaitS` is null when no agent serves the department. */
export interface Announce {
  type: 'announce';
  callId: string;
  kind: 'queued' | 'reminder';
  position: number;
  expectedWaitS: number | null;
}

export type ExitReason =
  | 'max-wait'
  | 'queue-full'
  | 'no-agent'
  | 'out-of-hours'
  | 'unknown-department'
  | 'department-removed'
  | 'overflow-loop';

/** The call moved to another department's queue (it keeps its original arrival time). */
export interface Overflow {
  type: 'overflow';
  callId: string;
  fromDepartmentId: string;
  toDepartmentId: string;
  reason: ExitReason;
}

/** The call leaves the engine without an agent: carry out `exit` (voicemail, forward, hang up). */
export interface Reject {
  type: 'reject';
  callId: string;
  reason: ExitReason;
  exit: Exclude<QueueExit, { kind: 'overflow' }>;
}

/** The engine paused the agent (status set to away); persist it. */
export interface PauseAgent {
  type: 'pauseAgent';
  agentId: string;
  reason: 'missed-rings';
  missedRings: number;
}

/** The agent's life-cycle state changed (for the wallboard and the event stream). */
export interface AgentStateChanged {
  type: 'agentStateChanged';
  agentId: string;
  from: AgentState;
  to: AgentState;
  cause: string;
}

/**
 * End a connected call (both legs): it reached its department's maximum
 * duration. Call control reports the end as usual (`callEnded`).
 */
export interface HangUp {
  type: 'hangUp';
  callId: string;
  reason: 'max-duration';
}

export type CallOutcome = 'answered' | 'abandoned' | 'rejected' | 'callback-failed';

/** The call left the engine for good; figures for the call log. */
export interface CallCompleted {
  type: 'callCompleted';
  callId: string;
  departmentId: string;
  outcome: CallOutcome;
  reason?: ExitReason;
  agentId?: string;
  waitMs: number;
  talkMs?: number;
  /** Set for a callback request (answered: the customer was reached). */
  kind?: 'callback';
}

/** The call stays in its queue as a callback request: store it; the caller may hang up. */
export interface CallbackAccepted {
  type: 'callbackAccepted';
  callId: string;
  departmentId: string;
  number: string;
  /** Its place in the queue (original arrival, epoch ms). */
  arrivedAt: number;
}

/** The agent answered a callback's ring: dial the customer and bridge them on answer. */
export interface DialCallback {
  type: 'dialCallback';
  callId: string;
  agentId: string;
  attemptId: string;
  number: string;
  /** The engine's deadline for the customer's answer (it emits `endCallbackDial` then). */
  timeoutAt: number;
}

/** The dial-out's deadline passed: stop dialling and hang up the agent's leg. */
export interface EndCallbackDial {
  type: 'endCallbackDial';
  callId: string;
  reason: 'timeout';
}

/** A dial-out failed; the request goes back to its place in the queue at `retryAt`. */
export interface CallbackRetryScheduled {
  type: 'callbackRetryScheduled';
  callId: string;
  failedTries: number;
  retryAt: number;
}

export type AttemptResult = 'answered' | RingFailure | CancelReason;
