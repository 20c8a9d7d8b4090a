/**
 * One ring attempt: the engine's `ring` action for one agent, forked to the
 * agent's devices (legs). First 2xx wins; every other leg is cancelled.
 *
 * ```
 *                legs built         first 2xx             bridge
 *   planning ─────────────▶ ringing ─────────▶ answered ─────────▶ connected
 *     │ │                    │   │                 │
 *     │ │ no legs / error    │   │ every leg failed │ dropLateAnswer / cancel
 *     │ └──────────────▶ failed ◀┘                 ▼
 *     │ cancel / timeout        │ cancel / timeout  dropped (winner ACKed and BYEd)
 *     └──────────────▶ cancelled ◀┘
 * ```
 *
 * - The ring deadline belongs to the engine alone: when it passes, the
 *   engine's `cancelRing` (reason `timeout`) ends the attempt as `no-answer`.
 * - Leaving `ringing` cancels every leg that is not final; late 2xx on those
 *   legs are dropped by the legs themselves.
 * - `ended` is reported once, when the attempt reaches a final state, with
 *   the result and ring time for the call log; `settled` resolves once the
 *   attempt is final AND every leg is final (nothing left to release).
 * - In `answered` the attempt holds the winning dialog until the engine says
 *   `bridge` (the session takes it: `takeAnswer`) or `dropLateAnswer`.
 */
import type { CallLogAttemptResult } from '../../store/index.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { CallDialog, SipUac } from '../sip/sip.ts';
import { attemptFailureOf, type RingFailureCause } from '../sip/sip-failure.ts';
import {
  StateMachine,
  type Transition,
  type TransitionTable,
} from '../mechanisms/state-machine.ts';
import { Leg, type LegOwner, type LegSpec, type LegState } from './leg.ts';

export type AttemptState =
  | 'planning'
  | 'ringing'
  | 'answered'
  | 'connected'
  | 'failed'
  | 'cancelled'
  | 'dropped';

export const ATTEMPT_TRANSITIONS: TransitionTable<AttemptState> = {
  planning: ['ringing', 'failed', 'cancelled'],
  ringing: ['answered', 'failed', 'cancelled'],
  answered: ['connected', 'dropped'],
  connected: [],
  failed: [],
  cancelled: [],
  dropped: [],
};

/** How a ring attempt ends: the call log's results, except 'failed' (a dialer error is a leg's). */
export type AttemptResult = Exclude<CallLogAttemptResult, 'failed'>;

export interface LegRecord {
  id: string;
  kind: 'softphone' | 'mobile';
  device: string;
  state: LegState;
  status: number | null;
}

export interface AttemptRecord {
  attemptId: string;
  callId: string;
  agentId: string;
  result: AttemptResult;
  startedAt: number;
  endedAt: number;
  ringMs: number;
  /** The device that answered (answered attempts). */
  answeredBy: LegRecord | null;
  /** SIP Call-ID of the answered leg's dialog (answered attempts). */
  answeredSipCallId: string | null;
  legs: LegRecord[];
}

export interface AttemptListener {
  /** The legs are built and about to be sent (the call log's `call.ringing`). */
  legsStarted?(attempt: RingAttempt): void;
  /** First provisional response from any leg. */
  ringing?(attempt: RingAttempt, leg: Leg): void;
  /** First 2xx: tell the engine `agentAnswered`. */
  answered(attempt: RingAttempt): void;
  /** Every leg failed: tell the engine `ringFailed`. */
  failed(attempt: RingAttempt, cause: RingFailureCause): void;
  /** The attempt reached a final state (exactly once): write the call log. */
  ended(attempt: RingAttempt, record: AttemptRecord): void;
}

export interface AttemptOptions {
  attemptId: string;
  callId: string;
  agentId: string;
  uac: SipUac;
  scheduler: Scheduler;
  listener: AttemptListener;
  onTransition?: (what: string, t: Transition<string>) => void;
}

export class RingAttempt implements LegOwner {
  readonly #fsm: StateMachine<AttemptState>;
  readonly #o: AttemptOptions;
  readonly #legs: Leg[] = [];
  readonly #startedAt: number;
  #winner: Leg | null = null;
  #winnerSipCallId: string | null = null;
  #dialog: CallDialog | null = null;
  #endedAt: number | null = null;
  #result: AttemptResult | null = null;
  #resolveSettled!: () => void;
  /** Resolves once the attempt and every leg are final. */
  readonly settled: Promise<void>;

  constructor(options: AttemptOptions) {
    this.#o = options;
    this.#startedAt = options.scheduler.now();
    this.#fsm = new StateMachine(
      `attempt ${options.attemptId}`,
      'planning',
      ATTEMPT_TRANSITIONS,
      options.scheduler,
      (t) => options.onTransition?.(`attempt ${options.attemptId}`, t),
    );
    this.settled = new Promise((resolve) => {
      this.#resolveSettled = resolve;
    });
  }

  get id(): string {
    return this.#o.attemptId;
  }

  get callId(): string {
    return this.#o.callId;
  }

  get agentId(): string {
    return this.#o.agentId;
  }

  get state(): AttemptState {
    return this.#fsm.state;
  }

  get final(): boolean {
    return this.#fsm.final;
  }

  get legs(): readonly Leg[] {
    return this.#legs;
  }

  get history(): readonly Transition<AttemptState>[] {
    return this.#fsm.history;
  }

  /** True once the legs were built and sent (the attempt reached `ringing`). */
  get rang(): boolean {
    return this.#fsm.history.some((t) => t.to === 'ringing');
  }

  get winner(): Leg | null {
    return this.#winner;
  }

  /** Timers still armed by the attempt and its legs (0 once settled). */
  get pendingTimers(): number {
    return this.#fsm.pendingTimers + this.#legs.reduce((n, l) => n + l.pendingTimers, 0);
  }

  /** Builds the legs (now, or once a plan that must be looked up arrives) and starts them. */
  start(plan: () => LegSpec[] | Promise<LegSpec[]>): void {
    let specs: LegSpec[] | Promise<LegSpec[]>;
    try {
      specs = plan();
    } catch {
      this.#planFailed();
      return;
    }
    // A plan at hand rings now: the INVITEs leave before whatever else is
    // waiting on this event loop turn (under load, the rest of a batch of
    // SIP messages and their continuations).
    if (!(specs instanceof Promise)) {
      this.#ring(specs);
      return;
    }
    specs.then(
      (s) => this.#ring(s),
      () => this.#planFailed(),
    );
  }

  /** The engine (or the caller leaving) stops this attempt. Idempotent. */
  cancel(reason: string): void {
    switch (this.#fsm.state) {
      case 'planning':
      case 'ringing':
        this.#end('cancelled', this.#cancelResult(reason), reason);
        return;
      case 'answered':
        this.dropAnswer(reason);
        return;
      default:
        return;
    }
  }

  /** The connection to the SIP server is gone: end at once, every leg final, nothing sent. */
  lost(): void {
    if (this.#fsm.is('planning', 'ringing')) {
      this.#end('cancelled', 'cancelled', 'connection lost', 'lose');
    } else if (this.#fsm.is('answered')) {
      this.#dialog = null;
      this.#end('dropped', 'cancelled', 'connection lost', 'lose');
    } else {
      this.#releaseLegs('connection lost', 'lose');
      this.#checkSettled();
    }
  }

  /** `bridge`: hands the winning dialog to the session. Null if the attempt is not answered. */
  takeAnswer(): CallDialog | null {
    if (!this.#fsm.is('answered') || !this.#dialog) return null;
    const dialog = this.#dialog;
    this.#dialog = null;
    this.#end('connected', 'answered', 'bridged');
    return dialog;
  }

  /** `dropLateAnswer` (or cancel after the answer): ACK was sent by srf; BYE the agent. */
  dropAnswer(reason: string): void {
    if (!this.#fsm.is('answered')) return;
    const dialog = this.#dialog;
    this.#dialog = null;
    this.#end('dropped', 'cancelled', reason);
    if (dialog) void dialog.end(reason).then(() => this.#checkSettled());
  }

  // ---------------------------------------------------------------- legs

  legRinging(leg: Leg): void {
    if (this.#fsm.is('ringing')) this.#o.listener.ringing?.(this, leg);
  }

  legAnswered(leg: Leg, dialog: CallDialog): boolean {
    if (!this.#fsm.is('ringing')) return false;
    this.#winner = leg;
    this.#winnerSipCallId = dialog.sipCallId;
    this.#dialog = dialog;
    this.#endedAt = this.#o.scheduler.now(); // ring time ends at the answer
    this.#fsm.to('answered', `2xx on ${leg.id}`);
    this.#releaseLegs('answered elsewhere', 'cancel');
    this.#o.listener.answered(this);
    return true;
  }

  legSettled(_leg: Leg): void {
    if (this.#fsm.is('ringing')) {
      const live = this.#legs.filter((l) => !l.final);
      if (live.length > 0 && live.some((l) => !l.waiting)) {
        // Still ringing somewhere.
      } else if (live.length > 0) {
        // Only delayed legs are left (softphone-then-mobile): no reason to wait.
        for (const l of live) l.startNow();
      } else {
        const result = attemptFailureOf(this.#legs.map((l) => l.failure ?? 'failed'));
        // Not accepted counts as no answer for routing: the call rolls over.
        const cause = result === 'not-accepted' ? 'no-answer' : result;
        this.#end('failed', result, `every leg failed (${result})`);
        this.#o.listener.failed(this, cause);
      }
    }
    this.#checkSettled();
  }

  // ------------------------------------------------------------ internal

  /** The ring deadline passing while a device's answer awaits its 1 is a refusal, not silence. */
  #cancelResult(reason: string): AttemptResult {
    if (reason !== 'timeout') return 'cancelled';
    return this.#legs.some((l) => l.answerOnTrial) ? 'not-accepted' : 'no-answer';
  }

  #ring(specs: LegSpec[]): void {
    if (!this.#fsm.is('planning')) return; // cancelled while the plan was being built
    if (specs.length === 0) {
      this.#end('failed', 'unreachable', 'no device to ring');
      this.#o.listener.failed(this, 'unreachable');
      return;
    }
    this.#fsm.to('ringing', `${specs.length} legs`);
    for (const spec of specs) {
      this.#legs.push(
        new Leg(spec, this.#o.uac, this.#o.scheduler, this, (leg, t) =>
          this.#o.onTransition?.(`leg ${this.id}/${leg.id}`, t),
        ),
      );
    }
    this.#o.listener.legsStarted?.(this);
    // Copy: a leg may settle synchronously (uac throws) and change the list's meaning.
    for (const leg of [...this.#legs]) {
      if (!this.#fsm.is('ringing')) break;
      leg.begin();
    }
  }

  #planFailed(): void {
    if (!this.#fsm.is('planning')) return;
    this.#end('failed', 'unreachable', 'could not build the legs');
    this.#o.listener.failed(this, 'unreachable');
  }

  /**
   * `cancel`: every leg but the winner is cancelled (CANCEL or BYE as its
   * state needs). `lose`: the connection is gone, every leg is forced final
   * and nothing is sent.
   */
  #releaseLegs(cause: string, how: 'cancel' | 'lose'): void {
    for (const leg of [...this.#legs]) {
      if (how === 'lose') leg.lost();
      else if (leg !== this.#winner) leg.cancel(cause);
    }
  }

  #end(
    state: Exclude<AttemptState, 'planning' | 'ringing' | 'answered'>,
    result: AttemptResult,
    cause: string,
    legs: 'cancel' | 'lose' = 'cancel',
  ): void {
    this.#fsm.to(state, cause);
    this.#endedAt ??= this.#o.scheduler.now();
    this.#result = result;
    this.#releaseLegs(cause, legs);
    this.#o.listener.ended(this, this.record());
    this.#checkSettled();
  }

  #checkSettled(): void {
    if (this.#fsm.final && this.#dialog === null && this.#legs.every((l) => l.final)) {
      this.#resolveSettled();
    }
  }

  /** The call-log view of the attempt (result null until final). */
  record(): AttemptRecord {
    const endedAt = this.#endedAt ?? this.#o.scheduler.now();
    const legRecord = (l: Leg): LegRecord => ({
      id: l.id,
      kind: l.spec.kind,
      device: l.spec.device,
      state: l.state,
      status: l.status,
    });
    return {
      attemptId: this.id,
      callId: this.callId,
      agentId: this.agentId,
      result: this.#result ?? 'cancelled',
      startedAt: this.#startedAt,
      endedAt,
      ringMs: endedAt - this.#startedAt,
      answeredBy: this.#winner ? legRecord(this.#winner) : null,
      answeredSipCallId: this.#winnerSipCallId,
      legs: this.#legs.map(legRecord),
    };
  }
}
