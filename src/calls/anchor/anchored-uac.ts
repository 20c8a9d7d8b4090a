/**
 * Agent legs anchored in the media server. Wraps the dialer's `SipUac`: a
 * request without `anchor` goes out as before (the caller's offer, a
 * signalling-only leg); one with `anchor` goes through these steps:
 *
 * ```
 *   endpoint ──B made──▶ inviting ──2xx──▶ joining ──B has the answer──▶ checking ──1──▶ answered
 *      │                    │ non-2xx        │ failure                     │ no 1 / BYE
 *      └── cancel ──────────┴──────────── ended ◀───────────────────────────┘ cancel
 * ```
 *
 * - endpoint: `createEndpoint()` without SDP; the media server's offer
 *   becomes the leg's offer (`localSdp`).
 * - joining: the agent's answer is given to B (`modify`); B is then the
 *   agent's media partner for the whole call.
 * - checking (mobile legs asking for it): `AnswerCheck`. The leg is told
 *   its answer is on trial; the INVITE's promise settles only with the
 *   decision: the anchored dialog on a 1, `NotAcceptedError` otherwise (the
 *   leg is hung up first).
 * - A CANCEL from the leg (`SentInvite.cancel`) may come in any step: before
 *   the INVITE left it stops there; while inviting it is passed on; once
 *   answered and joined, the dialog is returned for the leg to drop (its BYE
 *   releases B); while checking the check is withdrawn and the leg hung up.
 *
 * B belongs to its `HeldEndpoint`: released once on every path (failure,
 * cancel, the dialog's end). Without a media server, or if B cannot be
 * made, a leg that only wanted anchoring (recording) goes out plain; a leg
 * that must be checked fails (`unreachable`): an unchecked mobile answer
 * could hand the caller to a voicemail box.
 */
import type { Logger } from '../ports/index.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import { NotAcceptedError } from '../sip/sip-failure.ts';
import type { CallDialog, SentInvite, SipUac, UacProgress, UacRequest } from '../sip/sip.ts';
import {
  type AnchorMediaServer,
  type EndpointCount,
  HeldEndpoint,
  renegotiate,
} from './anchor-endpoint.ts';
import { anchoredDialog } from './anchored-dialog.ts';
import { AnswerCheck } from './answer-check.ts';

export interface AnchorHost {
  /** The connected media server, or null while there is none. */
  media(): AnchorMediaServer | null;
  count: EndpointCount;
  scheduler: Scheduler;
  logger: Logger;
}

export type AnchoredStep = 'endpoint' | 'inviting' | 'joining' | 'checking' | 'answered' | 'ended';

const cancelled = (why: string) => Object.assign(new Error(why), { status: 487 });

export function anchoredUac(inner: SipUac, host: AnchorHost): SipUac {
  return {
    invite(request, progress) {
      if (!request.anchor) return inner.invite(request, progress);
      return new AnchoredInvite(inner, host, request, progress).run();
    },
  };
}

class AnchoredInvite {
  #step: AnchoredStep = 'endpoint';
  /** Why the leg was cancelled, once it was. */
  #cancelledBecause: string | null = null;
  #sent: SentInvite | null = null;
  #check: AnswerCheck | null = null;
  readonly #label: string;

  constructor(
    private readonly inner: SipUac,
    private readonly host: AnchorHost,
    private readonly request: UacRequest,
    private readonly progress: UacProgress,
  ) {
    this.#label = request.uri;
    // The leg may cancel from now on: our own handle stands in for the INVITE until it leaves.
    progress.onRequest({ cancel: () => this.#cancel('cancelled by the dialer') });
  }

  async run(): Promise<CallDialog> {
    const { anchor, ...plain } = this.request;
    const confirm = anchor?.confirm ?? null;
    const media = this.host.media();
    const ep = await (media
      ? media.createEndpoint()
      : Promise.reject(new Error('no media server'))
    ).catch((err: unknown) => {
      this.host.logger.warn({ err, leg: this.#label }, 'anchor: no endpoint for the agent leg');
      return null;
    });
    if (ep === null) {
      if (confirm) throw new Error('no media server for the human-answer check');
      if (this.#cancelledBecause !== null) throw cancelled(this.#cancelledBecause);
      this.#step = 'inviting';
      return this.inner.invite(plain, this.#forwarding());
    }
    const held = new HeldEndpoint(ep, this.host.count, this.host.logger, this.#label);
    if (this.#cancelledBecause !== null) {
      this.#step = 'ended';
      await held.release();
      throw cancelled(this.#cancelledBecause);
    }

    this.#step = 'inviting';
    let dialog: CallDialog;
    try {
      dialog = await this.inner.invite({ ...plain, localSdp: ep.local.sdp }, this.#forwarding());
    } catch (err) {
      this.#step = 'ended';
      await held.release();
      throw err;
    }

    this.#step = 'joining';
    const leg = anchoredDialog(dialog, {
      uuid: ep.uuid,
      renegotiate: (offer) => renegotiate(ep, offer),
      release: () => void held.release(),
    });
    held.onGone((reason) => void leg.end(`media server: ${reason}`));
    try {
      await ep.modify(dialog.remoteSdp);
    } catch (err) {
      this.#step = 'ended';
      this.host.logger.warn({ err, leg: this.#label }, 'anchor: the endpoint refused the answer');
      await leg.end('media setup failed');
      throw err;
    }
    if (leg.ended) {
      this.#step = 'ended';
      throw cancelled('the agent hung up while joining');
    }
    if (confirm === null || this.#cancelledBecause !== null) {
      // No check asked for; or cancelled meanwhile, and the leg drops the dialog (its BYE releases B).
      this.#step = 'answered';
      return leg;
    }

    this.#step = 'checking';
    this.progress.onAnswerOnTrial?.();
    const check = new AnswerCheck({
      endpoint: ep,
      dialog: leg,
      prompt: confirm.prompt,
      timeoutMs: confirm.timeoutMs,
      scheduler: this.host.scheduler,
      logger: this.host.logger,
      label: this.#label,
    });
    this.#check = check;
    const outcome = await check.outcome;
    if (outcome === 'accepted' && !leg.ended) {
      this.#step = 'answered';
      return leg;
    }
    this.#step = 'ended';
    await leg.end(outcome === 'withdrawn' ? 'ring cancelled' : 'not accepted');
    if (outcome === 'withdrawn') throw cancelled(this.#cancelledBecause ?? 'withdrawn');
    throw new NotAcceptedError(`nobody pressed 1 on ${this.#label}`);
  }

  get step(): AnchoredStep {
    return this.#step;
  }

  /** Progress as the inner UAC reports it, with the real INVITE kept for a CANCEL. */
  #forwarding(): UacProgress {
    return {
      onRequest: (req) => {
        this.#sent = req;
        if (this.#cancelledBecause !== null) req.cancel();
      },
      onProvisional: (status) => this.progress.onProvisional(status),
    };
  }

  #cancel(why: string): void {
    if (this.#cancelledBecause !== null) return;
    this.#cancelledBecause = why;
    switch (this.#step) {
      case 'inviting':
        this.#sent?.cancel();
        return;
      case 'checking':
        this.#check?.withdraw(why);
        return;
      default:
        // endpoint / joining: looked at when that step is done; answered / ended: nothing to stop.
        return;
    }
  }
}
