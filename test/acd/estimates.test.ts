import { describe, expect, it } from 'vitest';
import { expectedWaitS } from '../../src/acd/index.ts';
import { arrive, ofType, oneDepartment, ringsOf, T0 } from './helpers.ts';

const at = (s: number) => T0 + s * 1000;

describe('expected wait', () => {
  it('is position x average handle time / serving agents', () => {
    expect(expectedWaitS(1, 180, 2)).toBe(90);
    expect(expectedWaitS(4, 120, 3)).toBe(160);
    expect(expectedWaitS(3, 120, 0)).toBeNull();
  });

  it('is announced on entry from recent handle times, and repeated while waiting', () => {
    const acd = oneDepartment('longest-idle', 2, { wrapUpS: 10, announceIntervalS: 30 });
    // Two calls of 110 s talk + 10 s wrap-up: average handle time 120 s.
    const r1 = ringsOf(arrive(acd, 'h1'))[0];
    const r2 = ringsOf(arrive(acd, 'h2'))[0];
    acd.handle({ type: 'agentAnswered', at: at(0), attemptId: r1?.attemptId ?? '' });
    acd.handle({ type: 'agentAnswered', at: at(0), attemptId: r2?.attemptId ?? '' });
    acd.handle({ type: 'callEnded', at: at(110), callId: 'h1' });
    acd.handle({ type: 'callEnded', at: at(110), callId: 'h2' });
    const b1 = ringsOf(arrive(acd, 'b1', 200))[0];
    const b2 = ringsOf(arrive(acd, 'b2', 200))[0];
    acd.handle({ type: 'agentAnswered', at: at(200), attemptId: b1?.attemptId ?? '' });
    acd.handle({ type: 'agentAnswered', at: at(200), attemptId: b2?.attemptId ?? '' });
    arrive(acd, 'w1', 201);
    const out = arrive(acd, 'w2', 202);
    expect(ofType(out, 'announce')).toEqual([
      { type: 'announce', callId: 'w2', kind: 'queued', position: 2, expectedWaitS: 120 },
    ]);
    expect(acd.estimate('w1')).toEqual({ position: 1, expectedWaitS: 60 });
    const reminder = acd.handle({ type: 'tick', at: at(232) });
    expect(ofType(reminder, 'announce').map((a) => [a.callId, a.kind, a.position])).toEqual([
      ['w1', 'reminder', 1],
      ['w2', 'reminder', 2],
    ]);
  });
});

describe('live figures', () => {
  it('give queue length, the longest current wait and agents per state', () => {
    const acd = oneDepartment('longest-idle', 2);
    const r = ringsOf(arrive(acd, 'c1'))[0];
    acd.handle({ type: 'agentAnswered', at: at(1), attemptId: r?.attemptId ?? '' });
    arrive(acd, 'c2', 2); // rings a2
    arrive(acd, 'c3', 3);
    arrive(acd, 'vip', 8, { vip: true });
    acd.handle({ type: 'tick', at: at(10) });
    const live = acd.live();
    expect(live.departments).toEqual([
      { id: 'd1', waiting: 3, longestWaitMs: 8000, loggedIn: 2, serving: 2, freeAgents: 0 },
    ]);
    expect(live.agentsByState).toMatchObject({ onCall: 1, ringing: 1, available: 0 });
  });
});
