/**
 * The OpenAPI document promises response shapes (the `*View` schemas); the
 * real answers must match them, so the document describes what clients get.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { agentView } from '../../src/api/schemas/agents.ts';
import { callDetailView, callView, cursorPage } from '../../src/api/schemas/calls.ts';
import { departmentView } from '../../src/api/schemas/departments.ts';
import { didView } from '../../src/api/schemas/dids.ts';
import { membershipView } from '../../src/api/schemas/memberships.ts';
import { allowEntryView } from '../../src/api/schemas/mobile-allow-list.ts';
import { vipCallerView } from '../../src/api/schemas/vip-callers.ts';
import { unique, uniqueNumber, useApp } from './support/harness.ts';

interface Row {
  id: string;
  [key: string]: unknown;
}

function conforms(schema: z.ZodType, body: unknown, what: string) {
  const r = schema.safeParse(body);
  expect(r.success, `${what}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
}

describe('answers match the documented response schemas (PGlite)', () => {
  const h = useApp('pglite');

  it('for every resource, as created and as read back', async () => {
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
