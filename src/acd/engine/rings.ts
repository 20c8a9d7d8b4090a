import type { CancelReason, CancelRing } from '../model/actions.ts';
import type { Decision } from '../model/decision.ts';
import type { RingFailure } from '../model/events.ts';
import type { AgentRec, AttemptRec, CallRec } from '../routing/records.ts';
import { dropIfRemoved, setPresence, settleAgent } from './agent-book.ts';
import { callRinging, callRingsEnded } from './call-state.ts';
import { requeue } from './queue.ts';
import type { EngineState, Step } from './state.ts';

/**
 * Ring attempts: started by the dispatch, ended by an answer (see
 * `agentAnswered`), a failure, the ring timeout (the engine's own timer,
 * the one deadline of a ring) or a cancel.
 */

export function startRing(
  s: EngineState,
  step: Step,
  call: CallRec,
  a: AgentRec,
  decision: Decision | undefined,
): void {
  const d = call.dept;
  const id = `${call.id}/${++call.attemptSeq}`;
  const timeoutMs = d.cfg.ringTimeoutS * 1000;
  const att: AttemptRec = { id, call, agent: a, timer: null };
  att.timer = s.agenda.schedule(s.now + timeoutMs, { kind: 'ringTimeout', attempt: att });
  call.attempts.set(id, att);
  callRinging(call);
  call.tried.add(a.id);
  s.attempts.set(id, att);
  a.offer = att;
  a.stats.offered++;
  d.stats.ringAttempts++;
  const entry = a.memberships.get(d.id)?.entry;
  if (d.cfg.strategy === 'round-robin' && entry) d.lastOffered = entry;
  step.actions.push({
    type: 'ring',
    callId: call.id,
    departmentId: d.id,
    agentId: a.id,
    attemptId: id,
    timeoutMs,
    timeoutAt: s.now + timeoutMs,
    ...(decision ? { decision } : {}),
    ...(call.kind.name === 'callback' ? { callbackNumber: call.kind.number } : {}),
  });
  settleAgent(s, step, a, 'offered');
}

/** Removes the attempt from the books; the caller settles the agent. */
export function endAttempt(s: EngineState, att: AttemptRec): void {
  att.timer = s.agenda.cancel(att.timer);
  att.call.attempts.delete(att.id);
  s.attempts.delete(att.id);
  if (att.agent.offer === att) att.agent.offer = null;
  callRingsEnded(att.call);
}

export function cancelRingAction(att: AttemptRec, reason: CancelReason): CancelRing {
  return {
    type: 'cancelRing',
    callId: att.call.id,
    agentId: att.agent.id,
    attemptId: att.id,
    reason,
  };
}

/** Cancels every ring of the call; the agents are free again (the call is not requeued). */
export function cancelAttempts(s: EngineState, step: Step, call: CallRec, reason: CancelReason) {
  for (const att of [...call.attempts.values()]) {
    endAttempt(s, att);
    step.actions.push(cancelRingAction(att, reason));
    settleAgent(s, step, att.agent, `ring cancelled: ${reason}`);
    dropIfRemoved(s, att.agent);
  }
}

export function ringFailed(s: EngineState, step: Step, attemptId: string, cause: RingFailure) {
  const att = s.attempts.get(attemptId);
  if (!att) return; // already ended: a failure racing a cancel
  missed(s, step, att, cause);
}

/** The ring timeout fell due: cancel the ring and count it as missed. */
export function ringTimeout(s: EngineState, step: Step, att: AttemptRec): void {
  att.timer = null;
  step.actions.push(cancelRingAction(att, 'timeout'));
  missed(s, step, att, 'timeout');
}

/** The agent did not take the offer: release, count, maybe pause, try the next agent. */
function missed(s: EngineState, step: Step, att: AttemptRec, cause: RingFailure | 'timeout') {
  const { call, agent: a } = att;
  const d = call.dept;
  endAttempt(s, att);
  a.stats.missed++;
  d.stats.missedRings++;
  a.missedInRow++;
  const limit = d.cfg.maxMissedRings;
  if (limit > 0 && a.missedInRow >= limit && a.presence === 'available') {
    a.stats.autoPauses++;
    step.actions.push({
      type: 'pauseAgent',
      agentId: a.id,
      reason: 'missed-rings',
      missedRings: a.missedInRow,
    });
    a.missedInRow = 0;
    setPresence(s, a, 'away', null, 'missed-rings');
  }
  settleAgent(s, step, a, `ring ${cause}`);
  requeue(step, call);
}
