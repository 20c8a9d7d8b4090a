import {
  AcdConfigError,
  validateAgent,
  validateDepartment,
  validateMembership,
} from '../model/config-check.ts';
import { RecentHandleTimes } from '../model/estimates.ts';
import { OrderedSet } from '../collections/ordered-set.ts';
import { type AgentRec, callBefore } from '../routing/records.ts';
import { emptyAgentStats, emptyDepartmentStats } from '../model/stats.ts';
import { compareEntries } from '../routing/strategies.ts';
import type {
  AgentConfig,
  ConfigChanges,
  DepartmentConfig,
  MembershipConfig,
} from '../model/types.ts';
import { dropIfRemoved, refreshAgent, setPresence, settleAgent, stopWrapUp } from './agent-book.ts';
import { reject } from './calls.ts';
import { requeue, unqueue } from './queue.ts';
import { cancelAttempts, cancelRingAction, endAttempt } from './rings.ts';
import type { EngineState, Step } from './state.ts';

/** Configuration changes at run time: validated as a whole, then applied to the next decision. */

/** Checks a whole change before any of it is applied, so a bad value leaves the engine untouched. */
export function validateConfig(s: EngineState, ch: ConfigChanges): void {
  for (const c of ch.departments ?? []) validateDepartment(c);
  for (const c of ch.agents ?? []) validateAgent(c);
  const newAgents = new Set((ch.agents ?? []).map((a) => a.id));
  const newDepts = new Set((ch.departments ?? []).map((d) => d.id));
  for (const m of ch.memberships ?? []) {
    validateMembership(m);
    const a = s.agents.get(m.agentId);
    if (!newAgents.has(m.agentId) && (!a || a.removed)) {
      throw new AcdConfigError(`membership: unknown agent ${m.agentId}`);
    }
    if (!newDepts.has(m.departmentId) && !s.depts.has(m.departmentId)) {
      throw new AcdConfigError(`membership: unknown department ${m.departmentId}`);
    }
  }
}

export function applyConfig(s: EngineState, step: Step, ch: ConfigChanges): void {
  for (const c of ch.departments ?? []) upsertDepartment(s, step, c);
  for (const c of ch.agents ?? []) upsertAgent(s, step, c);
  for (const c of ch.memberships ?? []) upsertMembership(s, step, c);
  for (const r of ch.removedMemberships ?? []) removeMembership(s, step, r.agentId, r.departmentId);
  for (const id of ch.removedAgents ?? []) removeAgent(s, step, id);
  for (const id of ch.removedDepartments ?? []) removeDepartment(s, step, id);
}

function upsertDepartment(s: EngineState, step: Step, cfg: DepartmentConfig): void {
  const d = s.depts.get(cfg.id);
  if (!d) {
    s.depts.set(cfg.id, {
      id: cfg.id,
      cfg,
      members: new Map(),
      free: new OrderedSet(compareEntries),
      waiting: new OrderedSet(callBefore),
      ready: new OrderedSet(callBefore),
      lastOffered: null,
      loggedIn: 0,
      serving: 0,
      handleTimes: new RecentHandleTimes(
        s.settings.handleTimeWindow,
        s.settings.defaultHandleTimeS,
      ),
      stats: emptyDepartmentStats(),
    });
    return;
  }
  const strategyChanged = d.cfg.strategy !== cfg.strategy;
  d.cfg = cfg;
  if (strategyChanged) {
    // Keys differ between strategies: re-file every free member.
    d.free = new OrderedSet(compareEntries);
    d.lastOffered = null;
    for (const m of d.members.values()) m.entry = null;
    for (const m of d.members.values()) refreshAgent(step, m.agent);
    // Ringing calls take further offers only under ring-all.
    for (const call of d.waiting.toArray()) {
      const ready = call.state.name === 'queued' || cfg.strategy === 'ring-all';
      if (ready && !d.ready.has(call)) d.ready.insert(call);
      if (!ready) d.ready.delete(call);
    }
  }
  step.dirty.add(d);
}

function upsertAgent(s: EngineState, step: Step, cfg: AgentConfig): void {
  const a = s.agents.get(cfg.id);
  if (a && !a.removed) {
    a.cfg = cfg;
    refreshAgent(step, a);
    return;
  }
  const rec: AgentRec = {
    id: cfg.id,
    cfg,
    state: 'offline',
    presence: 'offline',
    presenceReason: null,
    breakTimer: null,
    devices: cfg.registeredDevices,
    activeCalls: 0,
    offer: null,
    wrapUpUntil: null,
    wrapUpTimer: null,
    idleSince: s.now,
    stateSince: s.now,
    missedInRow: 0,
    memberships: new Map(),
    removed: false,
    free: false,
    stats: emptyAgentStats(),
  };
  s.agents.set(cfg.id, rec);
  setPresence(s, rec, cfg.status, cfg.statusUntil, 'configured');
  settleAgent(s, step, rec, 'configured');
}

function upsertMembership(s: EngineState, step: Step, cfg: MembershipConfig): void {
  const a = s.agents.get(cfg.agentId);
  const d = s.depts.get(cfg.departmentId);
  if (!a || a.removed || !d) return; // checked in validateConfig
  let m = a.memberships.get(d.id);
  if (!m) {
    m = {
      agent: a,
      dept: d,
      priority: cfg.priority,
      callsEnabled: cfg.callsEnabled,
      entry: null,
      countsLoggedIn: false,
      countsServing: false,
    };
    a.memberships.set(d.id, m);
    d.members.set(a.id, m);
  } else {
    m.priority = cfg.priority;
    m.callsEnabled = cfg.callsEnabled;
  }
  refreshAgent(step, a);
}

function removeMembership(s: EngineState, step: Step, agentId: string, departmentId: string) {
  const a = s.agents.get(agentId);
  const m = a?.memberships.get(departmentId);
  if (!a || !m) return;
  m.callsEnabled = false;
  refreshAgent(step, a);
  a.memberships.delete(departmentId);
  m.dept.members.delete(agentId);
}

/** The agent's ring is cancelled at once; a call in progress ends normally, then the agent goes. */
function removeAgent(s: EngineState, step: Step, id: string): void {
  const a = s.agents.get(id);
  if (!a || a.removed) return;
  if (a.offer) {
    const att = a.offer;
    endAttempt(s, att);
    step.actions.push(cancelRingAction(att, 'agent-removed'));
    requeue(step, att.call);
  }
  for (const depId of [...a.memberships.keys()]) removeMembership(s, step, id, depId);
  a.removed = true;
  stopWrapUp(s, a);
  setPresence(s, a, 'offline', null, 'removed');
  settleAgent(s, step, a, 'removed');
  dropIfRemoved(s, a);
}

/** Waiting calls are cancelled and rejected; connected calls end normally. */
function removeDepartment(s: EngineState, step: Step, id: string): void {
  const d = s.depts.get(id);
  if (!d) return;
  for (const call of d.waiting.toArray()) {
    cancelAttempts(s, step, call, 'department-removed');
    unqueue(s, call);
    reject(s, step, call, 'department-removed', { kind: 'hangup' });
  }
  for (const agentId of [...d.members.keys()]) removeMembership(s, step, agentId, id);
  s.depts.delete(id);
  step.dirty.delete(d);
}
