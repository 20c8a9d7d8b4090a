/**
 * Slows down password guessing: after `freeFailures` failed authentications
 * from one source address, that address is refused (503 with Retry-After) for
 * a lock-out period that doubles with every further failure, up to `maxLockMs`.
 * While locked out even correct credentials are refused, so a guesser cannot
 * learn from a 200 which guess was right. A success clears the address.
 *
 * Memory is bounded: at most `maxSources` addresses are tracked; entries whose
 * failures are older than `forgetAfterMs` are pruned, and when the table is
 * still full the oldest entry goes first.
 */

export interface FailureThrottleOptions {
  /** Failures allowed before the first lock-out. */
  freeFailures: number;
  /** First lock-out (ms); doubled per further failure. */
  baseLockMs: number;
  maxLockMs: number;
  /** A source with no failure for this long starts again from zero. */
  forgetAfterMs: number;
  maxSources: number;
}

export const DEFAULT_THROTTLE: FailureThrottleOptions = {
  freeFailures: 5,
  baseLockMs: 2_000,
  maxLockMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxSources: 10_000,
};

interface SourceEntry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export type ThrottleVerdict = { kind: 'allowed' } | { kind: 'locked'; retryAfterMs: number };

export class FailureThrottle {
  readonly #options: FailureThrottleOptions;
  /** Insertion order is refreshed on each failure, so the front is the least recent. */
  readonly #sources = new Map<string, SourceEntry>();

  constructor(options: Partial<FailureThrottleOptions> = {}) {
    this.#options = { ...DEFAULT_THROTTLE, ...options };
    const o = this.#options;
    if (!(o.freeFailures >= 0 && o.baseLockMs > 0 && o.maxLockMs >= o.baseLockMs)) {
      throw new TypeError('invalid failure throttle options');
    }
    if (!(o.maxSources >= 1 && o.forgetAfterMs > 0)) {
      throw new TypeError('invalid failure throttle options');
    }
  }

  get trackedCount(): number {
    return this.#sources.size;
  }

  check(source: string, now: number): ThrottleVerdict {
    const entry = this.#sources.get(source);
    if (!entry) return { kind: 'allowed' };
    if (entry.lockedUntil > now) return { kind: 'locked', retryAfterMs: entry.lockedUntil - now };
    return { kind: 'allowed' };
  }

  /** Records a failure; returns the lock-out it caused, if any. */
  recordFailure(source: string, now: number): { failures: number; lockedForMs: number } {
    this.prune(now);
    let entry = this.#sources.get(source);
    if (entry) {
      this.#sources.delete(source);
    } else {
      while (this.#sources.size >= this.#options.maxSources) {
        const oldest = this.#sources.keys().next().value;
        if (oldest === undefined) break;
        this.#sources.delete(oldest);
      }
      entry = { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    }
    entry.failures++;
    entry.lastFailureAt = now;
    let lockedForMs = 0;
    const over = entry.failures - this.#options.freeFailures;
    if (over > 0) {
      // 2^(over-1) grows past maxLockMs long before it overflows; cap the exponent anyway.
      lockedForMs = Math.min(
        this.#options.maxLockMs,
        this.#options.baseLockMs * 2 ** Math.min(over - 1, 30),
      );
      entry.lockedUntil = now + lockedForMs;
    }
    this.#sources.set(source, entry);
    return { failures: entry.failures, lockedForMs };
  }

  recordSuccess(source: string): void {
    this.#sources.delete(source);
  }

  prune(now: number): void {
    for (const [source, entry] of this.#sources) {
      if (now - entry.lastFailureAt <= this.#options.forgetAfterMs) break;
      if (entry.lockedUntil > now) continue;
      this.#sources.delete(source);
    }
  }
}
