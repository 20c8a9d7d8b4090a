import { describe, expect, it } from 'vitest';
import { Agenda } from '../../src/acd/timers.ts';

describe('engine agenda', () => {
  it('fires live entries in time order, skipping cancelled ones', () => {
    const agenda = new Agenda();
    const fired: string[] = [];
    const b = agenda.schedule(20, () => fired.push('b'));
    agenda.schedule(10, () => fired.push('a'));
    agenda.schedule(30, () => fired.push('c'));
    agenda.cancel(b);
    for (let t = agenda.popDue(100); t; t = agenda.popDue(100)) t.fire(t.at);
    expect(fired).toEqual(['a', 'c']);
    expect(agenda.next()).toBeNull();
  });

  it('a cancelled entry lets go of its callback at once (not when it would have been due)', () => {
    const agenda = new Agenda();
    const t = agenda.schedule(60_000, () => undefined);
    const before = t.fire;
    agenda.cancel(t);
    expect(t.fire).not.toBe(before);
    expect(t.cancelled).toBe(true);
  });

  it('many cancelled far-off entries (a max-wait timer per call) do not pile up in the heap', () => {
    const agenda = new Agenda();
    const fired: number[] = [];
    const keep = [5, 3, 9].map((at) => agenda.schedule(at, () => fired.push(at)));
    for (let i = 0; i < 10_000; i++) {
      agenda.cancel(agenda.schedule(1_000_000 + i, () => fired.push(-1)));
    }
    expect(agenda.size).toBeLessThan(2100);
    expect(keep.every((t) => !t.cancelled)).toBe(true);
    for (let t = agenda.popDue(2_000_000); t; t = agenda.popDue(2_000_000)) t.fire(t.at);
    expect(fired).toEqual([3, 5, 9]);
    expect(agenda.size).toBe(0);
  });

  it('cancelling twice, or after firing, changes nothing', () => {
    const agenda = new Agenda();
    const t = agenda.schedule(1, () => undefined);
    const due = agenda.popDue(1);
    expect(due).toBe(t);
    agenda.cancel(t);
    const u = agenda.schedule(2, () => undefined);
    agenda.cancel(u);
    agenda.cancel(u);
    expect(agenda.next()).toBeNull();
    expect(agenda.size).toBe(0);
  });
});
