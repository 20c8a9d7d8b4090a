import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/acd/index.ts';
import {
  agentOf,
  answer,
  arrive,
  at,
  deptOf,
  ofType,
  oneDepartment,
  ringsOf,
  serve,
  twoDepartments,
} from './helpers.ts';

describe('order of calls', () => {
  it('serves VIP callers first, then by waiting time', () => {
    const acd = oneDepartment('longest-idle', 1);
    const r = ringsOf(arrive(acd, 'busy'))[0];
    answer(acd, r?.attemptId, 0);
    arrive(acd, 'c1', 1);
    arrive(acd, 'c2', 2);
    arrive(acd, 'vip', 3, { vip: true });
    expect(deptOf(acd).waiting.map((w) => [w.callId, w.position])).toEqual([
      ['vip', 1],
      ['c1', 2],
      ['c2', 3],
    ]);
    const out = acd.handle({ type: 'callEnded', at: at(10), callId: 'busy' });
    expect(ringsOf(out)[0]?.callId).toBe('vip');
  });

  it('gives a shared agent to the call that waited longest across departments', () => {
    const acd = twoDepartments({ shared: ['d1', 'd2'], only1: ['d1'] });
    answer(acd, ringsOf(arrive(acd, 'x1', 0))[0]?.attemptId, 0);
    answer(acd, ringsOf(arrive(acd, 'x2', 0))[0]?.attemptId, 0);
    arrive(acd, 'old', 5, { dept: 'd2' });
    arrive(acd, 'new', 9, { dept: 'd1' });
    const sharedCall = acd.snapshot().connected.find((c) => c.agentId === 'shared')?.callId ?? '';
    const out = acd.handle({ type: 'callEnded', at: at(20), callId: sharedCall });
    expect(ringsOf(out).map((r) => [r.callId, r.agentId])).toEqual([['old', 'shared']]);
  });
});

describe('sticky agent', () => {
  it('offers a returning caller to their last agent first, within the window', () => {
    const acd = oneDepartment('longest-idle', 3, { stickyWindowS: 3600 });
    expect(serve(acd, 'c1', 0, 5)).toBe('a1');
    const r = ringsOf(arrive(acd, 'c2', 100, { caller: '+49c1' }))[0];
    expect(r?.agentId).toBe('a1');
    expect(r?.decision?.sticky).toBe(true);
  });

  it('uses the strategy outside the window or when the last agent is not free', () => {
    const acd = oneDepartment('longest-idle', 3, { stickyWindowS: 60 });
    expect(serve(acd, 'c1', 0, 5)).toBe('a1');
    expect(ringsOf(arrive(acd, 'late', 500, { caller: '+49c1' }))[0]?.agentId).toBe('a2');
    const acd2 = oneDepartment('longest-idle', 3, { stickyWindowS: 3600 });
    expect(serve(acd2, 'c1', 0, 5)).toBe('a1');
    acd2.handle({ type: 'agentStatusChanged', at: at(6), agentId: 'a1', status: 'away' });
    const r = ringsOf(arrive(acd2, 'again', 10, { caller: '+49c1' }))[0];
    expect(r?.agentId).toBe('a2');
    expect(r?.decision?.sticky).toBe(false);
  });
});

describe('business hours', () => {
  const hours = [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' }));

  it('applies the out-of-hours action outside the weekly hours in the department time zone', () => {
    // T0 is Monday 10:00 UTC = 11:00 in Berlin (open), 05:00 in New York (closed).
    const berlin = oneDepartment('longest-idle', 1, {
      timeZone: 'Europe/Berlin',
      businessHours: hours,
    });
    expect(ringsOf(arrive(berlin, 'c1'))).toHaveLength(1);
    const ny = oneDepartment('longest-idle', 1, {
      timeZone: 'America/New_York',
      businessHours: hours,
      outOfHoursAction: { kind: 'voicemail' },
    });
    expect(ofType(arrive(ny, 'c1'), 'reject')[0]).toMatchObject({
      reason: 'out-of-hours',
      exit: { kind: 'voicemail' },
    });
  });

  it('is closed on holidays', () => {
    const acd = oneDepartment('longest-idle', 1, {
      businessHours: hours,
      holidays: ['2026-01-05'],
    });
    expect(ofType(arrive(acd, 'c1'), 'reject')[0]?.reason).toBe('out-of-hours');
  });
});

describe('explanations', () => {
  it('give every skipped member a reason', () => {
    const acd = oneDepartment('longest-idle', 7, { wrapUpS: 60 });
    const busy = ringsOf(arrive(acd, 'b1'))[0]; // a1 on call
    answer(acd, busy?.attemptId, 0);
    ringsOf(arrive(acd, 'b2', 0)); // a2 ringing elsewhere
    const w = ringsOf(arrive(acd, 'w', 0))[0]; // a3 -> wrap-up
    answer(acd, w?.attemptId, 0);
    acd.handle({ type: 'callEnded', at: at(1), callId: 'w' });
    acd.handle({ type: 'agentStatusChanged', at: at(1), agentId: 'a4', status: 'away' });
    acd.handle({
      type: 'agentStatusChanged',
      at: at(1),
      agentId: 'a5',
      status: 'break',
      until: at(900),
    });
    acd.handle({ type: 'agentDevicesChanged', at: at(1), agentId: 'a6', registeredDevices: 0 });
    const r = ringsOf(arrive(acd, 'c', 2))[0];
    expect(r?.agentId).toBe('a7');
    expect(r?.decision?.skipped).toEqual([
      { agentId: 'a1', reason: 'on-call' },
      { agentId: 'a2', reason: 'ringing-elsewhere' },
      { agentId: 'a3', reason: 'wrap-up' },
      { agentId: 'a4', reason: 'away' },
      { agentId: 'a5', reason: 'on-break' },
      { agentId: 'a6', reason: 'unreachable' },
    ]);
  });
});

describe('statistics', () => {
  it('count answered, abandoned, service level, talk and wait per department and agent', () => {
    const acd = oneDepartment('longest-idle', 1, { serviceLevelS: 20 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    answer(acd, r?.attemptId, 5); // waited 5 s
    arrive(acd, 'c2', 6);
    arrive(acd, 'c3', 7);
    acd.handle({ type: 'callerHungUp', at: at(17), callId: 'c3' }); // abandoned after 10 s
    acd.handle({ type: 'callEnded', at: at(65), callId: 'c1' }); // 60 s talk
    const r2 = ringsOf(acd.handle({ type: 'tick', at: at(65) }));
    expect(r2).toHaveLength(0); // already rung at 65 by callEnded
    const c2ring = acd.snapshot().agents[0]?.ringingAttemptId;
    answer(acd, c2ring ?? '', 66); // waited 60 s
    const s = deptOf(acd).stats;
    expect(s).toMatchObject({
      entered: 3,
      answered: 2,
      abandoned: 1,
      answeredWithinServiceLevel: 1,
      totalTalkMs: 60_000,
    });
    expect(s.totalWaitAnsweredMs).toBe(65_000);
    expect(s.longestWaitMs).toBe(60_000);
    expect(summarize(s)).toMatchObject({ averageSpeedOfAnswerMs: 32_500, serviceLevel: 1 / 3 });
    expect(agentOf(acd, 'a1').stats).toMatchObject({ offered: 2, answered: 2, talkMs: 60_000 });
  });
});
