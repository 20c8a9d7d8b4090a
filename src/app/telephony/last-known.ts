/**
 * Read-through values that survive a database outage.
 *
 * Call routing reads dialled numbers, agents' forwarding settings and VIP
 * callers from the store on every call, so admin changes apply to the next
 * call. When the database is unreachable, a read falls back to the last value
 * read (or seeded at start) for that key: calls keep being routed and
 * connected while the call-log writer buffers their records. Keys never seen
 * still fail, as before. The map is bounded; the oldest key goes first.
 */
export class LastKnown<V> {
  private readonly values = new Map<string, V>();

  constructor(
    private readonly maxKeys: number,
    private readonly onFallback: (key: string, err: unknown) => void,
  ) {}

  seed(key: string, value: V): void {
    this.remember(key, value);
  }

  async read(key: string, load: () => Promise<V>): Promise<V> {
    try {
      const value = await load();
      this.remember(key, value);
      return value;
    } catch (err) {
      if (!this.values.has(key)) throw err;
      this.onFallback(key, err);
      return this.values.get(key) as V;
    }
  }

  get size(): number {
    return this.values.size;
  }

  private remember(key: string, value: V): void {
    this.values.delete(key); // re-insert: most recent last
    this.values.set(key, value);
    if (this.values.size > this.maxKeys) {
      const oldest = this.values.keys().next();
      if (!oldest.done) this.values.delete(oldest.value);
    }
  }
}
