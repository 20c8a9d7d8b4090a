/**
 * What a test peer received, in order, and a promise of the first item
 * matching a predicate: one already there (from index `since` on) or the
 * next to arrive. A wait that times out is forgotten and rejects with the
 * owner's account of what did arrive.
 */
export class Arrivals<T> {
  #waiters: Array<{ pred: (item: T) => boolean; resolve: (item: T) => void }> = [];

  /**
   * @param items the owner's list, appended to by `add`
   * @param timedOut the error message after `ms` without a match
   */
  constructor(
    readonly items: T[],
    private readonly timedOut: (ms: number) => string,
  ) {}

  add(item: T): void {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred(item)) return true;
      w.resolve(item);
      return false;
    });
  }

  next(pred: (item: T) => boolean, timeoutMs = 5000, since = 0): Promise<T> {
    const seen = this.items.slice(since).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(this.timedOut(timeoutMs)));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
