/**
 * Health, readiness, Prometheus metrics and the OpenAPI document, over HTTP.
 * The document is checked against the route list the app mounts, so every
 * route is described, with its parameters, body schema and error answers,
 * and real answers are checked against the documented response schemas.
 */
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/api/events/api-events.ts';
import { createTickets } from '../../src/api/events/tickets.ts';
import type { LiveService } from '../../src/api/events/live-service.ts';
import { anchoredRecordingControl } from '../../src/app/recordings/anchored-recording-control.ts';
import type { StatusWriter } from '../../src/api/routes/agent-status.ts';
import { apiRoutes, type ApiRepos } from '../../src/api/routes/index.ts';
import type { z } from 'zod';
import { agentView } from '../../src/api/schemas/agents.ts';
import { callDetailView, callView, cursorPage } from '../../src/api/schemas/calls.ts';
import { departmentView } from '../../src/api/schemas/departments.ts';
import { didView } from '../../src/api/schemas/dids.ts';
import { membershipView } from '../../src/api/schemas/memberships.ts';
import { allowEntryView } from '../../src/api/schemas/mobile-allow-list.ts';
import { vipCallerView } from '../../src/api/schemas/vip-callers.ts';
import { BACKENDS, unique, uniqueNumber, useApp } from './support/harness.ts';

interface Operation {
  summary: string;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: object }>;
  requestBody?: { content: { 'application/json': { schema: { properties?: object } } } };
  responses: Record<string, { description: string }>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string };
  components: { securitySchemes: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

interface Row {
  id: string;
  [key: string]: unknown;
}

function conforms(schema: z.ZodType, body: unknown, what: string) {
  const r = schema.safeParse(body);
  expect(r.success, `${what}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
}

describe.each(BACKENDS)('health, metrics and OpenAPI on %s', (backend) => {
  const h = useApp(backend);

  it('reports healthy and ready with the database and migrations checked', async () => {
    const health = await h.call<{ status: string }>('GET', '/healthz', undefined, { token: null });
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await h.call<{ status: string; checks: Record<string, string> }>(
      'GET',
      '/readyz',
      undefined,
      { token: null },
    );
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('serves Prometheus metrics with request counts by route pattern and process metrics', async () => {
    await h.call('GET', '/api/departments');
    await h.call('GET', '/api/departments/00000000-0000-4000-8000-000000000000');
    const r = await h.call<string>('GET', '/metrics', undefined, { token: null });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.body).toMatch(
      /acd_http_requests_total\{method="GET",route="\/api\/departments",status="200"\} \d+/,
    );
    expect(r.body).toContain('route="/api/departments/:id",status="404"');
    expect(r.body).toContain('acd_http_request_duration_seconds_bucket');
    expect(r.body).toContain('process_cpu_user_seconds_total');
    // Raw ids never become label values.
    expect(r.body).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  it('lets later layers add metrics to the same registry', async () => {
    const { Counter } = await import('prom-client');
    const c = new Counter({
      name: `acd_test_counter_${backend}`,
      help: 'test',
      registers: [h.app.metrics.registry],
    });
    c.inc(3);
    const r = await h.call<string>('GET', '/metrics', undefined, { token: null });
    expect(r.body).toContain(`acd_test_counter_${backend} 3`);
  });

  it('describes every mounted route in the OpenAPI 3.1 document', async () => {
    const r = await h.call<OpenApiDoc>('GET', '/api/openapi.json', undefined, { token: null });
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    // The route list is built from the same definitions the app mounts.
    const routes = apiRoutes({
      store: {} as ApiRepos,
      events: createEventBus(),
      status: {} as StatusWriter,
      realm: 'x',
      live: {} as LiveService,
      tickets: createTickets(),
      recordingControl: anchoredRecordingControl(
        () => null,
        () => null,
      ),
      log: { warn: () => undefined },
    });
    expect(routes.length).toBeGreaterThan(30);
    for (const { spec } of routes) {
      const p = `/api${spec.path.replace(/:(\w+)/g, '{$1}')}`;
      const op = doc.paths[p]?.[spec.method];
      expect(op, `${spec.method} ${p}`).toBeDefined();
      expect(op!.summary.length).toBeGreaterThan(0);
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['400', '401', '500']));
      for (const name of spec.path.match(/:(\w+)/g) ?? []) {
        expect(op!.parameters?.some((x) => x.in === 'path' && x.name === name.slice(1))).toBe(true);
      }
      if (spec.body) expect(op!.requestBody, `${spec.method} ${p} body`).toBeDefined();
    }
    const expected = [
      'get /api/departments',
      'post /api/departments',
      'patch /api/departments/{id}',
      'delete /api/departments/{id}',
      'post /api/dids',
      'post /api/agents',
      'put /api/agents/{id}/status',
      'post /api/memberships',
      'post /api/vip-callers',
      'post /api/mobile-allow-list',
      'get /api/registrations',
      'get /api/calls',
      'get /api/calls/{id}',
      'get /api/calls/{id}/recording',
      'post /api/calls/{id}/recording',
      'get /api/call-attempts',
      'get /api/events',
      'get /readyz',
    ];
    for (const e of expected) {
      const [method, p] = e.split(' ') as [string, string];
      expect(doc.paths[p]?.[method], e).toBeDefined();
    }
  });

  it('documents request bodies from the validating schemas (fields, enums, write-only password)', async () => {
    const doc = (await h.call<OpenApiDoc>('GET', '/api/openapi.json', undefined, { token: null }))
      .body;
    const agentBody =
      doc.paths['/api/agents']?.post?.requestBody?.content['application/json'].schema;
    expect(Object.keys(agentBody?.properties ?? {})).toEqual(
      expect.arrayContaining(['name', 'sipUsername', 'password', 'forwardingMode']),
    );
    const agentResponse = JSON.stringify(doc.paths['/api/agents/{id}']?.get?.responses['200']);
    expect(agentResponse).toContain('hasSipPassword');
    expect(agentResponse).not.toContain('"password"');
    const calls = doc.paths['/api/calls']?.get?.parameters?.map((p) => p.name);
    expect(calls).toEqual(
      expect.arrayContaining([
        'from',
        'to',
        'departmentId',
        'agentId',
        'outcome',
        'caller',
        'limit',
        'cursor',
      ]),
    );
    expect(JSON.stringify(doc.paths['/api/departments']?.post)).toContain('longest-idle');
  });

  it('answers as the documented response schemas say, for every resource', async () => {
    const dept = await h.call<Row>('POST', '/api/departments', {
      name: `Schema ${unique()}`,
      businessHours: [{ day: 2, open: '08:00', close: '12:00' }],
      maxWaitS: 30,
      maxWaitAction: { kind: 'forward', number: '+4930555' },
    });
    conforms(departmentView, dept.body, 'department');
    conforms(
      departmentView,
      (await h.call('GET', `/api/departments/${dept.body.id}`)).body,
      'get department',
    );
    const did = await h.call('POST', '/api/dids', {
      number: uniqueNumber(),
      departmentId: dept.body.id,
    });
    conforms(didView, did.body, 'did');
    const agent = await h.call<Row>('POST', '/api/agents', {
      name: 'S',
      sipUsername: `s${unique()}`,
      password: 'schema-password',
      mobileNumber: '+4917055',
      forwardingMode: 'softphone-then-mobile',
    });
    conforms(agentView, agent.body, 'agent');
    const status = await h.call<{ agent: unknown }>('PUT', `/api/agents/${agent.body.id}/status`, {
      status: 'break',
      until: new Date(Date.now() + 60_000).toISOString(),
    });
    conforms(agentView, status.body.agent, 'agent after status');
    const m = await h.call('POST', '/api/memberships', {
      agentId: agent.body.id,
      departmentId: dept.body.id,
    });
    conforms(membershipView, m.body, 'membership');
    const v = await h.call('POST', '/api/vip-callers', { callerNumber: uniqueNumber('+4989') });
    conforms(vipCallerView, v.body, 'vip caller');
    const e = await h.call('POST', '/api/mobile-allow-list', { pattern: '+4917*' });
    conforms(allowEntryView, e.body, 'allow-list entry');

    const callId = `schema-${unique()}`;
    await h.app.store.callLog.appendMany([
      { type: 'call.arrived', callId, payload: { caller: '+4930111', dialledNumber: '+4930222' } },
      { type: 'call.queued', callId, departmentId: dept.body.id },
      {
        type: 'call.ringing',
        callId,
        agentId: agent.body.id,
        payload: { attemptId: `${callId}-a`, device: 'sip:s@x' },
      },
      { type: 'call.ended', callId, payload: { outcome: 'abandoned' } },
    ]);
    conforms(cursorPage(callView), (await h.call('GET', '/api/calls')).body, 'calls page');
    conforms(callDetailView, (await h.call('GET', `/api/calls/${callId}`)).body, 'call detail');
  });
});
