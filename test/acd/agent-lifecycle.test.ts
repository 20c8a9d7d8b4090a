import { describe, expect, it } from 'vitest';
import { canTransition, IllegalAgentTransition } from '../../src/acd/index.ts';
import { checkAgentTransition } from '../../src/acd/model/agent-state.ts';
import { agentOf, arrive, ofType, oneDepartment, ringsOf, T0 } from './helpers.ts';

const at = (s: number) => T0 + s * 1000;

describe('agent transition table', () => {
  it('allows the life-cycle moves', () => {
    for (const [from, to] of [
      ['available', 'ringing'],
      ['ringing', 'onCall'],
      ['onCall', 'wrapUp'],
      ['wrapUp', 'available'],
      ['ringing', 'available'],
      ['break', 'available'],
      ['offline', 'available'],
    ] as const) {
      expect(canTransition(from, to), `${from} -> ${to}`).toBe(true);
    }
  });

  it('rejects illegal moves with an error naming them', () => {
    expect(() => checkAgentTransition('a1', 'offline', 'ringing')).toThrow(IllegalAgentTransition);
    expect(() => checkAgentTransition('a1', 'away', 'onCall')).toThrow(
      'agent a1: illegal transition away -> onCall',
    );
    expect(() => checkAgentTransition('a1', 'wrapUp', 'ringing')).toThrow(IllegalAgentTransition);
    expect(() => checkAgentTransition('a1', 'break', 'wrapUp')).toThrow(IllegalAgentTransition);
    expect(checkAgentTransition('a1', 'away', 'away')).toBe(false);
  });
});

describe('agent life-cycle', () => {
  it('goes available -> ringing -> onCall -> wrapUp -> available', () => {
    const acd = oneDepartment('longest-idle', 1, { wrapUpS: 30 });
    const out1 = arrive(acd, 'c1');
    const r = ringsOf(out1)[0];
    const out2 = acd.handle({ type: 'agentAnswered', at: at(3), attemptId: r?.attemptId ?? '' });
    const out3 = acd.handle({ type: 'callEnded', at: at(60), callId: 'c1' });
    expect(out3.nextWakeUp).toBe(at(90));
    expect(agentOf(acd, 'a1').state).toBe('wrapUp');
    const out4 = acd.handle({ type: 'tick', at: at(90) });
    const moves = [out1, out2, out3, out4]
      .flatMap((o) => ofType(o, 'agentStateChanged'))
      .map((m) => `${m.from}>${m.to}`);
    expect(moves).toEqual([
      'available>ringing',
      'ringing>onCall',
      'onCall>wrapUp',
      'wrapUp>available',
    ]);
  });

  it('is not offered calls during wrap-up, and can end wrap-up early', () => {
    const acd = oneDepartment('longest-idle', 1, { wrapUpS: 30 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    acd.handle({ type: 'agentAnswered', at: at(1), attemptId: r?.attemptId ?? '' });
    acd.handle({ type: 'callEnded', at: at(10), callId: 'c1' });
    expect(ringsOf(arrive(acd, 'c2', 11))).toHaveLength(0);
    const out = acd.handle({ type: 'wrapUpEnded', at: at(15), agentId: 'a1' });
    expect(ringsOf(out).map((x) => x.callId)).toEqual(['c2']);
  });

  it('comes back from a break by itself at its end time', () => {
    const acd = oneDepartment('longest-idle', 1);
    acd.handle({
      type: 'agentStatusChanged',
      at: at(0),
      agentId: 'a1',
      status: 'break',
      until: at(600),
    });
    expect(agentOf(acd, 'a1').state).toBe('break');
    const waiting = arrive(acd, 'c1', 10);
    expect(ringsOf(waiting)).toHaveLength(0);
    expect(waiting.nextWakeUp).toBe(at(600));
    const out = acd.handle({ type: 'tick', at: at(600) });
    expect(agentOf(acd, 'a1').state).toBe('ringing');
    expect(ringsOf(out).map((x) => x.agentId)).toEqual(['a1']);
  });

  it('applies a status chosen while ringing or on a call when that ends', () => {
    const acd = oneDepartment('longest-idle', 2, { wrapUpS: 0 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    acd.handle({
      type: 'agentStatusChanged',
      at: at(1),
      agentId: 'a1',
      status: 'break',
      until: null,
    });
    expect(agentOf(acd, 'a1').state).toBe('ringing');
    acd.handle({ type: 'agentAnswered', at: at(2), attemptId: r?.attemptId ?? '' });
    expect(agentOf(acd, 'a1').state).toBe('onCall');
    acd.handle({ type: 'agentStatusChanged', at: at(3), agentId: 'a1', status: 'offline' });
    expect(agentOf(acd, 'a1').state).toBe('onCall');
    // No further offers meanwhile: the next call goes to a2.
    expect(ringsOf(arrive(acd, 'c2', 4))[0]?.agentId).toBe('a2');
    acd.handle({ type: 'callEnded', at: at(50), callId: 'c1' });
    expect(agentOf(acd, 'a1').state).toBe('offline');
  });

  it('applies a status chosen while ringing when the ring is missed', () => {
    const acd = oneDepartment('longest-idle', 1, { maxMissedRings: 0 });
    const r = ringsOf(arrive(acd, 'c1'))[0];
    acd.handle({ type: 'agentStatusChanged', at: at(1), agentId: 'a1', status: 'away' });
    acd.handle({
      type: 'ringFailed',
      at: at(2),
      attemptId: r?.attemptId ?? '',
      cause: 'no-answer',
    });
    expect(agentOf(acd, 'a1').state).toBe('away');
  });

  it('is not offered calls when unreachable, and is when a device registers', () => {
    const acd = oneDepartment('longest-idle', 1);
    acd.handle({ type: 'agentDevicesChanged', at: at(0), agentId: 'a1', registeredDevices: 0 });
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'a1', status: 'away' });
    acd.handle({ type: 'agentStatusChanged', at: at(0), agentId: 'a1', status: 'available' });
    // Logged in (status) but unreachable counts as not logged in: no-agent applies.
    expect(ofType(arrive(acd, 'c1', 1), 'reject')[0]?.reason).toBe('no-agent');
    acd.handle({ type: 'agentDevicesChanged', at: at(2), agentId: 'a1', registeredDevices: 1 });
    expect(ringsOf(arrive(acd, 'c2', 3))[0]?.agentId).toBe('a1');
  });
});
