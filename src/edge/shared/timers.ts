/**
 * Time for the whole server comes from one `Clock`, passed in (the real one
 * by default), so that nothing in edge calls `setTimeout` or `Date.now` on
 * its own. Every timer the server arms is a `Timer` from one `TimerSource`,
 * so `stats().timers` proves that none is left behind: the count drops
 * exactly once, when the timer fires or is cleared, whichever comes first.
 */
import type { Counters } from './stats.ts';

/** Where time comes from: one-shot callbacks and the wall clock. */
export interface Clock {
  /** Calls `fn` once after `ms`; the pending call never keeps the process alive. */
  schedule(ms: number, fn: () => void): unknown;
  /** Cancels a call `schedule` returned (once, before it ran). */
  cancel(handle: unknown): void;
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = {
  schedule(ms, fn) {
    const handle = setTimeout(fn, ms);
    // Timers never keep the process alive on their own; sockets do.
    handle.unref();
    return handle;
  },
  cancel(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
  now: () => Date.now(),
};

/**
 * Milliseconds on the process's monotonic clock. Unlike `performance.now()`,
 * whose origin is each thread's start, it reads the same on every thread.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Arms counted timers on a clock; the owner of each timer clears it. */
export class TimerSource {
  /** Where an exception thrown by a timer callback goes (the server's logger). */
  onError: (err: unknown) => void = () => undefined;

  constructor(
    readonly counters: Counters,
    readonly clock: Clock = systemClock,
  ) {}

  /** A timer that calls `fn` after `ms` unless cleared first. */
  start(ms: number, fn: () => void): Timer {
    return new Timer(this, ms, fn);
  }
}

export class Timer {
  private handle: unknown;

  constructor(
    private readonly source: TimerSource,
    ms: number,
    fn: () => void,
  ) {
    source.counters.timers++;
    this.handle = source.clock.schedule(ms, () => {
      this.handle = undefined;
      source.counters.timers--;
      try {
        fn();
      } catch (err) {
        // A bug in one timer's work must not take the whole server down.
        source.onError(err);
      }
    });
  }

  get active(): boolean {
    return this.handle !== undefined;
  }

  clear(): void {
    if (this.handle === undefined) return;
    this.source.clock.cancel(this.handle);
    this.handle = undefined;
    this.source.counters.timers--;
  }
}

/** Resolved RFC 3261 timer values (ms). */
export interface TimerValues {
  t1: number;
  t2: number;
  t4: number;
  /** 64*T1: Timers B, F, H, J and the pending-request guard. */
  t64: number;
  timerC: number;
}
