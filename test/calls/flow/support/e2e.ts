/**
 * End-to-end rig for the call path: the SIP server under test (the embedded
 * one by default, see test/support/sip-target.ts), a real drachtio-srf app
 * running CallControl with the real ACD engine, and sipp processes as the
 * caller and as the agents' phones (softphones and the mobile trunk).
 *
 * Registrations are given to the dialer directly (bindings pointing at the
 * agents' sipp ports): REGISTER with digest is the registrar's own suite, and
 * the composition of registrar + dialer happens in src/app.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import {
  type AgentConfig,
  createAcd,
  type DepartmentConfig,
  defaultAgent,
  defaultDepartment,
  type ForwardingMode,
  type Presence,
  seededRandom,
} from '../../../../src/acd/index.ts';
import { CallControl } from '../../../../src/calls/call-control.ts';
import { forwardingSource } from '../../../../src/calls/dialer/forwarding-source.ts';
import { MobileAllowList } from '../../../../src/calls/dialer/mobile-allow-list.ts';
import type { RegistrationBinding } from '../../../../src/calls/ports/index.ts';
import type { CallLogEvent } from '../../../../src/calls/recorder/call-events.ts';
import { realScheduler } from '../../../../src/calls/mechanisms/scheduler.ts';
import { asSrf, attachToSrf, asSrfEvents, srfUac } from '../../../../src/calls/srf/srf-adapter.ts';
import { freePort } from '../../../support/ports.ts';
import type { DrachtioAddress } from '../../../support/sip-target.ts';
import { type SippProcess, type SippResult, runSipp, startSipp } from '../../../support/sipp.ts';

export const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scenarios');
export const scenario = (name: string) => path.join(SCENARIOS, `${name}.xml`);

/** The srf calls the rig makes (srf's bundled typings lag its code). */
interface SrfApp {
  connect(opts: DrachtioAddress): void;
  disconnect(): void;
  on(event: 'connect', cb: (err: Error | null) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'close', cb: () => void): void;
}

export interface AgentSetup {
  id: string;
  priority?: number;
  status?: Presence;
  forwarding?: ForwardingMode;
  /** sipp scenario for the softphone; absent = no registered softphone. */
  softphone?: string;
  /** sipp scenario for the mobile (reached through the trunk). */
  mobile?: string;
}

export interface FlowOptions {
  department?: Partial<DepartmentConfig>;
  agents: AgentSetup[];
  trunks?: string[];
  /** Calls each agent sipp takes before it exits (default 1). */
  callsPerAgent?: number;
  /** Agents allowed to change their own status with *51 / *52. */
  mayChangeOwnStatus?: string[];
}

export interface AgentPeers {
  softphone?: SippProcess;
  mobile?: SippProcess;
}

export async function connectSrf(addr: DrachtioAddress): Promise<SrfApp> {
  const srf = new Srf() as unknown as SrfApp;
  srf.on('error', () => {
    // Reported through the failing test itself; srf throws on unhandled 'error' events.
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('srf did not connect within 5 s')), 5000);
    srf.on('connect', (err) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    srf.connect(addr);
  });
  return srf;
}

export async function startFlow(addr: DrachtioAddress, sipPort: number, o: FlowOptions) {
  const peers = new Map<string, AgentPeers>();
  const bindings = new Map<string, RegistrationBinding[]>();
  const mobilePort = await freePort();
  const now = Date.now();
  const agents: AgentConfig[] = [];
  const started: SippProcess[] = [];
  for (const [i, a] of o.agents.entries()) {
    const p: AgentPeers = {};
    if (a.softphone) {
      const port = await freePort();
      p.softphone = await startSipp({
        scenario: scenario(a.softphone),
        localPort: port,
        transport: 'udp',
        calls: o.callsPerAgent ?? 1,
        timeoutSeconds: 20,
      });
      started.push(p.softphone);
      bindings.set(a.id, [
        {
          agentId: a.id,
          contactUri: `sip:${a.id}@127.0.0.1:${port}`,
          expiresAt: now + 3_600_000,
          callId: `reg-${a.id}`,
          cseq: 1,
          sourceAddress: '127.0.0.1',
          sourcePort: port,
          transport: 'udp',
          userAgent: 'sipp',
          updatedAt: now,
        },
      ]);
    }
    if (a.mobile) {
      // One sipp stands for the trunk; agents with a mobile share it (one per test here).
      p.mobile = await startSipp({
        scenario: scenario(a.mobile),
        localPort: mobilePort,
        transport: 'udp',
        calls: o.callsPerAgent ?? 1,
        timeoutSeconds: 20,
      });
      started.push(p.mobile);
    }
    peers.set(a.id, p);
    agents.push(
      defaultAgent(a.id, {
        status: a.status ?? 'available',
        forwarding: a.forwarding ?? (a.mobile && !a.softphone ? 'mobile' : 'softphone'),
        mobileNumber: a.mobile ? `+491700000${i}` : null,
        registeredDevices: a.softphone ? 1 : 0,
      }),
    );
  }
  const dept = defaultDepartment('sales', {
    name: 'Sales',
    strategy: 'priority',
    ringTimeoutS: 2,
    retryDelayS: 1,
    maxMissedRings: 0,
    noAgentAction: { kind: 'hangup' },
    outOfHoursAction: { kind: 'hangup' },
    ...o.department,
  });
  const engine = createAcd(
    {
      departments: [dept],
      agents,
      memberships: o.agents.map((a, i) => ({
        agentId: a.id,
        departmentId: 'sales',
        priority: a.priority ?? i + 1,
        callsEnabled: true,
      })),
    },
    { now: Date.now(), random: seededRandom(11) },
  );
  const srf = await connectSrf(addr);
  const log: CallLogEvent[] = [];
  /** Caller sipp ports that count as a registered agent's device. */
  const agentPorts = new Map<number, string>();
  const statusSet: Array<{ agentId: string; status: string }> = [];
  const published: Array<{ type: string; data: unknown }> = [];
  const trunkUri = `sip:127.0.0.1:${mobilePort}`;
  const cc = new CallControl({
    engine,
    newCallId: () => crypto.randomUUID(),
    uac: srfUac(asSrf(srf)),
    scheduler: realScheduler,
    numbers: {
      route: async (n) =>
        n === '4930100' ? { departmentId: 'sales', departmentName: 'Sales' } : null,
    },
    sources: {
      trunkAddresses: o.trunks ?? ['127.0.0.1'],
      registeredAgentAt: async (_addr, port) => agentPorts.get(port) ?? null,
    },
    featureCodes: {
      agent: async (id) => {
        const a = agents.find((x) => x.id === id);
        return a
          ? {
              id,
              status: engine.snapshot().agents.find((x) => x.id === id)?.presence ?? a.status,
              mayChangeOwnStatus: (o.mayChangeOwnStatus ?? []).includes(id),
            }
          : null;
      },
      setStatus: async (agentId, status) => void statusSet.push({ agentId, status }),
    },
    forwarding: forwardingSource({
      agent: (id) => {
        const a = agents.find((x) => x.id === id);
        return a ? { mode: a.forwarding, mobileNumber: a.mobileNumber } : null;
      },
      // At hand, as in the product: the INVITE leaves in the same turn as the engine's ring.
      bindings: (id) => bindings.get(id) ?? [],
      allowList: () => MobileAllowList.parse(['+4917*']),
      trunkUri,
      mobileDelayMs: 1000,
      now: () => Date.now(),
    }),
    publisher: { publish: (type, data) => void published.push({ type, data }) },
    callLog: { append: (e) => void log.push(e) },
    trunkUri,
  });
  // As the composition root does: INVITEs to call control; a lost SIP server connection ends every call.
  attachToSrf(asSrfEvents(srf), cc);
  let closed = false;
  const f = {
    cc,
    agentPorts,
    statusSet,
    engine,
    log,
    published,
    peers,
    /** Starts a sipp caller in the background. */
    async startCaller(scenarioName: string): Promise<SippProcess> {
      const p = await startSipp({
        scenario: scenario(scenarioName),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: sipPort },
        transport: 'udp',
        service: '4930100',
        timeoutSeconds: 20,
      });
      started.push(p);
      return p;
    },
    /** Runs a sipp caller to completion against the department's number. */
    call(
      scenarioName: string,
      extra: {
        calls?: number;
        rate?: number;
        limit?: number;
        dial?: string;
        localPort?: number;
      } = {},
    ): Promise<SippResult> {
      return (async () =>
        runSipp({
          scenario: scenario(scenarioName),
          localPort: extra.localPort ?? (await freePort()),
          remote: { host: '127.0.0.1', port: sipPort },
          transport: 'udp',
          service: extra.dial ?? '4930100',
          calls: extra.calls ?? 1,
          rate: extra.rate ?? 10,
          ...(extra.limit !== undefined ? { limit: extra.limit } : {}),
          timeoutSeconds: 20,
        }))();
    },
    logTypes: (callId?: string) =>
      log.filter((e) => callId === undefined || e.callId === callId).map((e) => e.type),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await cc.close();
      try {
        srf.disconnect();
      } catch {
        // srf asserts when its socket is already gone (the server was stopped).
      }
      await Promise.all(started.map((s) => s.stop()));
    },
  };
  return f;
}

export type Flow = Awaited<ReturnType<typeof startFlow>>;
