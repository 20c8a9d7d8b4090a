/**
 * Keeps the routing engine in step with the configuration: every change on
 * the event feed (departments, agents, memberships, the mobile allow-list)
 * becomes an engine event, so the next decision uses it without a restart.
 * Status changes reach the engine from the status writer (src/app/runtime/agent-status.ts)
 * through `statusEvent`.
 */
import type { ApiEvents } from '../../api/events/api-events.ts';
import type { DriverEvent } from '../../calls/engine/engine-driver.ts';
import type { Membership, StatusChange } from '../../store/index.ts';
import { toAgentConfig, toDepartmentConfig, toMembershipConfig } from '../../store/index.ts';

export interface EngineSyncOptions {
  events: ApiEvents;
  send(event: DriverEvent): void;
  /** Reachable registered devices of an agent (the engine's `registeredDevices`). */
  deviceCount(agentId: string): number;
  /** Memberships as stored at start (deletions name only the id). */
  memberships: readonly Membership[];
  /** The mobile allow-list changed: reload it. */
  allowListChanged(): void;
}

/** A status change made outside the engine, as the engine's event. */
export function statusEvent(c: StatusChange): DriverEvent {
  return {
    type: 'agentStatusChanged',
    agentId: c.agentId,
    status: c.toStatus,
    until: c.until ? c.until.getTime() : null,
    ...(c.reason ? { reason: c.reason } : {}),
  };
}

/** Subscribes; returns the function that unsubscribes. */
export function syncEngineWithApi(o: EngineSyncOptions): () => void {
  const byId = new Map(o.memberships.map((m) => [m.id, m]));
  const membership = (m: Membership) => {
    byId.set(m.id, m);
    o.send({ type: 'configChanged', changes: { memberships: [toMembershipConfig(m)] } });
  };
  const offs = [
    o.events.on('department.created', (e) =>
      o.send({ type: 'configChanged', changes: { departments: [toDepartmentConfig(e.data)] } }),
    ),
    o.events.on('department.updated', (e) =>
      o.send({ type: 'configChanged', changes: { departments: [toDepartmentConfig(e.data)] } }),
    ),
    o.events.on('department.deleted', (e) =>
      o.send({ type: 'configChanged', changes: { removedDepartments: [e.data.id] } }),
    ),
    o.events.on('agent.created', (e) =>
      o.send({
        type: 'configChanged',
        changes: { agents: [toAgentConfig(e.data, o.deviceCount(e.data.id))] },
      }),
    ),
    o.events.on('agent.updated', (e) =>
      o.send({
        type: 'configChanged',
        changes: { agents: [toAgentConfig(e.data, o.deviceCount(e.data.id))] },
      }),
    ),
    o.events.on('agent.deleted', (e) =>
      o.send({ type: 'configChanged', changes: { removedAgents: [e.data.id] } }),
    ),
    o.events.on('membership.created', (e) => membership(e.data)),
    o.events.on('membership.updated', (e) => membership(e.data)),
    o.events.on('membership.deleted', (e) => {
      const m = byId.get(e.data.id);
      if (!m) return;
      byId.delete(e.data.id);
      o.send({
        type: 'configChanged',
        changes: { removedMemberships: [{ agentId: m.agentId, departmentId: m.departmentId }] },
      });
    }),
    o.events.on('mobile-allow-list.created', () => o.allowListChanged()),
    o.events.on('mobile-allow-list.updated', () => o.allowListChanged()),
    o.events.on('mobile-allow-list.deleted', () => o.allowListChanged()),
  ];
  return () => {
    for (const off of offs) off();
  };
}
