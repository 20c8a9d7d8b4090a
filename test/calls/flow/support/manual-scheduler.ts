/**
 * A manual clock for the call-flow state machines: time moves only when the
 * test says so, timers fire in deadline order, and `pending` shows what is
 * still armed (a released machine holds none).
 */
import type { Scheduler } from '../../../../src/calls/mechanisms/scheduler.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

export class ManualScheduler implements Scheduler {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 5, 10, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: ++this.#seq, fn, live: true };
    this.#timers.push(t);
    return () => {
      t.live = false;
    };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.filter((t) => t.live).length;
  }

  /** Moves the clock forward, firing due timers in order (timers armed meanwhile included). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers
        .filter((t) => t.live && t.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.#now = Math.max(this.#now, due.at);
      due.fn();
    }
    this.#timers = this.#timers.filter((t) => t.live);
    this.#now = until;
  }
}

/** Lets promise callbacks run (the stand-ins settle through promises like srf does). */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
