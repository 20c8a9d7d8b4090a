/**
 * The events the admin API publishes, one per change, `noun.verb` named.
 * Payloads are the store's rows (the agent row carries no password hashes)
 * or `{ id }` for deletions. Call control subscribes to these to apply
 * routing changes without a restart, and publishes its own call and agent
 * events on the same bus (typed by its own map; the bus accepts any
 * `noun.verb` name besides these).
 */
import type { StatusChange } from '../../store/agent-status.ts';
import type { Agent } from '../../store/agents.ts';
import type { Department } from '../../store/departments.ts';
import type { Did } from '../../store/dids.ts';
import type { Membership } from '../../store/memberships.ts';
import type { AllowListEntry } from '../../store/mobile-allow-list.ts';
import type { VipCaller } from '../../store/vip-callers.ts';
import { EventBus, type EventBusOptions } from './bus.ts';

export interface Deleted {
  id: string;
}

export interface ApiEventMap {
  'department.created': Department;
  'department.updated': Department;
  'department.deleted': Deleted;
  'did.created': Did;
  'did.updated': Did;
  'did.deleted': Deleted;
  'agent.created': Agent;
  'agent.updated': Agent;
  'agent.deleted': Deleted;
  /** The same record as the status history (source 'admin' from the API). */
  'agent.status': StatusChange;
  'membership.created': Membership;
  'membership.updated': Membership;
  'membership.deleted': Deleted;
  'vip-caller.created': VipCaller;
  'vip-caller.updated': VipCaller;
  'vip-caller.deleted': Deleted;
  'mobile-allow-list.created': AllowListEntry;
  'mobile-allow-list.updated': AllowListEntry;
  'mobile-allow-list.deleted': Deleted;
}

/** API events plus whatever later layers publish (`call.queued`, `agent.ringing`, ...). */
export type AcdEventMap = ApiEventMap & { [type: string]: unknown };

export type ApiEvents = EventBus<AcdEventMap>;

export function createEventBus(options: EventBusOptions = {}): ApiEvents {
  return new EventBus<AcdEventMap>(options);
}
