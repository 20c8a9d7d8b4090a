import type { ExitReason } from './actions.ts';

/** Counters per department, kept as decisions happen. Times in ms. */
export interface DepartmentStats {
  /** Calls that entered the queue (arrivals and overflows in). */
  entered: number;
  answered: number;
  abandoned: number;
  overflowedIn: number;
  overflowedOut: number;
  rejected: Partial<Record<ExitReason, number>>;
  answeredWithinServiceLevel: number;
  totalWaitAnsweredMs: number;
  totalWaitAbandonedMs: number;
  longestWaitMs: number;
  totalTalkMs: number;
  ringAttempts: number;
  missedRings: number;
}

/** Counters per agent. */
export interface AgentStats {
  offered: number;
  answered: number;
  missed: number;
  talkMs: number;
  autoPauses: number;
  answeredToday: number;
  talkMsToday: number;
}

export function emptyDepartmentStats(): DepartmentStats {
  return {
    entered: 0,
    answered: 0,
    abandoned: 0,
    overflowedIn: 0,
    overflowedOut: 0,
    rejected: {},
    answeredWithinServiceLevel: 0,
    totalWaitAnsweredMs: 0,
    totalWaitAbandonedMs: 0,
    longestWaitMs: 0,
    totalTalkMs: 0,
    ringAttempts: 0,
    missedRings: 0,
  };
}

export function emptyAgentStats(): AgentStats {
  return {
    offered: 0,
    answered: 0,
    missed: 0,
    talkMs: 0,
    autoPauses: 0,
    answeredToday: 0,
    talkMsToday: 0,
  };
}

/** Derived figures for reports and the wallboard. */
export function summarize(s: DepartmentStats) {
  return {
    averageSpeedOfAnswerMs: s.answered ? s.totalWaitAnsweredMs / s.answered : null,
    serviceLevel:
      s.answered + s.abandoned ? s.answeredWithinServiceLevel / (s.answered + s.abandoned) : null,
    averageTalkMs: s.answered ? s.totalTalkMs / s.answered : null,
  };
}
