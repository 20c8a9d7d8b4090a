/**
 * The one writer of agent status. Every change (an admin through the API,
 * a break that ends, the engine's automatic pause, a feature code) is stored
 * with its history by the store in one transaction, told to the routing
 * engine unless the engine made it itself, and announced as `agent.status`
 * on the event feed (wallboards, the WebSocket stream).
 *
 * The engine hears outside changes from here directly, before the event goes
 * out, so its own changes never come back to it.
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

export class AgentStatusService {
  #follower: StatusFollower | null = null;

  constructor(
    private readonly store: Pick<Store, 'agentStatus'>,
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
  async set(
    agentId: string,
    input: SetStatusInput,
  ): Promise<{ agent: Agent; change: StatusChange }> {
    const result = await this.store.agentStatus.set(agentId, input);
    this.#announce(result.change, true);
    return result;
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
   * the routing engine is told.
   */
  storedElsewhere(agent: Agent): void {
    try {
      this.#follower?.storedElsewhere(agent);
    } catch (err) {
      this.logger.error({ err, agentId: agent.id }, 'routing engine refused a stored status');
    }
  }

  /** A change the engine made itself (its automatic pause, a feature code): stored and announced. */
  async record(agentId: string, input: SetStatusInput): Promise<StatusChange> {
    const { change } = await this.store.agentStatus.set(agentId, input);
    this.#announce(change, false);
    return change;
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
