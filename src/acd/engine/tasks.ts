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

type TaskOf<K extends EngineTask['kind']> = Extract<EngineTask, { kind: K }>;

/** What each kind of agenda entry does when it falls due. */
const TASKS: { [K in EngineTask['kind']]: (s: EngineState, step: Step, task: TaskOf<K>) => void } =
  {
    ringTimeout: (s, step, t) => ringTimeout(s, step, t.attempt),
    maxWait: (s, step, t) => maxWaitOver(s, step, t.call),
    maxDuration: (s, step, t) => maxDurationOver(s, step, t.call),
    newRound: (s, step, t) => newRound(s, step, t.call),
    reminder: (s, step, t) => reminderDue(s, step, t.call),
    wrapUpOver: (s, step, t) => {
      t.agent.wrapUpTimer = null;
      endWrapUp(s, step, t.agent, 'wrap-up over');
    },
    breakOver: (s, step, t) => breakOver(s, step, t.agent),
    callbackDialTimeout: (s, step, t) => callbackDialTimeout(s, step, t.call),
    callbackRetry: (s, step, t) => callbackRetryDue(s, step, t.call),
    dayReset: (s, step) => {
      resetDay(s, step);
      scheduleDayReset(s);
    },
  };

function runTask<K extends EngineTask['kind']>(s: EngineState, step: Step, task: TaskOf<K>): void {
  (TASKS[task.kind] as (s: EngineState, step: Step, task: TaskOf<K>) => void)(s, step, task);
}

/** The "today" counters reset at midnight of the statistics time zone. */
export function scheduleDayReset(s: EngineState): void {
  s.agenda.schedule(nextLocalMidnight(s.settings.statsTimeZone, s.now), { kind: 'dayReset' });
}
