import { describe, expect, it } from 'vitest';
import {
  callConnected,
  callFinished,
  callRinging,
  callRingsEnded,
  IllegalCallTransition,
  QUEUED,
} from '../../src/acd/engine/call-state.ts';
import type { AgentRec, AttemptRec, CallRec } from '../../src/acd/routing/records.ts';

/** Only the fields the call's state machine reads. */
function call(): CallRec {
  return { id: 'c1', state: QUEUED, attempts: new Map() } as unknown as CallRec;
}
const agent = { id: 'a1' } as AgentRec;
const attempt = {} as AttemptRec;

describe('call state', () => {
  it('goes queued -> ringing -> queued -> ringing -> connected -> ended', () => {
    const c = call();
    c.attempts.set('c1/1', attempt);
    callRinging(c);
    expect(c.state.name).toBe('ringing');
    c.attempts.clear();
    callRingsEnded(c);
    expect(c.state.name).toBe('queued');
    c.attempts.set('c1/2', attempt);
    callRinging(c);
    callConnected(c, agent, 5);
    expect(c.state).toEqual({ name: 'connected', agent, answeredAt: 5 });
    callFinished(c);
    expect(c.state.name).toBe('ended');
  });

  it('stays ringing while another ring of the call is outstanding (ring-all)', () => {
    const c = call();
    c.attempts.set('c1/1', attempt);
    c.attempts.set('c1/2', attempt);
    callRinging(c);
    callRinging(c);
    c.attempts.delete('c1/1');
    callRingsEnded(c);
    expect(c.state.name).toBe('ringing');
  });

  it('a queued call ends without ringing (abandoned, rejected)', () => {
    const c = call();
    callFinished(c);
    expect(c.state.name).toBe('ended');
  });

  it('rejects moves not in the table with an error naming them', () => {
    const c = call();
    expect(() => callConnected(c, agent, 1)).toThrow(IllegalCallTransition);
    expect(() => callConnected(c, agent, 1)).toThrow(
      'call c1: illegal transition queued -> connected',
    );
    c.attempts.set('c1/1', attempt);
    callRinging(c);
    expect(() => callFinished(c)).toThrow('call c1: illegal transition ringing -> ended');
    callConnected(c, agent, 1);
    expect(() => callRinging(c)).toThrow('call c1: illegal transition connected -> ringing');
    callFinished(c);
    expect(() => callFinished(c)).toThrow('call c1: illegal transition ended -> ended');
  });
});
