/**
 * The live view of `GET /api/live` and the WebSocket's `live.snapshot`: per
 * department the waiting calls (wait so far, position, expected wait), the
 * member agents by state and today's figures; every agent with its state and
 * time in state; the connected calls. Built from the routing engine's
 * snapshot (what the router knows this instant), the stored names and
 * today's figures from the call log. Pure: no I/O, the clock comes in.
 *
 * Without a running router (no call control in this process) it still lists
 * departments and agents, with each agent in its chosen status and no calls.
 */
import type { AcdLiveState, AgentState } from '../../acd/index.ts';
import { expectedWaitS } from '../../acd/index.ts';
import type { Agent } from '../../store/agents.ts';
import type { Department } from '../../store/departments.ts';
import type { Membership } from '../../store/memberships.ts';
import type { CallFigures } from '../../store/report-figures.ts';

export const AGENT_STATES: readonly AgentState[] = [
  'available',
  'ringing',
  'onCall',
  'wrapUp',
  'away',
  'break',
  'offline',
];

export interface LiveWaiting {
  callId: string;
  caller: string;
  /** 1 = next in line. */
  position: number;
  vip: boolean;
  waitS: number;
  /** null when nobody serves the department. */
  expectedWaitS: number | null;
  /** Agents ringing for this call now. */
  ringing: string[];
}

export interface LiveToday {
  offered: number;
  answered: number;
  abandoned: number;
  /** 0-1, null before the first call that counts. */
  serviceLevel: number | null;
  asaS: number | null;
}

export interface LiveDepartment {
  id: string;
  name: string;
  strategy: string;
  serviceLevelS: number;
  waiting: LiveWaiting[];
  longestWaitS: number;
  /** Member agents by state. */
  agents: Record<AgentState, number>;
  today: LiveToday;
}

export interface LiveAgent {
  id: string;
  name: string;
  state: AgentState;
  /** Seconds in `state`; null when the router is not running. */
  timeInStateS: number | null;
  presenceReason: string | null;
  activeCalls: number;
  ringingCallId: string | null;
  departments: { id: string; priority: number; callsEnabled: boolean }[];
}

export interface LiveCall {
  callId: string;
  departmentId: string;
  agentId: string;
  talkS: number;
}

export interface LiveView {
  at: string;
  /** Whether a router runs in this process (false: configuration only). */
  routing: boolean;
  departments: LiveDepartment[];
  agents: LiveAgent[];
  calls: LiveCall[];
}

export interface LiveInputs {
  now: number;
  snapshot: AcdLiveState | null;
  departments: Department[];
  agents: Agent[];
  memberships: Membership[];
  today: Map<string, CallFigures>;
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

function emptyCounts(): Record<AgentState, number> {
  return Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<AgentState, number>;
}

function todayOf(f: CallFigures | undefined): LiveToday {
  return {
    offered: f?.offered ?? 0,
    answered: f?.answered ?? 0,
    abandoned: f?.abandoned ?? 0,
    serviceLevel: f?.serviceLevel ?? null,
    asaS: f?.asaS ?? null,
  };
}

export function buildLiveView(input: LiveInputs): LiveView {
  const { now, snapshot } = input;
  const engineAgents = new Map((snapshot?.agents ?? []).map((a) => [a.id, a]));
  const engineDepts = new Map((snapshot?.departments ?? []).map((d) => [d.id, d]));

  const byAgent = new Map<string, Membership[]>();
  for (const m of input.memberships) {
    const list = byAgent.get(m.agentId);
    if (list) list.push(m);
    else byAgent.set(m.agentId, [m]);
  }
  const agents: LiveAgent[] = input.agents.map((a) => {
    const e = engineAgents.get(a.id);
    const own = byAgent.get(a.id) ?? [];
    return {
      id: a.id,
      name: a.name,
      state: e?.state ?? a.status,
      timeInStateS: e ? seconds(now - e.stateSince) : null,
      presenceReason: e ? e.presenceReason : a.statusReason,
      activeCalls: e?.activeCalls ?? 0,
      ringingCallId: e?.ringingCallId ?? null,
      departments: own.map((m) => ({
        id: m.departmentId,
        priority: m.priority,
        callsEnabled: m.callsEnabled,
      })),
    };
  });
  const stateOf = new Map(agents.map((a) => [a.id, a.state]));
  const countsByDept = new Map<string, Record<AgentState, number>>();
  for (const m of input.memberships) {
    const state = stateOf.get(m.agentId);
    if (!state) continue;
    let counts = countsByDept.get(m.departmentId);
    if (!counts) {
      counts = emptyCounts();
      countsByDept.set(m.departmentId, counts);
    }
    counts[state]++;
  }

  const departments: LiveDepartment[] = input.departments.map((d) => {
    const e = engineDepts.get(d.id);
    const waiting: LiveWaiting[] = (e?.waiting ?? []).map((w) => ({
      callId: w.callId,
      caller: w.caller,
      position: w.position,
      vip: w.vip,
      waitS: seconds(now - w.arrivedAt),
      expectedWaitS: expectedWaitS(w.position, e?.averageHandleS ?? 0, e?.serving ?? 0),
      ringing: w.ringing,
    }));
    const counts = countsByDept.get(d.id) ?? emptyCounts();
    return {
      id: d.id,
      name: d.name,
      strategy: d.strategy,
      serviceLevelS: d.serviceLevelS,
      waiting,
      longestWaitS: waiting.reduce((max, w) => Math.max(max, w.waitS), 0),
      agents: counts,
      today: todayOf(input.today.get(d.id)),
    };
  });

  const calls: LiveCall[] = (snapshot?.connected ?? []).map((c) => ({
    callId: c.callId,
    departmentId: c.departmentId,
    agentId: c.agentId,
    talkS: seconds(now - c.answeredAt),
  }));

  return {
    at: new Date(now).toISOString(),
    routing: snapshot !== null,
    departments,
    agents,
    calls,
  };
}
