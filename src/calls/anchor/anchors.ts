/**
 * Everything anchored calls hold, in one place: the agent legs' endpoints
 * (made by `uac()`), and the anchored calls for recording (`calls`). The
 * caller's endpoints stay with `CallerMedia`.
 */
import { realScheduler, type Scheduler } from '../mechanisms/scheduler.ts';
import type { CallRecordings, Logger } from '../ports/index.ts';
import type { SipUac } from '../sip/sip.ts';
import type { AnchorMediaServer, HeldEndpoint } from './anchor-endpoint.ts';
import { anchoredUac } from './anchored-uac.ts';
import { AnchoredCalls } from './call-recording.ts';

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

  constructor(o: AnchorsOptions) {
    this.#o = o;
    const scheduler = o.scheduler ?? realScheduler;
    this.calls = new AnchoredCalls(o.recordings ?? null, () => scheduler.now(), o.logger);
  }

  /** Agent-leg endpoints not yet released. */
  get openEndpoints(): number {
    return this.#held.size;
  }

  /** The dialer's UAC with anchoring for requests that ask for it. */
  uac(inner: SipUac): SipUac {
    return anchoredUac(inner, {
      media: this.#o.media,
      count: {
        opened: (h) => void this.#held.add(h),
        released: (h) => void this.#held.delete(h),
      },
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
