/**
 * One INVITE to one device of an agent: a softphone contact or the mobile
 * number through the trunk.
 *
 * ```
 *            start                 1xx
 *  waiting ────────▶ inviting ───────────▶ ringing
 *    │  (delay timer)   │  │ ╲ 2xx            │ │ ╲ 2xx
 *    │                  │  │  ╲──────────▶ answered (dialog handed to the attempt)
 *    │                  │  │ non-2xx / error  │ │
 *    │                  │  └──────────────▶ failed ◀─┘ │
 *    │ cancel           │ cancel                       │ cancel
 *    ▼                  ▼                              ▼
 *  cancelled ◀─── cancelling ◀─────────────────────────┘
 *        final non-2xx │ (guard timer)  │ 2xx (crossed our CANCEL)
 *                      │                ▼
 *                      │            dropping ──BYE done──▶ dropped
 * ```
 *
 * - `waiting` owns the start-delay timer (softphone first, mobile later).
 * - `cancelling`: a CANCEL is sent as soon as srf hands us the request
 *   (`cbRequest`); the peer may still answer (a 2xx crossing the CANCEL),
 *   which srf ACKs, and we then BYE (`dropping`). It owns a guard timer
 *   because drachtio forgets a cancelled INVITE without telling the app when
 *   no final response comes within 32 s.
 * - A 2xx while another leg already won also goes to `dropping`.
 * - `on-trial`: the device answered but the answer counts only once a person
 *   accepts it (the human-answer check of anchored mobile legs, run by the
 *   UAC); it then ends like `ringing` does: answered, failed (not accepted)
 *   or cancelling.
 * - Final states: answered, failed, cancelled, dropped. The leg releases its
 *   own resources (timers, pending INVITE, a dropped dialog); the answered
 *   dialog belongs to whoever took it.
 */
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { CallDialog, SentInvite, SipUac, UacRequest } from '../sip/sip.ts';
import { classifyUacFailure, type LegFailure } from '../sip/sip-failure.ts';
import {
  StateMachine,
  type Transition,
  type TransitionTable,
} from '../mechanisms/state-machine.ts';

export type LegState =
  | 'waiting'
  | 'inviting'
  | 'ringing'
  | 'on-trial'
  | 'cancelling'
  | 'dropping'
  | 'answered'
  | 'failed'
  | 'cancelled'
  | 'dropped';

export const LEG_TRANSITIONS: TransitionTable<LegState> = {
  waiting: ['inviting', 'cancelled'],
  inviting: ['ringing', 'on-trial', 'answered', 'dropping', 'failed', 'cancelling'],
  ringing: ['on-trial', 'answered', 'dropping', 'failed', 'cancelling'],
  'on-trial': ['answered', 'dropping', 'failed', 'cancelling'],
  cancelling: ['cancelled', 'dropping'],
  dropping: ['dropped'],
  answered: [],
  failed: [],
  cancelled: [],
  dropped: [],
};

/** How long a cancelled INVITE may stay without a final response (drachtio forgets it at 32 s). */
export const CANCEL_GUARD_MS = 34_000;

export interface LegSpec {
  /** Unique within the attempt, e.g. `softphone:1`. */
  id: string;
  kind: 'softphone' | 'mobile';
  /** What the call log shows: the contact URI or the mobile number. */
  device: string;
  request: UacRequest;
  /** Start after this delay (softphone-then-mobile). 0 = at once. */
  delayMs: number;
}

export interface LegOwner {
  /** First provisional of this leg. */
  legRinging(leg: Leg): void;
  /** A 2xx: return true to take the dialog (winner), false to have the leg drop it. */
  legAnswered(leg: Leg, dialog: CallDialog): boolean;
  /** The leg reached a final state (after `legAnswered` for the winner too). */
  legSettled(leg: Leg): void;
}

export class Leg {
  readonly #fsm: StateMachine<LegState>;
  #request: SentInvite | null = null;
  #cancelSent = false;
  #failure: LegFailure | null = null;
  #status: number | null = null;
  #startedAt: number | null = null;

  constructor(
    readonly spec: LegSpec,
    private readonly uac: SipUac,
    private readonly scheduler: Scheduler,
    private readonly owner: LegOwner,
    onTransition?: (leg: Leg, t: Transition<LegState>) => void,
  ) {
    this.#fsm = new StateMachine(`leg ${spec.id}`, 'waiting', LEG_TRANSITIONS, scheduler, (t) =>
      onTransition?.(this, t),
    );
  }

  get id(): string {
    return this.spec.id;
  }

  get state(): LegState {
    return this.#fsm.state;
  }

  get final(): boolean {
    return this.#fsm.final;
  }

  /** Failure cause for `failed` legs (and `cancelled` ones: 'cancelled'). */
  get failure(): LegFailure | null {
    return this.#failure;
  }

  /** Final SIP status that ended the leg, if any. */
  get status(): number | null {
    return this.#status;
  }

  get startedAt(): number | null {
    return this.#startedAt;
  }

  /** The device answered and a person is being asked to accept (human-answer check). */
  get answerOnTrial(): boolean {
    return this.#fsm.is('on-trial');
  }

  get history(): readonly Transition<LegState>[] {
    return this.#fsm.history;
  }

  get pendingTimers(): number {
    return this.#fsm.pendingTimers;
  }

  /** Starts now, or arms the delay timer of `waiting`. */
  begin(): void {
    if (!this.#fsm.is('waiting')) return;
    if (this.spec.delayMs <= 0) this.#invite('no delay');
    else this.#fsm.after(this.spec.delayMs, () => this.#invite('delay elapsed'));
  }

  /** Starts a waiting leg at once (the earlier legs all failed). */
  startNow(): void {
    if (this.#fsm.is('waiting')) this.#invite('earlier legs failed');
  }

  get waiting(): boolean {
    return this.#fsm.is('waiting');
  }

  /** Stops the leg: nothing is sent for a waiting leg; a sent INVITE is cancelled. */
  cancel(cause: string): void {
    switch (this.#fsm.state) {
      case 'waiting':
        this.#failure = 'cancelled';
        this.#fsm.to('cancelled', cause);
        this.owner.legSettled(this);
        return;
      case 'inviting':
      case 'ringing':
      case 'on-trial':
        this.#fsm.to('cancelling', cause);
        this.#fsm.after(CANCEL_GUARD_MS, () =>
          this.#settle('cancelled', 'no final response to CANCEL'),
        );
        this.#sendCancel();
        return;
      default:
        // Already cancelling or final: nothing to do (cancel is idempotent).
        return;
    }
  }

  /**
   * The connection to the SIP server is gone: nothing more will arrive and
   * nothing can be sent, so the leg is final at once. A result srf still
   * delivers later is ignored (a late dialog is ended, best effort).
   */
  lost(): void {
    switch (this.#fsm.state) {
      case 'waiting':
      case 'cancelling':
        this.#failure = 'cancelled';
        this.#fsm.to('cancelled', 'connection lost');
        break;
      case 'inviting':
      case 'ringing':
      case 'on-trial':
        this.#failure = 'unreachable';
        this.#fsm.to('failed', 'connection lost');
        break;
      case 'dropping':
        this.#fsm.to('dropped', 'connection lost');
        break;
      default:
        return;
    }
    this.owner.legSettled(this);
  }

  #invite(cause: string): void {
    this.#fsm.to('inviting', cause);
    this.#startedAt = this.scheduler.now();
    let promise: Promise<CallDialog>;
    try {
      promise = this.uac.invite(this.spec.request, {
        onRequest: (req) => {
          this.#request = req;
          if (this.#fsm.is('cancelling')) this.#sendCancel();
        },
        onProvisional: (status) => {
          if (status > 100 && this.#fsm.is('inviting')) {
            this.#fsm.to('ringing', `${status}`);
            this.owner.legRinging(this);
          }
        },
        onAnswerOnTrial: () => {
          if (this.#fsm.is('inviting', 'ringing')) {
            this.#fsm.to('on-trial', 'answered; awaiting acceptance');
          }
        },
      });
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (dialog) => this.#answered(dialog),
      (err: unknown) => this.#rejected(err),
    );
  }

  #sendCancel(): void {
    if (this.#cancelSent || !this.#request) return;
    this.#cancelSent = true;
    try {
      this.#request.cancel();
    } catch {
      // The transaction already ended (a final response is on its way): nothing to cancel.
    }
  }

  #answered(dialog: CallDialog): void {
    this.#status = 200;
    const s = this.#fsm.state;
    if (s === 'inviting' || s === 'ringing' || s === 'on-trial') {
      if (this.owner.legAnswered(this, dialog)) {
        this.#fsm.to('answered', '2xx');
        this.owner.legSettled(this);
        return;
      }
      this.#drop(dialog, '2xx after another leg answered');
      return;
    }
    if (s === 'cancelling') {
      this.#drop(dialog, '2xx crossed our CANCEL');
      return;
    }
    // Final already (the CANCEL guard gave up): the dialog still has to be released.
    void dialog.end('late answer');
  }

  #drop(dialog: CallDialog, cause: string): void {
    this.#fsm.to('dropping', cause);
    void dialog.end(cause).then(() => {
      if (!this.#fsm.is('dropping')) return; // the connection was lost meanwhile
      this.#fsm.to('dropped', 'BYE done');
      this.owner.legSettled(this);
    });
  }

  #rejected(err: unknown): void {
    const { status, failure } = classifyUacFailure(err);
    this.#status = status;
    if (this.#fsm.is('cancelling')) {
      this.#settle('cancelled', `${status ?? 'error'} after CANCEL`);
      return;
    }
    if (this.#fsm.is('inviting', 'ringing', 'on-trial')) {
      this.#failure = failure;
      this.#fsm.to('failed', `${status ?? 'error'}`);
      this.owner.legSettled(this);
    }
  }

  #settle(state: 'cancelled', cause: string): void {
    if (!this.#fsm.can(state)) return;
    this.#failure = 'cancelled';
    this.#fsm.to(state, cause);
    this.owner.legSettled(this);
  }
}
