/**
 * Stored callback requests kept out of the queue for a while: those whose
 * customer a dead instance's INVITE may still be ringing
 * (takeover/lost-dial-outs.ts). Dialling the customer again before that
 * INVITE is over could ring the customer's phone twice at once.
 *
 * This object owns one timer per held request; each fires at most once, and
 * `close` cancels the rest (the requests stay stored for the next leader or
 * start).
 */
import type { Scheduler } from '../mechanisms/scheduler.ts';

export class CallbackHold {
  /** The cancel function of each held request's timer. */
  readonly #timers = new Map<string, { cancel(): void }>();

  constructor(private readonly scheduler: Scheduler) {}

  /** Requests held now (leak checks). */
  get size(): number {
    return this.#timers.size;
  }

  has(callId: string): boolean {
    return this.#timers.has(callId);
  }

  /** Holds `callId` until `until` (epoch ms), then runs `due`. A request already held keeps its hold. */
  hold(callId: string, until: number, due: () => void): void {
    if (this.#timers.has(callId)) return;
    const timer = { cancel: () => {} };
    this.#timers.set(callId, timer);
    timer.cancel = this.scheduler.schedule(until - this.scheduler.now(), () => {
      if (this.#timers.get(callId) !== timer) return;
      this.#timers.delete(callId);
      due();
    });
  }

  /** Cancels every hold. */
  close(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }
}
