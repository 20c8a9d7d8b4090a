import { describe, expect, it } from 'vitest';
import { defaultDepartment } from '../../src/acd/index.ts';
import { answer, arrive, at, ofType, oneDepartment, ringsOf } from './helpers.ts';

describe('maximum call duration', () => {
  it('asks call control to hang up a connected call when its department limit is reached', () => {
    const acd = oneDepartment('longest-idle', 1, { maxCallDurationS: 600 });
    answer(acd, ringsOf(arrive(acd, 'c1'))[0]?.attemptId, 2);
    expect(acd.nextWakeUp()).toBe(at(602));
    expect(ofType(acd.handle({ type: 'tick', at: at(601) }), 'hangUp')).toEqual([]);
    expect(ofType(acd.handle({ type: 'tick', at: at(602) }), 'hangUp')).toEqual([
      { type: 'hangUp', callId: 'c1', reason: 'max-duration' },
    ]);
    // The call ends as any other when call control reports it.
    const end = acd.handle({ type: 'callEnded', at: at(602), callId: 'c1' });
    expect(ofType(end, 'callCompleted')[0]).toMatchObject({ outcome: 'answered', talkMs: 600_000 });
  });

  it('drops the limit of a call that ends before it', () => {
    const acd = oneDepartment('longest-idle', 1, { maxCallDurationS: 600 });
    answer(acd, ringsOf(arrive(acd, 'c1'))[0]?.attemptId, 2);
    acd.handle({ type: 'callEnded', at: at(100), callId: 'c1' });
    expect(acd.nextWakeUp()).not.toBe(at(602));
    expect(ofType(acd.handle({ type: 'tick', at: at(700) }), 'hangUp')).toEqual([]);
  });

  it('has no limit when set to null, and refuses a limit that is not positive', () => {
    const acd = oneDepartment('longest-idle', 1, { maxCallDurationS: null });
    answer(acd, ringsOf(arrive(acd, 'c1'))[0]?.attemptId, 2);
    expect(ofType(acd.handle({ type: 'tick', at: at(10 * 86_400) }), 'hangUp')).toEqual([]);
    expect(defaultDepartment('d').maxCallDurationS).toBe(4 * 3600);
    expect(() => oneDepartment('longest-idle', 1, { maxCallDurationS: 0 })).toThrow(
      /maxCallDurationS must be > 0 or null/,
    );
  });
});
