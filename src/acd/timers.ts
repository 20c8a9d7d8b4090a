import { Heap } from './heap.ts';

/**
 * The engine's agenda: what falls due when. The engine owns no real timer;
 * it reports the earliest entry as `nextWakeUp` and fires due entries when an
 * event (usually a tick) brings a later clock reading.
 */
export interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: (at: number) => void;
  cancelled: boolean;
}

export class Agenda {
  readonly #heap = new Heap<Timer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  #seq = 0;

  schedule(at: number, fire: (at: number) => void): Timer {
    const t: Timer = { at, seq: this.#seq++, fire, cancelled: false };
    this.#heap.push(t);
    return t;
  }

  /** Safe on null and on a timer already fired or cancelled. */
  cancel(t: Timer | null): null {
    if (t) t.cancelled = true;
    return null;
  }

  /** Earliest live entry, dropping cancelled ones from the top. */
  next(): number | null {
    for (let t = this.#heap.peek(); t; t = this.#heap.peek()) {
      if (!t.cancelled) return t.at;
      this.#heap.pop();
    }
    return null;
  }

  /** Removes and returns the earliest live entry due at or before `until`. */
  popDue(until: number): Timer | undefined {
    const at = this.next();
    if (at === null || at > until) return undefined;
    const t = this.#heap.pop();
    if (t) t.cancelled = true;
    return t;
  }
}
