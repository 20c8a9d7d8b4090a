import type { AcdAction } from '../model/actions.ts';
import type { AgentRec, AttemptRec, CallRec, DeptRec, EngineTask } from '../routing/records.ts';
import { Agenda } from '../collections/timers.ts';

/** Options of the engine, fixed for its life (see `AcdOptions`). */
export interface EngineSettings {
  readonly random: () => number;
  readonly explain: boolean;
  readonly statsTimeZone: string;
  readonly defaultHandleTimeS: number;
  readonly handleTimeWindow: number;
  readonly minRoundIntervalMs: number;
}

/**
 * Everything the engine knows between events. The functions in this folder
 * take it as their first argument; it changes only while `AcdEngine` builds
 * it and inside `AcdEngine.handle`.
 */
export interface EngineState {
  readonly settings: EngineSettings;
  readonly agenda: Agenda<EngineTask>;
  readonly depts: Map<string, DeptRec>;
  readonly agents: Map<string, AgentRec>;
  /** Calls queued, ringing or connected; an ended call is dropped. */
  readonly calls: Map<string, CallRec>;
  /** Rings in progress, by attempt id. */
  readonly attempts: Map<string, AttemptRec>;
  /** Sticky-agent memory: caller -> last agent, oldest first. */
  readonly sticky: Map<string, { agentId: string; at: number }>;
  /** Clock reading of the step in progress (never goes back). */
  now: number;
  callSeq: number;
}

/**
 * One step of the engine (an event, or a timer that fell due on the way to
 * it): the actions it produced and the work it left for the dispatch. Made
 * fresh by each `handle`, so nothing carries over between events.
 */
export interface Step {
  /** Actions for call control, in order. */
  readonly actions: AcdAction[];
  /** Departments whose free agents or ready calls changed: the dispatch looks at them. */
  readonly dirty: Set<DeptRec>;
  /** Departments whose last logged-in agent left: their waiting calls get the no-agent action. */
  readonly noAgentCheck: Set<DeptRec>;
  /** Calls that entered a queue (announcement, reminders). */
  readonly entered: CallRec[];
  /** Waiting calls whose ring ended unanswered (retry rounds). */
  readonly lostRing: CallRec[];
}

export function createState(settings: EngineSettings, now: number): EngineState {
  return {
    settings,
    agenda: new Agenda<EngineTask>(),
    depts: new Map(),
    agents: new Map(),
    calls: new Map(),
    attempts: new Map(),
    sticky: new Map(),
    now,
    callSeq: 0,
  };
}

export function newStep(): Step {
  return { actions: [], dirty: new Set(), noAgentCheck: new Set(), entered: [], lostRing: [] };
}
