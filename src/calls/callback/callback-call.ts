/**
 * One try of a callback request, from the agent's ring to its end.
 *
 * ```
 *             agent answered             customer answered,
 *             (engine: dialCallback)     endpoints bridged
 *   ringing ─────────────────────▶ dialing ────────────────▶ connected
 *     │ ring failed / cancelled      │ no answer, busy, refused,  │ BYE either side,
 *     │                              │ agent BYE, deadline (stop) │ hang-up (stop)
 *     └──────────────────────────────┴──────────▶ ended ◀─────────┘
 * ```
 *
 * The agent is rung with an endpoint's SDP (made towards nowhere, see
 * `PARKED_OFFER` in anchor-endpoint.ts), so its leg ends in the media server: on its answer the endpoint takes the
 * agent's SDP and plays ringing while the customer is dialled through the
 * trunk with a second endpoint's SDP; the customer's answer bridges the
 * two endpoints (`uuid_bridge`).
 *
 * Reports, each at most once: `notReached` while dialing (the engine counts
 * the failed try; not after `stop`, the engine decided that itself),
 * `reached` on the bridge, `ended` after a connected call ended. Every
 * endpoint, dialog and the customer's leg is released once (`#release`).
 */
import { PARKED_OFFER } from '../anchor/anchor-endpoint.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import { StateMachine, type TransitionTable } from '../mechanisms/state-machine.ts';
import type { MrfEndpoint, MrfMediaServer } from '../media/mrf-types.ts';
import type { Logger } from '../ports/index.ts';
import { Leg, type LegOwner } from '../dialer/leg.ts';
import type { CallDialog, SipUac } from '../sip/sip.ts';
import { TrackedWork } from '../mechanisms/tracked-work.ts';

export type CallbackCallState = 'ringing' | 'dialing' | 'connected' | 'ended';

export const CALLBACK_CALL_TRANSITIONS: TransitionTable<CallbackCallState> = {
  ringing: ['dialing', 'ended'],
  dialing: ['connected', 'ended'],
  connected: ['ended'],
  ended: [],
};

/** What the agent hears while the customer's phone rings (North American ringback). */
export const RINGING_TONE = 'tone_stream://%(2000,4000,440,480);loops=-1';

export interface CallbackCallListener {
  reached(call: CallbackCall): void;
  notReached(call: CallbackCall, cause: string): void;
  ended(call: CallbackCall, by: 'agent' | 'customer' | 'system', reason: string): void;
}

export interface CallbackCallOptions {
  callId: string;
  number: string;
  media: MrfMediaServer;
  uac: SipUac;
  scheduler: Scheduler;
  logger: Logger;
  /** The customer's INVITE: Request-URI through the trunk and the From to show. */
  customerUri: string;
  customerFrom: string;
  /** The toll-fraud check, again at dial time (the allow-list may have changed). */
  allowed(number: string): boolean;
  listener: CallbackCallListener;
}

export class CallbackCall implements LegOwner {
  readonly #fsm: StateMachine<CallbackCallState>;
  readonly #work = new TrackedWork();
  #agentEp: MrfEndpoint | null = null;
  #customerEp: MrfEndpoint | null = null;
  #agentDialog: CallDialog | null = null;
  #customerDialog: CallDialog | null = null;
  #leg: Leg | null = null;
  #legSettled: (() => void) | null = null;
  /** Whether the engine still expects a report of this try (false after `stop`). */
  #reporting = true;
  #resolveEnded!: () => void;
  /** Resolves when the try has ended (its releases may still be under way: `settled`). */
  readonly ended = new Promise<void>((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(private readonly o: CallbackCallOptions) {
    this.#fsm = new StateMachine(
      `callback ${o.callId}`,
      'ringing',
      CALLBACK_CALL_TRANSITIONS,
      o.scheduler,
    );
  }

  get callId(): string {
    return this.o.callId;
  }

  get state(): CallbackCallState {
    return this.#fsm.state;
  }

  /** Endpoints held now (leak checks). */
  get endpoints(): number {
    return (this.#agentEp ? 1 : 0) + (this.#customerEp ? 1 : 0);
  }

  /** The agent leg's offer: a new endpoint's SDP (its answer to `PARKED_OFFER`). */
  async agentOffer(): Promise<string> {
    const ep = await this.o.media.createEndpoint({ remoteSdp: PARKED_OFFER });
    this.#agentEp = ep;
    ep.on('destroy', () => this.#endpointGone(ep));
    if (!this.#fsm.is('ringing')) {
      this.#release();
      throw new Error('callback ended while its endpoint was made');
    }
    return ep.local.sdp;
  }

  /** The agent's ring ended without the engine's `dialCallback`: nothing to dial. */
  ringEnded(): void {
    if (this.#fsm.is('ringing')) this.#end('ring ended');
  }

  /** The agent answered (engine: `dialCallback`): ringing for the agent, the customer dialled. */
  dial(agentDialog: CallDialog): void {
    this.#agentDialog = agentDialog;
    agentDialog.onEnded((by) => {
      if (by === 'remote') this.#failedOrEnded('agent', 'agent hung up');
    });
    if (!this.#fsm.is('ringing')) {
      this.#release();
      return;
    }
    this.#fsm.to('dialing', 'agent answered');
    this.#track(this.#dialCustomer(agentDialog));
  }

  /** The engine gave up the dial (deadline), or the call must end (max duration, shutdown). */
  stop(reason: string): void {
    if (this.#fsm.is('ended')) return;
    if (!this.#fsm.is('connected')) this.#reporting = false;
    this.#failedOrEnded('system', reason);
  }

  /** Resolves once every endpoint, dialog and the customer's leg is released. */
  settled(): Promise<void> {
    return this.#work.settled();
  }

  // ------------------------------------------------------- the customer's leg

  legRinging(): void {}

  legAnswered(_leg: Leg, dialog: CallDialog): boolean {
    if (!this.#fsm.is('dialing')) return false;
    this.#customerDialog = dialog;
    dialog.onEnded((by) => {
      if (by === 'remote') this.#failedOrEnded('customer', 'customer hung up');
    });
    this.#track(this.#connect(dialog));
    return true;
  }

  legSettled(leg: Leg): void {
    this.#legSettled?.();
    this.#legSettled = null;
    if (leg.state !== 'answered' && this.#fsm.is('dialing')) {
      this.#failedOrEnded('customer', leg.failure ?? 'failed');
    }
  }

  // ------------------------------------------------------------ internals

  async #dialCustomer(agentDialog: CallDialog): Promise<void> {
    const agentEp = this.#agentEp;
    try {
      if (!agentEp) throw new Error('no endpoint for the agent');
      await agentEp.modify(agentDialog.remoteSdp);
      if (!this.#fsm.is('dialing')) return;
      this.#track(agentEp.play(RINGING_TONE).catch(() => {}));
      if (!this.o.allowed(this.o.number)) {
        this.o.logger.warn(
          { callId: this.o.callId, number: this.o.number },
          'callback: number no longer allowed; not dialled',
        );
        this.#failedOrEnded('system', 'refused');
        return;
      }
      const ep = await this.o.media.createEndpoint({ remoteSdp: PARKED_OFFER });
      this.#customerEp = ep;
      ep.on('destroy', () => this.#endpointGone(ep));
      if (!this.#fsm.is('dialing')) {
        this.#release();
        return;
      }
      const leg = new Leg(
        {
          id: 'customer',
          kind: 'mobile',
          device: this.o.number,
          delayMs: 0,
          request: {
            uri: this.o.customerUri,
            localSdp: ep.local.sdp,
            headers: { From: this.o.customerFrom },
          },
        },
        this.o.uac,
        this.o.scheduler,
        this,
      );
      this.#leg = leg;
      this.#track(
        new Promise<void>((resolve) => {
          this.#legSettled = resolve;
        }),
      );
      leg.begin();
    } catch (err) {
      this.o.logger.warn({ err, callId: this.o.callId }, 'callback: dialling the customer failed');
      this.#failedOrEnded('system', 'failed');
    }
  }

  async #connect(dialog: CallDialog): Promise<void> {
    const agentEp = this.#agentEp;
    const customerEp = this.#customerEp;
    try {
      if (!agentEp || !customerEp) throw new Error('an endpoint is gone');
      await customerEp.modify(dialog.remoteSdp);
      // The ringing tone runs on the agent's endpoint: stop it before the bridge.
      await agentEp.api('uuid_break', agentEp.uuid);
      await agentEp.bridge(customerEp);
    } catch (err) {
      this.o.logger.warn({ err, callId: this.o.callId }, 'callback: bridging failed');
      this.#failedOrEnded('system', 'failed');
      return;
    }
    if (!this.#fsm.is('dialing')) {
      this.#release();
      return;
    }
    this.#fsm.to('connected', 'customer answered');
    this.o.listener.reached(this);
  }

  /** One end for every way out: a failed try while dialing, the end of a connected call. */
  #failedOrEnded(by: 'agent' | 'customer' | 'system', reason: string): void {
    const was = this.#fsm.state;
    if (was === 'ended') return;
    this.#end(reason);
    if (was === 'connected') this.o.listener.ended(this, by, reason);
    else if (this.#reporting) this.o.listener.notReached(this, reason);
  }

  #end(reason: string): void {
    this.#fsm.to('ended', reason);
    this.#release();
    this.#resolveEnded();
  }

  #endpointGone(ep: MrfEndpoint): void {
    if (ep !== this.#agentEp && ep !== this.#customerEp) return;
    if (ep === this.#agentEp) this.#agentEp = null;
    else this.#customerEp = null;
    this.#failedOrEnded('system', 'media endpoint ended');
  }

  #release(): void {
    this.#leg?.cancel('callback ended');
    for (const dialog of [this.#agentDialog, this.#customerDialog]) {
      if (dialog) this.#track(dialog.end('callback ended'));
    }
    this.#agentDialog = null;
    this.#customerDialog = null;
    for (const ep of [this.#agentEp, this.#customerEp]) {
      if (ep) this.#track(ep.destroy().catch(() => {}));
    }
    this.#agentEp = null;
    this.#customerEp = null;
  }

  #track(p: Promise<unknown>): void {
    void this.#work.track(p);
  }
}
