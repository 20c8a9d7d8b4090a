/**
 * Warnings about bad packets, at most one line per kind every interval, with
 * the number left unsaid since the last line: a flood of garbage costs a
 * counter increment, not a log line per packet.
 */
import { performance } from 'node:perf_hooks';
import type { RtpLogger } from './types.ts';

export class RateLimitedLog {
  readonly #log: RtpLogger | undefined;
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(log: RtpLogger | undefined, intervalMs = 10_000) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  warn(kind: string, obj: object, msg: string): void {
    if (!this.#log) return;
    const now = performance.now();
    const seen = this.#last.get(kind);
    if (seen && now - seen.at < this.#intervalMs) {
      seen.suppressed++;
      return;
    }
    this.#log.warn({ ...obj, kind, suppressed: seen?.suppressed ?? 0 }, msg);
    this.#last.set(kind, { at: now, suppressed: 0 });
  }
}
