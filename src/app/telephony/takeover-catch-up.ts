/**
 * What a standby's routing engine has not heard while another instance
 * routed, read from the store as it takes over.
 *
 * - Registrations: only the routing instance takes REGISTERs, so a
 *   standby's bindings are those of its start. Phones that registered,
 *   refreshed or left at the leader since then are in the store; without a
 *   fresh read, an agent whose phone registered after the standby started
 *   would not be rung until the phone registered again (up to its expiry).
 * - Agent status: statuses stored by another instance (its API, its
 *   feature codes, its automatic pauses) or by hand in SQL reach this
 *   engine through the change feed (`storedStatusEvent`), but a feed that
 *   was reconnecting misses some; an agent made available at the dead
 *   leader must not stay away here, nor one sent away be rung, so the
 *   stored statuses are compared once more.
 */
import type { AcdSnapshot } from '../../acd/index.ts';
import type { RegistrationBinding } from '../../calls/ports/index.ts';
import type { DriverEvent } from '../../calls/engine/engine-driver.ts';
import type { Agent } from '../../store/index.ts';

export interface CatchUpPorts {
  /** Bindings live now, by agent. */
  liveBindings(): Promise<Map<string, RegistrationBinding[]>>;
  /** Agents that have bindings in this instance now. */
  withBindings(): Iterable<string>;
  /** Replaces an agent's bindings (as the registrar's change does). */
  bindingsChanged(agentId: string, bindings: RegistrationBinding[]): void;
  agents(): Promise<Agent[]>;
  engine(): Pick<AcdSnapshot, 'agents'>;
  send(event: DriverEvent): void;
}

export async function reloadBindings(p: CatchUpPorts): Promise<void> {
  const live = await p.liveBindings();
  for (const agentId of new Set([...p.withBindings(), ...live.keys()]))
    p.bindingsChanged(agentId, live.get(agentId) ?? []);
}

/**
 * The engine event that brings the engine to an agent's stored status, or
 * null when the engine has that status already (or does not know the
 * agent). A status the engine already has is not sent again: the engine
 * would take it as a fresh change (and end a wrap-up).
 */
export function storedStatusEvent(
  agent: Pick<Agent, 'id' | 'status' | 'statusUntil'>,
  inEngine: string | undefined,
  reason: string,
): DriverEvent | null {
  if (inEngine === undefined || inEngine === agent.status) return null;
  return {
    type: 'agentStatusChanged',
    agentId: agent.id,
    status: agent.status,
    until: agent.statusUntil ? agent.statusUntil.getTime() : null,
    reason,
  };
}

/** The stored status of each agent whose status in the engine differs; returns how many changed. */
export async function catchUpStatuses(p: CatchUpPorts): Promise<number> {
  const stored = await p.agents();
  const inEngine = new Map(p.engine().agents.map((a) => [a.id, a.presence]));
  let changed = 0;
  for (const a of stored) {
    const event = storedStatusEvent(a, inEngine.get(a.id), 'takeover');
    if (event === null) continue;
    changed++;
    p.send(event);
  }
  return changed;
}
