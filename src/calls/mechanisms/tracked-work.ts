/**
 * The promises one owner still has running (releases, playback, hand-overs):
 * `settled()` resolves once none is left, including any started meanwhile.
 */
export class TrackedWork {
  readonly #running = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    const tracked = p.finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
    return tracked;
  }

  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}
