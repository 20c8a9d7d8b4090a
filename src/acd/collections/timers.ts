import { Heap } from './heap.ts';

/**
 * The engine's agenda: what falls due when. The engine owns no real timer;
 * it reports the earliest entry as `nextWakeUp` and fires due entries when an
 * event (usually a tick) brings a later clock reading. An entry carries a
 * task (data, not a closure): the engine says what each task means.
 */
export interface Timer<T> {
  readonly at: number;
  readonly seq: number;
  /** Dropped on cancel, so the heap no longer holds the records the task names. */
  task: T | null;
  cancelled: boolean;
}

/**
 * Cancelled entries stay in the heap until they reach its top (a call's
 * max-wait timer: minutes). Past this many, and once they are half the heap,
 * the heap is rebuilt without them.
 */
const COMPACT_AFTER = 1024;

export class Agenda<T> {
  readonly #heap = new Heap<Timer<T>>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  #seq = 0;
  /** Cancelled entries still in the heap. */
  #cancelledInHeap = 0;

  schedule(at: number, task: T): Timer<T> {
    const t: Timer<T> = { at, seq: this.#seq++, task, cancelled: false };
    this.#heap.push(t);
    return t;
  }

  /** Safe on null and on a timer already fired or cancelled. */
  cancel(t: Timer<T> | null): null {
    if (!t || t.cancelled) return null;
    t.cancelled = true;
    t.task = null;
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

  /** Removes and returns the earliest live entry due at or before `until` (marked as spent). */
  popDue(until: number): { at: number; task: T } | undefined {
    const at = this.next();
    if (at === null || at > until) return undefined;
    const t = this.#heap.pop();
    if (!t || t.task === null) return undefined;
    const task = t.task;
    t.cancelled = true;
    t.task = null;
    return { at: t.at, task };
  }
}
