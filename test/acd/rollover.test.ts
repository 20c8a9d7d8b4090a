import { describe, expect, it } from 'vitest';
import { AcdEngine, AcdInputError, defaultAgent, defaultDepartment } from '../../src/acd/index.ts';
import {
  agentOf,
  answer,
  arrive,
  at,
  deptOf,
  ofType,
  oneDepartment,
  ringsOf,
  T0,
} from './helpers.ts';

describe('rollover', () => {
  it('times a ring out on tick, rolls over, and retries after everybody was tried', () => {
    const acd = oneDepartment('longest-idle', 2, {
      ringTimeoutS: 15,
      retryDelayS: 10,
      maxMissedRings: 0,
    });
    const first = arrive(acd, 'c1');
    expect(first.nextWakeUp).toBe(at(15));
    const t1 = acd.handle({ type: 'tick', at: at(15) });
    expect(ofType(t1, 'cancelRing')).toEqual([
      { type: 'cancelRing', callId: 'c1', agentId: 'a1', attemptId: 'c1/1', reason: 'timeout' },
    ]);
    expect(ringsOf(t1).map((r) => r.agentId)).toEqual(['a2']);
    const t2 = acd.handle({ type: 'ringFailed', at: at(20), attemptId: 'c1/2', cause: 'busy' });
    expect(ringsOf(t2)).toHaveLength(0);
    expect(t2.nextWakeUp).toBe(at(30)); // the retry delay
    const t3 = acd.handle({ type: 'tick', at: at(30) });
    expect(ringsOf(t3).map((r) => [r.agentId, r.attemptId])).toEqual([['a1', 'c1/3']]);
  });

  it('offers the call to an untried agent who becomes free during the retry delay', () => {
    const acd = oneDepartment('longest-idle', 2, { retryDelayS: 60, maxMissedRings: 0 });
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'a2', status: 'away' });
    const r = ringsOf(arrive(acd, 'c1', 1))[0];
    acd.handle({ type: 'ringFailed', at: at(2), attemptId: r?.attemptId ?? '', cause: 'declined' });
    const back = acd.handle({
      type: 'agentStatusChanged',
      at: at(5),
      agentId: 'a2',
      status: 'available',
    });
    expect(ringsOf(back).map((x) => x.agentId)).toEqual(['a2']);
  });

  it('pauses an agent after N missed rings in a row, with the reason', () => {
    const acd = oneDepartment('longest-idle', 1, { maxMissedRings: 2, retryDelayS: 0 });
    const r1 = ringsOf(arrive(acd, 'c1'))[0];
    const o1 = acd.handle({
      type: 'ringFailed',
      at: at(1),
      attemptId: r1?.attemptId ?? '',
      cause: 'no-answer',
    });
    expect(ofType(o1, 'pauseAgent')).toHaveLength(0);
    const r2 = ringsOf(o1)[0];
    expect(r2?.agentId).toBe('a1'); // retry delay 0: a new round at once
    const o2 = acd.handle({
      type: 'ringFailed',
      at: at(2),
      attemptId: r2?.attemptId ?? '',
      cause: 'no-answer',
    });
    expect(ofType(o2, 'pauseAgent')).toEqual([
      { type: 'pauseAgent', agentId: 'a1', reason: 'missed-rings', missedRings: 2 },
    ]);
    expect(agentOf(acd, 'a1')).toMatchObject({ state: 'away', presenceReason: 'missed-rings' });
  });

  it('rolls the call over to the next agent when the missed ring pauses the agent', () => {
    const acd = oneDepartment('longest-idle', 2, { maxMissedRings: 1 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    const out = acd.handle({
      type: 'ringFailed',
      at: at(1),
      attemptId: r?.attemptId ?? '',
      cause: 'no-answer',
    });
    expect(ofType(out, 'pauseAgent')).toHaveLength(1);
    expect(ringsOf(out).map((x) => x.agentId)).toEqual(['a2']);
  });

  it('never pauses when N is 0, and an answer resets the count', () => {
    const acd = oneDepartment('longest-idle', 1, { maxMissedRings: 0, retryDelayS: 0 });
    let r = ringsOf(arrive(acd, 'c1'))[0];
    for (let i = 0; i < 10; i++) {
      const o = acd.handle({
        type: 'ringFailed',
        at: at(i + 1),
        attemptId: r?.attemptId ?? '',
        cause: 'no-answer',
      });
      expect(ofType(o, 'pauseAgent')).toHaveLength(0);
      r = ringsOf(o)[0];
    }
    expect(agentOf(acd, 'a1').missedInRow).toBe(10);
    answer(acd, r?.attemptId, 20);
    expect(agentOf(acd, 'a1').missedInRow).toBe(0);
  });
});

describe('the floor between rounds', () => {
  it('a round whose ring failed at once never starts the next round in the same event', () => {
    const acd = oneDepartment('longest-idle', 1, { maxMissedRings: 0, retryDelayS: 0 });
    const r1 = ringsOf(arrive(acd, 'c1'))[0];
    // The agent cannot be rung at all: the ring fails in the same instant.
    const o1 = acd.handle({
      type: 'ringFailed',
      at: at(0),
      attemptId: r1?.attemptId ?? '',
      cause: 'unreachable',
    });
    expect(ringsOf(o1)).toHaveLength(0);
    expect(o1.nextWakeUp).toBe(at(1));
    const o2 = acd.handle({ type: 'tick', at: at(1) });
    expect(ringsOf(o2).map((r) => r.attemptId)).toEqual(['c1/2']);
  });

  it('rings per agent per call stay at one per interval however fast rings fail', () => {
    const acd = oneDepartment('ring-all', 3, { maxMissedRings: 0, retryDelayS: 0 });
    let now = T0;
    const pending = ringsOf(arrive(acd, 'c1'));
    let rings = 0;
    // Ten seconds in steps of 10 ms: every ring fails the instant it starts.
    while (now < T0 + 10_000) {
      for (let r = pending.shift(); r; r = pending.shift()) {
        rings++;
        const out = acd.handle({
          type: 'ringFailed',
          at: now,
          attemptId: r.attemptId,
          cause: 'busy',
        });
        pending.push(...ringsOf(out));
      }
      now += 10;
      pending.push(...ringsOf(acd.handle({ type: 'tick', at: now })));
    }
    // Three agents, one round per second: 10 rounds in 10 s (plus the one at arrival).
    expect(rings).toBeLessThanOrEqual(3 * 11);
    expect(rings).toBeGreaterThanOrEqual(3 * 10);
  });

  it('the interval is an engine option; a longer retry delay still wins', () => {
    const custom = new AcdEngine(
      {
        departments: [defaultDepartment('d1', { maxMissedRings: 0, retryDelayS: 0 })],
        agents: [defaultAgent('a1')],
        memberships: [{ agentId: 'a1', departmentId: 'd1', priority: 1, callsEnabled: true }],
      },
      { now: T0, random: () => 0.5, minRoundIntervalMs: 5000 },
    );
    const r = ringsOf(arrive(custom, 'c1'))[0];
    const o = custom.handle({
      type: 'ringFailed',
      at: at(1),
      attemptId: r?.attemptId ?? '',
      cause: 'busy',
    });
    expect(o.nextWakeUp).toBe(at(5));
    const slow = oneDepartment('longest-idle', 1, { maxMissedRings: 0, retryDelayS: 30 });
    const s1 = ringsOf(arrive(slow, 'c1'))[0];
    const so = slow.handle({
      type: 'ringFailed',
      at: at(0),
      attemptId: s1?.attemptId ?? '',
      cause: 'busy',
    });
    expect(so.nextWakeUp).toBe(at(30));
  });
});

describe('ring outcomes and races', () => {
  it('cancels the rings when the caller hangs up and frees the agent', () => {
    const acd = oneDepartment('ring-all', 2);
    arrive(acd, 'c1');
    const out = acd.handle({ type: 'callerHungUp', at: at(3), callId: 'c1' });
    expect(ofType(out, 'cancelRing').map((c) => c.reason)).toEqual([
      'caller-hung-up',
      'caller-hung-up',
    ]);
    expect(ofType(out, 'callCompleted')[0]).toMatchObject({ outcome: 'abandoned', waitMs: 3000 });
    expect(agentOf(acd, 'a1').state).toBe('available');
    expect(deptOf(acd).stats.abandoned).toBe(1);
  });

  it('tells call control to drop an answer that arrives after the ring ended', () => {
    const acd = oneDepartment('longest-idle', 2, { ringTimeoutS: 5 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    acd.handle({ type: 'tick', at: at(5) });
    const out = answer(acd, r?.attemptId, 6);
    expect(out.actions).toEqual([{ type: 'dropLateAnswer', attemptId: r?.attemptId }]);
  });

  it('ignores a failure reported for a ring already ended', () => {
    const acd = oneDepartment('longest-idle', 2);
    const r = ringsOf(arrive(acd, 'c1'))[0];
    acd.handle({ type: 'callerHungUp', at: at(1), callId: 'c1' });
    const out = acd.handle({
      type: 'ringFailed',
      at: at(2),
      attemptId: r?.attemptId ?? '',
      cause: 'no-answer',
    });
    expect(out.actions).toEqual([]);
  });

  it('throws on a duplicate call id (a caller bug, not a SIP race)', () => {
    const acd = oneDepartment('longest-idle', 1);
    arrive(acd, 'c1');
    expect(() => arrive(acd, 'c1', 30)).toThrow(AcdInputError);
    // The refused event changed nothing: the ring timeout due at 20 s still fires on the next tick.
    const out = acd.handle({ type: 'tick', at: at(30) });
    expect(ofType(out, 'cancelRing').map((c) => c.reason)).toEqual(['timeout']);
  });

  it('accepts call control timing a ring out itself', () => {
    const acd = oneDepartment('longest-idle', 2, { ringTimeoutS: 30 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    const out = acd.handle({ type: 'ringTimedOut', at: at(25), attemptId: r?.attemptId ?? '' });
    expect(ofType(out, 'cancelRing')).toHaveLength(0); // call control already cancelled its legs
    expect(ringsOf(out)[0]?.agentId).toBe('a2');
    expect(agentOf(acd, 'a1').stats.missed).toBe(1);
  });
});
