import type { Clock } from '../../../src/edge/shared/timers.ts';

/** A clock that moves only when told to; due callbacks run in time order. */
export class ManualClock implements Clock {
  private nowMs = 1_000_000;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  schedule(ms: number, fn: () => void): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.nowMs + ms, fn });
    return id;
  }

  cancel(handle: unknown): void {
    this.due.delete(handle as number);
  }

  now(): number {
    return this.nowMs;
  }

  get pending(): number {
    return this.due.size;
  }

  /** Moves the clock on by `ms`, running every callback that falls due on the way. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.due) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.due.delete(next[0]);
      this.nowMs = next[1].at;
      next[1].fn();
    }
    this.nowMs = end;
  }
}
