/**
 * Which registered devices answer. The OPTIONS prober reports a contact
 * that stops answering, and again when it answers; a REGISTER that refreshes
 * a contact counts as an answer. The dialer rings only reachable devices and
 * the engine counts only those as an agent's registered devices.
 */
import type { RegistrationBinding } from '../ports/index.ts';

export class DeviceReachability {
  /** Contact URIs that stopped answering. */
  readonly #unreachable = new Set<string>();

  constructor(private readonly bindings: (agentId: string) => readonly RegistrationBinding[]) {}

  isUnreachable(contactUri: string): boolean {
    return this.#unreachable.has(contactUri);
  }

  /** The agent's registered devices that answer. */
  count(agentId: string): number {
    return this.bindings(agentId).filter((b) => !this.#unreachable.has(b.contactUri)).length;
  }

  /** The prober's verdict on one contact. */
  probed(contactUri: string, reachable: boolean): void {
    if (reachable) this.#unreachable.delete(contactUri);
    else this.#unreachable.add(contactUri);
  }

  /**
   * A REGISTER changed an agent's bindings: the refreshed contacts answer,
   * and an unreachable contact that is not among the live bindings is
   * forgotten.
   */
  registered(live: readonly RegistrationBinding[], refreshed: readonly string[]): void {
    for (const uri of refreshed) this.#unreachable.delete(uri);
    const current = new Set(live.map((b) => b.contactUri));
    for (const uri of this.#unreachable) if (!current.has(uri)) this.#unreachable.delete(uri);
  }
}
