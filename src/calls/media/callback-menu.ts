/**
 * The dialogue after a waiting caller pressed the callback key.
 *
 * ```
 *   start ─From is E.164─────────────────────────────▶ checking
 *     └──withheld / not E.164──▶ collecting ─# (digits)─┘   │ not allowed: "cannot call back" ─▶ back
 *                                   │ 16th digit, no digit │ allowed: "we will call you back on …"
 *                                   │ for 10 s, bad number  ▼
 *                                   └──▶ back        requesting ─engine took it─▶ "you keep your place,
 *                                                        │                        goodbye" ─▶ requested
 *                                                        └─engine did not (no longer waiting)─▶ back
 * ```
 *
 * `back`: the caller stays queued and hears the music again. `requested`:
 * the caller is hung up by the media caller; the request keeps the place.
 * `abort()` (the caller hung up, the agent answered) ends the dialogue
 * wherever it is. The menu owns one timer (the digit timeout), cleared on
 * every way out.
 */
import { isE164 } from '../dialer/mobile-allow-list.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';
import type { Logger } from '../ports/index.ts';

export type CallbackMenuResult = 'requested' | 'back';

type MenuState = 'start' | 'collecting' | 'checking' | 'requesting' | 'done';

/** Longest pause between two digits (and after the prompt) before the entry is given up. */
export const DIGIT_TIMEOUT_MS = 10_000;
/** E.164 has at most 15 digits: a 16th ends the entry (a flood of digits stops here). */
const MAX_DIGITS = 15;

export interface CallbackMenuPrompts {
  enter: string[];
  refused: string[];
  confirm(number: string): string[];
  kept: string[];
}

export interface CallbackMenuOptions {
  /** The engine's call id (log lines). */
  callId: string;
  /** The caller's number from its From ('' when withheld). */
  caller: string;
  prompts: CallbackMenuPrompts;
  /** Plays files on the caller's endpoint; resolves when done or broken off, never rejects. */
  play(files: string[]): Promise<void>;
  /** Whether the number may be called through the trunk (the mobile allow-list's rules). */
  allowed(number: string): boolean;
  /** Asks the routing engine; true when the call stays queued as a callback request. */
  request(number: string): boolean;
  scheduler: Scheduler;
  logger: Logger;
}

export class CallbackMenu {
  #state: MenuState = 'start';
  #digits = '';
  #cancelTimer: (() => void) | null = null;
  #entryDone: ((number: string | null) => void) | null = null;

  constructor(private readonly o: CallbackMenuOptions) {}

  get state(): MenuState {
    return this.#state;
  }

  /** Runs the dialogue once; resolves with where the caller goes next. */
  async run(): Promise<CallbackMenuResult> {
    const fromNumber = this.o.caller.trim();
    const number = isE164(fromNumber) ? fromNumber : await this.#collect();
    if (this.#state === 'done') return 'back';
    if (number === null || !isE164(number)) return this.#refuse(number ?? '', 'not a number');
    this.#state = 'checking';
    if (!this.o.allowed(number)) return this.#refuse(number, 'not on the allow-list');
    await this.o.play(this.o.prompts.confirm(number));
    if (this.#state !== 'checking') return 'back';
    this.#state = 'requesting';
    if (!this.o.request(number)) {
      this.#state = 'done';
      return 'back';
    }
    this.o.logger.info({ callId: this.o.callId, number }, 'callback: requested, place kept');
    await this.o.play(this.o.prompts.kept);
    this.#state = 'done';
    return 'requested';
  }

  /** A DTMF digit from the caller (ignored unless digits are being entered). */
  digit(d: string): void {
    if (this.#state !== 'collecting') return;
    if (d === '#') {
      this.#finishEntry(this.#digits === '' ? null : `+${this.#digits}`);
      return;
    }
    if (!/^[0-9]$/.test(d)) return;
    this.#digits += d;
    if (this.#digits.length > MAX_DIGITS) {
      this.#finishEntry(null);
      return;
    }
    this.#armTimer();
  }

  /** The caller left or was connected: the dialogue ends where it is. */
  abort(): void {
    if (this.#state === 'collecting') this.#finishEntry(null);
    this.#state = 'done';
  }

  async #collect(): Promise<string | null> {
    this.#state = 'collecting';
    const entered = new Promise<string | null>((resolve) => {
      this.#entryDone = resolve;
    });
    await this.o.play(this.o.prompts.enter);
    if (this.#state === 'collecting') this.#armTimer();
    return entered;
  }

  #armTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = this.o.scheduler.schedule(DIGIT_TIMEOUT_MS, () => {
      this.#cancelTimer = null;
      this.#finishEntry(null);
    });
  }

  #finishEntry(number: string | null): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    const done = this.#entryDone;
    this.#entryDone = null;
    if (this.#state === 'collecting') this.#state = 'checking';
    done?.(number);
  }

  async #refuse(number: string, why: string): Promise<CallbackMenuResult> {
    if (this.#state === 'done') return 'back';
    this.o.logger.warn(
      { callId: this.o.callId, number: number === '' ? null : number, why },
      'callback: number refused; the caller stays queued',
    );
    this.#state = 'done';
    await this.o.play(this.o.prompts.refused);
    return 'back';
  }
}
