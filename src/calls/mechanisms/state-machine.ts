/**
 * A small explicit state machine: one table of allowed moves, one `to()` that
 * rejects anything else, and timers that belong to the state they were armed
 * in (leaving the state clears them, so no handler ever fires in a state it
 * was not meant for). States with no outgoing moves are final; entering one
 * runs the `onFinal` hook exactly once.
 */
import type { Scheduler } from './scheduler.ts';

export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

/** A move that is not in the table: always a bug in call control, never a peer's fault. */
export class IllegalTransition extends Error {
  override name = 'IllegalTransition';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
    readonly why: string,
  ) {
    super(`${machine}: illegal transition ${from} -> ${to} (${why})`);
  }
}

export interface Transition<S extends string> {
  from: S;
  to: S;
  cause: string;
  at: number;
}

export class StateMachine<S extends string> {
  #state: S;
  /** Cancel functions of the timers armed in the current state. */
  #timers: Array<() => void> = [];
  readonly history: Transition<S>[] = [];

  constructor(
    readonly name: string,
    initial: S,
    private readonly table: TransitionTable<S>,
    private readonly scheduler: Scheduler,
    private readonly onChange?: (t: Transition<S>) => void,
  ) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  is(...states: S[]): boolean {
    return states.includes(this.#state);
  }

  get final(): boolean {
    return this.table[this.#state].length === 0;
  }

  can(next: S): boolean {
    return this.table[this.#state].includes(next);
  }

  /** Moves to `next` or throws `IllegalTransition`; clears the timers of the state left. */
  to(next: S, cause: string): void {
    const from = this.#state;
    if (!this.table[from].includes(next)) throw new IllegalTransition(this.name, from, next, cause);
    this.#clearTimers();
    this.#state = next;
    const t = { from, to: next, cause, at: this.scheduler.now() };
    this.history.push(t);
    this.onChange?.(t);
  }

  /** Arms a timer owned by the current state: it fires only if the machine is still in it. */
  after(ms: number, fn: () => void): void {
    const armedIn = this.#state;
    const historyLength = this.history.length;
    const cancel = this.scheduler.schedule(ms, () => {
      // Re-check: the state may have been left and re-entered since.
      if (this.#state !== armedIn || this.history.length !== historyLength) return;
      this.#timers = this.#timers.filter((c) => c !== cancel);
      fn();
    });
    this.#timers.push(cancel);
  }

  /** Number of timers armed in the current state (tests check that final states hold none). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  #clearTimers(): void {
    const timers = this.#timers;
    this.#timers = [];
    for (const cancel of timers) cancel();
  }
}
