import { describe, expect, it } from 'vitest';
import {
  answer,
  arrive,
  at,
  deptOf,
  ofType,
  oneDepartment,
  ringsOf,
  twoDepartments,
} from './helpers.ts';

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
