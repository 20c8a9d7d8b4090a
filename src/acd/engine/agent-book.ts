import { type AgentState, checkAgentTransition } from '../model/agent-state.ts';
import { type AgentRec, type MembershipRec, rankFacts, reachable } from '../routing/records.ts';
import { strategyKey } from '../routing/strategies.ts';
import type { Presence } from '../model/types.ts';
import type { EngineState, Step } from './state.ts';

/**
 * The agent book: each agent's life-cycle state, chosen status, wrap-up and
 * place in the free index of its departments. Every change of what an agent
 * does ends in `settleAgent`, which moves the state and re-files the agent.
 */

/** Moves the agent to the state its activity and presence call for, then re-files it. */
export function settleAgent(s: EngineState, step: Step, a: AgentRec, cause: string): void {
  let to: AgentState;
  if (a.offer) to = 'ringing';
  else if (a.activeCalls > 0) to = 'onCall';
  else if (a.wrapUpUntil !== null) to = 'wrapUp';
  else to = a.presence;
  moveAgent(s, step, a, to, cause);
  refreshAgent(step, a);
}

/** The one place agent states change: validated against the transition table. */
function moveAgent(s: EngineState, step: Step, a: AgentRec, to: AgentState, cause: string): void {
  if (!checkAgentTransition(a.id, a.state, to)) return;
  const from = a.state;
  a.state = to;
  a.stateSince = s.now;
  if (to === 'available') a.idleSince = s.now;
  step.actions.push({ type: 'agentStateChanged', agentId: a.id, from, to, cause });
}

/**
 * Recomputes whether the agent is free and re-files it in the free index of
 * each department (only where its key changed), keeping the per-department
 * logged-in and serving counts in step.
 */
export function refreshAgent(step: Step, a: AgentRec): void {
  const loggedIn = !a.removed && a.presence !== 'offline' && reachable(a);
  const serving = loggedIn && a.presence === 'available';
  const free =
    serving &&
    a.offer === null &&
    (a.state === 'available' || (a.state === 'onCall' && a.activeCalls < a.cfg.maxConcurrentCalls));
  a.free = free;
  for (const m of a.memberships.values()) refile(step, m, loggedIn, serving, free);
}

function refile(
  step: Step,
  m: MembershipRec,
  loggedIn: boolean,
  serving: boolean,
  free: boolean,
): void {
  const d = m.dept;
  const li = loggedIn && m.callsEnabled;
  const sv = serving && m.callsEnabled;
  if (li !== m.countsLoggedIn) {
    d.loggedIn += li ? 1 : -1;
    m.countsLoggedIn = li;
    if (!li && d.loggedIn === 0) step.noAgentCheck.add(d);
  }
  if (sv !== m.countsServing) {
    d.serving += sv ? 1 : -1;
    m.countsServing = sv;
  }
  const want = free && m.callsEnabled;
  if (m.entry) {
    if (want) {
      const [k1, k2] = strategyKey(d.cfg.strategy, rankFacts(m));
      if (k1 === m.entry.k1 && k2 === m.entry.k2) return;
    }
    d.free.delete(m.entry);
    m.entry = null;
  }
  if (want) {
    const [k1, k2] = strategyKey(d.cfg.strategy, rankFacts(m));
    m.entry = { agent: m.agent, id: m.agent.id, k1, k2 };
    d.free.insert(m.entry);
    step.dirty.add(d);
  }
}

/** Records the chosen status; a break with an end comes back by itself (`breakOver`). */
export function setPresence(
  s: EngineState,
  a: AgentRec,
  status: Presence,
  until: number | null,
  reason: string,
): void {
  a.breakTimer = s.agenda.cancel(a.breakTimer);
  // A break whose end has already passed is no break.
  const p: Presence = status === 'break' && until !== null && until <= s.now ? 'available' : status;
  a.presence = p;
  a.presenceReason = reason;
  if (p === 'break' && until !== null) {
    a.breakTimer = s.agenda.schedule(until, { kind: 'breakOver', agent: a });
  }
}

export function breakOver(s: EngineState, step: Step, a: AgentRec): void {
  a.breakTimer = null;
  if (a.presence !== 'break') return;
  a.presence = 'available';
  a.presenceReason = 'break over';
  settleAgent(s, step, a, 'break over');
}

/**
 * A status chosen while ringing or on a call is recorded now (the agent gets
 * no further offers) and shown when the ring or call ends; during wrap-up it
 * applies at once and ends the wrap-up.
 */
export function statusChanged(
  s: EngineState,
  step: Step,
  agentId: string,
  status: Presence,
  until: number | null,
  reason: string,
): void {
  const a = s.agents.get(agentId);
  if (!a || a.removed) return;
  if (status === 'available') a.missedInRow = 0;
  setPresence(s, a, status, until, reason);
  if (a.wrapUpUntil !== null && a.activeCalls === 0) stopWrapUp(s, a);
  settleAgent(s, step, a, reason);
}

/** Starts (or restarts) the agent's wrap-up after its last call. */
export function startWrapUp(s: EngineState, a: AgentRec, wrapUpS: number): void {
  a.wrapUpTimer = s.agenda.cancel(a.wrapUpTimer);
  a.wrapUpUntil = s.now + wrapUpS * 1000;
  a.wrapUpTimer = s.agenda.schedule(a.wrapUpUntil, { kind: 'wrapUpOver', agent: a });
}

/** Clears the wrap-up without settling the agent (the caller does). */
export function stopWrapUp(s: EngineState, a: AgentRec): void {
  a.wrapUpTimer = s.agenda.cancel(a.wrapUpTimer);
  a.wrapUpUntil = null;
}

export function endWrapUp(s: EngineState, step: Step, a: AgentRec, cause: string): void {
  stopWrapUp(s, a);
  settleAgent(s, step, a, cause);
}

/** The "today" counters start again at midnight; the keys of the strategies that use them change. */
export function resetDay(s: EngineState, step: Step): void {
  for (const a of s.agents.values()) {
    a.stats.answeredToday = 0;
    a.stats.talkMsToday = 0;
    refreshAgent(step, a);
  }
}

/** A removed agent stays in the book until its last call and ring are over. */
export function dropIfRemoved(s: EngineState, a: AgentRec): void {
  if (a.removed && a.activeCalls === 0 && !a.offer) s.agents.delete(a.id);
}
