/**
 * Expected wait for a caller at `position` (1 = next) in a department served
 * by `servingAgents` agents whose recent average handle time (talk + wrap-up)
 * is `averageHandleS`:
 *
 *     EWT = position × AHT / N
 *
 * With every agent busy, the queue moves one place each time any of the N
 * agents finishes; with exponential handle times the agents finish at a
 * combined rate of N / AHT, so the p-th caller waits on average p × AHT / N.
 * (It ignores abandonment and over-estimates when some agents are already
 * free, in which case the caller is about to be offered anyway.) Returns
 * null when nobody serves the department: no estimate is better than a wrong one.
 */
export function expectedWaitS(position: number, averageHandleS: number, servingAgents: number) {
  if (servingAgents <= 0) return null;
  return Math.round((position * averageHandleS) / servingAgents);
}

/** A fixed-size window of the most recent handle times (seconds). */
export class RecentHandleTimes {
  readonly #samples: number[] = [];
  #next = 0;
  #sum = 0;

  constructor(
    private readonly capacity: number,
    private readonly fallbackS: number,
  ) {}

  add(seconds: number): void {
    if (this.#samples.length < this.capacity) this.#samples.push(seconds);
    else {
      this.#sum -= this.#samples[this.#next] ?? 0;
      this.#samples[this.#next] = seconds;
      this.#next = (this.#next + 1) % this.capacity;
    }
    this.#sum += seconds;
  }

  /** Mean of the window, or the configured fallback before the first call. */
  average(): number {
    return this.#samples.length === 0 ? this.fallbackS : this.#sum / this.#samples.length;
  }
}
