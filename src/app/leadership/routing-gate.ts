/**
 * Whether the SIP server sends this instance new requests. The SIP server
 * (drachtio-server or the embedded one) hands a new INVITE or REGISTER to one
 * of the connections that registered a route for its method; a standby keeps
 * its connection (and its dialogs) but has no routes, so it gets none.
 *
 * drachtio-srf routes a method as soon as a handler is added, so call control
 * adds its handlers and then `attach`es them here; a standby withdraws the
 * routes at once, and its handlers answer 503 to anything that still reaches
 * it in that moment (never routing a call itself).
 */
import type { Logger } from '../runtime/logger.ts';

/** The two drachtio-srf methods that add and withdraw a route after its handler exists. */
export interface RoutableSrf {
  unregisterForMessages(verb: string): void;
  reregisterForMessages(verb: string): void;
}

export class RoutingGate {
  private srf: RoutableSrf | null = null;
  private readonly verbs: string[] = [];
  /** Routes the SIP server has for us now. */
  private readonly routed = new Set<string>();
  private wanted = false;
  private readonly openListeners = new Set<() => void>();

  constructor(private readonly logger: Logger) {}

  /** Calls `listener` each time the gate opens (this instance starts routing); returns its removal. */
  onOpen(listener: () => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  /** True while this instance may route new requests (the leader). */
  isOpen(): boolean {
    return this.wanted;
  }

  /** Call control added handlers (and so routes) for these methods. */
  attach(srf: RoutableSrf, verbs: readonly string[]): void {
    this.srf = srf;
    for (const v of verbs) {
      this.verbs.push(v);
      this.routed.add(v);
    }
    this.apply();
  }

  detach(): void {
    this.srf = null;
    this.verbs.length = 0;
    this.routed.clear();
  }

  open(): void {
    const opening = !this.wanted;
    this.wanted = true;
    this.apply();
    if (opening) for (const listener of [...this.openListeners]) listener();
  }

  shut(): void {
    this.wanted = false;
    this.apply();
  }

  private apply(): void {
    const srf = this.srf;
    if (!srf) return;
    for (const verb of this.verbs) {
      try {
        if (this.wanted && !this.routed.has(verb)) {
          srf.reregisterForMessages(verb);
          this.routed.add(verb);
        } else if (!this.wanted && this.routed.has(verb)) {
          srf.unregisterForMessages(verb);
          this.routed.delete(verb);
        }
      } catch (err) {
        // srf throws when its route book disagrees (e.g. after a reconnect); the handlers' 503 still guards.
        this.logger.warn({ err, verb }, 'changing a SIP route failed');
      }
    }
  }
}
