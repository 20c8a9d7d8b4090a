/**
 * A small typed event bus: the admin API publishes every change it makes,
 * later layers (call control) publish call and agent events, and the
 * WebSocket stream forwards everything to its clients.
 *
 * Events are `noun.verb` names with one payload object each, typed by a map
 * (graphile-worker's WorkerEventMap idea). A throwing listener is reported and
 * never stops the others or the publisher (mediasoup's safeEmit idea): a
 * broken wallboard connection must not fail an API write.
 */

/** What travels on the bus and over the WebSocket. */
export interface BusEvent<T extends string = string, D = unknown> {
  type: T;
  /** ISO time the event was published. */
  at: string;
  data: D;
}

/** A map of event name to payload; an interface works (no index signature needed). */
export type EventMapBase = object;

type Listener<E> = (event: E) => void;

type EventOf<M extends EventMapBase> = { [K in keyof M & string]: BusEvent<K, M[K]> }[keyof M &
  string];

export interface EventBusOptions {
  /** Called when a listener throws; defaults to ignoring the error. */
  onListenerError?: (err: unknown, event: BusEvent) => void;
  /** Clock for `at` (tests may inject one). */
  now?: () => Date;
}

export class EventBus<M extends EventMapBase> {
  private readonly byType = new Map<string, Set<Listener<BusEvent>>>();
  private readonly any = new Set<Listener<BusEvent>>();
  private readonly onListenerError: (err: unknown, event: BusEvent) => void;
  private readonly now: () => Date;

  constructor(options: EventBusOptions = {}) {
    this.onListenerError = options.onListenerError ?? (() => {});
    this.now = options.now ?? (() => new Date());
  }

  /** Publishes `data` as event `type` to every listener; returns the event sent. */
  publish<K extends keyof M & string>(type: K, data: M[K]): BusEvent<K, M[K]> {
    const event: BusEvent<K, M[K]> = { type, at: this.now().toISOString(), data };
    const forType = this.byType.get(type);
    if (forType) for (const l of [...forType]) this.deliver(l, event);
    for (const l of [...this.any]) this.deliver(l, event);
    return event;
  }

  /** Listens to one event type; returns the unsubscribe function. */
  on<K extends keyof M & string>(type: K, listener: Listener<BusEvent<K, M[K]>>): () => void {
    let set = this.byType.get(type);
    if (!set) {
      set = new Set();
      this.byType.set(type, set);
    }
    const l = listener as Listener<BusEvent>;
    set.add(l);
    return () => {
      set.delete(l);
      if (set.size === 0 && this.byType.get(type) === set) this.byType.delete(type);
    };
  }

  /** Listens to the next event of one type only. */
  once<K extends keyof M & string>(type: K, listener: Listener<BusEvent<K, M[K]>>): () => void {
    const off = this.on(type, (event) => {
      off();
      listener(event);
    });
    return off;
  }

  /** Listens to every event (the WebSocket stream's observer). */
  onAny(listener: Listener<EventOf<M>>): () => void {
    const l = listener as Listener<BusEvent>;
    this.any.add(l);
    return () => {
      this.any.delete(l);
    };
  }

  listenerCount(): number {
    let n = this.any.size;
    for (const set of this.byType.values()) n += set.size;
    return n;
  }

  private deliver(listener: Listener<BusEvent>, event: BusEvent): void {
    try {
      listener(event);
    } catch (err) {
      try {
        this.onListenerError(err, event);
      } catch {
        // The error reporter itself failed; nothing sensible is left to do.
      }
    }
  }
}
