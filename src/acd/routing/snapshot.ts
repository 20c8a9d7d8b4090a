import type { AgentState } from '../model/agent-state.ts';
import { type AgentRec, type CallRec, type DeptRec, reachable } from './records.ts';
import type { AgentStats, DepartmentStats } from '../model/stats.ts';
import type { DepartmentConfig, Presence } from '../model/types.ts';

/** A waiting call as the views show it; `ringing` lists the agents being rung for it. */
export interface WaitingCallView {
  callId: string;
  caller: string;
  position: number;
  vip: boolean;
  arrivedAt: number;
  ringing: string[];
}

export interface AcdSnapshot {
  now: number;
  departments: {
    id: string;
    strategy: DepartmentConfig['strategy'];
    loggedIn: number;
    serving: number;
    freeAgents: string[];
    waiting: (WaitingCallView & { enqueuedAt: number; tried: string[]; ready: boolean })[];
    stats: DepartmentStats;
    averageHandleS: number;
  }[];
  agents: {
    id: string;
    state: AgentState;
    presence: Presence;
    presenceReason: string | null;
    activeCalls: number;
    maxConcurrentCalls: number;
    ringingAttemptId: string | null;
    ringingCallId: string | null;
    reachable: boolean;
    free: boolean;
    idleSince: number;
    stateSince: number;
    missedInRow: number;
    wrapUpUntil: number | null;
    memberships: { departmentId: string; priority: number; callsEnabled: boolean }[];
    stats: AgentStats;
  }[];
  connected: { callId: string; departmentId: string; agentId: string; answeredAt: number }[];
}

/** A read-only copy of the engine's state, for the wallboard, tests and debugging. */
export function buildSnapshot(
  now: number,
  depts: Iterable<DeptRec>,
  agentRecs: Iterable<AgentRec>,
  calls: Iterable<CallRec>,
): AcdSnapshot {
  const departments = [...depts].map((d) => ({
    id: d.id,
    strategy: d.cfg.strategy,
    loggedIn: d.loggedIn,
    serving: d.serving,
    freeAgents: d.free.toArray().map((e) => e.id),
    waiting: d.waiting.toArray().map((c, i) => ({
      callId: c.id,
      caller: c.caller,
      position: i + 1,
      vip: c.vip,
      arrivedAt: c.arrivedAt,
      enqueuedAt: c.enqueuedAt,
      ringing: [...c.attempts.values()].map((x) => x.agent.id),
      tried: [...c.tried],
      ready: d.ready.has(c),
    })),
    stats: structuredClone(d.stats),
    averageHandleS: d.handleTimes.average(),
  }));
  const agents = [...agentRecs].map((a) => ({
    id: a.id,
    state: a.state,
    presence: a.presence,
    presenceReason: a.presenceReason,
    activeCalls: a.activeCalls,
    maxConcurrentCalls: a.cfg.maxConcurrentCalls,
    ringingAttemptId: a.offer?.id ?? null,
    ringingCallId: a.offer?.call.id ?? null,
    reachable: reachable(a),
    free: a.free,
    idleSince: a.idleSince,
    stateSince: a.stateSince,
    missedInRow: a.missedInRow,
    wrapUpUntil: a.wrapUpUntil,
    memberships: [...a.memberships.values()].map((m) => ({
      departmentId: m.dept.id,
      priority: m.priority,
      callsEnabled: m.callsEnabled,
    })),
    stats: structuredClone(a.stats),
  }));
  return { now, departments, agents, connected: connectedCalls(calls) };
}

/** Live figures for the wallboard: cheap enough to poll (no copies of queues or statistics). */
export interface AcdLive {
  now: number;
  departments: {
    id: string;
    waiting: number;
    /** Wait so far of the caller who has waited longest (0 when nobody waits). */
    longestWaitMs: number;
    loggedIn: number;
    serving: number;
    freeAgents: number;
  }[];
  agentsByState: Record<AgentState, number>;
}

export function buildLive(
  now: number,
  depts: Iterable<DeptRec>,
  agentRecs: Iterable<AgentRec>,
): AcdLive {
  const departments = [...depts].map((d) => {
    let oldest = now;
    // Queues are in service order (VIP first): the longest waiting caller can be anywhere.
    d.waiting.walk((c) => {
      oldest = Math.min(oldest, c.enqueuedAt);
      return true;
    });
    return {
      id: d.id,
      waiting: d.waiting.size,
      longestWaitMs: now - oldest,
      loggedIn: d.loggedIn,
      serving: d.serving,
      freeAgents: d.free.size,
    };
  });
  const agentsByState: Record<AgentState, number> = {
    offline: 0,
    available: 0,
    ringing: 0,
    onCall: 0,
    wrapUp: 0,
    away: 0,
    break: 0,
  };
  for (const a of agentRecs) agentsByState[a.state]++;
  return { now, departments, agentsByState };
}

/**
 * What a wallboard shows of the engine, without the statistics and deep
 * copies of `AcdSnapshot`: cheap enough to build on every change with
 * hundreds of agents and waiting calls.
 */
export interface AcdLiveState {
  now: number;
  departments: {
    id: string;
    serving: number;
    averageHandleS: number;
    waiting: WaitingCallView[];
  }[];
  agents: {
    id: string;
    state: AgentState;
    stateSince: number;
    presenceReason: string | null;
    activeCalls: number;
    ringingCallId: string | null;
  }[];
  connected: { callId: string; departmentId: string; agentId: string; answeredAt: number }[];
}

export function buildLiveState(
  now: number,
  depts: Iterable<DeptRec>,
  agentRecs: Iterable<AgentRec>,
  calls: Iterable<CallRec>,
): AcdLiveState {
  const departments: AcdLiveState['departments'] = [];
  for (const d of depts) {
    const waiting: AcdLiveState['departments'][number]['waiting'] = [];
    d.waiting.walk((c) => {
      const ringing: string[] = [];
      for (const x of c.attempts.values()) ringing.push(x.agent.id);
      waiting.push({
        callId: c.id,
        caller: c.caller,
        position: waiting.length + 1,
        vip: c.vip,
        arrivedAt: c.arrivedAt,
        ringing,
      });
      return true;
    });
    departments.push({
      id: d.id,
      serving: d.serving,
      averageHandleS: d.handleTimes.average(),
      waiting,
    });
  }
  const agents: AcdLiveState['agents'] = [];
  for (const a of agentRecs) {
    agents.push({
      id: a.id,
      state: a.state,
      stateSince: a.stateSince,
      presenceReason: a.presenceReason,
      activeCalls: a.activeCalls,
      ringingCallId: a.offer?.call.id ?? null,
    });
  }
  return { now, departments, agents, connected: connectedCalls(calls) };
}

function connectedCalls(calls: Iterable<CallRec>): AcdLiveState['connected'] {
  const connected: AcdLiveState['connected'] = [];
  for (const c of calls) {
    if (c.state.name !== 'connected') continue;
    connected.push({
      callId: c.id,
      departmentId: c.dept.id,
      agentId: c.state.agent.id,
      answeredAt: c.state.answeredAt,
    });
  }
  return connected;
}
