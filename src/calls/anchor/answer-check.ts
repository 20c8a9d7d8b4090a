/**
 * The human-answer check of a mobile leg: whoever answered hears "Call for
 * <department>, press 1 to accept" (again and again) and the answer counts
 * only once a 1 arrives, by RFC 4733 (the endpoint's `dtmf`) or by SIP INFO
 * in the agent's dialog. A carrier's voicemail that answers and plays its
 * greeting never presses 1, so it never gets the call.
 *
 * ```
 *   asking ──1──────────────────────────────▶ accepted
 *     │ ──deadline / the agent hung up──────▶ not-accepted
 *     └──withdraw() (the ring was cancelled)─▶ withdrawn
 * ```
 *
 * The deadline belongs to `asking` (leaving it clears the timer). Digits
 * other than 1, and every digit after the decision, are ignored, so a flood
 * of DTMF costs a comparison each.
 */
import type { Logger } from '../ports/index.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import { StateMachine, type TransitionTable } from '../mechanisms/state-machine.ts';
import { dtmfRelayDigit } from '../sip/dtmf-relay.ts';
import type { CallDialog } from '../sip/sip.ts';
import type { AnchorEndpoint } from './anchor-endpoint.ts';

export type CheckState = 'asking' | 'accepted' | 'not-accepted' | 'withdrawn';
export type CheckOutcome = Exclude<CheckState, 'asking'>;

export const CHECK_TRANSITIONS: TransitionTable<CheckState> = {
  asking: ['accepted', 'not-accepted', 'withdrawn'],
  accepted: [],
  'not-accepted': [],
  withdrawn: [],
};

/** The digit that accepts the call. */
export const ACCEPT_DIGIT = '1';

/** Silence between two repetitions of the question. */
const PAUSE = 'silence_stream://1500';

export interface AnswerCheckOptions {
  endpoint: AnchorEndpoint;
  /** The agent's dialog: SIP INFO digits, and its end (the agent hung up). */
  dialog: CallDialog;
  prompt: readonly string[];
  timeoutMs: number;
  scheduler: Scheduler;
  logger: Logger;
  label: string;
}

export class AnswerCheck {
  readonly #fsm: StateMachine<CheckState>;
  readonly #o: AnswerCheckOptions;
  #resolve!: (outcome: CheckOutcome) => void;
  #asking: Promise<void> | null = null;
  #digits = 0;
  /** Settles once with how the check ended. */
  readonly outcome: Promise<CheckOutcome>;

  constructor(o: AnswerCheckOptions) {
    this.#o = o;
    this.#fsm = new StateMachine(
      `answer check ${o.label}`,
      'asking',
      CHECK_TRANSITIONS,
      o.scheduler,
    );
    this.outcome = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#fsm.after(o.timeoutMs, () => this.#decide('not-accepted', 'no 1 in time'));
    o.endpoint.on('dtmf', (e) => this.#digit(e.dtmf));
    o.dialog.onInfo?.((contentType, body) => {
      const digit = dtmfRelayDigit(contentType, body);
      if (digit !== null) this.#digit(digit);
    });
    o.dialog.onEnded(() => this.#decide('not-accepted', 'the agent hung up'));
    this.#asking = this.#ask();
  }

  get state(): CheckState {
    return this.#fsm.state;
  }

  /** Digits heard while asking (a flood is counted, not acted on). */
  get digitsHeard(): number {
    return this.#digits;
  }

  get pendingTimers(): number {
    return this.#fsm.pendingTimers;
  }

  /** Resolves once the question has stopped playing. */
  get quiet(): Promise<void> {
    return this.#asking ?? Promise.resolve();
  }

  /** The ring was cancelled (the caller left, another device answered, the ring deadline). */
  withdraw(reason: string): void {
    this.#decide('withdrawn', reason);
  }

  #digit(digit: string): void {
    if (!this.#fsm.is('asking')) return;
    this.#digits += 1;
    if (digit === ACCEPT_DIGIT) this.#decide('accepted', 'pressed 1');
  }

  #decide(outcome: CheckOutcome, why: string): void {
    if (!this.#fsm.is('asking')) return;
    this.#fsm.to(outcome, why);
    this.#o.logger.info({ leg: this.#o.label, outcome, why }, 'human-answer check');
    // Stop the question now: on acceptance the bridge follows, otherwise the leg ends.
    const ep = this.#o.endpoint;
    ep.api('uuid_break', ep.uuid).catch(() => {
      // The endpoint is already gone: nothing plays.
    });
    this.#resolve(outcome);
  }

  /** Plays the question until decided. A prompt that cannot be played leaves only the deadline. */
  async #ask(): Promise<void> {
    const files = [...this.#o.prompt, PAUSE];
    while (this.#fsm.is('asking')) {
      try {
        await this.#o.endpoint.play(files);
      } catch (err) {
        this.#o.logger.warn({ err, leg: this.#o.label }, 'human-answer check: prompt failed');
        return;
      }
    }
  }
}
