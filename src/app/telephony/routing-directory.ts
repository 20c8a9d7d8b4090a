/**
 * What call routing looks up per call, held in memory: dialled numbers ->
 * department, department names, agents' forwarding settings, VIP callers.
 *
 * Why in memory: these reads sit on the path from a caller's INVITE to an
 * agent's INVITE, which has a budget of a few milliseconds, and in embedded
 * mode every query runs on a database shared with the call log. Reading the
 * database per call also made routing depend on it: with the directory, calls
 * keep being routed through a database outage with the values read last.
 *
 * How it stays current:
 * - Admin changes arrive as API events and are applied at once, before the
 *   API's answer reaches the admin, so the next call sees them.
 * - A full reload runs at start and then periodically, catching changes made
 *   behind the API's back (SQL by hand). Events that arrive while a reload is
 *   reading are applied again on top of its result, so a reload never undoes
 *   a newer change. A reload that fails (database down) keeps the current
 *   values and logs a warning.
 */
import type { ApiEventMap, ApiEvents } from '../../api/events/api-events.ts';
import type { Agent, Did, Store } from '../../store/index.ts';
import type { Logger } from '../runtime/logger.ts';

export interface RouteTarget {
  departmentId: string;
  departmentName: string;
}

/** The agent fields routing uses to ring an agent's devices. */
export type AgentForwarding = Pick<
  Agent,
  'id' | 'forwardingMode' | 'mobileNumber' | 'mobileDelayS' | 'confirmMobileAnswer'
>;

/**
 * Rows found by a unique number but changed and deleted by id (a DID can be
 * renumbered, a VIP entry given another caller number).
 */
class ByNumber<V> {
  readonly #numberOf = new Map<string, string>();
  readonly #byNumber = new Map<string, { id: string; value: V }>();

  get(number: string): V | undefined {
    return this.#byNumber.get(number)?.value;
  }

  put(id: string, number: string, value: V): void {
    this.remove(id);
    this.#numberOf.set(id, number);
    this.#byNumber.set(number, { id, value });
  }

  remove(id: string): void {
    const number = this.#numberOf.get(id);
    if (number === undefined) return;
    this.#numberOf.delete(id);
    // Another row may hold the number by now (renumbered in a later event).
    if (this.#byNumber.get(number)?.id === id) this.#byNumber.delete(number);
  }
}

type Snapshot = {
  departments: Map<string, string>;
  /** Dialled number (E.164) -> department id. */
  dids: ByNumber<string>;
  agents: Map<string, AgentForwarding>;
  vips: ByNumber<true>;
};

type DirectoryEvent = {
  [K in keyof ApiEventMap]: { type: K; data: ApiEventMap[K] };
}[keyof ApiEventMap];

const EVENT_TYPE = /^(did|department|agent|vip-caller)\.(created|updated|deleted)$/;

function emptySnapshot(): Snapshot {
  return {
    departments: new Map(),
    dids: new ByNumber(),
    agents: new Map(),
    vips: new ByNumber(),
  };
}

export class RoutingDirectory {
  #now: Snapshot = emptySnapshot();
  /** Events seen while a reload is reading; replayed on its result. */
  #duringReload: DirectoryEvent[] | null = null;
  #reloading: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #offEvents: (() => void) | null = null;

  private constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /**
   * Reads everything once (the database must be up at start), then follows
   * `events` and reloads every `refreshMs`. `close()` stops both.
   */
  static async open(
    store: Store,
    events: Pick<ApiEvents, 'onAny'>,
    log: Logger,
    refreshMs: number,
  ): Promise<RoutingDirectory> {
    const directory = new RoutingDirectory(store, log);
    directory.#now = await directory.#read();
    directory.#offEvents = events.onAny((e) => {
      if (EVENT_TYPE.test(e.type)) directory.apply(e as DirectoryEvent);
    });
    directory.#timer = setInterval(() => void directory.reload(), refreshMs);
    directory.#timer.unref();
    return directory;
  }

  /** The department a dialled number reaches: as dialled, then as E.164 with a '+'. */
  route(dialled: string): RouteTarget | null {
    const s = this.#now;
    const departmentId =
      s.dids.get(dialled) ?? (/^\d+$/.test(dialled) ? s.dids.get(`+${dialled}`) : undefined);
    const name = departmentId === undefined ? undefined : s.departments.get(departmentId);
    return departmentId !== undefined && name !== undefined
      ? { departmentId, departmentName: name }
      : null;
  }

  /** A department's name (caller ID after an overflow). */
  departmentName(id: string): string | undefined {
    return this.#now.departments.get(id);
  }

  agent(id: string): AgentForwarding | null {
    return this.#now.agents.get(id) ?? null;
  }

  isVip(callerNumber: string): boolean {
    return this.#now.vips.get(callerNumber) === true;
  }

  /** Applies one admin change at once (idempotent: replaying it changes nothing). */
  apply(event: DirectoryEvent): void {
    this.#duringReload?.push(event);
    applyTo(this.#now, event);
  }

  /** Reads everything again; concurrent calls share one read. Never rejects. */
  reload(): Promise<void> {
    this.#reloading ??= (async () => {
      this.#duringReload = [];
      try {
        const fresh = await this.#read();
        for (const e of this.#duringReload) applyTo(fresh, e);
        this.#now = fresh;
      } catch (err) {
        this.log.warn(
          { err },
          'routing directory: reload failed; routing with the values read last',
        );
      } finally {
        this.#duringReload = null;
        this.#reloading = null;
      }
    })();
    return this.#reloading;
  }

  async close(): Promise<void> {
    this.#offEvents?.();
    this.#offEvents = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#reloading;
  }

  async #read(): Promise<Snapshot> {
    const [departments, dids, agents, vips] = await Promise.all([
      this.store.departments.list(),
      this.store.dids.list(),
      this.store.agents.list(),
      this.store.vipCallers.list(),
    ]);
    const s = emptySnapshot();
    for (const d of departments) s.departments.set(d.id, d.name);
    for (const d of dids) putDid(s, d);
    for (const a of agents) putAgent(s, a);
    for (const v of vips) s.vips.put(v.id, v.callerNumber, true);
    return s;
  }
}

function putDid(s: Snapshot, did: Pick<Did, 'id' | 'number' | 'departmentId'>): void {
  s.dids.put(did.id, did.number, did.departmentId);
}

function putAgent(s: Snapshot, a: AgentForwarding): void {
  const { id, forwardingMode, mobileNumber, mobileDelayS, confirmMobileAnswer } = a;
  s.agents.set(id, { id, forwardingMode, mobileNumber, mobileDelayS, confirmMobileAnswer });
}

function applyTo(s: Snapshot, e: DirectoryEvent): void {
  switch (e.type) {
    case 'department.created':
    case 'department.updated':
      s.departments.set(e.data.id, e.data.name);
      return;
    case 'department.deleted':
      // The database refuses this while numbers point to it; route() checks anyway.
      s.departments.delete(e.data.id);
      return;
    case 'did.created':
    case 'did.updated':
      putDid(s, e.data);
      return;
    case 'did.deleted':
      s.dids.remove(e.data.id);
      return;
    case 'agent.created':
    case 'agent.updated':
      putAgent(s, e.data);
      return;
    case 'agent.deleted':
      s.agents.delete(e.data.id);
      return;
    case 'vip-caller.created':
    case 'vip-caller.updated':
      s.vips.put(e.data.id, e.data.callerNumber, true);
      return;
    case 'vip-caller.deleted':
      s.vips.remove(e.data.id);
      return;
    default:
      return;
  }
}
