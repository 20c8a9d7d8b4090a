import { describe, expect, it } from 'vitest';
import {
  AcdConfigError,
  AcdEngine,
  defaultAgent,
  defaultDepartment,
  seededRandom,
} from '../../src/acd/index.ts';
import {
  agentOf,
  answer,
  arrive,
  at,
  ofType,
  oneDepartment,
  ringsOf,
  T0,
  twoDepartments,
} from './helpers.ts';

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
