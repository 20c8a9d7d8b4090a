import { Heap } from './heap.ts';

/**
 * The engine's agenda: what falls due when. The engine owns no real timer;
 * it reports the earliest entry as `nextWakeUp` and fires due entries when an
 * event (usually a tick) brings a later clock reading.
 */
export interface Timer {
  readonly at: number;
  readonly seq: number;
  /** Dropped on cancel, so the heap no longer holds what the closure held. */
  fire: (at: number) => void;
  cancelled: boolean;
}

const NOTHING = () => undefined;

/**
 * Cancelled entries stay in the heap until they reach its top (a call's
 * max-wait timer: minutes). Past this many, and once they are half the heap,
 * the heap is rebuilt without them.
 */
const COMPACT_AFTER = 1024;

export class Agenda {
  readonly #heap = new Heap<Timer>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  #seq = 0;
  /** Cancelled entries still in the heap. */
  #cancelledInHeap = 0;

  schedule(at: number, fire: (at: number) => void): Timer {
    const t: Timer = { at, seq: this.#seq++, fire, cancelled: false };
    this.#heap.push(t);
    return t;
  }

  /** Safe on null and on a timer already fired or cancelled. */
  cancel(t: Timer | null): null {
    if (!t || t.cancelled) return null;
    t.cancelled = true;
    t.fire = NOTHING;
    this.#cancelledInHeap++;
    if (this.#cancelledInHeap > COMPACT_AFTER && this.#cancelledInHeap * 2 > this.#heap.size) {
      this.#heap.retain((x) => !x.cancelled);
      this.#cancelledInHeap = 0;
    }
    return null;
  }

  /** Entries in the heap, cancelled ones included (tests). */
  get size(): number {
    return this.#heap.size;
  }

  /** Earliest live entry, dropping cancelled ones from the top. */
  next(): number | null {
    for (let t = this.#heap.peek(); t; t = this.#heap.peek()) {
      if (!t.cancelled) return t.at;
      this.#heap.pop();
      this.#cancelledInHeap--;
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
