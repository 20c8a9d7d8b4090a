/**
 * An in-memory view of the registrar's live bindings, fed by its
 * `onBindingsChanged` (and by the stored bindings at start-up), so that the
 * hot paths do not query the database:
 *
 * - `agentAt(address, port)`: is this INVITE from a registered agent's device?
 *   (calls from agents are accepted besides the trunks; feature codes need
 *   the agent);
 * - `bindings(agentId)`: the live contacts the dialer rings.
 *
 * Expired bindings are ignored at lookup time (the registrar purges them).
 */
import type { RegistrationBinding } from '../ports/index.ts';

export class RegisteredSources {
  readonly #byAgent = new Map<string, RegistrationBinding[]>();
  readonly #bySource = new Map<string, RegistrationBinding>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces an agent's bindings (the registrar's `onBindingsChanged`). */
  update(agentId: string, bindings: readonly RegistrationBinding[]): void {
    for (const b of this.#byAgent.get(agentId) ?? []) {
      const key = sourceKey(b.sourceAddress, b.sourcePort);
      if (this.#bySource.get(key)?.agentId === agentId) this.#bySource.delete(key);
    }
    if (bindings.length === 0) {
      this.#byAgent.delete(agentId);
      return;
    }
    this.#byAgent.set(agentId, [...bindings]);
    for (const b of bindings) this.#bySource.set(sourceKey(b.sourceAddress, b.sourcePort), b);
  }

  /** The agent whose live binding was registered from this address and port, if any. */
  agentAt(address: string, port: number): string | null {
    const b = this.#bySource.get(sourceKey(address, port));
    return b && b.expiresAt > this.now() ? b.agentId : null;
  }

  /** Live bindings of an agent. */
  bindings(agentId: string): RegistrationBinding[] {
    const now = this.now();
    return (this.#byAgent.get(agentId) ?? []).filter((b) => b.expiresAt > now);
  }

  /** Number of live bindings (the engine's `registeredDevices`). */
  deviceCount(agentId: string): number {
    return this.bindings(agentId).length;
  }
}

function sourceKey(address: string, port: number): string {
  return `${address.replace(/^\[(.*)\]$/, '$1').toLowerCase()}|${port}`;
}
