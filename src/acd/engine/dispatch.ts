import { chooseAgents } from '../routing/choose.ts';
import { expectedWaitS } from '../model/estimates.ts';
import { explainDecision } from '../routing/explain.ts';
import { Heap } from '../collections/heap.ts';
import {
  type AgentRec,
  type CallRec,
  callBefore,
  type DeptRec,
  isWaiting,
} from '../routing/records.ts';
import { leaveQueue } from './calls.ts';
import { startRing } from './rings.ts';
import type { EngineState, Step } from './state.ts';

/**
 * Runs after every event and timer: matches ready calls with free agents
 * until no pair is left (work conservation), then does the per-call
 * bookkeeping (announcements, retry rounds, no-agent).
 */
export function settle(s: EngineState, step: Step): void {
  do {
    checkNoAgent(s, step);
    // A call whose ring ended with every free agent tried starts its next round before
    // the dispatch (with no retry delay it competes at once, in its place in the queue);
    // one that hoped for an agent a call ahead of it took starts it after.
    const lost = step.lostRing.splice(0);
    const hoping = lost.filter(hasFreeUntried);
    for (const call of lost) if (!hoping.includes(call)) startRoundDelay(s, step, call);
    dispatch(s, step);
    for (const call of hoping) startRoundDelay(s, step, call);
  } while (step.dirty.size > 0 || step.noAgentCheck.size > 0);
  for (const call of step.entered.splice(0)) {
    if (!isWaiting(call) || call.kind.name === 'callback') continue;
    if (call.state.name === 'queued') announce(step, call, 'queued');
    scheduleReminder(s, call);
  }
}

function hasFreeUntried(call: CallRec): boolean {
  let found = false;
  call.dept.free.walk((e) => {
    found = !call.tried.has(e.id);
    return !found;
  });
  return found;
}

/**
 * A ring ended and no free untried agent took the call: every free agent has
 * been tried in this round, so a new round (tried list cleared) starts after
 * the retry delay, and never sooner than `minRoundIntervalMs` after the
 * round before it started (so a round whose rings all failed at once never
 * starts the next one in the same event). Agents not yet tried who become
 * free meanwhile are still offered the call.
 */
function startRoundDelay(s: EngineState, step: Step, call: CallRec): void {
  if (call.state.name !== 'queued' || call.roundTimer) return;
  const startAt = Math.max(
    s.now + call.dept.cfg.retryDelayS * 1000,
    call.roundStartedAt + s.settings.minRoundIntervalMs,
  );
  if (startAt <= s.now) {
    newRound(s, step, call);
    return;
  }
  call.roundTimer = s.agenda.schedule(startAt, { kind: 'newRound', call });
}

export function newRound(s: EngineState, step: Step, call: CallRec): void {
  call.roundTimer = null;
  call.tried.clear();
  call.roundStartedAt = s.now;
  if (call.dept.ready.has(call)) step.dirty.add(call.dept);
}

function scheduleReminder(s: EngineState, call: CallRec): void {
  const every = call.dept.cfg.announceIntervalS;
  if (every <= 0) return;
  call.announceTimer = s.agenda.schedule(s.now + every * 1000, { kind: 'reminder', call });
}

/** The announcement interval passed: remind a caller who is not being rung, and go on. */
export function reminderDue(s: EngineState, step: Step, call: CallRec): void {
  call.announceTimer = null;
  if (call.state.name === 'queued') announce(step, call, 'reminder');
  scheduleReminder(s, call);
}

function announce(step: Step, call: CallRec, kind: 'queued' | 'reminder'): void {
  const { position, expectedWaitS } = estimateFor(call);
  step.actions.push({ type: 'announce', callId: call.id, kind, position, expectedWaitS });
}

/** Position (1 = next) and expected wait of a waiting call. */
export function estimateFor(call: CallRec): { position: number; expectedWaitS: number | null } {
  const d = call.dept;
  const position = d.waiting.rank(call) + 1;
  return { position, expectedWaitS: expectedWaitS(position, d.handleTimes.average(), d.serving) };
}

/** Departments whose last logged-in agent left: their waiting calls get the no-agent action. */
function checkNoAgent(s: EngineState, step: Step): void {
  for (const d of step.noAgentCheck) {
    step.noAgentCheck.delete(d);
    if (d.loggedIn > 0 || !s.depts.has(d.id)) continue;
    for (const call of d.waiting.toArray()) {
      if (call.state.name === 'ringing') continue; // a ring in progress may still be answered
      if (call.kind.name === 'callback') continue; // promised a call: waits for the next agent
      leaveQueue(s, step, call, d.cfg.noAgentAction, 'no-agent');
    }
  }
}

function dispatch(s: EngineState, step: Step): void {
  if (step.dirty.size === 0) return;
  // Heads of the departments that may have a match, best call first across departments.
  const heads = new Heap<{ d: DeptRec; call: CallRec }>((x, y) => callBefore(x.call, y.call) < 0);
  for (const d of step.dirty) {
    const head = d.ready.first();
    if (head && d.free.size > 0) heads.push({ d, call: head });
  }
  step.dirty.clear();
  for (let h = heads.pop(); h; h = heads.pop()) {
    const { d, call } = h;
    if (d.free.size === 0) continue;
    if (d.ready.has(call)) offer(s, step, call);
    const next = d.ready.after(call);
    if (next && d.free.size > 0) heads.push({ d, call: next });
  }
}

/** Offers the call to the agent(s) its department's strategy picks among free untried agents. */
function offer(s: EngineState, step: Step, call: CallRec): void {
  const { chosen, sticky } = chooseAgents(call, s.settings.random, stickyAgent(s, call));
  if (chosen.length === 0) return;
  const decision = s.settings.explain ? explainDecision(call, chosen, sticky, s.now) : undefined;
  if (call.dept.cfg.strategy !== 'ring-all') call.dept.ready.delete(call);
  for (const a of chosen) startRing(s, step, call, a, decision);
}

/** The caller's last agent, if served within the window and free in this department now. */
function stickyAgent(s: EngineState, call: CallRec): AgentRec | null {
  const w = call.dept.cfg.stickyWindowS;
  if (w <= 0) return null;
  const last = s.sticky.get(call.caller);
  if (!last || s.now - last.at > w * 1000 || call.tried.has(last.agentId)) return null;
  const m = call.dept.members.get(last.agentId);
  return m?.entry ? m.agent : null;
}
