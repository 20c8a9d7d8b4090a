import { describe, expect, it } from 'vitest';
import {
  AcdConfigError,
  AcdEngine,
  AcdInputError,
  type DepartmentConfig,
  defaultAgent,
  defaultDepartment,
  type MembershipConfig,
  seededRandom,
  summarize,
} from '../../src/acd/index.ts';
import { agentOf, arrive, deptOf, ofType, oneDepartment, ringsOf, serve, T0 } from './helpers.ts';

const at = (s: number) => T0 + s * 1000;

/** Two departments; `members` maps agent -> departments. */
function twoDepartments(
  members: Record<string, string[]>,
  d1: Partial<DepartmentConfig> = {},
  d2: Partial<DepartmentConfig> = {},
) {
  const memberships: MembershipConfig[] = [];
  for (const [agentId, depts] of Object.entries(members)) {
    for (const departmentId of depts)
      memberships.push({ agentId, departmentId, priority: 50, callsEnabled: true });
  }
  return new AcdEngine(
    {
      departments: [defaultDepartment('d1', d1), defaultDepartment('d2', d2)],
      agents: Object.keys(members).map((id) => defaultAgent(id)),
      memberships,
    },
    { now: T0, random: seededRandom(3) },
  );
}

function answer(acd: AcdEngine, attemptId: string | undefined, s: number) {
  return acd.handle({ type: 'agentAnswered', at: at(s), attemptId: attemptId ?? '' });
}

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

describe('queue limits', () => {
  it('overflows a call that waited the maximum to the target department', () => {
    const acd = twoDepartments(
      { a1: ['d1'], b1: ['d2'] },
      { maxWaitS: 60, maxWaitAction: { kind: 'overflow', departmentId: 'd2' } },
    );
    answer(acd, ringsOf(arrive(acd, 'busy'))[0]?.attemptId, 0);
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'b1', status: 'away' });
    expect(arrive(acd, 'c1', 1).nextWakeUp).toBe(at(61));
    acd.handle({ type: 'agentStatusChanged', at: at(30), agentId: 'b1', status: 'available' });
    const out = acd.handle({ type: 'tick', at: at(61) });
    expect(ofType(out, 'overflow')).toEqual([
      {
        type: 'overflow',
        callId: 'c1',
        fromDepartmentId: 'd1',
        toDepartmentId: 'd2',
        reason: 'max-wait',
      },
    ]);
    expect(ringsOf(out).map((r) => [r.callId, r.agentId])).toEqual([['c1', 'b1']]);
    expect(deptOf(acd, 'd1').stats.overflowedOut).toBe(1);
  });

  it('cancels the ring in progress when the maximum wait is reached, then gives up', () => {
    const acd = oneDepartment('longest-idle', 1, {
      maxWaitS: 10,
      ringTimeoutS: 30,
      maxWaitAction: { kind: 'voicemail' },
    });
    arrive(acd, 'c1');
    const out = acd.handle({ type: 'tick', at: at(10) });
    expect(out.actions.map((a) => a.type)).toEqual([
      'cancelRing',
      'agentStateChanged',
      'reject',
      'callCompleted',
    ]);
    expect(ofType(out, 'reject')[0]).toEqual({
      type: 'reject',
      callId: 'c1',
      reason: 'max-wait',
      exit: { kind: 'voicemail' },
    });
  });

  it('refuses callers beyond the maximum queue length', () => {
    const acd = oneDepartment('longest-idle', 1, {
      maxQueueLength: 2,
      queueFullAction: { kind: 'forward', number: '+4930123' },
    });
    arrive(acd, 'c1');
    arrive(acd, 'c2', 1);
    const out = arrive(acd, 'c3', 2);
    expect(ofType(out, 'reject')).toEqual([
      {
        type: 'reject',
        callId: 'c3',
        reason: 'queue-full',
        exit: { kind: 'forward', number: '+4930123' },
      },
    ]);
  });

  it('applies the no-agent action at once when nobody is logged in', () => {
    const acd = oneDepartment('longest-idle', 1, { noAgentAction: { kind: 'hangup' } });
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'a1', status: 'offline' });
    const out = arrive(acd, 'c1', 1);
    expect(ofType(out, 'reject')[0]).toMatchObject({
      reason: 'no-agent',
      exit: { kind: 'hangup' },
    });
    expect(ofType(out, 'callCompleted')[0]).toMatchObject({
      outcome: 'rejected',
      reason: 'no-agent',
    });
  });

  it('waits while agents are only paused, and applies no-agent when the last one logs out', () => {
    const acd = oneDepartment('longest-idle', 1);
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'a1', status: 'away' });
    expect(ofType(arrive(acd, 'c1', 1), 'reject')).toHaveLength(0);
    const out = acd.handle({
      type: 'agentStatusChanged',
      at: at(5),
      agentId: 'a1',
      status: 'offline',
    });
    expect(ofType(out, 'reject')[0]).toMatchObject({ callId: 'c1', reason: 'no-agent' });
  });

  it('refuses an overflow loop', () => {
    const acd = twoDepartments(
      { a1: ['d1'], b1: ['d2'] },
      { noAgentAction: { kind: 'overflow', departmentId: 'd2' } },
      { noAgentAction: { kind: 'overflow', departmentId: 'd1' } },
    );
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'a1', status: 'offline' });
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'b1', status: 'offline' });
    const out = arrive(acd, 'c1', 1);
    expect(
      out.actions.filter((a) => a.type === 'overflow' || a.type === 'reject').map((a) => a.type),
    ).toEqual(['overflow', 'reject']);
    expect(ofType(out, 'reject')[0]?.reason).toBe('overflow-loop');
  });

  it('rejects a call for an unknown department', () => {
    const acd = oneDepartment('longest-idle', 1);
    expect(ofType(arrive(acd, 'c1', 0, { dept: 'nope' }), 'reject')[0]?.reason).toBe(
      'unknown-department',
    );
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
});

describe('configuration changes', () => {
  it('apply to the next decision without a restart', () => {
    const acd = oneDepartment('longest-idle', 1);
    answer(acd, ringsOf(arrive(acd, 'busy'))[0]?.attemptId, 0);
    arrive(acd, 'c1', 1);
    const out = acd.handle({
      type: 'configChanged',
      at: at(2),
      changes: {
        agents: [defaultAgent('new')],
        memberships: [{ agentId: 'new', departmentId: 'd1', priority: 1, callsEnabled: true }],
      },
    });
    expect(ringsOf(out).map((r) => [r.callId, r.agentId])).toEqual([['c1', 'new']]);
  });

  it('switches strategy and honours the calls-off toggle', () => {
    const acd = oneDepartment('longest-idle', 3, {}, { priorities: [9, 1, 5] });
    acd.handle({
      type: 'configChanged',
      at: at(0),
      changes: {
        departments: [defaultDepartment('d1', { strategy: 'priority' })],
        memberships: [{ agentId: 'a2', departmentId: 'd1', priority: 1, callsEnabled: false }],
      },
    });
    const r = ringsOf(arrive(acd, 'c1', 1))[0];
    expect(r?.agentId).toBe('a3');
    expect(r?.decision?.skipped).toContainEqual({ agentId: 'a2', reason: 'calls-off' });
  });

  it('removes a ringing agent and rolls the call over', () => {
    const acd = oneDepartment('longest-idle', 2);
    arrive(acd, 'c1');
    const out = acd.handle({
      type: 'configChanged',
      at: at(1),
      changes: { removedAgents: ['a1'] },
    });
    expect(ofType(out, 'cancelRing')[0]?.reason).toBe('agent-removed');
    expect(ringsOf(out).map((r) => r.agentId)).toEqual(['a2']);
  });

  it('rejects invalid values naming the field', () => {
    expect(() => oneDepartment('longest-idle', 1, {}, { priorities: [0] })).toThrow(
      /priority must be an integer 1..100/,
    );
    expect(() => oneDepartment('longest-idle', 1, { timeZone: 'Mars/Base' })).toThrow(
      AcdConfigError,
    );
    expect(() =>
      oneDepartment('longest-idle', 1, {
        businessHours: [{ day: 1, open: '18:00', close: '09:00' }],
      }),
    ).toThrow(/close before they open/);
  });
});

describe('multi-call agents and removals', () => {
  it('offers a second call below the maximum and wraps up after the last one', () => {
    const acd = new AcdEngine(
      {
        departments: [defaultDepartment('d1', { wrapUpS: 20 })],
        agents: [defaultAgent('a1', { maxConcurrentCalls: 2 })],
        memberships: [{ agentId: 'a1', departmentId: 'd1', priority: 50, callsEnabled: true }],
      },
      { now: T0, random: seededRandom(1) },
    );
    answer(acd, ringsOf(arrive(acd, 'c1'))[0]?.attemptId, 0);
    const r2 = ringsOf(arrive(acd, 'c2', 1))[0];
    expect(r2?.agentId).toBe('a1');
    expect(ringsOf(arrive(acd, 'c3', 2))).toHaveLength(0); // one offer at a time
    answer(acd, r2?.attemptId, 3);
    expect(agentOf(acd, 'a1')).toMatchObject({ state: 'onCall', activeCalls: 2 });
    acd.handle({ type: 'callEnded', at: at(10), callId: 'c1' });
    // Back below the maximum: c3 is offered while c2 goes on; no wrap-up yet.
    expect(agentOf(acd, 'a1')).toMatchObject({ state: 'ringing', activeCalls: 1 });
    acd.handle({ type: 'callerHungUp', at: at(11), callId: 'c3' });
    acd.handle({ type: 'callEnded', at: at(12), callId: 'c2' });
    expect(agentOf(acd, 'a1')).toMatchObject({ state: 'wrapUp', wrapUpUntil: at(32) });
  });

  it('rejects the waiting calls of a removed department and frees its agents', () => {
    const acd = twoDepartments({ a1: ['d1', 'd2'] });
    arrive(acd, 'c1'); // rings a1
    arrive(acd, 'c2', 1);
    const out = acd.handle({
      type: 'configChanged',
      at: at(2),
      changes: { removedDepartments: ['d1'] },
    });
    expect(ofType(out, 'cancelRing').map((c) => c.reason)).toEqual(['department-removed']);
    expect(ofType(out, 'reject').map((r) => [r.callId, r.reason])).toEqual([
      ['c1', 'department-removed'],
      ['c2', 'department-removed'],
    ]);
    expect(ringsOf(arrive(acd, 'c3', 3, { dept: 'd2' }))[0]?.agentId).toBe('a1');
  });

  it('accepts call control timing a ring out itself', () => {
    const acd = oneDepartment('longest-idle', 2, { ringTimeoutS: 30 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    const out = acd.handle({ type: 'ringTimedOut', at: at(25), attemptId: r?.attemptId ?? '' });
    expect(ofType(out, 'cancelRing')).toHaveLength(0); // call control already cancelled its legs
    expect(ringsOf(out)[0]?.agentId).toBe('a2');
    expect(agentOf(acd, 'a1').stats.missed).toBe(1);
  });

  it('starts agents from the stored status, including a break that is already over', () => {
    const acd = new AcdEngine(
      {
        departments: [defaultDepartment('d1')],
        agents: [
          defaultAgent('onbreak', { status: 'break', statusUntil: at(60) }),
          defaultAgent('over', { status: 'break', statusUntil: at(-60) }),
          defaultAgent('mobile', {
            forwarding: 'mobile',
            mobileNumber: '+491701234',
            registeredDevices: 0,
          }),
        ],
        memberships: ['onbreak', 'over', 'mobile'].map((agentId) => ({
          agentId,
          departmentId: 'd1',
          priority: 50,
          callsEnabled: true,
        })),
      },
      { now: T0, random: seededRandom(1) },
    );
    expect(agentOf(acd, 'onbreak').state).toBe('break');
    expect(agentOf(acd, 'over').state).toBe('available');
    expect(agentOf(acd, 'mobile')).toMatchObject({ state: 'available', reachable: true });
    acd.handle({ type: 'tick', at: at(60) });
    expect(agentOf(acd, 'onbreak').state).toBe('available');
  });
});

describe('configuration validation', () => {
  it('checks a whole change before applying any of it', () => {
    const acd = oneDepartment('longest-idle', 1);
    expect(() =>
      acd.handle({
        type: 'configChanged',
        at: at(1),
        changes: {
          agents: [defaultAgent('x')],
          memberships: [{ agentId: 'x', departmentId: 'missing', priority: 5, callsEnabled: true }],
        },
      }),
    ).toThrow('membership: unknown department missing');
    expect(acd.snapshot().agents.map((a) => a.id)).toEqual(['a1']);
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
