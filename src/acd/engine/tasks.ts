import { nextLocalMidnight } from '../model/business-hours.ts';
import type { EngineTask } from '../routing/records.ts';
import { breakOver, endWrapUp, resetDay } from './agent-book.ts';
import { callbackDialTimeout, callbackRetryDue } from './callbacks.ts';
import { maxDurationOver, maxWaitOver } from './calls.ts';
import { newRound, reminderDue, settle } from './dispatch.ts';
import { ringTimeout } from './rings.ts';
import type { EngineState, Step } from './state.ts';

/**
 * Fires every agenda entry due by `until`, in time order, each at its own
 * clock reading and followed by a dispatch, so a late tick decides as an
 * on-time one would have.
 */
export function runDueTasks(s: EngineState, step: Step, until: number): void {
  for (let t = s.agenda.popDue(until); t; t = s.agenda.popDue(until)) {
    s.now = Math.max(s.now, t.at);
    runTask(s, step, t.task);
    settle(s, step);
  }
}

function runTask(s: EngineState, step: Step, task: EngineTask): void {
  switch (task.kind) {
    case 'ringTimeout':
      ringTimeout(s, step, task.attempt);
      return;
    case 'maxWait':
      maxWaitOver(s, step, task.call);
      return;
    case 'maxDuration':
      maxDurationOver(s, step, task.call);
      return;
    case 'newRound':
      newRound(s, step, task.call);
      return;
    case 'reminder':
      reminderDue(s, step, task.call);
      return;
    case 'wrapUpOver':
      task.agent.wrapUpTimer = null;
      endWrapUp(s, step, task.agent, 'wrap-up over');
      return;
    case 'breakOver':
      breakOver(s, step, task.agent);
      return;
    case 'callbackDialTimeout':
      callbackDialTimeout(s, step, task.call);
      return;
    case 'callbackRetry':
      callbackRetryDue(s, step, task.call);
      return;
    case 'dayReset':
      resetDay(s, step);
      scheduleDayReset(s);
      return;
  }
}

/** The "today" counters reset at midnight of the statistics time zone. */
export function scheduleDayReset(s: EngineState): void {
  s.agenda.schedule(nextLocalMidnight(s.settings.statsTimeZone, s.now), { kind: 'dayReset' });
}
