import { describe, expect, it } from 'vitest';
import {
  IllegalTransition,
  StateMachine,
  type TransitionTable,
} from '../../../src/calls/mechanisms/state-machine.ts';
import { ManualScheduler } from './support/manual-scheduler.ts';

type S = 'a' | 'b' | 'c';
const TABLE: TransitionTable<S> = { a: ['b', 'c'], b: ['c'], c: [] };

describe('StateMachine', () => {
  it('moves along the table and records each transition with its cause and time', () => {
    const clock = new ManualScheduler();
    const m = new StateMachine<S>('m', 'a', TABLE, clock);
    m.to('b', 'go');
    clock.advance(5);
    m.to('c', 'stop');
    expect(m.state).toBe('c');
    expect(m.final).toBe(true);
    expect(m.history.map((t) => [t.from, t.to, t.cause])).toEqual([
      ['a', 'b', 'go'],
      ['b', 'c', 'stop'],
    ]);
    expect((m.history[1]?.at ?? 0) - (m.history[0]?.at ?? 0)).toBe(5);
  });

  it('rejects a move that is not in the table with IllegalTransition', () => {
    const m = new StateMachine<S>('m', 'b', TABLE, new ManualScheduler());
    expect(() => m.to('a', 'back')).toThrow(IllegalTransition);
    expect(m.state).toBe('b');
    m.to('c', 'end');
    expect(() => m.to('c', 'again')).toThrow(/illegal transition c -> c/);
  });

  it('clears the timers of a state when it is left, so they never fire in another state', () => {
    const clock = new ManualScheduler();
    const m = new StateMachine<S>('m', 'a', TABLE, clock);
    const fired: string[] = [];
    m.after(100, () => fired.push('a-timer'));
    expect(m.pendingTimers).toBe(1);
    m.to('b', 'leave');
    expect(m.pendingTimers).toBe(0);
    expect(clock.pending).toBe(0);
    clock.advance(1000);
    expect(fired).toEqual([]);
  });

  it('fires a timer that is still in its state, once', () => {
    const clock = new ManualScheduler();
    const m = new StateMachine<S>('m', 'a', TABLE, clock);
    let fired = 0;
    m.after(100, () => {
      fired++;
      m.to('b', 'timer');
    });
    clock.advance(99);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    expect(m.state).toBe('b');
    clock.advance(1000);
    expect(fired).toBe(1);
  });
});
