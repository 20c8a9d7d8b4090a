import type { CallbackRestored } from '../model/events.ts';
import type { AttemptRec, CallRec, DeptRec } from '../routing/records.ts';
import { dropIfRemoved, settleAgent, stopWrapUp } from './agent-book.ts';
import { callFinished, move, QUEUED } from './call-state.ts';
import { unqueue } from './queue.ts';
import { cancelAttempts, endAttempt } from './rings.ts';
import type { EngineState, Step } from './state.ts';

/**
 * Callback requests: a waiting caller who asked to be called back hangs up
 * and keeps its place (its arrival time orders the queue). When its turn
 * comes the agent is rung as for any call; the agent's answer starts the
 * dial-out (`dialing`, deadline = the department's ring timeout); the
 * customer's answer connects the call, anything else releases the agent and
 * either schedules a retry (`awaiting-retry`, back at its place when due) or,
 * after the department's retries, ends the request as `callback-failed`.
 */

/** Retries after the first dial-out, and the pause before each (department defaults). */
export const DEFAULT_CALLBACK_RETRIES = 2;
export const DEFAULT_CALLBACK_RETRY_INTERVAL_S = 300;

export function callbackRequested(
  s: EngineState,
  step: Step,
  callId: string,
  number: string,
): void {
  const call = s.calls.get(callId);
  if (call?.kind.name !== 'caller') return;
  if (call.state.name !== 'queued' && call.state.name !== 'ringing') return;
  // A ring in progress was for a caller on the line: the agent is offered the callback afresh.
  cancelAttempts(s, step, call, 'callback-requested');
  call.kind = { name: 'callback', number, failedTries: 0 };
  // The caller is gone: no maximum wait, no reminders; a fresh round as a callback.
  unqueue(s, call);
  enqueue(s, step, call, call.dept);
  step.actions.push({
    type: 'callbackAccepted',
    callId,
    departmentId: call.dept.id,
    number,
    arrivedAt: call.arrivedAt,
  });
}

/** A stored request back in its queue after a restart (callers call this in stored order). */
export function callbackRestored(s: EngineState, step: Step, e: CallbackRestored): void {
  if (s.calls.has(e.callId)) return;
  const d = s.depts.get(e.departmentId);
  if (!d) {
    step.actions.push({
      type: 'callCompleted',
      callId: e.callId,
      departmentId: e.departmentId,
      outcome: 'callback-failed',
      reason: 'department-removed',
      waitMs: s.now - e.arrivedAt,
      kind: 'callback',
    });
    return;
  }
  const call: CallRec = {
    id: e.callId,
    seq: s.callSeq++,
    state: QUEUED,
    kind: { name: 'callback', number: e.number, failedTries: e.failedTries },
    dept: d,
    caller: e.number,
    vip: false,
    arrivedAt: e.arrivedAt,
    enqueuedAt: e.arrivedAt,
    attempts: new Map(),
    attemptSeq: e.attemptsMade ?? 0,
    tried: new Set(),
    visited: new Set([d.id]),
    maxWaitTimer: null,
    roundTimer: null,
    roundStartedAt: s.now,
    announceTimer: null,
  };
  s.calls.set(call.id, call);
  if (e.retryAt !== null && e.retryAt > s.now) {
    call.state = {
      name: 'awaiting-retry',
      timer: s.agenda.schedule(e.retryAt, { kind: 'callbackRetry', call }),
    };
    return;
  }
  enqueue(s, step, call, d);
}

/** Into the queue at the request's place (no admission checks: it was admitted as a call). */
function enqueue(s: EngineState, step: Step, call: CallRec, d: DeptRec): void {
  call.tried.clear();
  call.roundStartedAt = s.now;
  d.waiting.insert(call);
  d.ready.insert(call);
  step.dirty.add(d);
}

/** The agent answered a callback's ring: the agent is busy while the customer is dialled. */
export function callbackAgentAnswered(s: EngineState, step: Step, att: AttemptRec): void {
  const { call, agent: a } = att;
  if (call.kind.name !== 'callback') return;
  const number = call.kind.number;
  const timeoutAt = s.now + call.dept.cfg.ringTimeoutS * 1000;
  // Out of `ringing` first: the attempt's end must not put the call back in the queue.
  move(call, {
    name: 'dialing',
    agent: a,
    deadline: s.agenda.schedule(timeoutAt, { kind: 'callbackDialTimeout', call }),
  });
  endAttempt(s, att);
  cancelAttempts(s, step, call, 'answered-elsewhere');
  unqueue(s, call);
  stopWrapUp(s, a);
  a.activeCalls++;
  a.missedInRow = 0;
  step.actions.push({
    type: 'dialCallback',
    callId: call.id,
    agentId: a.id,
    attemptId: att.id,
    number,
    timeoutAt,
  });
  settleAgent(s, step, a, 'answered a callback');
}

/** The customer answered: the callback is a connected call from now on. */
export function callbackReached(s: EngineState, step: Step, callId: string): void {
  const call = s.calls.get(callId);
  if (call?.state.name !== 'dialing') return;
  const { agent: a, deadline } = call.state;
  s.agenda.cancel(deadline);
  const d = call.dept;
  const limitS = d.cfg.maxCallDurationS;
  move(call, {
    name: 'connected',
    agent: a,
    answeredAt: s.now,
    durationLimit:
      limitS === null
        ? null
        : s.agenda.schedule(s.now + limitS * 1000, { kind: 'maxDuration', call }),
  });
  a.stats.answered++;
  a.stats.answeredToday++;
  const waited = s.now - call.arrivedAt;
  d.stats.answered++;
  d.stats.totalWaitAnsweredMs += waited;
  d.stats.longestWaitMs = Math.max(d.stats.longestWaitMs, waited);
  settleAgent(s, step, a, 'callback reached');
}

/** The dial-out's deadline passed: call control stops it, and the try counts as failed. */
export function callbackDialTimeout(s: EngineState, step: Step, call: CallRec): void {
  if (call.state.name !== 'dialing') return;
  step.actions.push({ type: 'endCallbackDial', callId: call.id, reason: 'timeout' });
  notReached(s, step, call);
}

export function callbackNotReached(s: EngineState, step: Step, callId: string): void {
  const call = s.calls.get(callId);
  if (call && call.state.name === 'dialing') notReached(s, step, call);
}

/** A callback's call control end (`callerHungUp`) before the customer answered: a failed try. */
export function callbackLineEnded(s: EngineState, step: Step, call: CallRec): void {
  if (call.state.name === 'dialing') notReached(s, step, call);
  // Queued, ringing or awaiting a retry: the caller hung up long ago by design.
}

function notReached(s: EngineState, step: Step, call: CallRec): void {
  if (call.state.name !== 'dialing' || call.kind.name !== 'callback') return;
  const { agent: a, deadline } = call.state;
  s.agenda.cancel(deadline);
  a.activeCalls--;
  const kind = call.kind;
  kind.failedTries++;
  const cfg = call.dept.cfg;
  const retries = cfg.callbackRetries ?? DEFAULT_CALLBACK_RETRIES;
  if (kind.failedTries > retries) {
    callFinished(call);
    s.calls.delete(call.id);
    step.actions.push({
      type: 'callCompleted',
      callId: call.id,
      departmentId: call.dept.id,
      outcome: 'callback-failed',
      agentId: a.id,
      waitMs: s.now - call.arrivedAt,
      kind: 'callback',
    });
  } else {
    const retryAt =
      s.now + (cfg.callbackRetryIntervalS ?? DEFAULT_CALLBACK_RETRY_INTERVAL_S) * 1000;
    move(call, {
      name: 'awaiting-retry',
      timer: s.agenda.schedule(retryAt, { kind: 'callbackRetry', call }),
    });
    step.actions.push({
      type: 'callbackRetryScheduled',
      callId: call.id,
      failedTries: kind.failedTries,
      retryAt,
    });
  }
  settleAgent(s, step, a, 'callback not reached');
  dropIfRemoved(s, a);
}

/** The pause after a failed try is over: back to the request's place in its queue. */
export function callbackRetryDue(s: EngineState, step: Step, call: CallRec): void {
  if (call.state.name !== 'awaiting-retry') return;
  const d = call.dept;
  if (s.depts.get(d.id) !== d) {
    callFinished(call);
    s.calls.delete(call.id);
    step.actions.push({
      type: 'callCompleted',
      callId: call.id,
      departmentId: d.id,
      outcome: 'callback-failed',
      reason: 'department-removed',
      waitMs: s.now - call.arrivedAt,
      kind: 'callback',
    });
    return;
  }
  move(call, QUEUED);
  enqueue(s, step, call, d);
}
