/**
 * /api/reports/* and /api/live over real HTTP and WebSocket, on PGlite and
 * Postgres. The live view reads a real routing engine (src/acd, built from
 * the stored configuration as call control builds it) that the test drives
 * with engine events instead of SIP: the SIP path is covered by the browser
 * tests (test/ui), which place calls with sipp.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AcdEngine, createAcd } from '../../src/acd/index.ts';
import { loadConfig } from '../../src/app/settings/config.ts';
import { createLogger } from '../../src/app/runtime/logger.ts';
import { type AcdApp, startApp } from '../../src/app/start-app.ts';
import type { LayerStarter } from '../../src/app/runtime/layer.ts';
import { type LogEventInput, loadAcdConfig } from '../../src/store/index.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';
import { ADMIN_TOKEN, BACKENDS, READ_TOKEN, unique } from './support/harness.ts';
import { connect, type EventClient, eventsUrl } from './support/ws-client.ts';

interface Json {
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  [k: string]: any;
}

describe.each(BACKENDS)('reports and live view on %s', (backend) => {
  let app: AcdApp;
  let pg: TestPostgres | undefined;
  let dir: string;
  // The engine the test drives; the layer hands its snapshot to the API.
  const holder: { engine: AcdEngine | null } = { engine: null };
  const router: LayerStarter = async () => ({
    name: 'router',
    live: () => holder.engine?.liveState() ?? null,
    close: async () => {},
  });
  const clients: EventClient[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acd-live-'));
    let url: string | null = null;
    if (backend === 'postgres') {
      pg = await startPostgres();
      url = await pg.createDatabase();
    }
    app = await startApp(
      loadConfig({
        env: {},
        overrides: {
          http: { host: '127.0.0.1', port: 0 },
          database: { url, dataDir: dir },
          api: { token: ADMIN_TOKEN, readToken: READ_TOKEN },
          log: { level: 'silent' },
        },
      }),
      { layers: [router], logger: createLogger({ level: 'silent' }), defaultMetrics: false },
    );
  }, 180_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    holder.engine = null;
  });
  afterAll(async () => {
    await app?.close();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function call(method: string, p: string, body?: unknown, token = ADMIN_TOKEN) {
    const res = await fetch(`${app.httpUrl}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null;
    return { status: res.status, json: json as Json, text, headers: res.headers };
  }

  /** A department with two agents, both members; returns their ids. */
  async function team() {
    const dept = (
      await call('POST', '/api/departments', {
        name: `Live ${unique()}`,
        strategy: 'priority',
        serviceLevelS: 20,
        ringTimeoutS: 300,
      })
    ).json;
    const ann = (
      await call('POST', '/api/agents', {
        name: 'Ann',
        sipUsername: `ann${unique()}`,
        status: 'available',
      })
    ).json;
    const bob = (
      await call('POST', '/api/agents', {
        name: 'Bob',
        sipUsername: `bob${unique()}`,
        status: 'available',
      })
    ).json;
    for (const [agent, priority] of [
      [ann, 1],
      [bob, 2],
    ] as const) {
      await call('POST', '/api/memberships', {
        agentId: agent.id,
        departmentId: dept.id,
        priority,
      });
    }
    return { dept: dept.id as string, ann: ann.id as string, bob: bob.id as string };
  }

  it('answers /api/live without a router: configuration only, for either token', async () => {
    const { dept, ann } = await team();
    for (const token of [ADMIN_TOKEN, READ_TOKEN]) {
      const r = await call('GET', '/api/live', undefined, token);
      expect(r.status).toBe(200);
      expect(r.json.routing).toBe(false);
      const d = r.json.departments.find((x: Json) => x.id === dept);
      expect(d).toMatchObject({ waiting: [], longestWaitS: 0, serviceLevelS: 20 });
      expect(d.agents).toMatchObject({ available: 2, onCall: 0 });
      const a = r.json.agents.find((x: Json) => x.id === ann);
      expect(a).toMatchObject({ name: 'Ann', state: 'available', timeInStateS: null });
    }
    expect((await call('GET', '/api/live', undefined, 'wrong-token-0123456789')).status).toBe(401);
  });

  it("shows the router's waiting calls, agents by state, connected calls and today's service level", async () => {
    const { dept, ann, bob } = await team();
    const start = Date.now() - 90_000;
    const engine = createAcd(await loadAcdConfig(app.store, new Date(start)), {
      now: start,
      random: () => 0.5,
    });
    holder.engine = engine;
    for (const agentId of [ann, bob]) {
      engine.handle({ type: 'agentDevicesChanged', at: start, agentId, registeredDevices: 1 });
    }
    // c1 at -90 s rings Ann (priority 1), c2 at -60 s rings Bob, c3 at -30 s waits.
    const out1 = engine.handle({
      type: 'callArrived',
      at: start,
      callId: 'c1',
      departmentId: dept,
      caller: '+4930111',
    });
    engine.handle({
      type: 'callArrived',
      at: start + 30_000,
      callId: 'c2',
      departmentId: dept,
      caller: '+4930222',
    });
    const ring1 = out1.actions.find((a) => a.type === 'ring');
    expect(ring1).toMatchObject({ agentId: ann });
    // Ann answers c1 at -45 s.
    engine.handle({
      type: 'agentAnswered',
      at: start + 45_000,
      attemptId: (ring1 as Json).attemptId,
    });
    engine.handle({
      type: 'callArrived',
      at: start + 60_000,
      callId: 'c3',
      departmentId: dept,
      caller: '<script>x</script>',
    });

    // Today: one call answered in 10 s (within 20), one abandoned after 40 s: 1 / 2.
    const t = Math.max(Date.now() - 20_000, new Date().setUTCHours(0, 0, 1, 0));
    const at = (ms: number) => new Date(t + ms);
    const ev: LogEventInput[] = [
      {
        type: 'call.arrived',
        callId: `d1-${unique()}`,
        at: at(0),
        departmentId: dept,
        payload: { caller: '+1', dialledNumber: '+2' },
      },
    ];
    const answeredId = ev[0]!.callId!;
    const abandonedId = `d2-${unique()}`;
    ev.push(
      { type: 'call.answered', callId: answeredId, agentId: ann, at: at(10_000) },
      {
        type: 'call.arrived',
        callId: abandonedId,
        at: at(0),
        departmentId: dept,
        payload: { caller: '+1', dialledNumber: '+2' },
      },
      {
        type: 'call.ended',
        callId: abandonedId,
        at: at(40_000),
        payload: { outcome: 'abandoned' },
      },
    );
    await app.store.callLog.appendMany(ev);
    // Refreshes the cached figures.
    app.events.publish('call.ended', {
      callId: abandonedId,
      departmentId: dept,
      outcome: 'abandoned',
      agentId: null,
      waitMs: 40_000,
      talkMs: null,
      reason: null,
    });

    const r = await call('GET', '/api/live', undefined, READ_TOKEN);
    expect(r.status).toBe(200);
    expect(r.json.routing).toBe(true);
    const d = r.json.departments.find((x: Json) => x.id === dept);
    expect(d.waiting.map((w: Json) => [w.callId, w.position, w.caller])).toEqual([
      ['c2', 1, '+4930222'],
      ['c3', 2, '<script>x</script>'],
    ]);
    expect(d.waiting[0].ringing).toEqual([bob]);
    // Waits from the real clock: 60 s and 30 s, give or take the test's own run time.
    expect(d.waiting[0].waitS).toBeGreaterThanOrEqual(60);
    expect(d.waiting[0].waitS).toBeLessThan(75);
    expect(d.waiting[1].waitS).toBeGreaterThanOrEqual(30);
    expect(d.longestWaitS).toBe(d.waiting[0].waitS);
    expect(d.waiting[1].expectedWaitS).not.toBeNull();
    expect(d.agents).toMatchObject({ onCall: 1, ringing: 1, available: 0 });
    expect(d.today).toEqual({ offered: 2, answered: 1, abandoned: 1, serviceLevel: 0.5, asaS: 10 });
    const annLive = r.json.agents.find((x: Json) => x.id === ann);
    expect(annLive.state).toBe('onCall');
    expect(annLive.timeInStateS).toBeGreaterThanOrEqual(45);
    expect(annLive.timeInStateS).toBeLessThan(60);
    expect(r.json.agents.find((x: Json) => x.id === bob)).toMatchObject({
      state: 'ringing',
      ringingCallId: 'c2',
    });
    expect(r.json.calls).toEqual([
      { callId: 'c1', departmentId: dept, agentId: ann, talkS: annLive.timeInStateS },
    ]);
  });

  it('sends live clients the snapshot first, then a fresh one after a change; others get none', async () => {
    const { dept, ann } = await team();
    const start = Date.now();
    const engine = createAcd(await loadAcdConfig(app.store, new Date(start)), {
      now: start,
      random: () => 0.5,
    });
    holder.engine = engine;
    engine.handle({ type: 'agentDevicesChanged', at: start, agentId: ann, registeredDevices: 1 });
    const plain = await connect(eventsUrl(app.httpUrl, READ_TOKEN));
    const live = await connect(`${eventsUrl(app.httpUrl, READ_TOKEN)}&live=true`);
    clients.push(plain, live);
    const first = await live.waitFor(() => true);
    expect(first.type).toBe('live.snapshot');
    const d0 = (first.data as Json).departments.find((x: Json) => x.id === dept);
    expect(d0.waiting).toEqual([]);

    engine.handle({
      type: 'callArrived',
      at: Date.now(),
      callId: 'w1',
      departmentId: dept,
      caller: '+4930333',
    });
    app.events.publish('call.queued', {
      callId: 'w1',
      departmentId: dept,
      caller: '+4930333',
      dialled: '',
    });
    const next = await live.waitFor(
      (e) =>
        e.type === 'live.snapshot' &&
        (e.data as Json).departments.some((x: Json) => x.id === dept && x.waiting.length === 1),
    );
    expect(live.events.indexOf(next)).toBeGreaterThan(0);
    expect(live.events.map((e) => e.type)).toContain('call.queued');
    await plain.waitFor((e) => e.type === 'call.queued');
    // A configuration change goes out too (a renamed agent), and the plain client never sees live.*.
    await call('PATCH', `/api/agents/${ann}`, { name: 'Ann Renamed' });
    await live.waitFor(
      (e) =>
        e.type === 'live.snapshot' &&
        (e.data as Json).agents.some((a: Json) => a.id === ann && a.name === 'Ann Renamed'),
    );
    await plain.waitFor((e) => e.type === 'agent.updated');
    expect(plain.events.filter((e) => e.type.startsWith('live.'))).toEqual([]);
  });

  it("a wallboard shows an arriving call, and its end in today's figures, within a second", async () => {
    const { dept, ann } = await team();
    const start = Date.now();
    const engine = createAcd(await loadAcdConfig(app.store, new Date(start)), {
      now: start,
      random: () => 0.5,
    });
    holder.engine = engine;
    engine.handle({ type: 'agentDevicesChanged', at: start, agentId: ann, registeredDevices: 1 });
    const live = await connect(`${eventsUrl(app.httpUrl, READ_TOKEN)}&live=true`);
    clients.push(live);
    await live.waitFor((e) => e.type === 'live.snapshot');
    const deptIn = (e: { data: Json }) =>
      (e.data as Json).departments.find((x: Json) => x.id === dept);

    // The call arrives: the engine queues it, call control logs and publishes it.
    const callId = `wb-${unique()}`;
    const arrivedAt = Date.now();
    let t0 = performance.now();
    engine.handle({ type: 'callArrived', at: arrivedAt, callId, departmentId: dept, caller: '+1' });
    const arrival = app.store.callLog.appendMany([
      {
        type: 'call.arrived',
        callId,
        at: new Date(arrivedAt),
        departmentId: dept,
        payload: { caller: '+1', dialledNumber: '+2' },
      },
    ]);
    app.events.publish('call.queued', { callId, departmentId: dept, caller: '+1', dialled: '' });
    await live.waitFor((e) => e.type === 'live.snapshot' && deptIn(e)?.waiting.length === 1, 1000);
    expect(performance.now() - t0).toBeLessThan(1000);
    await arrival;

    // The caller hangs up: the end is written and published; today's figures count it.
    t0 = performance.now();
    engine.handle({ type: 'callerHungUp', at: Date.now(), callId });
    const end = app.store.callLog.appendMany([
      { type: 'call.ended', callId, at: new Date(), payload: { outcome: 'abandoned' } },
    ]);
    app.events.publish('call.ended', {
      callId,
      departmentId: dept,
      outcome: 'abandoned',
      agentId: null,
      waitMs: Date.now() - arrivedAt,
      talkMs: null,
      reason: null,
    });
    const seen = await live.waitFor(
      (e) =>
        e.type === 'live.snapshot' &&
        deptIn(e)?.waiting.length === 0 &&
        deptIn(e)?.today.abandoned === 1,
      1000,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(deptIn(seen).today).toMatchObject({ offered: 1, answered: 0, abandoned: 1 });
    await end;
  });

  it('reports per department, agent and interval as JSON and CSV with the same totals', async () => {
    const { dept, ann } = await team();
    const base = Date.parse('2026-02-10T08:00:00Z');
    const at = (s: number) => new Date(base + s * 1000);
    const id = unique();
    await app.store.callLog.appendMany([
      {
        type: 'call.arrived',
        callId: `r1-${id}`,
        at: at(0),
        departmentId: dept,
        payload: { caller: '=cmd()', dialledNumber: '+2' },
      },
      {
        type: 'call.ringing',
        callId: `r1-${id}`,
        agentId: ann,
        at: at(1),
        payload: { attemptId: `r1a-${id}`, device: 'sip:a@h' },
      },
      {
        type: 'call.answered',
        callId: `r1-${id}`,
        agentId: ann,
        at: at(12),
        payload: { attemptId: `r1a-${id}` },
      },
      { type: 'call.ended', callId: `r1-${id}`, at: at(132), payload: { outcome: 'answered' } },
      {
        type: 'call.arrived',
        callId: `r2-${id}`,
        at: at(4000),
        departmentId: dept,
        payload: { caller: '+1', dialledNumber: '+2' },
      },
      { type: 'call.ended', callId: `r2-${id}`, at: at(4030), payload: { outcome: 'abandoned' } },
    ]);
    const q = `from=${encodeURIComponent(at(0).toISOString())}&to=${encodeURIComponent(at(7200).toISOString())}`;
    const depts = await call(
      'GET',
      `/api/reports/departments?${q}&departmentId=${dept}`,
      undefined,
      READ_TOKEN,
    );
    expect(depts.status).toBe(200);
    expect(depts.json).toHaveLength(1);
    expect(depts.json[0]).toMatchObject({
      departmentId: dept,
      calls: 2,
      answered: 1,
      abandoned: 1,
      serviceLevel: 1 / 2,
      asaS: 12,
      talkS: 120,
      talkMinutes: 2,
      longestWaitS: 30,
    });
    const csv = await call(
      'GET',
      `/api/reports/departments.csv?${q}&departmentId=${dept}`,
      undefined,
      READ_TOKEN,
    );
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const [header, row] = csv.text
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    const cell = (name: string) => row![header!.indexOf(name)];
    expect([
      cell('calls'),
      cell('answered'),
      cell('abandoned'),
      cell('talkMinutes'),
      cell('serviceLevel'),
    ]).toEqual(['2', '1', '1', '2', '0.5']);

    const agents = await call('GET', `/api/reports/agents?${q}&departmentId=${dept}`);
    expect(agents.json).toEqual([
      expect.objectContaining({ agentId: ann, rings: 1, answered: 1, talkS: 120, avgRingS: 11 }),
    ]);
    const agentsCsv = await call('GET', `/api/reports/agents.csv?${q}&departmentId=${dept}`);
    expect(agentsCsv.text.split('\r\n')[1]).toContain(`${ann},Ann,1,1,0,11,1,2,`);

    const hours = await call(
      'GET',
      `/api/reports/intervals?${q}&unit=hour&timeZone=Europe/Berlin&departmentId=${dept}`,
    );
    expect(hours.json.intervals.map((i: Json) => [i.start, i.calls])).toEqual([
      ['2026-02-10T08:00:00.000Z', 1],
      ['2026-02-10T09:00:00.000Z', 1],
    ]);
    const hoursCsv = await call(
      'GET',
      `/api/reports/intervals.csv?${q}&unit=hour&departmentId=${dept}`,
    );
    const lines = hoursCsv.text.trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(
      lines[1]!.startsWith('2026-02-10T08:00:00.000Z,2026-02-10T09:00:00.000Z,1,1,1,0,0,0,1,1,12,'),
    ).toBe(true);
  });

  it('names the bad field of a report query', async () => {
    const bad = async (qs: string) => (await call('GET', `/api/reports/${qs}`)).json.error;
    expect(await bad('departments?to=2026-01-02T00:00:00Z')).toMatchObject({
      code: 'validation_failed',
      field: 'from',
    });
    expect(
      await bad('departments?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z'),
    ).toMatchObject({ field: 'to', reason: 'must be after from' });
    expect(
      await bad('intervals?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&unit=year'),
    ).toMatchObject({ field: 'unit' });
    expect(
      await bad(
        'intervals?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&unit=day&timeZone=Mars/Base',
      ),
    ).toMatchObject({ field: 'timeZone' });
    expect(
      await bad('intervals?from=2020-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&unit=15min'),
    ).toMatchObject({ field: 'to' });
    expect(
      await bad('agents?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&agentId=nope'),
    ).toMatchObject({ field: 'agentId' });
  });
});
