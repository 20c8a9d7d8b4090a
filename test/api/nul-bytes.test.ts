/**
 * NUL characters (U+0000) anywhere a client can put text: Postgres cannot
 * store them and refuses them even as a filter, so each entry point must
 * answer 400 naming the field, write nothing, and never answer 500 or cut a
 * CSV export in the middle of its body.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ErrorReply, unique, uniqueNumber, useApp } from './support/harness.ts';

const NUL = '\u0000';

describe.each(BACKENDS)('NUL characters on %s', (backend) => {
  const h = useApp(backend);

  function expect400(r: { status: number; body: unknown }, field: string) {
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    const body = r.body as ErrorReply;
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.field).toBe(field);
    expect(body.error.reason).toMatch(/NUL/);
  }

  it('in names and notes of created and changed records: 400 naming the field, nothing written', async () => {
    expect400(await h.call('POST', '/api/departments', { name: `Sup${NUL}port` }), 'name');
    expect400(
      await h.call('POST', '/api/agents', {
        name: `Al${NUL}ice`,
        sipUsername: `a${unique()}`,
        password: 'a-long-secret',
      }),
      'name',
    );
    expect400(
      await h.call('POST', '/api/vip-callers', { callerNumber: uniqueNumber(), note: `x${NUL}` }),
      'note',
    );
    expect400(
      await h.call('POST', '/api/departments', {
        name: `Hours ${unique()}`,
        businessHours: [{ day: 1, open: '09:00', close: `17:00${NUL}` }],
      }),
      'businessHours.0.close',
    );
    expect400(await h.call('POST', '/api/departments', { [`na${NUL}me`]: 'x' }), `na${NUL}me`);

    const agent = await h.call<{ id: string }>('POST', '/api/agents', {
      name: 'Bob',
      sipUsername: `b${unique()}`,
    });
    expect(agent.status).toBe(201);
    expect400(await h.call('PATCH', `/api/agents/${agent.body.id}`, { name: `B${NUL}` }), 'name');
    expect400(
      await h.call('PUT', `/api/agents/${agent.body.id}/status`, {
        status: 'break',
        until: new Date(Date.now() + 3_600_000).toISOString(),
        reason: `lunch${NUL}`,
      }),
      'reason',
    );
    const after = await h.call<{ name: string; status: string }>(
      'GET',
      `/api/agents/${agent.body.id}`,
    );
    expect(after.body).toMatchObject({ name: 'Bob', status: 'offline' });
    const depts = await h.call<{ items: Array<{ name: string }> }>('GET', '/api/departments');
    expect(depts.body.items.some((d) => d.name.includes(NUL) || d.name.startsWith('Hours'))).toBe(
      false,
    );
  });

  it('in query filters and path ids: 400 naming the parameter', async () => {
    expect400(await h.call('GET', '/api/calls?caller=%00'), 'caller');
    expect400(await h.call('GET', '/api/calls?cursor=ab%00'), 'cursor');
    expect400(await h.call('GET', '/api/call-attempts?callId=%00'), 'callId');
    expect400(await h.call('GET', '/api/agents?status=%00'), 'status');
    expect400(await h.call('GET', '/api/registrations?agentId=%00'), 'agentId');
    expect400(await h.call('GET', '/api/calls/%00'), 'id');
    expect400(await h.call('GET', '/api/agents/%00'), 'id');
    expect400(await h.call('DELETE', '/api/departments/x%00'), 'id');
  });

  it('in a CSV export filter: a whole JSON 400, not a cut body', async () => {
    const r = await h.call('GET', '/api/calls.csv?caller=%2B49%00');
    expect400(r, 'caller');
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    // The export itself still works.
    const ok = await h.call<string>('GET', '/api/calls.csv');
    expect(ok.status).toBe(200);
    expect(ok.body.split('\r\n')[0]).toMatch(/^id,caller/);
  });
});
