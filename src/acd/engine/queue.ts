import { type CallRec, isWaiting } from '../routing/records.ts';
import type { EngineState, Step } from './state.ts';

/** Takes the call out of its department's queue and stops the timers of waiting. */
export function unqueue(s: EngineState, call: CallRec): void {
  const d = call.dept;
  d.waiting.delete(call);
  d.ready.delete(call);
  call.maxWaitTimer = s.agenda.cancel(call.maxWaitTimer);
  call.roundTimer = s.agenda.cancel(call.roundTimer);
  call.announceTimer = s.agenda.cancel(call.announceTimer);
}

/** A ring of a waiting call ended unanswered: the call can take an offer again. */
export function requeue(step: Step, call: CallRec): void {
  if (!isWaiting(call)) return;
  // Still ringing others (ring-all, or rings left from before a switch away from it).
  if (call.state.name === 'ringing' && call.dept.cfg.strategy !== 'ring-all') return;
  if (!call.dept.ready.has(call)) call.dept.ready.insert(call);
  step.dirty.add(call.dept);
  if (call.dept.loggedIn === 0) step.noAgentCheck.add(call.dept);
  step.lostRing.push(call);
}
