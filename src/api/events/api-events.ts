/**
 * Every event the app publishes, one closed map: a name that is not listed
 * here does not compile. One feed carries them all; the admin API, call
 * control, the leader's reconcile and the live view publish on it, and call
 * control, the routing directory, the live view and the WebSocket stream
 * follow it.
 *
 * - Configuration changes, one per row the admin API (or the change feed,
 *   for another instance's writes) changed: `<noun>.created|updated` with
 *   the store's row (the agent row carries no password hashes), or
 *   `<noun>.deleted` with `{ id }`.
 * - `agent.status`: the same record as the status history.
 * - Call flow (`call.queued`, `agent.ringing`, ...): call control's own map.
 * - `reconcile.fixed`: a call the leader closed, or a leg it ended, for a lost router.
 * - `live.snapshot`: the wallboard's picture, pushed while one watches.
 */
import type { CallFlowEventMap } from '../../acd/index.ts';
import type { StatusChange } from '../../store/agent-status.ts';
import type { Agent } from '../../store/agents.ts';
import type { Department } from '../../store/departments.ts';
import type { Did } from '../../store/dids.ts';
import type { Membership } from '../../store/memberships.ts';
import type { AllowListEntry } from '../../store/mobile-allow-list.ts';
import type { VipCaller } from '../../store/vip-callers.ts';
import type { LiveView } from '../live/live-view.ts';
import { EventBus, type EventBusOptions } from './bus.ts';

export interface Deleted {
  id: string;
}

/** The configuration tables' rows, by the noun their events carry. */
export interface ConfigRows {
  department: Department;
  did: Did;
  agent: Agent;
  membership: Membership;
  'vip-caller': VipCaller;
  'mobile-allow-list': AllowListEntry;
}

export type ConfigNoun = keyof ConfigRows;
export type ConfigRow = ConfigRows[ConfigNoun];

/** `<noun>.created|updated|deleted` for every configuration table. */
export type ConfigEventMap = {
  [N in ConfigNoun as `${N}.created` | `${N}.updated`]: ConfigRows[N];
} & {
  [N in ConfigNoun as `${N}.deleted`]: Deleted;
};

/** What the admin API publishes. */
export interface ApiEventMap extends ConfigEventMap {
  /** The same record as the status history (source 'admin' from the API). */
  'agent.status': StatusChange;
}

/** A call closed, or an agent leg ended, for a router that is gone. */
export type { ReconcileFixed } from '../../acd/index.ts';

export interface AcdEventMap extends ApiEventMap, CallFlowEventMap {
  'live.snapshot': LiveView;
}

export type AcdEventType = keyof AcdEventMap;

export type ApiEvents = EventBus<AcdEventMap>;

export function createEventBus(options: EventBusOptions = {}): ApiEvents {
  return new EventBus<AcdEventMap>(options);
}

/**
 * Publishes one configuration change. The noun arrives as a value (the CRUD
 * routes, the change feed), which the compiler cannot pair with its row; the
 * map's keys are `${noun}.${verb}` for every noun, so the pairing holds.
 */
export function publishConfigChange(
  events: ApiEvents,
  noun: ConfigNoun,
  change: { verb: 'created' | 'updated'; row: ConfigRow } | { verb: 'deleted'; id: string },
): void {
  const open = events as unknown as EventBus<Record<string, unknown>>;
  if (change.verb === 'deleted') open.publish(`${noun}.deleted`, { id: change.id });
  else open.publish(`${noun}.${change.verb}`, change.row);
}
