/**
 * Anchoring a connected call on demand: a call whose caller and agent talk
 * directly (the caller was re-INVITEd with the agent's SDP) is moved into
 * the media server so that it can be recorded (`POST /api/calls/:id/recording`).
 *
 * ```
 *   direct ──anchor()──▶ moving ──both legs moved, endpoints bridged──▶ anchored
 *                          │ a leg refused / the media server failed:
 *                          │ the legs already moved are put back, endpoints released
 *                          ▼
 *                        direct
 * ```
 *
 * Each leg gets a fresh endpoint, made with the parked offer
 * (`PARKED_OFFER`), so it never sends to itself before it knows its peer;
 * the endpoint's answer is the leg's new offer (re-INVITE), and the leg's
 * answer is given to the endpoint (`modify`). The agent's leg is moved
 * first, then the caller's; then the endpoints are bridged (`uuid_bridge`)
 * and the caller's endpoint is handed to `AnchoredCalls` like that of an
 * anchored call, so recording is the same from there on (stereo: the caller
 * left, the agent right).
 *
 * A leg that refuses the re-INVITE keeps its old media: the other leg, if
 * already moved, is re-INVITEd back with the refusing leg's SDP, and the call
 * goes on as before. A call whose legs cannot be put back is hung up: talking
 * into an endpoint nobody is bridged to is worse than a clear end.
 *
 * Both endpoints belong to `HeldEndpoint`s counted by `Anchors` and are
 * released once, on failure or when the bridge closes (either side's BYE),
 * whichever comes first; the media server ending one ends the call. The
 * bridge's re-INVITEs follow the media path (`Bridge.setMediaPath`).
 */
import type { Bridge } from '../bridge/bridge.ts';
import type { Logger } from '../ports/index.ts';
import type { CallDialog } from '../sip/sip.ts';
import { sipStatusOf } from '../sip/sip-failure.ts';
import {
  type AnchorMediaServer,
  bridgeEndpoints,
  type EndpointCount,
  HeldEndpoint,
  PARKED_OFFER,
  renegotiate,
} from './anchor-endpoint.ts';
import type { AnchoredCalls } from './call-recording.ts';

export type OnDemandResult =
  /** The call's media passes through the media server now (also when it already did). */
  | { kind: 'anchored' }
  /** No connected bridge for this call (still queued, ending, or a callback). */
  | { kind: 'not-connected' }
  /** A leg refused the re-INVITE, or the media server failed; the call goes on as before. */
  | { kind: 'failed'; reason: string };

export interface OnDemandHost {
  media(): AnchorMediaServer | null;
  count: EndpointCount;
  calls: AnchoredCalls;
  logger: Logger;
}

type LegName = 'agent' | 'caller';

/** A leg refused our re-INVITE (its status when it sent one). */
class LegRefused extends Error {
  override name = 'LegRefused';
  constructor(
    readonly leg: LegName,
    readonly status: number | null,
  ) {
    super(`the ${leg}'s phone refused the re-INVITE${status ? ` (${status})` : ''}`);
  }
}

export class OnDemandAnchors {
  /** Anchorings under way, by call: a second request waits for the first. */
  readonly #moving = new Map<string, Promise<OnDemandResult>>();

  constructor(private readonly host: OnDemandHost) {}

  anchor(callId: string, bridge: Bridge): Promise<OnDemandResult> {
    if (this.host.calls.isAnchored(callId)) return Promise.resolve({ kind: 'anchored' });
    const under = this.#moving.get(callId);
    if (under) return under;
    if (bridge.state !== 'connected' || bridge.mediaPath !== 'direct') {
      return Promise.resolve({ kind: 'not-connected' });
    }
    const run = this.#anchor(callId, bridge).finally(() => this.#moving.delete(callId));
    this.#moving.set(callId, run);
    return run;
  }

  async #anchor(callId: string, bridge: Bridge): Promise<OnDemandResult> {
    const media = this.host.media();
    if (!media) return { kind: 'failed', reason: 'no media server is connected' };
    const log = this.host.logger;
    bridge.setMediaPath({ kind: 'moving' });
    const held: HeldEndpoint[] = [];
    // Whatever happens below, nothing outlives the call.
    void bridge.closed.then(() => Promise.all(held.map((h) => h.release())));
    const moved = new Set<LegName>();
    try {
      const b = await this.#endpoint(media, held, `${callId} agent (on demand)`);
      await this.#move(bridge, 'agent', b, moved);
      const a = await this.#endpoint(media, held, `${callId} caller (on demand)`);
      await this.#move(bridge, 'caller', a, moved);
      await bridgeEndpoints(a.endpoint, b.uuid);
      this.#stillConnected(bridge);
      bridge.setMediaPath({
        kind: 'anchored',
        caller: (offer) => renegotiate(a.endpoint, offer),
        agent: (offer) => renegotiate(b.endpoint, offer),
      });
      for (const h of [a, b]) h.onGone((reason) => bridge.hangUp(`media server: ${reason}`));
      this.host.calls.anchored(callId, a.endpoint, false);
      void bridge.closed.then(() => this.host.calls.ended(callId));
      log.info({ callId }, 'anchor: call moved into the media server on demand');
      return { kind: 'anchored' };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.warn({ callId, err, moved: [...moved] }, 'anchor on demand failed; the call goes on');
      const restored = await this.#putBack(bridge, moved, callId);
      bridge.setMediaPath({ kind: 'direct' });
      await Promise.all(held.map((h) => h.release()));
      if (!restored)
        return {
          kind: 'failed',
          reason: `${reason}; the call could not be restored and was ended`,
        };
      if (bridge.state !== 'connected') return { kind: 'not-connected' };
      return { kind: 'failed', reason };
    }
  }

  /** A fresh endpoint that has answered the parked offer, held from now on. */
  async #endpoint(
    media: AnchorMediaServer,
    held: HeldEndpoint[],
    label: string,
  ): Promise<HeldEndpoint> {
    const ep = await media.createEndpoint({ remoteSdp: PARKED_OFFER });
    const h = new HeldEndpoint(ep, this.host.count, this.host.logger, label);
    held.push(h);
    return h;
  }

  /** Re-INVITEs one leg towards its endpoint and gives the endpoint the leg's answer. */
  async #move(bridge: Bridge, leg: LegName, h: HeldEndpoint, moved: Set<LegName>): Promise<void> {
    this.#stillConnected(bridge);
    const dialog = bridge[leg];
    let answer: string;
    try {
      answer = await dialog.modify(h.endpoint.local.sdp);
    } catch (err) {
      throw new LegRefused(leg, sipStatusOf(err));
    }
    moved.add(leg);
    this.#stillConnected(bridge);
    await h.endpoint.modify(answer);
  }

  /**
   * Gives the moved legs their peer's SDP again (the caller first, whose new
   * answer then goes to the agent). A leg that refuses that too leaves the
   * call without a media path: it is hung up (false).
   */
  async #putBack(bridge: Bridge, moved: Set<LegName>, callId: string): Promise<boolean> {
    const back = async (leg: CallDialog, peer: CallDialog) => {
      if (bridge.state !== 'connected') return;
      await leg.modify(peer.remoteSdp);
    };
    try {
      if (moved.has('caller')) await back(bridge.caller, bridge.agent);
      if (moved.has('agent')) await back(bridge.agent, bridge.caller);
      return true;
    } catch (err) {
      this.host.logger.error(
        { callId, err },
        'anchor on demand: a leg could not be put back; the call is ended',
      );
      bridge.hangUp('media could not be restored');
      return false;
    }
  }

  #stillConnected(bridge: Bridge): void {
    if (bridge.state !== 'connected') throw new Error('the call ended meanwhile');
  }
}
