/**
 * A database outage during calls loses no log row.
 *
 * The whole product (support/product.ts: embedded SIP server, registrar,
 * call control, call log on the store) on a real Postgres server
 * that the test stops and starts again. Two agents register; two sipp callers
 * dial the DID and are answered; then the server is stopped while both calls
 * are connected. The calls go on and end during the outage (BYE, media-free
 * bridge in memory); the call-log writer keeps what it cannot write. When the
 * server is back, its retries must bring every call and every attempt into
 * Postgres with the right outcome, and /metrics must show nothing pending or
 * dropped.
 *
 * A second test places calls while the database is down: routing falls back
 * to the last known numbers and agents, so they are connected and logged too.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RestartablePostgres } from '../calls/support/restartable-postgres.ts';
import { freePort } from '../support/ports.ts';
import {
  assertSippPassed,
  countInTrace,
  runSipp,
  type SippProcess,
  startSipp,
} from '../support/sipp.ts';
import { startProduct, stopProducts, TOKEN } from './support/product.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const ownScenario = (name: string) => path.join(here, 'scenarios', `${name}.xml`);
const flowScenario = (name: string) => path.join(here, '../calls/flow/scenarios', `${name}.xml`);

const DID = '+4930100';
const CALLS_DURING_OUTAGE = 3;

let server: RestartablePostgres;
beforeAll(async () => {
  server = await RestartablePostgres.create();
}, 90_000);
afterAll(async () => {
  await server?.destroy();
});

const sipps = new Set<SippProcess>();
afterEach(async () => {
  await Promise.all([...sipps].map((s) => s.stop()));
  sipps.clear();
  // Bring the server back first so the app's close can flush instead of waiting out its timeout.
  if (!server.running) await server.start();
  await stopProducts();
});

async function createDatabase(): Promise<string> {
  const name = `outage_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}

async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** The whole app on a fresh database of the restartable server, with a department and its DID. */
async function startOutageApp() {
  const url = await createDatabase();
  const sipPort = await freePort();
  // The outage makes the app log warnings (failed writes, dead idle connections); keep them quiet.
  const product = await startProduct({ sipPort, databaseUrl: url, logLevel: 'fatal' });
  const { app, api } = product;
  const metrics = async () =>
    (
      await fetch(`${app.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();

  // Configuration and registration while the database is up.
  const dept = await api<{ id: string }>('POST', '/departments', {
    name: 'Sales',
    strategy: 'priority',
    ringTimeoutS: 10,
    noAgentAction: { kind: 'hangup' },
    outOfHoursAction: { kind: 'hangup' },
  });
  await api('POST', '/dids', { number: DID, departmentId: dept.id });
  return {
    url,
    sipPort,
    app,
    api,
    metrics,
    dept,
    runtime: () => product.telephony.calls,
  };
}

type Outage = Awaited<ReturnType<typeof startOutageApp>>;

/** Call control let go of every call: no session, no ring attempt. */
async function untilIdle(rt: ReturnType<Outage['runtime']>): Promise<void> {
  await rt.callControl.settled();
  await waitUntil('call control to be idle', async () =>
    rt.callControl.sessions.size === 0 && rt.callControl.attempts.size === 0 ? true : undefined,
  );
}

/**
 * The server is down and the call-log writer holds what it could not
 * write; the server comes back and the writer's retries flush it all, with
 * nothing dropped (a drop would show as a labelled sample above 0).
 */
async function expectFlushedOnceBack(metrics: Outage['metrics']): Promise<void> {
  expect(server.running).toBe(false);
  const during = await metrics();
  const queued = Number(/^acd_call_log_queued (\d+)$/m.exec(during)?.[1] ?? Number.NaN);
  expect(queued).toBeGreaterThan(0);
  await server.start();
  await waitUntil(
    'the call log to be flushed',
    async () => ((await metrics()).match(/^acd_call_log_queued 0$/m) ? true : undefined),
    90_000,
  );
  const after = await metrics();
  expect(after).toMatch(/^# TYPE acd_call_log_dropped_total counter$/m);
  expect(after).not.toMatch(/^acd_call_log_dropped_total(\{[^}]*\})? [1-9]/m);
  expect(after).toMatch(/^acd_call_log_retries_total [1-9]\d*$/m);
}

interface CallRow {
  id: string;
  outcome: string | null;
  agentId: string | null;
  departmentId: string;
  attempts: Array<{ agentId: string; result: string | null; device: string }>;
}

/** Waits until `count` calls are logged with an outcome; returns them with their attempts. */
async function loggedCalls(api: Outage['api'], count: number): Promise<CallRow[]> {
  const page = await waitUntil('the calls to be readable through the API', async () => {
    const p = await api<{ items: Array<{ id: string; outcome: string | null }> }>('GET', '/calls');
    return p.items.length >= count && p.items.every((c) => c.outcome !== null) ? p : undefined;
  });
  expect(page.items).toHaveLength(count);
  return Promise.all(page.items.map((c) => api<CallRow>('GET', `/calls/${c.id}`)));
}

describe('the product during a Postgres outage', () => {
  it('calls connected when the database stops end during the outage; every call and attempt is logged once it is back', async () => {
    const { url, sipPort, api, metrics, dept, runtime } = await startOutageApp();
    const agents: Array<{ id: string; username: string; port: number }> = [];
    for (const [i, name] of ['alice', 'bob'].entries()) {
      const username = String(1001 + i);
      const password = `pw-${name}-secret`;
      const agent = await api<{ id: string }>('POST', '/agents', {
        name,
        sipUsername: username,
        password,
        status: 'available',
      });
      await api('POST', '/memberships', {
        agentId: agent.id,
        departmentId: dept.id,
        priority: i + 1,
      });
      const port = await freePort();
      const reg = await runSipp({
        scenario: ownScenario('agent-register'),
        localPort: port,
        remote: { host: '127.0.0.1', port: sipPort },
        service: username,
        extraArgs: ['-au', username, '-ap', password],
        timeoutSeconds: 30,
      });
      assertSippPassed(reg, `REGISTER of ${username}`);
      await waitUntil(`the registration of ${name} to reach routing`, async () =>
        runtime()?.sources.deviceCount(agent.id) === 1 ? true : undefined,
      );
      agents.push({ id: agent.id, username, port });
    }

    // Two callers are answered (one by each agent) while the database is up.
    const phones = await Promise.all(
      agents.map((a) =>
        startSipp({
          scenario: flowScenario('agent-answer'),
          localPort: a.port,
          calls: 1,
          timeoutSeconds: 180,
        }),
      ),
    );
    for (const p of phones) sipps.add(p);
    const callers: SippProcess[] = [];
    for (let i = 0; i < agents.length; i++) {
      const caller = await startSipp({
        scenario: ownScenario('caller-long-talk'),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: sipPort },
        service: DID.slice(1),
        calls: 1,
        timeoutSeconds: 180,
      });
      sipps.add(caller);
      callers.push(caller);
      // The next caller arrives once this one is connected, so each agent gets one call.
      await waitUntil(`caller ${i + 1} to be answered`, async () => {
        const p = await api<{ items: Array<{ answeredAt: string | null }> }>('GET', '/calls');
        return p.items.filter((c) => c.answeredAt !== null).length === i + 1 ? true : undefined;
      });
    }

    // The database goes away while both calls are connected; they end during the outage.
    await server.stop();
    for (const [i, c] of callers.entries()) {
      const res = await c.finished;
      sipps.delete(c);
      assertSippPassed(res, `caller ${i + 1}`);
    }
    for (const [i, p] of phones.entries()) {
      const res = await p.finished;
      sipps.delete(p);
      assertSippPassed(res, `agent ${i + 1}`);
      expect(countInTrace(res.messages, /^BYE /, 'received')).toBe(1);
    }
    await untilIdle(runtime());

    // While the server is down, the writer keeps what it could not write (the ends of both calls).
    await expectFlushedOnceBack(metrics);
    // Every call of the outage is in Postgres with its outcome and its attempt.
    const rows = await loggedCalls(api, agents.length);
    // Each agent answered exactly one of the calls, and each call has its one answered attempt.
    expect(rows.map((r) => r.agentId).sort()).toEqual(agents.map((a) => a.id).sort());
    for (const row of rows) {
      const agent = agents.find((a) => a.id === row.agentId);
      if (!agent) throw new Error(`call ${row.id} has no known agent`);
      expect(row).toMatchObject({
        outcome: 'answered',
        departmentId: dept.id,
        attempts: [
          {
            agentId: agent.id,
            result: 'answered',
            device: `sip:${agent.username}@127.0.0.1:${agent.port};transport=UDP`,
          },
        ],
      });
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(agents.length);

    // And straight from Postgres, not through the app: one row per call and per attempt.
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    try {
      const count = async (sql: string) =>
        Number((await direct.query<{ n: string }>(sql)).rows[0]?.n ?? Number.NaN);
      expect(await count("SELECT count(*) AS n FROM calls WHERE outcome = 'answered'")).toBe(
        agents.length,
      );
      expect(await count("SELECT count(*) AS n FROM call_attempts WHERE result = 'answered'")).toBe(
        agents.length,
      );
    } finally {
      await direct.end();
    }
  }, 300_000);

  it('routes and bridges calls while the database is down and logs every call and attempt once it is back', async () => {
    const { url, sipPort, api, metrics, dept, runtime } = await startOutageApp();
    const password = 'pw-alice-secret';
    const alice = await api<{ id: string }>('POST', '/agents', {
      name: 'alice',
      sipUsername: '1001',
      password,
      status: 'available',
    });
    await api('POST', '/memberships', { agentId: alice.id, departmentId: dept.id, priority: 1 });
    const agentPort = await freePort();
    const reg = await runSipp({
      scenario: ownScenario('agent-register'),
      localPort: agentPort,
      remote: { host: '127.0.0.1', port: sipPort },
      service: '1001',
      extraArgs: ['-au', '1001', '-ap', password],
      timeoutSeconds: 30,
    });
    assertSippPassed(reg, 'REGISTER of 1001');
    await waitUntil('the registration to reach routing', async () =>
      runtime()?.sources.deviceCount(alice.id) === 1 ? true : undefined,
    );

    // The database goes away.
    await server.stop();

    const agentPhone = await startSipp({
      scenario: flowScenario('agent-answer'),
      localPort: agentPort,
      calls: CALLS_DURING_OUTAGE,
      timeoutSeconds: 120,
    });
    sipps.add(agentPhone);
    // One after the other: the single agent takes one call at a time.
    for (let i = 0; i < CALLS_DURING_OUTAGE; i++) {
      const caller = await runSipp({
        scenario: flowScenario('caller-talk-hangup'),
        localPort: await freePort(),
        remote: { host: '127.0.0.1', port: sipPort },
        service: DID.slice(1),
        timeoutSeconds: 60,
      });
      assertSippPassed(caller, `caller ${i + 1} during the outage`);
      // The next caller waits until call control let go of this call and the agent is free again.
      await untilIdle(runtime());
    }
    const agentSaw = await agentPhone.finished;
    sipps.delete(agentPhone);
    assertSippPassed(agentSaw, 'agent during the outage');
    expect(countInTrace(agentSaw.messages, /^INVITE /, 'received')).toBe(CALLS_DURING_OUTAGE);

    // While the server is down, the writer keeps what it could not write.
    await expectFlushedOnceBack(metrics);
    // Every call of the outage is in Postgres with its outcome and its attempt.
    const rows = await loggedCalls(api, CALLS_DURING_OUTAGE);
    for (const row of rows) {
      expect(row).toMatchObject({
        outcome: 'answered',
        agentId: alice.id,
        departmentId: dept.id,
        attempts: [
          {
            agentId: alice.id,
            result: 'answered',
            device: `sip:1001@127.0.0.1:${agentPort};transport=UDP`,
          },
        ],
      });
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(CALLS_DURING_OUTAGE);

    // And straight from Postgres, not through the app: one row per call and per attempt.
    const direct = new pg.Client({ connectionString: url });
    await direct.connect();
    try {
      const count = async (sql: string) =>
        Number((await direct.query<{ n: string }>(sql)).rows[0]?.n ?? Number.NaN);
      expect(await count("SELECT count(*) AS n FROM calls WHERE outcome = 'answered'")).toBe(
        CALLS_DURING_OUTAGE,
      );
      expect(await count("SELECT count(*) AS n FROM call_attempts WHERE result = 'answered'")).toBe(
        CALLS_DURING_OUTAGE,
      );
    } finally {
      await direct.end();
    }
  }, 300_000);
});
