/**
 * What a standby's routing engine has not heard while another instance
 * routed, read from the store as it takes over.
 *
 * - Registrations: only the routing instance takes REGISTERs, so a
 *   standby's bindings are those of its start. Phones that registered,
 *   refreshed or left at the leader since then are in the store; without a
 *   fresh read, an agent whose phone registered after the standby started
 *   would not be rung until the phone registered again (up to its expiry).
 * - Agent status: the engine hears status changes from its own process's
 *   status writer (agent-status.ts); the leader's changes (its API, its
 *   feature codes, its automatic pauses) reach the standby's store only. An
 *   agent made available at the leader would stay away in the new leader's
 *   engine, and one sent away would be rung.
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

/** The stored status of each agent whose status in the engine differs; returns how many changed. */
export async function catchUpStatuses(p: CatchUpPorts): Promise<number> {
  const stored = await p.agents();
  const inEngine = new Map(p.engine().agents.map((a) => [a.id, a.presence]));
  let changed = 0;
  for (const a of stored) {
    const was = inEngine.get(a.id);
    if (was === undefined || was === a.status) continue;
    changed++;
    p.send({
      type: 'agentStatusChanged',
      agentId: a.id,
      status: a.status,
      until: a.statusUntil ? a.statusUntil.getTime() : null,
      reason: 'takeover',
    });
  }
  return changed;
}
