import type { Strategy } from './types.ts';

/** Why a member of the department was not offered the call. */
export type SkipReason =
  | 'calls-off'
  | 'offline'
  | 'away'
  | 'on-break'
  | 'wrap-up'
  | 'on-call'
  | 'ringing-elsewhere'
  | 'ringing-this-call'
  | 'already-tried'
  | 'unreachable'
  | 'outranked';

export interface Skipped {
  agentId: string;
  reason: SkipReason;
  /** For `outranked`: the strategy's view of the agent (e.g. "priority 5, idle 30s"). */
  detail?: string;
}

/**
 * An explainable routing decision: which agents could take the call, who was
 * chosen and why everybody else was not. Built when the engine runs with
 * `explain: true` (the default); it costs one pass over the department's members.
 */
export interface Decision {
  callId: string;
  departmentId: string;
  strategy: Strategy;
  at: number;
  /** The caller's last agent was chosen within the sticky window. */
  sticky: boolean;
  /** Free, eligible, untried agents, in the strategy's order. */
  candidates: string[];
  chosen: string[];
  skipped: Skipped[];
}
