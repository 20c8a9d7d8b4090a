/**
 * Checks registered devices with OPTIONS at an interval, so a device that has
 * gone away (switched off, lost its network, NAT mapping expired) is not rung
 * until it answers again or re-registers.
 *
 * A probe fails on a timeout, a transport error, or 408/503 (drachtio reports
 * an unreachable UDP peer as 503 and its own timer F as 408); after
 * `failuresBeforeUnreachable` failures in a row the contact is unreachable.
 * A 503 that the SIP server made itself because the device's port is closed
 * (ICMP port unreachable: the phone has quit) is proof enough on its own, so
 * it makes the contact unreachable at once.
 * Any other answer (200, but also 404/405/501 from phones that do not
 * implement OPTIONS) proves the device is there and makes it reachable again.
 *
 * Timers: each tracked contact has one timer for its next probe and, while a
 * probe is out, one for its timeout. Both are cleared when they are no longer
 * needed; `close()` clears every next-probe timer and waits for probes in
 * flight (each bounded by its own timeout), so every timer is released once.
 */
import { bindingNextHop } from '../dialer/forwarding-plan.ts';
import type { Logger, RegistrationBinding } from '../ports/index.ts';
import { silentLogger } from '../ports/index.ts';

export interface ProbeTarget {
  agentId: string;
  contactUri: string;
  /** Where to send (the binding's source address), as in the forwarding plan. */
  nextHop: string;
}

/**
 * Sends one OPTIONS and resolves with the final status code; rejects on a
 * transport error. Backed by `srf.request(...)` in the app.
 */
export type SendOptions = (target: ProbeTarget) => Promise<ProbeAnswer>;

/**
 * A final answer to a probe. `local` is true when the SIP server generated it
 * instead of the device (it then comes from no network address).
 */
export interface ProbeAnswer {
  status: number;
  local: boolean;
}

export interface TimerFunctions {
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

export interface OptionsProberOptions {
  sendOptions: SendOptions;
  /** Time between probes of one contact (default 30 s). */
  intervalMs?: number;
  /** A probe without an answer after this long has failed (default 8 s). */
  timeoutMs?: number;
  /** Failed probes in a row before the contact counts as unreachable (default 2). */
  failuresBeforeUnreachable?: number;
  /** Spreads first probes over the interval, so a restart does not probe everyone at once. */
  random?: () => number;
  onChange?: (target: ProbeTarget, reachable: boolean) => void;
  logger?: Logger;
  timers?: TimerFunctions;
}

export type ProbeFailure = 'timeout' | 'transport-error' | 'port-unreachable' | 408 | 503;

interface Entry {
  target: ProbeTarget;
  next: NodeJS.Timeout | null;
  inFlight: Promise<void> | null;
  failures: number;
  reachable: boolean;
}

const FAILING_STATUSES = new Set([408, 503]);

function probeOutcome({ status, local }: ProbeAnswer): 'ok' | ProbeFailure {
  if (!FAILING_STATUSES.has(status)) return 'ok';
  if (status === 503 && local) return 'port-unreachable';
  return status as 408 | 503;
}

export class OptionsProber {
  readonly #send: SendOptions;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #threshold: number;
  readonly #random: () => number;
  readonly #onChange: OptionsProberOptions['onChange'];
  readonly #logger: Logger;
  readonly #timers: TimerFunctions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: OptionsProberOptions) {
    this.#send = options.sendOptions;
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#timeoutMs = options.timeoutMs ?? 8_000;
    this.#threshold = options.failuresBeforeUnreachable ?? 2;
    this.#random = options.random ?? Math.random;
    this.#onChange = options.onChange;
    this.#logger = options.logger ?? silentLogger;
    this.#timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (t) => clearTimeout(t),
    };
    if (!(this.#intervalMs > 0 && this.#timeoutMs > 0 && this.#threshold >= 1)) {
      throw new TypeError(
        'intervalMs, timeoutMs must be positive and failuresBeforeUnreachable >= 1',
      );
    }
  }

  /** Whether the contact is known to be unreachable (unknown contacts are not). */
  isUnreachable = (contactUri: string): boolean =>
    this.#entries.get(contactUri)?.reachable === false;

  get trackedCount(): number {
    return this.#entries.size;
  }

  /** Makes the probed set of an agent equal to `targets` (after REGISTER or expiry). */
  sync(agentId: string, targets: readonly ProbeTarget[]): void {
    const wanted = new Map(targets.map((t) => [t.contactUri, t]));
    for (const [uri, e] of this.#entries) {
      if (e.target.agentId === agentId && !wanted.has(uri)) this.untrack(uri);
    }
    for (const t of wanted.values()) this.track(t);
  }

  /**
   * Follows the registrar: pass this as (or call it from) the registrar's
   * `onBindingsChanged`, so the probed set tracks the live bindings and a
   * fresh REGISTER counts as a sign of life.
   */
  bindingsChanged = (
    agentId: string,
    bindings: readonly RegistrationBinding[],
    refreshed: readonly string[] = [],
  ): void => {
    this.sync(
      agentId,
      bindings.map((b) => ({ agentId, contactUri: b.contactUri, nextHop: bindingNextHop(b) })),
    );
    for (const uri of refreshed) this.heardFrom(uri);
  };

  /** Starts probing a contact (a re-REGISTER of a known one updates its next hop). */
  track(target: ProbeTarget): void {
    if (this.#closed) return;
    const existing = this.#entries.get(target.contactUri);
    if (existing) {
      existing.target = target;
      return;
    }
    const entry: Entry = { target, next: null, inFlight: null, failures: 0, reachable: true };
    this.#entries.set(target.contactUri, entry);
    this.#schedule(entry, Math.floor(this.#random() * this.#intervalMs));
  }

  /**
   * The device just sent us a request (a REGISTER refresh): it is there, so
   * it is reachable again without waiting for the next probe, and that
   * request stands for a probe answered now: the next probe is one interval
   * away. (A phone that has just registered is not asked again at once; test
   * phones that take every new Call-ID for a call, as sipp does, would take
   * such an OPTIONS for the call they are waiting for.)
   */
  heardFrom(contactUri: string): void {
    const entry = this.#entries.get(contactUri);
    if (!entry) return;
    entry.failures = 0;
    if (!entry.reachable) this.#setReachable(entry, true, undefined);
    // A probe in flight schedules the next one itself when it settles.
    if (entry.next) {
      this.#timers.clearTimeout(entry.next);
      this.#schedule(entry, this.#intervalMs);
    }
  }

  untrack(contactUri: string): void {
    const entry = this.#entries.get(contactUri);
    if (!entry) return;
    this.#entries.delete(contactUri);
    if (entry.next) this.#timers.clearTimeout(entry.next);
    entry.next = null;
    // A probe in flight finishes on its own (its timeout timer bounds it); its
    // result is ignored because the entry is no longer in the map.
  }

  /** Stops all probing; resolves when probes in flight have settled. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    const inFlight: Promise<void>[] = [];
    for (const uri of [...this.#entries.keys()]) {
      const e = this.#entries.get(uri);
      if (e?.inFlight) inFlight.push(e.inFlight);
      this.untrack(uri);
    }
    await Promise.all(inFlight);
  }

  #schedule(entry: Entry, delayMs: number): void {
    entry.next = this.#timers.setTimeout(() => {
      entry.next = null;
      entry.inFlight = this.#probe(entry).finally(() => {
        entry.inFlight = null;
      });
    }, delayMs);
  }

  async #probe(entry: Entry): Promise<void> {
    const outcome = await this.#sendWithTimeout(entry.target);
    if (this.#closed || this.#entries.get(entry.target.contactUri) !== entry) return;
    if (outcome === 'ok') {
      entry.failures = 0;
      if (!entry.reachable) this.#setReachable(entry, true, undefined);
    } else {
      entry.failures++;
      const proven = outcome === 'port-unreachable' || entry.failures >= this.#threshold;
      if (entry.reachable && proven) this.#setReachable(entry, false, outcome);
    }
    this.#schedule(entry, this.#intervalMs);
  }

  #sendWithTimeout(target: ProbeTarget): Promise<'ok' | ProbeFailure> {
    return new Promise((resolve) => {
      let settled = false;
      const timer = this.#timers.setTimeout(() => {
        if (settled) return;
        settled = true;
        resolve('timeout');
      }, this.#timeoutMs);
      const settle = (v: 'ok' | ProbeFailure) => {
        if (settled) return;
        settled = true;
        this.#timers.clearTimeout(timer);
        resolve(v);
      };
      let sent: Promise<ProbeAnswer>;
      try {
        sent = this.#send(target);
      } catch {
        settle('transport-error');
        return;
      }
      sent.then(
        (answer) => settle(probeOutcome(answer)),
        () => settle('transport-error'),
      );
    });
  }

  #setReachable(entry: Entry, reachable: boolean, cause: ProbeFailure | undefined): void {
    entry.reachable = reachable;
    const t = entry.target;
    this.#logger.info(
      { agentId: t.agentId, contact: t.contactUri, reachable, ...(cause ? { cause } : {}) },
      reachable ? 'device answers OPTIONS again' : 'device stopped answering OPTIONS; not rung',
    );
    try {
      this.#onChange?.(t, reachable);
    } catch (err) {
      this.#logger.error({ err }, 'options prober: onChange listener threw');
    }
  }
}
