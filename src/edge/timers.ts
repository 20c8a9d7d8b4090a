/**
 * Counted one-shot timers. Every timer the server arms goes through a
 * `Timer`, so `stats().timers` proves that none is left behind: the count
 * drops exactly once, when the timer fires or is cleared, whichever comes first.
 */
import type { Counters } from './stats.ts';

/**
 * Milliseconds on the process's monotonic clock. Unlike `performance.now()`,
 * whose origin is each thread's start, it reads the same on every thread.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export class Timer {
  /** Where an exception thrown by a timer callback goes (the server sets its logger here). */
  static onError: (err: unknown) => void = () => undefined;
  private handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly counters: Counters,
    ms: number,
    fn: () => void,
  ) {
    counters.timers++;
    this.handle = setTimeout(() => {
      this.handle = undefined;
      counters.timers--;
      try {
        fn();
      } catch (err) {
        // A bug in one timer's work must not take the whole server down.
        Timer.onError(err);
      }
    }, ms);
    // Timers never keep the process alive on their own; sockets do.
    this.handle.unref();
  }

  get active(): boolean {
    return this.handle !== undefined;
  }

  clear(): void {
    if (this.handle === undefined) return;
    clearTimeout(this.handle);
    this.handle = undefined;
    this.counters.timers--;
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
