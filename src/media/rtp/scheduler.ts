/**
 * The one 20 ms clock of an engine: every channel's frame is produced in the
 * same callback, tick N due at epoch + N * 20 ms on the monotonic clock
 * (performance.now()), so timer lateness never accumulates into drift.
 *
 * After a stall longer than a frame the missed ticks are skipped, not sent
 * back to back: the next callback handles only the newest due tick and tells
 * the channels how many were skipped (their RTP timestamps jump by as much, so
 * receivers see a gap in time, not a burst of packets). Lateness below a frame
 * is caught up naturally, since the next deadline stays on the grid.
 */
import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;

export interface SchedulerStats {
  ticks: number;
  /** Ticks skipped after stalls. */
  skipped: number;
  /** Largest lateness of a tick callback seen, in ms. */
  maxLateMs: number;
}

export class Scheduler {
  readonly stats: SchedulerStats = { ticks: 0, skipped: 0, maxLateMs: 0 };
  readonly #onTick: (tick: number, skipped: number) => void;
  #timer: NodeJS.Timeout | undefined;
  #epoch = 0;
  #tick = 0;

  constructor(onTick: (tick: number, skipped: number) => void) {
    this.#onTick = onTick;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** The tick most recently run (channels derive their RTP timestamps from it). */
  get tick(): number {
    return this.#tick;
  }

  start(): void {
    if (this.#timer) return;
    // Keep numbering ticks on the same grid across restarts: channels compare ticks.
    const now = performance.now();
    if (this.#epoch === 0) this.#epoch = now;
    else this.#tick = Math.floor((now - this.#epoch) / FRAME_MS);
    this.#schedule();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const next = this.#epoch + (this.#tick + 1) * FRAME_MS;
    this.#timer = setTimeout(this.#run, Math.max(0, next - performance.now()));
  }

  readonly #run = (): void => {
    const now = performance.now();
    const due = Math.floor((now - this.#epoch) / FRAME_MS);
    if (due > this.#tick) {
      const skipped = due - this.#tick - 1;
      const late = now - (this.#epoch + due * FRAME_MS) + skipped * FRAME_MS;
      if (late > this.stats.maxLateMs) this.stats.maxLateMs = late;
      this.stats.ticks++;
      this.stats.skipped += skipped;
      this.#tick = due;
      try {
        this.#onTick(due, skipped);
      } finally {
        if (this.#timer) this.#schedule();
      }
      return;
    }
    this.#schedule(); // woke a little early
  };
}
