/**
 * A call-control world for unit tests: the REAL ACD engine, the real
 * forwarding plan and allow-list, a manual clock, and SIP stand-ins (see
 * sip-standins.ts for why).
 */
import {
  type AgentConfig,
  createAcd,
  type DepartmentConfig,
  defaultAgent,
  defaultDepartment,
  seededRandom,
} from '../../../../src/acd/index.ts';
import { CallControl } from '../../../../src/calls/call-control.ts';
import { forwardingSource } from '../../../../src/calls/dialer/forwarding-source.ts';
import { MobileAllowList } from '../../../../src/calls/dialer/mobile-allow-list.ts';
import type { RegistrationBinding } from '../../../../src/calls/ports/index.ts';
import type { CallLogEvent, CallLogSink } from '../../../../src/calls/recorder/call-events.ts';
import { ManualScheduler } from './manual-scheduler.ts';
import { StandInInbound, StandInUac } from './sip-standins.ts';

export interface WorldOptions {
  department?: Partial<DepartmentConfig>;
  agents: Array<Partial<AgentConfig> & { id: string; priority?: number }>;
  /** Softphone contacts per agent (default: one). */
  contacts?: Record<string, number>;
  trunkUri?: string | null;
  mobileDelayMs?: number;
  /** Department id (default 'sales'; the store wants a UUID). */
  departmentId?: string;
  /** Call ids are `<prefix>-1`, `<prefix>-2`… (default 'call'). */
  callIdPrefix?: string;
  /** Where call-log events go (default: the in-memory `log`). */
  callLog?: CallLogSink;
  /** Periodic reconcile (default: off). */
  reconcileEveryMs?: number;
}

export function binding(agentId: string, i: number, now: number): RegistrationBinding {
  return {
    agentId,
    contactUri: `sip:${agentId}-${i}@192.0.2.${10 + i}:5062`,
    expiresAt: now + 3_600_000,
    callId: `reg-${agentId}-${i}`,
    cseq: 1,
    sourceAddress: `192.0.2.${10 + i}`,
    sourcePort: 5062,
    transport: 'udp',
    userAgent: null,
    updatedAt: now - i,
  };
}

export function world(o: WorldOptions) {
  const clock = new ManualScheduler();
  const deptId = o.departmentId ?? 'sales';
  const dept = defaultDepartment(deptId, {
    name: 'Sales',
    strategy: 'priority',
    ringTimeoutS: 15,
    retryDelayS: 5,
    maxMissedRings: 0,
    noAgentAction: { kind: 'hangup' },
    outOfHoursAction: { kind: 'hangup' },
    ...o.department,
  });
  const agents = o.agents.map(({ priority: _p, ...a }) => defaultAgent(a.id, a));
  const engine = createAcd(
    {
      departments: [dept],
      agents,
      memberships: o.agents.map((a, i) => ({
        agentId: a.id,
        departmentId: deptId,
        priority: a.priority ?? i + 1,
        callsEnabled: true,
      })),
    },
    { now: clock.now(), random: seededRandom(7) },
  );
  const uac = new StandInUac();
  const published: Array<{ type: string; data: unknown }> = [];
  const log: CallLogEvent[] = [];
  const paused: string[] = [];
  let seq = 0;
  const cc = new CallControl({
    engine,
    uac,
    scheduler: clock,
    numbers: {
      route: async (n) =>
        n === '+4930100' ? { departmentId: deptId, departmentName: 'Sales' } : null,
    },
    sources: {
      trunkAddresses: ['203.0.113.5'],
      registeredAgentAt: async (addr) => (addr === '192.0.2.11' ? 'alice' : null),
    },
    forwarding: forwardingSource({
      agent: (id) => {
        const a = agents.find((x) => x.id === id);
        return a ? { mode: a.forwarding, mobileNumber: a.mobileNumber } : null;
      },
      bindings: async (id) =>
        Array.from({ length: o.contacts?.[id] ?? 1 }, (_, i) => binding(id, i + 1, clock.now())),
      allowList: () => MobileAllowList.parse(['+4917*']),
      trunkUri: o.trunkUri === undefined ? 'sip:trunk.example:5060' : o.trunkUri,
      mobileDelayMs: o.mobileDelayMs ?? 10_000,
      now: () => clock.now(),
    }),
    publisher: { publish: (type, data) => void published.push({ type, data }) },
    callLog: {
      append: (e) => {
        log.push(e);
        o.callLog?.append(e);
      },
    },
    agentStatus: { pause: async (id) => void paused.push(id) },
    trunkUri: o.trunkUri === undefined ? 'sip:trunk.example:5060' : o.trunkUri,
    newCallId: () => `${o.callIdPrefix ?? 'call'}-${++seq}`,
    ...(o.reconcileEveryMs !== undefined ? { reconcileEveryMs: o.reconcileEveryMs } : {}),
  });
  return {
    clock,
    engine,
    uac,
    cc,
    published,
    log,
    paused,
    /** A call from the trunk to the department's number. */
    async call(inbound = new StandInInbound()) {
      await cc.handleInvite(inbound);
      return inbound;
    },
    types: () => published.map((p) => p.type),
    logTypes: () => log.map((e) => e.type),
  };
}
