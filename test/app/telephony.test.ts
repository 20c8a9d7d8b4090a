/**
 * The whole product end to end, as `npm start` runs it (support/product.ts:
 * embedded SIP server, drachtio-srf, registrar, call control, call log on
 * the store), configured only through HTTP calls to the
 * admin API, with sipp as the agents' softphones and as the caller.
 *
 *   sipp agent ──REGISTER (digest)──▶ embedded SIP server ─▶ srf ─▶ registrar ─▶ store
 *   sipp caller ──INVITE DID──▶ ... ─▶ call control + ACD engine ─▶ INVITE ─▶ sipp agent
 *
 * Verdicts: sipp's exit codes (what each peer saw), the call and attempt rows
 * through /api/calls, the routing explanation, and the WebSocket events.
 * Runs on PGlite (a data directory, so a restart finds the same rows) and on
 * a real Postgres server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedSipServer, startSipServer } from '../../src/edge/index.ts';
import { connect, type EventClient, eventsUrl } from '../api/support/ws-client.ts';
import { freePort } from '../support/ports.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import {
  type Product,
  type ProductOptions,
  startProduct as startProductFixture,
  stopProducts,
  TOKEN,
} from './support/product.ts';
import {
  assertSippPassed,
  countInTrace,
  runSipp,
  type SippProcess,
  startSipp,
} from '../support/sipp.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ownScenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);
// The call-flow suite's peers: the agent scenario also checks the caller ID ("<caller> Sales").
const flowScenario = (name: string) => path.join(here, '../calls/flow/scenarios', `${name}.xml`);

const DID = '+4930100';

type Database = Pick<ProductOptions, 'dataDir' | 'databaseUrl'>;

interface Backend {
  name: string;
  /** Database settings for one test's app (the same on restart). */
  database(): Promise<Database>;
  cleanup(): Promise<void>;
}

function pgliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'PGlite',
    async database() {
      const dir = await mkdtemp(path.join(tmpdir(), 'acd-telephony-'));
      dirs.push(dir);
      return { dataDir: dir };
    },
    async cleanup() {
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

function postgresBackend(): Backend {
  let pg: TestPostgres | null = null;
  return {
    name: 'Postgres',
    async database() {
      pg ??= await startPostgres();
      return { databaseUrl: await pg.createDatabase() };
    },
    async cleanup() {
      await pg?.stop();
      pg = null;
    },
  };
}

/** One running product, and the SIP server when the app was pointed at one it did not start. */
type Running = Product & { externalEdge?: EmbeddedSipServer };

const sipps = new Set<SippProcess>();
const clients = new Set<EventClient>();

afterEach(async () => {
  await Promise.all([...clients].map((c) => c.close()));
  clients.clear();
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  await stopProducts();
});

function startProduct(
  database: Database,
  sipPort: number,
  drachtio: Record<string, unknown> = { port: 0 },
): Promise<Running> {
  return startProductFixture({ ...database, sipPort, logLevel: 'warn', overrides: { drachtio } });
}

interface Setup {
  departmentId: string;
  agents: Record<string, { id: string; username: string; password: string }>;
}

/** Department "Sales" (priority routing) with its number and agents, all through the API. */
async function configure(r: Running, agents: Array<{ name: string; priority: number }>) {
  const dept = await r.api<{ id: string }>('POST', '/departments', {
    name: 'Sales',
    strategy: 'priority',
    ringTimeoutS: 10,
    noAgentAction: { kind: 'hangup' },
    outOfHoursAction: { kind: 'hangup' },
  });
  await r.api('POST', '/dids', { number: DID, departmentId: dept.id });
  const setup: Setup = { departmentId: dept.id, agents: {} };
  for (const [i, a] of agents.entries()) {
    const username = String(1001 + i);
    const password = `pw-${a.name}-secret`;
    const agent = await r.api<{ id: string }>('POST', '/agents', {
      name: a.name,
      sipUsername: username,
      password,
      status: 'available',
    });
    await r.api('POST', '/memberships', {
      agentId: agent.id,
      departmentId: dept.id,
      priority: a.priority,
    });
    setup.agents[a.name] = { id: agent.id, username, password };
  }
  return setup;
}

/** The agent's softphone REGISTERs with digest auth from `localPort`. */
async function register(r: Running, agent: Setup['agents'][string], localPort: number) {
  const res = await runSipp({
    scenario: ownScenario('agent-register'),
    localPort,
    remote: { host: '127.0.0.1', port: r.sipPort },
    service: agent.username,
    extraArgs: ['-au', agent.username, '-ap', agent.password],
    timeoutSeconds: 15,
  });
  assertSippPassed(res, `REGISTER of ${agent.username}`);
  expect(countInTrace(res.messages, /^SIP\/2\.0 401/, 'received')).toBe(1);
}

/** The agent's phone, waiting for calls on the port it registered from. */
async function phone(localPort: number, scenario = 'agent-answer', calls = 1) {
  const p = await startSipp({
    scenario: flowScenario(scenario),
    localPort,
    calls,
    timeoutSeconds: 30,
  });
  sipps.add(p);
  return p;
}

function call(r: Running) {
  return (async () =>
    runSipp({
      scenario: flowScenario('caller-talk-hangup'),
      localPort: await freePort(),
      remote: { host: '127.0.0.1', port: r.sipPort },
      service: DID.slice(1),
      timeoutSeconds: 30,
    }))();
}

interface CallRow {
  id: string;
  outcome: string | null;
  agentId: string | null;
  departmentId: string;
  routing: { chosen: string[]; candidates: string[]; strategy: string } | null;
  attempts: Array<{ agentId: string; result: string | null; device: string }>;
}

/** Polls the API until `count` calls are logged as ended (the call log is written asynchronously). */
async function endedCalls(r: Running, count: number): Promise<CallRow[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const page = await r.api<{ items: Array<{ id: string; outcome: string | null }> }>(
      'GET',
      '/calls',
    );
    const ended = page.items.filter((c) => c.outcome !== null);
    if (ended.length >= count) {
      return Promise.all(ended.map((c) => r.api<CallRow>('GET', `/calls/${c.id}`)));
    }
    if (Date.now() > deadline) {
      throw new Error(`expected ${count} ended calls, API shows ${JSON.stringify(page.items)}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Nothing of any call is left: sessions, attempts, engine timer, SIP dialogs. */
async function expectIdle(r: Running): Promise<void> {
  const rt = r.telephony.calls;
  await rt.callControl.settled();
  expect(rt.callControl.sessions.size).toBe(0);
  expect(rt.callControl.attempts.size).toBe(0);
  const edge = r.telephony.edge ?? r.externalEdge;
  if (!edge) throw new Error('expected a SIP server to inspect');
  const deadline = Date.now() + 5000;
  while (edge.stats().dialogs > 0 && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 20));
  }
  expect(edge.stats().dialogs).toBe(0);
}

/** A call to the DID reaches the agent's phone (on `port`), is answered, logged, and leaves nothing behind. */
async function expectAnsweredBy(r: Running, agentId: string, port: number): Promise<void> {
  const agentPhone = await phone(port);
  assertSippPassed(await call(r), 'caller');
  assertSippPassed(await agentPhone.finished, 'agent');
  const [logged] = await endedCalls(r, 1);
  expect(logged).toMatchObject({ outcome: 'answered', agentId });
  await expectIdle(r);
}

describe.each([pgliteBackend(), postgresBackend()])(
  'the product end to end on $name',
  (backend) => {
    afterAll(() => backend.cleanup());

    it('an agent registers with digest auth; a call to the DID reaches them, is bridged, logged and streamed', async () => {
      const r = await startProduct(await backend.database(), await freePort());
      const s = await configure(r, [{ name: 'alice', priority: 1 }]);
      const alice = s.agents.alice;
      if (!alice) throw new Error('no alice');
      const stream = await connect(eventsUrl(r.app.httpUrl, TOKEN));
      clients.add(stream);

      const port = await freePort();
      await register(r, alice, port);
      const regs = await r.api<{ items: Array<{ agentId: string; sourcePort: number }> }>(
        'GET',
        '/registrations',
      );
      expect(regs.items).toEqual([
        expect.objectContaining({ agentId: alice.id, sourcePort: port }),
      ]);

      const agentPhone = await phone(port);
      assertSippPassed(await call(r), 'caller');
      assertSippPassed(await agentPhone.finished, 'agent');

      const [logged] = await endedCalls(r, 1);
      expect(logged).toMatchObject({
        outcome: 'answered',
        agentId: alice.id,
        departmentId: s.departmentId,
        attempts: [
          {
            agentId: alice.id,
            result: 'answered',
            device: `sip:1001@127.0.0.1:${port};transport=UDP`,
          },
        ],
      });
      // The routing explanation: who was considered, who was chosen.
      expect(logged?.routing).toMatchObject({
        strategy: 'priority',
        candidates: [alice.id],
        chosen: [alice.id],
      });

      const callId = logged?.id;
      const forCall = (type: string) => (e: { type: string; data: Record<string, unknown> }) =>
        e.type === type && e.data.callId === callId;
      await stream.waitFor(forCall('call.ended'));
      const types = stream.events
        .filter((e) => e.data.callId === callId)
        .map((e) => e.type)
        .filter((t) => ['call.queued', 'agent.ringing', 'call.answered', 'call.ended'].includes(t));
      expect(types).toEqual(['call.queued', 'agent.ringing', 'call.answered', 'call.ended']);
      expect(stream.events.find(forCall('call.ended'))?.data).toMatchObject({
        outcome: 'answered',
        agentId: alice.id,
      });
      await expectIdle(r);
      // The SIP server's and call control's counters are on /metrics, back at 0.
      const metrics = await (
        await fetch(`${r.app.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      expect(metrics).toMatch(/^acd_sip_dialogs 0$/m);
      expect(metrics).toMatch(/^acd_calls_live 0$/m);
      expect(metrics).toMatch(/^acd_call_log_written_total [1-9]\d*$/m);
    }, 120_000);

    it('a live change through the API (agent status, then priority) applies to the next call', async () => {
      const r = await startProduct(await backend.database(), await freePort());
      const s = await configure(r, [
        { name: 'alice', priority: 1 },
        { name: 'bob', priority: 2 },
      ]);
      const { alice, bob } = s.agents;
      if (!alice || !bob) throw new Error('agents missing');
      const alicePort = await freePort();
      const bobPort = await freePort();
      await register(r, alice, alicePort);
      await register(r, bob, bobPort);
      const alicePhone = await phone(alicePort, 'agent-answer', 2);
      const bobPhone = await phone(bobPort, 'agent-answer', 2);

      // Alice (priority 1) goes away: the next call goes to Bob.
      await r.api('PUT', `/agents/${alice.id}/status`, { status: 'away' });
      assertSippPassed(await call(r), 'caller 1');
      const first = await endedCalls(r, 1);
      expect(first.map((c) => c.agentId)).toEqual([bob.id]);
      expect(first[0]?.routing?.candidates).not.toContain(alice.id);

      // Alice back, but Bob now ranks first: Bob again.
      await r.api('PUT', `/agents/${alice.id}/status`, { status: 'available' });
      const memberships = await r.api<{ items: Array<{ id: string; agentId: string }> }>(
        'GET',
        `/memberships?agentId=${bob.id}`,
      );
      const bobMembership = memberships.items.find((m) => m.agentId === bob.id);
      if (!bobMembership) throw new Error('no membership for bob');
      await r.api('PATCH', `/memberships/${bobMembership.id}`, { priority: 1 });
      await r.api('PATCH', `/memberships/${(await membershipOf(r, alice.id)).id}`, {
        priority: 5,
      });
      await expectIdle(r);
      assertSippPassed(await call(r), 'caller 2');
      const both = await endedCalls(r, 2);
      expect(both.map((c) => c.agentId)).toEqual([bob.id, bob.id]);
      // The second decision saw both agents and chose Bob by priority.
      const second = both.find((c) => c.id !== first[0]?.id);
      expect(second?.routing?.candidates).toEqual(expect.arrayContaining([alice.id, bob.id]));
      expect(second?.routing?.chosen).toEqual([bob.id]);

      assertSippPassed(await bobPhone.finished, 'bob');
      const aliceSaw = await alicePhone.stop();
      expect(countInTrace(aliceSaw.messages, /^INVITE /, 'received')).toBe(0);
      await expectIdle(r);
    }, 120_000);

    it('an agent dials *52 from their softphone (digest-challenged): status away, stored and streamed', async () => {
      const r = await startProduct(await backend.database(), await freePort());
      const s = await configure(r, [{ name: 'alice', priority: 1 }]);
      const alice = s.agents.alice;
      if (!alice) throw new Error('no alice');
      await r.api('PATCH', `/agents/${alice.id}`, { mayChangeOwnStatus: true });
      const stream = await connect(eventsUrl(r.app.httpUrl, TOKEN));
      clients.add(stream);
      const port = await freePort();
      await register(r, alice, port);

      // The phone answers the 407 challenge with the agent's credentials.
      const res = await runSipp({
        scenario: ownScenario('caller-feature-code-auth'),
        localPort: port,
        remote: { host: '127.0.0.1', port: r.sipPort },
        service: '*52',
        keys: { agent: alice.username },
        extraArgs: [
          ...['-au', alice.username, '-ap', alice.password],
          ...['-auth_uri', `*52@127.0.0.1:${r.sipPort}`],
        ],
        timeoutSeconds: 15,
      });
      assertSippPassed(res, 'feature code call');
      const event = await stream.waitFor(
        (e) => e.type === 'agent.status' && e.data.agentId === alice.id,
      );
      expect(event.data).toMatchObject({ toStatus: 'away', source: 'agent' });
      const agent = await r.api<{ status: string }>('GET', `/agents/${alice.id}`);
      expect(agent.status).toBe('away');
      // The engine knows too: a call now waits in the queue (nobody is rung) until the caller gives up.
      const caller = await runSipp({
        scenario: flowScenario('caller-cancel'),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: r.sipPort },
        service: DID.slice(1),
        timeoutSeconds: 15,
      });
      assertSippPassed(caller, 'caller who hangs up while queued');
      const [logged] = await endedCalls(r, 1);
      expect(logged).toMatchObject({ outcome: 'abandoned', agentId: null, attempts: [] });
      await expectIdle(r);
    }, 120_000);

    it('a restart keeps registrations: the call reaches the agent without a new REGISTER', async () => {
      const database = await backend.database();
      const sipPort = await freePort();
      const first = await startProduct(database, sipPort);
      const s = await configure(first, [{ name: 'alice', priority: 1 }]);
      const alice = s.agents.alice;
      if (!alice) throw new Error('no alice');
      const port = await freePort();
      await register(first, alice, port);
      await first.app.close();

      const second = await startProduct(database, sipPort);
      expect(second.telephony.calls.sources.deviceCount(alice.id)).toBe(1);
      const agentPhone = await phone(port);
      assertSippPassed(await call(second), 'caller');
      const agentSaw = await agentPhone.finished;
      assertSippPassed(agentSaw, 'agent');
      expect(countInTrace(agentSaw.messages, /^INVITE /, 'received')).toBe(1);
      const [logged] = await endedCalls(second, 1);
      expect(logged).toMatchObject({ outcome: 'answered', agentId: alice.id });
      await expectIdle(second);
    }, 180_000);
  },
);

async function membershipOf(r: Running, agentId: string): Promise<{ id: string }> {
  const page = await r.api<{ items: Array<{ id: string; agentId: string }> }>(
    'GET',
    `/memberships?agentId=${agentId}`,
  );
  const m = page.items.find((x) => x.agentId === agentId);
  if (!m) throw new Error(`no membership for ${agentId}`);
  return m;
}

describe('the product with an external SIP server (drachtio.host set)', () => {
  it('starts no SIP listener of its own, connects to the given server and routes calls through it', async () => {
    // A SIP server the app did not start, standing in for a drachtio-server
    // (the embedded one speaks the same wire protocol).
    const sipPort = await freePort();
    const server = await startSipServer({
      listen: [
        { protocol: 'udp', host: '127.0.0.1', port: sipPort },
        { protocol: 'tcp', host: '127.0.0.1', port: sipPort },
      ],
      control: { host: '127.0.0.1', port: 0 },
      secret: 'external-secret',
    });
    try {
      const dir = await mkdtemp(path.join(tmpdir(), 'acd-telephony-ext-'));
      try {
        const r = await startProduct({ dataDir: dir }, sipPort, {
          host: '127.0.0.1',
          port: server.controlAddress.port,
          secret: 'external-secret',
        });
        r.externalEdge = server;
        expect(r.telephony.edge).toBeNull();
        expect(server.stats().appConnections).toBe(1);
        const s = await configure(r, [{ name: 'alice', priority: 1 }]);
        const alice = s.agents.alice;
        if (!alice) throw new Error('no alice');
        const port = await freePort();
        await register(r, alice, port);
        await expectAnsweredBy(r, alice.id, port);
        await r.app.close();
        // The app's close released its connection; the server it did not start keeps running.
        const deadline = Date.now() + 5000;
        while (server.stats().appConnections > 0 && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 20));
        }
        expect(server.stats().appConnections).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe('the product when the SIP server goes away and comes back', () => {
  it('reports not ready meanwhile, reconnects by itself, and routes calls again', async () => {
    const sipPort = await freePort();
    const controlPort = await freePort();
    const serverOptions = {
      listen: [
        { protocol: 'udp' as const, host: '127.0.0.1', port: sipPort },
        { protocol: 'tcp' as const, host: '127.0.0.1', port: sipPort },
      ],
      control: { host: '127.0.0.1', port: controlPort },
      secret: 'external-secret',
    };
    let server = await startSipServer(serverOptions);
    const dir = await mkdtemp(path.join(tmpdir(), 'acd-telephony-reconnect-'));
    try {
      const r = await startProduct({ dataDir: dir }, sipPort, {
        host: '127.0.0.1',
        port: controlPort,
        secret: 'external-secret',
      });
      const s = await configure(r, [{ name: 'alice', priority: 1 }]);
      const alice = s.agents.alice;
      if (!alice) throw new Error('no alice');
      const port = await freePort();
      await register(r, alice, port);

      const readyz = async () => {
        const res = await fetch(`${r.app.httpUrl}/readyz`);
        return { status: res.status, body: await res.text() };
      };
      expect((await readyz()).status).toBe(200);
      await server.close();
      const until = async (want: number) => {
        const deadline = Date.now() + 10_000;
        let last = await readyz();
        while (last.status !== want && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 50));
          last = await readyz();
        }
        return last;
      };
      const down = await until(503);
      expect(down.status).toBe(503);
      expect(down.body).toContain('no connection to the SIP server');

      server = await startSipServer(serverOptions);
      expect((await until(200)).status).toBe(200);
      r.externalEdge = server;
      // The binding survived in the store; the phone is rung without registering again.
      await expectAnsweredBy(r, alice.id, port);
      await r.app.close();
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
