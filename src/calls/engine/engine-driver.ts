/**
 * Runs the ACD engine for call control: events in (with the clock reading
 * stamped here), actions out to `CallOperations`, and the ONE wake-up timer
 * armed for the engine's `nextWakeUp` (fired as a `tick`).
 *
 * Events raised while actions are being carried out (a synchronous failure,
 * a hang-up noticed on the way) are queued and handled after the current
 * batch, so the engine is never re-entered and actions run in order.
 *
 * The driver only dispatches: what each action means for SIP, the call log
 * and the live stream is for the `CallOperations` it is given.
 */
import type { AcdAction, AcdEvent, AcdOutput } from '../../acd/index.ts';
import { type Logger, silentLogger } from '../ports/index.ts';
import type { Scheduler } from '../mechanisms/scheduler.ts';

/** The engine as the driver uses it (AcdEngine satisfies it). */
export interface RoutingEngine {
  handle(event: AcdEvent): AcdOutput;
  nextWakeUp(): number | null;
  /** The calls the engine holds (waiting or connected). */
  heldCallIds(): string[];
}

/** What call control does for each action: one method per action type, named after it. */
export type CallOperations = {
  [K in AcdAction['type']]: (action: Extract<AcdAction, { type: K }>) => void;
};

type WithoutAt<E> = E extends AcdEvent ? Omit<E, 'at'> : never;
export type DriverEvent = WithoutAt<AcdEvent>;

export interface EngineDriverOptions {
  engine: RoutingEngine;
  scheduler: Scheduler;
  operations: CallOperations;
  logger?: Logger;
  /** Told when the engine refuses an event (AcdInputError) or an operation throws. */
  onError?: (err: unknown, event: DriverEvent | null, action: AcdAction | null) => void;
  /** Sees each event's actions before they are carried out (call control records `call.queued` here). */
  beforeActions?: (event: DriverEvent, actions: readonly AcdAction[]) => void;
}

export class EngineDriver {
  readonly #o: EngineDriverOptions;
  readonly #logger: Logger;
  readonly #queue: DriverEvent[] = [];
  #draining = false;
  #closed = false;
  #wakeAt: number | null = null;
  #cancelWake: (() => void) | null = null;

  constructor(options: EngineDriverOptions) {
    this.#o = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Feeds one event; handled at once, or after the batch in progress. */
  send(event: DriverEvent): void {
    if (this.#closed) return;
    this.#queue.push(event);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let e = this.#queue.shift(); e; e = this.#queue.shift()) this.#handle(e);
    } finally {
      this.#draining = false;
    }
    this.#arm();
  }

  /** Epoch ms the wake-up timer is armed for (null = none). */
  get wakeAt(): number | null {
    return this.#wakeAt;
  }

  /** Stops the wake-up timer; later events are ignored. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#cancelWake?.();
    this.#cancelWake = null;
    this.#wakeAt = null;
    this.#queue.length = 0;
  }

  #handle(event: DriverEvent): void {
    const stamped = { ...event, at: this.#o.scheduler.now() } as AcdEvent;
    let out: AcdOutput;
    try {
      out = this.#o.engine.handle(stamped);
    } catch (err) {
      this.#logger.error({ err, event: event.type }, 'engine refused an event');
      this.#o.onError?.(err, event, null);
      return;
    }
    try {
      this.#o.beforeActions?.(event, out.actions);
    } catch (err) {
      this.#logger.error({ err, event: event.type }, 'beforeActions hook failed');
    }
    for (const action of out.actions) {
      try {
        this.#execute(action);
      } catch (err) {
        // One failing action must not stop the others: each owns its own resources.
        this.#logger.error({ err, action: action.type }, 'carrying out an engine action failed');
        this.#o.onError?.(err, event, action);
      }
    }
  }

  #execute(a: AcdAction): void {
    const ops = this.#o.operations;
    // One method per action type, named after it; called on `ops` (a class instance keeps its `this`).
    (ops[a.type] as (action: AcdAction) => void).call(ops, a);
  }

  /** Re-arms the single wake-up timer when the engine's next step moved. */
  #arm(): void {
    if (this.#closed) return;
    const next = this.#o.engine.nextWakeUp();
    if (next === this.#wakeAt) return;
    this.#cancelWake?.();
    this.#cancelWake = null;
    this.#wakeAt = next;
    if (next === null) return;
    this.#cancelWake = this.#o.scheduler.schedule(next - this.#o.scheduler.now(), () => {
      this.#cancelWake = null;
      this.#wakeAt = null;
      this.send({ type: 'tick' });
    });
  }
}
