import { describe, expect, it } from 'vitest';
import { Bridge } from '../../../src/calls/bridge/bridge.ts';
import { flush, ManualScheduler } from './support/manual-scheduler.ts';
import { SipFailure, StandInDialog } from './support/sip-standins.ts';

function setup() {
  const clock = new ManualScheduler();
  const caller = new StandInDialog('v=0 caller');
  const agent = new StandInDialog('v=0 agent');
  const bridge = new Bridge(caller, agent, clock);
  const ends: string[] = [];
  bridge.onEnded((e) => ends.push(`${e.by}:${e.reason}`));
  return { caller, agent, bridge, ends };
}

describe('Bridge', () => {
  it('a BYE from the caller ends the agent leg once', async () => {
    const { caller, agent, bridge, ends } = setup();
    caller.peerBye();
    await bridge.closed;
    expect(agent.byes).toBe(1);
    expect(caller.byes).toBe(0);
    expect(ends).toEqual(['caller:BYE']);
    expect(bridge.state).toBe('ended');
  });

  it('a BYE from the agent ends the caller leg once', async () => {
    const { caller, agent, bridge, ends } = setup();
    agent.peerBye();
    await bridge.closed;
    expect(caller.byes).toBe(1);
    expect(agent.byes).toBe(0);
    expect(ends).toEqual(['agent:BYE']);
  });

  it('both sides hanging up at once (BYEs crossing): one BYE at most per leg, one end', async () => {
    const { caller, agent, bridge, ends } = setup();
    caller.peerBye();
    agent.peerBye();
    await bridge.closed;
    expect(caller.byes).toBe(0);
    expect(agent.byes).toBe(1);
    expect(ends).toEqual(['caller:BYE']);
  });

  it('hangUp ends both legs', async () => {
    const { caller, agent, bridge, ends } = setup();
    bridge.hangUp('shutting down');
    bridge.hangUp('twice');
    await bridge.closed;
    expect([caller.byes, agent.byes]).toEqual([1, 1]);
    expect(ends).toEqual(['system:shutting down']);
  });

  it('passes a re-INVITE from the caller to the agent and returns the agent answer', async () => {
    const { caller, agent } = setup();
    agent.modifyAnswer = 'v=0 agent on hold answer';
    const reply = await caller.peerReinvite('v=0 caller sendonly');
    expect(agent.modifies).toEqual(['v=0 caller sendonly']);
    expect(reply).toEqual({ ok: true, sdp: 'v=0 agent on hold answer' });
  });

  it('passes a re-INVITE from the agent to the caller; a refusal comes back with its status', async () => {
    const { caller, agent } = setup();
    caller.modifyAnswer = new SipFailure(488);
    const reply = await agent.peerReinvite('v=0 new codec');
    expect(caller.modifies).toEqual(['v=0 new codec']);
    expect(reply).toEqual({ ok: false, status: 488 });
  });

  it('refuses a re-INVITE once the call is ending', async () => {
    const { caller, agent } = setup();
    agent.peerBye();
    await flush();
    const reply = await caller.peerReinvite('v=0');
    expect(reply).toEqual({ ok: false, status: 481 });
  });
});
