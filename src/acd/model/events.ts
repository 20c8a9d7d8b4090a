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
  | RingTimedOut
  | CallEnded
  | WrapUpEnded
  | AgentStatusChanged
  | AgentDevicesChanged
  | ConfigChanged
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

/**
 * Call control saw the ring time out. Not needed: the engine owns the ring
 * timeout and cancels the ring on the tick at `timeoutAt`. When sent, the ring
 * counts as missed (`no-answer`) and no `cancelRing` follows.
 */
export interface RingTimedOut {
  type: 'ringTimedOut';
  at: number;
  attemptId: string;
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
