/**
 * Everything anchored calls hold, in one place: the agent legs' endpoints
 * (made by `uac()`), both endpoints of calls anchored on demand
 * (`anchorConnected`), and the anchored calls for recording (`calls`). The
 * endpoints of callers answered into media stay with `CallerMedia`.
 */
import { realScheduler, type Scheduler } from '../mechanisms/scheduler.ts';
import type { CallRecordings, Logger } from '../ports/index.ts';
import type { SipUac } from '../sip/sip.ts';
import type { AnchorMediaServer, HeldEndpoint } from './anchor-endpoint.ts';
import { anchoredUac } from './anchored-uac.ts';
import { AnchoredCalls } from './call-recording.ts';
import type { Bridge } from '../bridge/bridge.ts';
import { OnDemandAnchors, type OnDemandResult } from './on-demand-anchor.ts';

export interface AnchorsOptions {
  /** The connected media server, or null while there is none. */
  media(): AnchorMediaServer | null;
  /** Where recordings go; null = recording is not available. */
  recordings?: CallRecordings | null;
  scheduler?: Scheduler;
  logger: Logger;
}

export class Anchors {
  readonly #held = new Set<HeldEndpoint>();
  readonly #o: AnchorsOptions;
  /** The calls anchored now; start and stop their recording. */
  readonly calls: AnchoredCalls;
  readonly #onDemand: OnDemandAnchors;
  readonly #count = {
    opened: (h: HeldEndpoint) => void this.#held.add(h),
    released: (h: HeldEndpoint) => void this.#held.delete(h),
  };

  constructor(o: AnchorsOptions) {
    this.#o = o;
    const scheduler = o.scheduler ?? realScheduler;
    this.calls = new AnchoredCalls(o.recordings ?? null, () => scheduler.now(), o.logger);
    this.#onDemand = new OnDemandAnchors({
      media: o.media,
      count: this.#count,
      calls: this.calls,
      logger: o.logger,
    });
  }

  /** Moves a connected call's media into the media server (to record it); see on-demand-anchor.ts. */
  anchorConnected(callId: string, bridge: Bridge): Promise<OnDemandResult> {
    return this.#onDemand.anchor(callId, bridge);
  }

  /** Endpoints not yet released (agent legs, and both legs of calls anchored on demand). */
  get openEndpoints(): number {
    return this.#held.size;
  }

  /** The dialer's UAC with anchoring for requests that ask for it. */
  uac(inner: SipUac): SipUac {
    return anchoredUac(inner, {
      media: this.#o.media,
      count: this.#count,
      scheduler: this.#o.scheduler ?? realScheduler,
      logger: this.#o.logger,
    });
  }

  /** The SIP connection is gone: nothing can be sent, forget the endpoints. */
  lost(): void {
    for (const h of [...this.#held]) h.lost();
  }

  /** Resolves once every release under way is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.#held].map((h) => h.releasing).filter((p) => p !== null));
  }
}
