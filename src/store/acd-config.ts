/**
 * Maps stored rows onto the routing engine's configuration (src/acd/model/types.ts),
 * so the composition root can start the engine from the database and feed it
 * changes without knowing column names.
 */
import type {
  AcdConfig,
  AgentConfig,
  DepartmentConfig,
  MembershipConfig,
} from '../acd/model/types.ts';
import type { Agent, AgentsRepo } from './agents.ts';
import type { Department, DepartmentsRepo } from './departments.ts';
import type { Membership, MembershipsRepo } from './memberships.ts';
import type { RegistrationsRepo } from './registrations.ts';

/** The repositories the engine's configuration is read from. */
export interface AcdConfigSource {
  departments: DepartmentsRepo;
  agents: AgentsRepo;
  memberships: MembershipsRepo;
  registrations: RegistrationsRepo;
}

export function toDepartmentConfig(d: Department): DepartmentConfig {
  const { createdAt: _c, updatedAt: _u, ...config } = d;
  return config;
}

/** `registeredDevices`: live softphone bindings of the agent (see registrations.list). */
export function toAgentConfig(a: Agent, registeredDevices: number): AgentConfig {
  return {
    id: a.id,
    name: a.name,
    maxConcurrentCalls: a.maxConcurrentCalls,
    status: a.status,
    statusUntil: a.statusUntil ? a.statusUntil.getTime() : null,
    forwarding: a.forwardingMode,
    mobileNumber: a.mobileNumber,
    registeredDevices,
  };
}

export function toMembershipConfig(m: Membership): MembershipConfig {
  return {
    agentId: m.agentId,
    departmentId: m.departmentId,
    priority: m.priority,
    callsEnabled: m.callsEnabled,
  };
}

/** The whole engine configuration as stored, with device counts as of `now`. */
export async function loadAcdConfig(store: AcdConfigSource, now: Date): Promise<AcdConfig> {
  const [departments, agents, memberships, registrations] = await Promise.all([
    store.departments.list(),
    store.agents.list(),
    store.memberships.list(),
    store.registrations.list({ activeAt: now }),
  ]);
  const devices = new Map<string, number>();
  for (const r of registrations) devices.set(r.agentId, (devices.get(r.agentId) ?? 0) + 1);
  return {
    departments: departments.map(toDepartmentConfig),
    agents: agents.map((a) => toAgentConfig(a, devices.get(a.id) ?? 0)),
    memberships: memberships.map(toMembershipConfig),
  };
}
