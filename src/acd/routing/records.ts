import type { AgentState } from '../model/agent-state.ts';
import type { RecentHandleTimes } from '../model/estimates.ts';
import type { OrderedSet } from '../collections/ordered-set.ts';
import type { AgentStats, DepartmentStats } from '../model/stats.ts';
import type { FreeEntry, RankFacts } from './strategies.ts';
import type { Timer } from '../collections/timers.ts';
import type { AgentConfig, DepartmentConfig, Presence } from '../model/types.ts';

/** The engine's records of agents, memberships, departments, calls and ring attempts. */
export interface AgentRec {
  id: string;
  cfg: AgentConfig;
  state: AgentState;
  presence: Presence;
  presenceReason: string | null;
  breakTimer: EngineTimer | null;
  devices: number;
  activeCalls: number;
  offer: AttemptRec | null;
  wrapUpUntil: number | null;
  wrapUpTimer: EngineTimer | null;
  idleSince: number;
  /** When the agent entered its current state (time in state on the wallboard). */
  stateSince: number;
  missedInRow: number;
  memberships: Map<string, MembershipRec>;
  removed: boolean;
  free: boolean;
  stats: AgentStats;
}

export interface MembershipRec {
  agent: AgentRec;
  dept: DeptRec;
  priority: number;
  callsEnabled: boolean;
  entry: FreeEntry<AgentRec> | null;
  countsLoggedIn: boolean;
  countsServing: boolean;
}

export interface DeptRec {
  id: string;
  cfg: DepartmentConfig;
  members: Map<string, MembershipRec>;
  /** Free agents with calls on, ordered by the strategy's key. */
  free: OrderedSet<FreeEntry<AgentRec>>;
  /** Every unanswered call, in service order (positions). */
  waiting: OrderedSet<CallRec>;
  /** Calls that can take an offer now (not ringing, except ring-all calls). */
  ready: OrderedSet<CallRec>;
  /** Round-robin: free-index entry of the agent offered the previous call. */
  lastOffered: FreeEntry<AgentRec> | null;
  loggedIn: number;
  serving: number;
  handleTimes: RecentHandleTimes;
  stats: DepartmentStats;
}

/**
 * A call's life in the engine. Queued and ringing calls wait in their
 * department's `waiting` queue; an overflow moves a queued call to another
 * department's queue, still queued.
 *
 * ```
 *   arrived ─▶ queued ──offer──▶ ringing ──answer──▶ connected ──hang-up──▶ ended
 *                 │  ▲                │  │
 *                 │  └────────────────┘  │ last ring missed or cancelled
 *                 │                      │ answer (callback: the agent first)
 *                 │                      ▼
 *                 │  ◀──retry due──  awaiting-retry ◀──not reached── dialing ──reached──▶ connected
 *                 └──▶ ended (abandoned, or rejected: hours, limits, no agent, removal;
 *                             a callback whose last try failed)
 * ```
 *
 * `dialing` and `awaiting-retry` belong to callback requests alone (see `CallKind`).
 */
export type CallState =
  | { readonly name: 'queued' }
  | { readonly name: 'ringing' }
  | {
      readonly name: 'connected';
      readonly agent: AgentRec;
      readonly answeredAt: number;
      /** The department's maximum duration (null = none). */
      readonly durationLimit: EngineTimer | null;
    }
  | {
      /** Callback: the agent answered and hears ringing while the customer is dialled. */
      readonly name: 'dialing';
      readonly agent: AgentRec;
      /** The dial-out's deadline (the department's ring timeout). */
      readonly deadline: EngineTimer;
    }
  | {
      /** Callback: the last dial-out failed; back in the queue, at its place, when the timer fires. */
      readonly name: 'awaiting-retry';
      readonly timer: EngineTimer;
    }
  | { readonly name: 'ended' };

/**
 * Who the call is for. A `caller` waits on the line. A `callback` request
 * has hung up and keeps its place in the queue (its arrival time); when its
 * turn comes the agent is rung first and the customer dialled once the agent
 * answered. No maximum wait, reminders or no-agent exit apply to it: the
 * customer was promised a call.
 */
export type CallKind =
  | { readonly name: 'caller' }
  | {
      readonly name: 'callback';
      /** E.164 number to dial. */
      readonly number: string;
      /** Dial-outs that did not reach the customer so far. */
      failedTries: number;
    };

export type CallStateName = CallState['name'];

export interface CallRec {
  id: string;
  seq: number;
  state: CallState;
  kind: CallKind;
  dept: DeptRec;
  caller: string;
  vip: boolean;
  arrivedAt: number;
  enqueuedAt: number;
  /** Outstanding rings (several only under ring-all, or left from before a switch away from it). */
  attempts: Map<string, AttemptRec>;
  attemptSeq: number;
  tried: Set<string>;
  visited: Set<string>;
  maxWaitTimer: EngineTimer | null;
  roundTimer: EngineTimer | null;
  /** When the call's current round began (entering the queue, or the last new round). */
  roundStartedAt: number;
  announceTimer: EngineTimer | null;
}

/** One ring of one agent for one call; the record exists while it rings, and its timer is its timeout. */
export interface AttemptRec {
  id: string;
  call: CallRec;
  agent: AgentRec;
  timer: EngineTimer | null;
}

/** What an agenda entry of the engine does when it falls due. */
export type EngineTask =
  | { readonly kind: 'ringTimeout'; readonly attempt: AttemptRec }
  | { readonly kind: 'maxWait'; readonly call: CallRec }
  | { readonly kind: 'maxDuration'; readonly call: CallRec }
  | { readonly kind: 'newRound'; readonly call: CallRec }
  | { readonly kind: 'reminder'; readonly call: CallRec }
  | { readonly kind: 'wrapUpOver'; readonly agent: AgentRec }
  | { readonly kind: 'breakOver'; readonly agent: AgentRec }
  | { readonly kind: 'dayReset' }
  | { readonly kind: 'callbackDialTimeout'; readonly call: CallRec }
  | { readonly kind: 'callbackRetry'; readonly call: CallRec };

export type EngineTimer = Timer<EngineTask>;

/** Queued or ringing: the call waits in its department's queue. */
export function isWaiting(call: CallRec): boolean {
  return call.state.name === 'queued' || call.state.name === 'ringing';
}

/** Service order: VIP callers first, then the longest waiting (original arrival), then arrival order. */
export function callBefore(a: CallRec, b: CallRec): number {
  if (a.vip !== b.vip) return a.vip ? -1 : 1;
  if (a.arrivedAt !== b.arrivedAt) return a.arrivedAt - b.arrivedAt;
  return a.seq - b.seq;
}

/** A registered softphone, or a mobile number the forwarding mode allows. */
export function reachable(a: AgentRec): boolean {
  const f = a.cfg.forwarding;
  const softphone = f !== 'mobile' && a.devices > 0;
  const mobile = f !== 'softphone' && a.cfg.mobileNumber !== null && a.cfg.mobileNumber !== '';
  return softphone || mobile;
}

/** What the strategies rank an agent by in one department. */
export function rankFacts(m: MembershipRec): RankFacts {
  const a = m.agent;
  return {
    idleSince: a.idleSince,
    answeredToday: a.stats.answeredToday,
    talkMsToday: a.stats.talkMsToday,
    activeCalls: a.activeCalls,
    priority: m.priority,
  };
}
