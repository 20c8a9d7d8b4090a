/**
 * The one writer of agent status. Every change (an admin through the API,
 * a break that ends, the engine's automatic pause, a feature code) is stored
 * with its history by the store in one transaction, told to the routing
 * engine unless the engine made it itself, and announced as `agent.status`
 * on the event feed (wallboards, the WebSocket stream).
 *
 * The engine hears outside changes from here directly, before the event goes
 * out, so its own changes never come back to it.
 *
 * A row another instance stored is read again here before the engine hears
 * it, after this process's own writes to that agent have finished, and is
 * dropped if one began meanwhile: a row read before such a write committed
 * would otherwise carry the old status back into the engine (the engine sets
 * its automatic pause first and stores it after), while the database keeps
 * the write that came last, which is this process's.
 */
import type { ApiEvents } from '../../api/events/api-events.ts';
import type { Agent, SetStatusInput, StatusChange, Store } from '../../store/index.ts';
import type { Logger } from './logger.ts';

/** The routing engine's side: told each status it did not set itself. */
export interface StatusFollower {
  /** A change made in this process outside the engine (the API, an ended break). */
  changed(change: StatusChange): void;
  /**
   * An agent row another instance or SQL by hand stored (the change feed's
   * `agent.updated`): its status applies if the engine has another one.
   */
  storedElsewhere(agent: Agent): void;
}

/** This process's status writes to one agent: how many began, and when all of them have ended. */
interface OwnWrites {
  begun: number;
  settled: Promise<void>;
}

export class AgentStatusService {
  #follower: StatusFollower | null = null;
  /** Per agent this process wrote a status for (one small entry each, kept). */
  readonly #ownWrites = new Map<string, OwnWrites>();

  constructor(
    private readonly store: Pick<Store, 'agentStatus' | 'agents'>,
    private readonly events: ApiEvents,
    private readonly logger: Logger,
  ) {}

  /** The routing engine follows outside changes from now on; returns the function that stops it. */
  follow(follower: StatusFollower): () => void {
    this.#follower = follower;
    return () => {
      if (this.#follower === follower) this.#follower = null;
    };
  }

  /** A change from outside the engine: the admin API. */
  set(agentId: string, input: SetStatusInput): Promise<{ agent: Agent; change: StatusChange }> {
    return this.#own(agentId, async () => {
      const result = await this.store.agentStatus.set(agentId, input);
      this.#announce(result.change, true);
      return result;
    });
  }

  /** Ends the breaks due at `now` (back to available, source 'system'). */
  async endExpiredBreaks(now: Date): Promise<StatusChange[]> {
    const changes = await this.store.agentStatus.endExpiredBreaks(now);
    for (const change of changes) this.#announce(change, true);
    return changes;
  }

  /**
   * An agent row changed by another instance or by hand in SQL (the change
   * feed): already stored and announced as `agent.updated` there, so only
   * the routing engine is told, with the row as stored once this process's
   * own writes to the agent have ended (none if one began meanwhile).
   */
  async storedElsewhere(agentId: string): Promise<void> {
    for (;;) {
      const writes = this.#ownWrites.get(agentId);
      await writes?.settled;
      if (this.#ownWrites.get(agentId) === writes) break;
    }
    const begun = this.#ownWrites.get(agentId)?.begun;
    const agent = await this.store.agents.get(agentId);
    // A write of this process began after the read: it stores last, and the engine already has it.
    if (agent === null || this.#ownWrites.get(agentId)?.begun !== begun) return;
    try {
      this.#follower?.storedElsewhere(agent);
    } catch (err) {
      this.logger.error({ err, agentId }, 'routing engine refused a stored status');
    }
  }

  /** A change the engine made itself (its automatic pause, a feature code): stored and announced. */
  record(agentId: string, input: SetStatusInput): Promise<StatusChange> {
    return this.#own(agentId, async () => {
      const { change } = await this.store.agentStatus.set(agentId, input);
      this.#announce(change, false);
      return change;
    });
  }

  /** Runs one of this process's writes to `agentId`, counted, after which readers wait for it. */
  #own<T>(agentId: string, write: () => Promise<T>): Promise<T> {
    const prior = this.#ownWrites.get(agentId);
    const result = write();
    // Settles once every write so far has ended; keeps no value (no chain of results).
    const settled = Promise.allSettled([prior?.settled, result]).then(() => undefined);
    this.#ownWrites.set(agentId, { begun: (prior?.begun ?? 0) + 1, settled });
    return result;
  }

  #announce(change: StatusChange, tellEngine: boolean): void {
    try {
      if (tellEngine) this.#follower?.changed(change);
    } catch (err) {
      // Stored already: the change stands and still goes out to everyone else.
      this.logger.error({ err, agentId: change.agentId }, 'routing engine refused a status change');
    }
    this.events.publish('agent.status', change);
  }
}
