/**
 * Where the dialer gets an agent's forwarding plan. The composition root
 * builds one from the registrar's bindings, the agents' forwarding settings,
 * the OPTIONS prober and the mobile allow-list (`forwardingSource`), or tests
 * pass their own.
 */
import type { ForwardingMode } from '../../acd/index.ts';
import { type ForwardingPlan, planForwarding } from '../forwarding-plan.ts';
import type { MobileAllowList } from '../mobile-allow-list.ts';
import type { RegistrationBinding } from '../ports.ts';

export interface ForwardingSource {
  planFor(agentId: string): Promise<ForwardingPlan>;
}

export interface AgentReach {
  mode: ForwardingMode;
  mobileNumber: string | null;
}

export interface ForwardingSourceOptions {
  /** The agent's forwarding settings (current, so admin changes apply to the next ring). */
  agent(agentId: string): Promise<AgentReach | null> | AgentReach | null;
  /** Live bindings (registrar.bindings). */
  bindings(agentId: string): Promise<RegistrationBinding[]>;
  /** Contacts that stopped answering OPTIONS. */
  isUnreachable?: (contactUri: string) => boolean;
  allowList(): MobileAllowList;
  trunkUri: string | null;
  mobileDelayMs: number;
  now(): number;
}

export function forwardingSource(o: ForwardingSourceOptions): ForwardingSource {
  return {
    async planFor(agentId) {
      const reach = await o.agent(agentId);
      if (!reach) return { legs: [], skipped: [] };
      const contacts = reach.mode === 'mobile' ? [] : await o.bindings(agentId);
      return planForwarding({
        mode: reach.mode,
        contacts,
        isUnreachable: o.isUnreachable ?? (() => false),
        mobileNumber: reach.mobileNumber,
        allowList: o.allowList(),
        trunkUri: o.trunkUri,
        mobileDelayMs: o.mobileDelayMs,
        now: o.now(),
      });
    },
  };
}
