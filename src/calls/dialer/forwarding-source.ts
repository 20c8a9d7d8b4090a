/**
 * Where the dialer gets an agent's forwarding plan. The composition root
 * builds one from the registrar's bindings, the agents' forwarding settings,
 * the OPTIONS prober and the mobile allow-list (`forwardingSource`), or tests
 * pass their own.
 */
import type { ForwardingMode } from '../../acd/index.ts';
import { type ForwardingPlan, planForwarding } from './forwarding-plan.ts';
import type { MobileAllowList } from './mobile-allow-list.ts';
import type { RegistrationBinding } from '../ports/index.ts';

/**
 * An agent's forwarding plan, at once when everything it needs is in memory
 * (as in the product: the INVITE then leaves in the same turn of the event
 * loop as the engine's `ring`), or later.
 */
export interface ForwardingSource {
  planFor(agentId: string): ForwardingPlan | Promise<ForwardingPlan>;
}

export interface AgentReach {
  mode: ForwardingMode;
  mobileNumber: string | null;
  /** A mobile answer counts only once accepted with 1 (absent = true). */
  confirmMobileAnswer?: boolean;
}

export interface ForwardingSourceOptions {
  /** The agent's forwarding settings (current, so admin changes apply to the next ring). */
  agent(agentId: string): Promise<AgentReach | null> | AgentReach | null;
  /** Live bindings (the registrar's, as kept in memory by the composition root). */
  bindings(agentId: string): Promise<RegistrationBinding[]> | RegistrationBinding[];
  /** Contacts that stopped answering OPTIONS. */
  isUnreachable?: (contactUri: string) => boolean;
  allowList(): MobileAllowList;
  trunkUri: string | null;
  mobileDelayMs: number;
  now(): number;
}

export function forwardingSource(o: ForwardingSourceOptions): ForwardingSource {
  const plan = (reach: AgentReach | null, contacts: RegistrationBinding[]): ForwardingPlan =>
    reach
      ? planForwarding({
          mode: reach.mode,
          contacts,
          isUnreachable: o.isUnreachable ?? (() => false),
          mobileNumber: reach.mobileNumber,
          ...(reach.confirmMobileAnswer !== undefined
            ? { confirmMobileAnswer: reach.confirmMobileAnswer }
            : {}),
          allowList: o.allowList(),
          trunkUri: o.trunkUri,
          mobileDelayMs: o.mobileDelayMs,
          now: o.now(),
        })
      : { legs: [], skipped: [] };
  const withContacts = (agentId: string, reach: AgentReach | null) => {
    if (!reach || reach.mode === 'mobile') return plan(reach, []);
    return andThen(o.bindings(agentId), (contacts) => plan(reach, contacts));
  };
  return {
    planFor: (agentId) => andThen(o.agent(agentId), (reach) => withContacts(agentId, reach)),
  };
}

/** `f(value)` now when `value` is at hand, else once it resolves (no extra turn when it is). */
export function andThen<T, U>(value: T | Promise<T>, f: (v: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}
