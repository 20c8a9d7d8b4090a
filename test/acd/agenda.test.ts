import { describe, expect, it } from 'vitest';
import { Agenda } from '../../src/acd/collections/timers.ts';

/** Pops and returns every task due by `until`, in order. */
function drain<T>(agenda: Agenda<T>, until: number): T[] {
  const fired: T[] = [];
  for (let t = agenda.popDue(until); t; t = agenda.popDue(until)) fired.push(t.task);
  return fired;
}

describe('engine agenda', () => {
  it('fires live entries in time order, skipping cancelled ones', () => {
    const agenda = new Agenda<string>();
    const b = agenda.schedule(20, 'b');
    agenda.schedule(10, 'a');
    agenda.schedule(30, 'c');
    agenda.cancel(b);
    expect(drain(agenda, 100)).toEqual(['a', 'c']);
    expect(agenda.next()).toBeNull();
  });

  it('a cancelled entry lets go of its task at once (not when it would have been due)', () => {
    const agenda = new Agenda<{ call: string }>();
    const t = agenda.schedule(60_000, { call: 'c1' });
    agenda.cancel(t);
    expect(t.task).toBeNull();
    expect(t.cancelled).toBe(true);
  });

  it('many cancelled far-off entries (a max-wait timer per call) do not pile up in the heap', () => {
    const agenda = new Agenda<number>();
    const keep = [5, 3, 9].map((at) => agenda.schedule(at, at));
    for (let i = 0; i < 10_000; i++) {
      agenda.cancel(agenda.schedule(1_000_000 + i, -1));
    }
    expect(agenda.size).toBeLessThan(2100);
    expect(keep.every((t) => !t.cancelled)).toBe(true);
    expect(drain(agenda, 2_000_000)).toEqual([3, 5, 9]);
    expect(agenda.size).toBe(0);
  });

  it('cancelling twice, or after firing, changes nothing', () => {
    const agenda = new Agenda<string>();
    const t = agenda.schedule(1, 't');
    const due = agenda.popDue(1);
    expect(due).toEqual({ at: 1, task: 't' });
    expect(t.cancelled).toBe(true);
    agenda.cancel(t);
    const u = agenda.schedule(2, 'u');
    agenda.cancel(u);
    agenda.cancel(u);
    expect(agenda.next()).toBeNull();
    expect(agenda.size).toBe(0);
  });
});
