/**
 * Anchoring a connected call on demand, step by step: a real `Bridge` over
 * stand-in dialogs and a stand-in media server, so that every refusal, the
 * put-back, glare and a call ending half-way can be driven and what is
 * released counted. The end-to-end tests (test/app/recording-on-demand.test.ts)
 * run the same code against sipp and the embedded servers.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type AnchorEndpoint, PARKED_OFFER } from '../../../src/calls/anchor/anchor-endpoint.ts';
import { Anchors } from '../../../src/calls/anchor/anchors.ts';
import { Bridge } from '../../../src/calls/bridge/bridge.ts';
import { silentLogger } from '../../../src/calls/ports/index.ts';
import { flush, ManualScheduler } from '../flow/support/manual-scheduler.ts';
import { SipFailure, StandInDialog } from '../flow/support/sip-standins.ts';

class FakeEndpoint extends EventEmitter implements AnchorEndpoint {
  static seq = 0;
  readonly uuid = `ep-${++FakeEndpoint.seq}`;
  readonly local = { sdp: `v=0 endpoint ${this.uuid}` };
  offeredWith: string | undefined;
  apis: string[] = [];
  modifies: string[] = [];
  destroys = 0;

  async play(): Promise<unknown> {
    return {};
  }
  async api(command: string, args: string | string[]): Promise<unknown> {
    this.apis.push(`${command} ${Array.isArray(args) ? args.join(' ') : args}`);
    return { getBody: () => '+OK\n' };
  }
  async set(): Promise<unknown> {
    return undefined;
  }
  async modify(sdp: string): Promise<unknown> {
    this.modifies.push(sdp);
    return `v=0 ${this.uuid} answers`;
  }
  async destroy(): Promise<unknown> {
    this.destroys += 1;
    return {};
  }
}

/** A dialog whose re-INVITE we send waits until `release()` (to interleave events with it). */
class GatedDialog extends StandInDialog {
  #open: (() => void) | null = null;
  gated = false;
  override async modify(offer: string): Promise<string> {
    if (this.gated) await new Promise<void>((res) => (this.#open = res));
    return super.modify(offer);
  }
  release(): void {
    this.#open?.();
  }
}

function setup() {
  const scheduler = new ManualScheduler();
  const endpoints: FakeEndpoint[] = [];
  const anchors = new Anchors({
    media: () => ({
      async createEndpoint(opts?: { remoteSdp?: string }) {
        const ep = new FakeEndpoint();
        ep.offeredWith = opts?.remoteSdp;
        endpoints.push(ep);
        return ep;
      },
    }),
    scheduler,
    logger: silentLogger,
  });
  const caller = new GatedDialog('v=0 caller');
  const agent = new GatedDialog('v=0 agent');
  const bridge = new Bridge(caller, agent, scheduler);
  return { anchors, endpoints, caller, agent, bridge };
}

describe('anchoring a connected call on demand', () => {
  it('moves the agent, then the caller, to fresh parked endpoints, bridges them and registers the call; re-INVITEs are then answered by each side’s endpoint', async () => {
    const { anchors, endpoints, caller, agent, bridge } = setup();
    expect(await anchors.anchorConnected('c1', bridge)).toEqual({ kind: 'anchored' });
    const [b, a] = endpoints;
    expect(endpoints.map((e) => e.offeredWith)).toEqual([PARKED_OFFER, PARKED_OFFER]);
    expect(agent.modifies).toEqual([b!.local.sdp]);
    expect(caller.modifies).toEqual([a!.local.sdp]);
    expect(b!.modifies).toEqual(['v=0 answer']);
    expect(a!.apis).toEqual([`uuid_bridge ${a!.uuid} ${b!.uuid}`]);
    expect(anchors.calls.isAnchored('c1')).toBe(true);
    expect(anchors.openEndpoints).toBe(2);
    expect(bridge.mediaPath).toBe('anchored');
    // Asking again changes nothing.
    expect(await anchors.anchorConnected('c1', bridge)).toEqual({ kind: 'anchored' });
    expect(endpoints).toHaveLength(2);

    // The caller puts the call on hold: its endpoint answers, the agent hears nothing of it.
    expect(await caller.peerReinvite('v=0 hold')).toEqual({
      ok: true,
      sdp: `v=0 ${a!.uuid} answers`,
    });
    expect(a!.modifies.at(-1)).toBe('v=0 hold');
    expect(agent.modifies).toHaveLength(1);

    caller.peerBye();
    await bridge.closed;
    await flush();
    expect([a!.destroys, b!.destroys]).toEqual([1, 1]);
    expect(anchors.openEndpoints).toBe(0);
    expect(anchors.calls.size).toBe(0);
    expect(agent.byes).toBe(1);
  });

  it('the caller refusing puts the agent back on the caller’s SDP; 502 material, both endpoints released once, the call goes on', async () => {
    const { anchors, endpoints, caller, agent, bridge } = setup();
    caller.modifyAnswer = new SipFailure(488);
    const result = await anchors.anchorConnected('c1', bridge);
    expect(result).toEqual({
      kind: 'failed',
      reason: "the caller's phone refused the re-INVITE (488)",
    });
    expect(agent.modifies).toEqual([endpoints[0]!.local.sdp, 'v=0 caller']);
    expect(endpoints.map((e) => e.destroys)).toEqual([1, 1]);
    expect(anchors.openEndpoints).toBe(0);
    expect(anchors.calls.isAnchored('c1')).toBe(false);
    expect(bridge.state).toBe('connected');
    expect(bridge.mediaPath).toBe('direct');
    // Re-INVITEs pass between the legs again.
    expect((await caller.peerReinvite('v=0 codec change')).ok).toBe(true);
    expect(agent.modifies.at(-1)).toBe('v=0 codec change');
    caller.peerBye();
    await bridge.closed;
    await flush();
    expect(endpoints.map((e) => e.destroys)).toEqual([1, 1]);
  });

  it('the agent refusing needs no put-back: one endpoint made and released, the caller never re-INVITEd', async () => {
    const { anchors, endpoints, caller, agent, bridge } = setup();
    agent.modifyAnswer = new SipFailure(488);
    expect(await anchors.anchorConnected('c1', bridge)).toEqual({
      kind: 'failed',
      reason: "the agent's phone refused the re-INVITE (488)",
    });
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0]!.destroys).toBe(1);
    expect(caller.modifies).toEqual([]);
    expect(bridge.state).toBe('connected');
  });

  it('a leg that cannot be put back ends the call (no media path is left)', async () => {
    const { anchors, caller, agent, bridge } = setup();
    caller.modifyAnswer = new SipFailure(488);
    let agentReinvites = 0;
    const modify = agent.modify.bind(agent);
    agent.modify = async (offer: string) => {
      agentReinvites += 1;
      if (agentReinvites === 2) throw new SipFailure(500);
      return modify(offer);
    };
    expect(await anchors.anchorConnected('c1', bridge)).toEqual({
      kind: 'failed',
      reason:
        "the caller's phone refused the re-INVITE (488); the call could not be restored and was ended",
    });
    expect(bridge.ended?.reason).toBe('media could not be restored');
    await bridge.closed;
    await flush();
    expect(anchors.openEndpoints).toBe(0);
    expect([caller.byes, agent.byes]).toEqual([1, 1]);
  });

  it('a peer re-INVITE while the call is being moved is answered 491 (glare)', async () => {
    const { anchors, agent, caller, bridge } = setup();
    agent.gated = true;
    const moving = anchors.anchorConnected('c1', bridge);
    await flush();
    expect(await caller.peerReinvite('v=0 hold')).toEqual({ ok: false, status: 491 });
    // A second start meanwhile waits for the same move.
    const again = anchors.anchorConnected('c1', bridge);
    agent.release();
    expect(await moving).toEqual({ kind: 'anchored' });
    expect(await again).toEqual({ kind: 'anchored' });
    caller.peerBye();
    await bridge.closed;
    await flush();
    expect(anchors.openEndpoints).toBe(0);
  });

  it('the call ending half-way: not-connected, nothing put back, every endpoint released once', async () => {
    const { anchors, endpoints, agent, caller, bridge } = setup();
    agent.gated = true;
    const moving = anchors.anchorConnected('c1', bridge);
    await flush();
    caller.peerBye();
    agent.release();
    expect(await moving).toEqual({ kind: 'not-connected' });
    await bridge.closed;
    await flush();
    expect(agent.modifies).toHaveLength(1);
    expect(endpoints.map((e) => e.destroys)).toEqual([1]);
    expect(anchors.openEndpoints).toBe(0);
    expect(anchors.calls.size).toBe(0);
  });

  it('the media server ending an endpoint of an anchored call ends the call', async () => {
    const { anchors, endpoints, caller, agent, bridge } = setup();
    await anchors.anchorConnected('c1', bridge);
    endpoints[0]!.emit('destroy', { reason: 'MEDIA_TIMEOUT' });
    expect(bridge.ended?.reason).toBe('media server: MEDIA_TIMEOUT');
    await bridge.closed;
    await flush();
    expect([caller.byes, agent.byes]).toEqual([1, 1]);
    // The one the media server ended is not destroyed again.
    expect(endpoints.map((e) => e.destroys)).toEqual([0, 1]);
    expect(anchors.openEndpoints).toBe(0);
  });

  it('a call without a bridge in `direct` media is not moved', async () => {
    const { anchors, bridge } = setup();
    bridge.hangUp('over');
    expect(await anchors.anchorConnected('c1', bridge)).toEqual({ kind: 'not-connected' });
  });
});
