import type { ConfigChanges, Presence } from './types.ts';

/**
 * What call control tells the engine. Every event carries `at`, the clock
 * reading (epoch ms) when it happened: the engine has no clock of its own.
 * Events with an `at` earlier than one already seen are treated as happening now.
 */
export type AcdEvent =
  | CallArrived
  | CallerHungUp
  | AgentAnswered
  | RingFailed
  | CallEnded
  | WrapUpEnded
  | AgentStatusChanged
  | AgentDevicesChanged
  | ConfigChanged
  | CallbackRequested
  | CallbackRestored
  | CallbackReached
  | CallbackNotReached
  | Tick;

/** A caller entered a department's queue (after the dialled number was resolved). */
export interface CallArrived {
  type: 'callArrived';
  at: number;
  callId: string;
  departmentId: string;
  /** Caller number, used for the sticky-agent memory. */
  caller: string;
  vip?: boolean;
}

/** The caller hung up (before or after being connected). */
export interface CallerHungUp {
  type: 'callerHungUp';
  at: number;
  callId: string;
}

/** The agent leg of a ring attempt answered (first 2xx). */
export interface AgentAnswered {
  type: 'agentAnswered';
  at: number;
  attemptId: string;
}

export type RingFailure = 'no-answer' | 'busy' | 'declined' | 'unreachable';

/** The agent did not take the offer: every leg failed. */
export interface RingFailed {
  type: 'ringFailed';
  at: number;
  attemptId: string;
  cause: RingFailure;
}

/** A connected call ended (either side hung up). */
export interface CallEnded {
  type: 'callEnded';
  at: number;
  callId: string;
}

/** The agent finished wrap-up before its timer (e.g. pressed "ready"). */
export interface WrapUpEnded {
  type: 'wrapUpEnded';
  at: number;
  agentId: string;
}

/** The agent, an admin or call control changed the agent's status. */
export interface AgentStatusChanged {
  type: 'agentStatusChanged';
  at: number;
  agentId: string;
  status: Presence;
  /** End of a break (epoch ms). */
  until?: number | null;
  reason?: string;
}

/** The number of registered softphone contacts changed (REGISTER / expiry). */
export interface AgentDevicesChanged {
  type: 'agentDevicesChanged';
  at: number;
  agentId: string;
  registeredDevices: number;
}

/** Departments, agents or memberships changed; applied to the next decision. */
export interface ConfigChanged {
  type: 'configChanged';
  at: number;
  changes: ConfigChanges;
}

/** Time passed: fire what is due (ring timeouts, max wait, retry rounds, break and wrap-up ends). */
export interface Tick {
  type: 'tick';
  at: number;
}

/**
 * The waiting caller asked to be called back on `number` (already checked by
 * call control): the call stays in its queue, at its place, as a callback
 * request, and the caller may hang up. Ignored for a call that is not waiting.
 */
export interface CallbackRequested {
  type: 'callbackRequested';
  at: number;
  callId: string;
  number: string;
}

/** A stored callback request put back into its queue after a restart (in stored order). */
export interface CallbackRestored {
  type: 'callbackRestored';
  at: number;
  callId: string;
  departmentId: string;
  number: string;
  /** The original arrival (epoch ms): the request's place in the queue. */
  arrivedAt: number;
  failedTries: number;
  /**
   * Ring attempts the call had before (an earlier run, a dead leader): the
   * next one is numbered after them, as attempt ids must stay unique in the log.
   */
  attemptsMade?: number;
  /** Next try (epoch ms) when the request was waiting to retry; null = queued now. */
  retryAt: number | null;
}

/** The customer answered a callback's dial-out; call control bridged the agent and the customer. */
export interface CallbackReached {
  type: 'callbackReached';
  at: number;
  callId: string;
}

/** A callback's dial-out ended without the customer (no answer, busy, refused, agent hung up). */
export interface CallbackNotReached {
  type: 'callbackNotReached';
  at: number;
  callId: string;
  cause: string;
}
