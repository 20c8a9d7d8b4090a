import type { ExitReason } from '../model/actions.ts';
import { isOpen } from '../model/business-hours.ts';
import type { CallRec, DeptRec } from '../routing/records.ts';
import type { QueueExit } from '../model/types.ts';
import { dropIfRemoved, settleAgent, startWrapUp, stopWrapUp } from './agent-book.ts';
import { callConnected, callFinished, QUEUED } from './call-state.ts';
import { callbackAgentAnswered, callbackLineEnded } from './callbacks.ts';
import { unqueue } from './queue.ts';
import { cancelAttempts, endAttempt } from './rings.ts';
import type { EngineState, Step } from './state.ts';

/** A call's way through the engine: arrival, queue admission, exits, answer and end. */

export function callArrived(
  s: EngineState,
  step: Step,
  callId: string,
  departmentId: string,
  caller: string,
  vip: boolean,
): void {
  const d = s.depts.get(departmentId);
  if (!d) {
    step.actions.push(
      { type: 'reject', callId, reason: 'unknown-department', exit: { kind: 'hangup' } },
      {
        type: 'callCompleted',
        callId,
        departmentId,
        outcome: 'rejected',
        reason: 'unknown-department',
        waitMs: 0,
      },
    );
    return;
  }
  const call: CallRec = {
    id: callId,
    seq: s.callSeq++,
    state: QUEUED,
    kind: { name: 'caller' },
    dept: d,
    caller,
    vip,
    arrivedAt: s.now,
    enqueuedAt: s.now,
    attempts: new Map(),
    attemptSeq: 0,
    tried: new Set(),
    visited: new Set(),
    maxWaitTimer: null,
    roundTimer: null,
    roundStartedAt: s.now,
    announceTimer: null,
  };
  s.calls.set(callId, call);
  enterDepartment(s, step, call, d);
}

/** Queue admission: hours, then logged-in agents, then queue length. */
function enterDepartment(s: EngineState, step: Step, call: CallRec, d: DeptRec): void {
  call.dept = d;
  call.visited.add(d.id);
  call.enqueuedAt = s.now;
  call.tried.clear();
  call.roundStartedAt = s.now;
  d.stats.entered++;
  const c = d.cfg;
  if (!isOpen(c.businessHours, c.holidays, c.timeZone, s.now)) {
    leaveQueue(s, step, call, c.outOfHoursAction, 'out-of-hours');
    return;
  }
  if (d.loggedIn === 0) {
    leaveQueue(s, step, call, c.noAgentAction, 'no-agent');
    return;
  }
  if (c.maxQueueLength !== null && d.waiting.size >= c.maxQueueLength) {
    leaveQueue(s, step, call, c.queueFullAction, 'queue-full');
    return;
  }
  d.waiting.insert(call);
  d.ready.insert(call);
  step.dirty.add(d);
  if (c.maxWaitS !== null) {
    call.maxWaitTimer = s.agenda.schedule(s.now + c.maxWaitS * 1000, { kind: 'maxWait', call });
  }
  step.entered.push(call);
}

/** The call waited its department's longest: its ring is cancelled and it takes the max-wait exit. */
export function maxWaitOver(s: EngineState, step: Step, call: CallRec): void {
  call.maxWaitTimer = null;
  cancelAttempts(s, step, call, 'max-wait');
  leaveQueue(s, step, call, call.dept.cfg.maxWaitAction, 'max-wait');
}

/** The call leaves its queue without an agent: overflow to another department or exit. */
export function leaveQueue(
  s: EngineState,
  step: Step,
  call: CallRec,
  exit: QueueExit,
  reason: ExitReason,
): void {
  const d = call.dept;
  unqueue(s, call);
  if (exit.kind === 'overflow') {
    const target = s.depts.get(exit.departmentId);
    if (target && !call.visited.has(target.id)) {
      d.stats.overflowedOut++;
      target.stats.overflowedIn++;
      step.actions.push({
        type: 'overflow',
        callId: call.id,
        fromDepartmentId: d.id,
        toDepartmentId: target.id,
        reason,
      });
      enterDepartment(s, step, call, target);
      return;
    }
    reject(s, step, call, 'overflow-loop', { kind: 'hangup' });
    return;
  }
  reject(s, step, call, reason, exit);
}

/** The call leaves the engine without an agent (already out of its queue). */
export function reject(
  s: EngineState,
  step: Step,
  call: CallRec,
  reason: ExitReason,
  exit: Exclude<QueueExit, { kind: 'overflow' }>,
): void {
  const d = call.dept;
  d.stats.rejected[reason] = (d.stats.rejected[reason] ?? 0) + 1;
  step.actions.push({ type: 'reject', callId: call.id, reason, exit });
  forgetCall(s, call);
  step.actions.push({
    type: 'callCompleted',
    callId: call.id,
    departmentId: d.id,
    ...(call.kind.name === 'callback'
      ? ({ outcome: 'callback-failed', kind: 'callback' } as const)
      : ({ outcome: 'rejected' } as const)),
    reason,
    waitMs: s.now - call.arrivedAt,
  });
}

export function callerHungUp(s: EngineState, step: Step, callId: string): void {
  const call = s.calls.get(callId);
  if (!call) return;
  if (call.state.name === 'connected') {
    callEnded(s, step, callId);
    return;
  }
  if (call.kind.name === 'callback') {
    callbackLineEnded(s, step, call);
    return;
  }
  cancelAttempts(s, step, call, 'caller-hung-up');
  const d = call.dept;
  const waited = s.now - call.enqueuedAt;
  d.stats.abandoned++;
  d.stats.totalWaitAbandonedMs += waited;
  d.stats.longestWaitMs = Math.max(d.stats.longestWaitMs, waited);
  unqueue(s, call);
  forgetCall(s, call);
  step.actions.push({
    type: 'callCompleted',
    callId,
    departmentId: d.id,
    outcome: 'abandoned',
    waitMs: s.now - call.arrivedAt,
  });
}

export function agentAnswered(s: EngineState, step: Step, attemptId: string): void {
  const att = s.attempts.get(attemptId);
  if (!att) {
    // Cancelled (timeout, caller gone, answered elsewhere) while the 2xx was on its way.
    step.actions.push({ type: 'dropLateAnswer', attemptId });
    return;
  }
  const { call, agent: a } = att;
  if (call.kind.name === 'callback') {
    callbackAgentAnswered(s, step, att);
    return;
  }
  const d = call.dept;
  const limitS = d.cfg.maxCallDurationS;
  callConnected(
    call,
    a,
    s.now,
    limitS === null
      ? null
      : s.agenda.schedule(s.now + limitS * 1000, { kind: 'maxDuration', call }),
  );
  endAttempt(s, att);
  cancelAttempts(s, step, call, 'answered-elsewhere');
  unqueue(s, call);
  // A multi-call agent whose other call ended while this one rang skips that wrap-up.
  stopWrapUp(s, a);
  a.activeCalls++;
  a.missedInRow = 0;
  a.stats.answered++;
  a.stats.answeredToday++;
  const waited = s.now - call.enqueuedAt;
  d.stats.answered++;
  d.stats.totalWaitAnsweredMs += waited;
  d.stats.longestWaitMs = Math.max(d.stats.longestWaitMs, waited);
  if (waited <= d.cfg.serviceLevelS * 1000) d.stats.answeredWithinServiceLevel++;
  remember(s, call.caller, a.id);
  step.actions.push({ type: 'bridge', callId: call.id, agentId: a.id, attemptId, waitMs: waited });
  settleAgent(s, step, a, 'answered');
}

export function callEnded(s: EngineState, step: Step, callId: string): void {
  const call = s.calls.get(callId);
  if (!call) return;
  if (call.state.name !== 'connected') {
    callerHungUp(s, step, callId);
    return;
  }
  const { agent: a, answeredAt, durationLimit } = call.state;
  s.agenda.cancel(durationLimit);
  const d = call.dept;
  const talk = s.now - answeredAt;
  a.activeCalls--;
  a.stats.talkMs += talk;
  a.stats.talkMsToday += talk;
  d.stats.totalTalkMs += talk;
  d.handleTimes.add(talk / 1000 + d.cfg.wrapUpS);
  remember(s, call.caller, a.id);
  forgetCall(s, call);
  if (a.activeCalls === 0 && d.cfg.wrapUpS > 0) startWrapUp(s, a, d.cfg.wrapUpS);
  step.actions.push({
    type: 'callCompleted',
    callId,
    departmentId: d.id,
    outcome: 'answered',
    agentId: a.id,
    waitMs: answeredAt - call.arrivedAt,
    talkMs: talk,
    ...(call.kind.name === 'callback' ? { kind: 'callback' as const } : {}),
  });
  settleAgent(s, step, a, 'call ended');
  dropIfRemoved(s, a);
}

function forgetCall(s: EngineState, call: CallRec): void {
  callFinished(call);
  s.calls.delete(call.id);
}

/** Sticky-agent memory; entries older than every department's window are dropped now and then. */
function remember(s: EngineState, caller: string, agentId: string): void {
  s.sticky.delete(caller); // re-insert: Map order stays oldest first
  s.sticky.set(caller, { agentId, at: s.now });
  if (s.sticky.size % 4096 !== 0) return;
  let window = 0;
  for (const d of s.depts.values()) window = Math.max(window, d.cfg.stickyWindowS * 1000);
  for (const [k, v] of s.sticky) {
    if (s.now - v.at <= window) break;
    s.sticky.delete(k);
  }
}

/** A connected call reached its department's maximum duration: call control hangs it up. */
export function maxDurationOver(_s: EngineState, step: Step, call: CallRec): void {
  if (call.state.name !== 'connected') return;
  step.actions.push({ type: 'hangUp', callId: call.id, reason: 'max-duration' });
}
