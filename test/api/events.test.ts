/**
 * The WebSocket event stream over a real socket: authenticated like the API
 * (header or ?token=), one JSON event per change made through the API, and
 * events published by later layers on the same bus.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, READ_TOKEN, unique, uniqueNumber, useApp } from './support/harness.ts';
import { connect, type EventClient, eventsUrl, refusedStatus } from './support/ws-client.ts';

interface Row {
  id: string;
  [key: string]: unknown;
}

describe.each(BACKENDS)('WebSocket events on %s', (backend) => {
  const h = useApp(backend);
  const clients: EventClient[] = [];
  const open = async (token = h.app.token) => {
    const c = await connect(eventsUrl(h.url, token));
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('refuses the upgrade without a token, with a wrong one, and on another path', async () => {
    expect(await refusedStatus(eventsUrl(h.url))).toBe(401);
    expect(await refusedStatus(eventsUrl(h.url, 'not-the-token-at-all'))).toBe(401);
    expect(
      await refusedStatus(eventsUrl(h.url), { authorization: 'Bearer not-the-token-at-all' }),
    ).toBe(401);
    expect(
      await refusedStatus(`${h.url.replace('http', 'ws')}/api/other?token=${h.app.token}`),
    ).toBe(404);
  });

  it('accepts the token in the Authorization header, in the query, and the read token', async () => {
    const byHeader = await connect(eventsUrl(h.url), { authorization: `Bearer ${h.app.token}` });
    clients.push(byHeader);
    await open();
    await open(READ_TOKEN);
    const name = `Heard ${unique()}`;
    await h.call('POST', '/api/departments', { name });
    for (const c of clients) {
      const e = await c.waitFor((x) => x.type === 'department.created' && x.data.name === name);
      expect(e.data.name).toBe(name);
    }
  });

  it('sends created, updated and deleted events for a department, in order, with the time', async () => {
    const c = await open();
    const before = Date.now();
    const d = await h.call<Row>('POST', '/api/departments', { name: `Evented ${unique()}` });
    await h.call('PATCH', `/api/departments/${d.body.id}`, { strategy: 'random' });
    await h.call('DELETE', `/api/departments/${d.body.id}`);
    const deleted = await c.waitFor(
      (e) => e.type === 'department.deleted' && e.data.id === d.body.id,
    );
    const mine = c.events.filter((e) => e.data.id === d.body.id);
    expect(mine.map((e) => e.type)).toEqual([
      'department.created',
      'department.updated',
      'department.deleted',
    ]);
    expect(mine[1]?.data.strategy).toBe('random');
    expect(deleted.data).toEqual({ id: d.body.id });
    expect(Date.parse(mine[0]!.at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('sends events for every resource, and never a password or hash', async () => {
    const c = await open();
    const password = 'event-stream-password';
    const d = await h.call<Row>('POST', '/api/departments', { name: `All ${unique()}` });
    const did = await h.call<Row>('POST', '/api/dids', {
      number: uniqueNumber(),
      departmentId: d.body.id,
    });
    const a = await h.call<Row>('POST', '/api/agents', {
      name: 'Eve',
      sipUsername: `eve${unique()}`,
      password,
    });
    await h.call('PATCH', `/api/agents/${a.body.id}`, { password: 'another-password' });
    const m = await h.call<Row>('POST', '/api/memberships', {
      agentId: a.body.id,
      departmentId: d.body.id,
    });
    await h.call('PUT', `/api/agents/${a.body.id}/status`, { status: 'available' });
    await h.call('POST', '/api/vip-callers', { callerNumber: uniqueNumber('+4989') });
    await h.call('POST', '/api/mobile-allow-list', { pattern: `${uniqueNumber('+4915')}` });
    await c.waitFor((e) => e.type === 'mobile-allow-list.created');
    const types = c.events.map((e) => e.type);
    expect(types).toEqual([
      'department.created',
      'did.created',
      'agent.created',
      'agent.updated',
      'membership.created',
      'agent.status',
      'vip-caller.created',
      'mobile-allow-list.created',
    ]);
    expect(c.events[1]?.data.id).toBe(did.body.id);
    expect(c.events[4]?.data.id).toBe(m.body.id);
    expect(c.events[5]?.data).toMatchObject({
      agentId: a.body.id,
      toStatus: 'available',
      source: 'admin',
    });
    const raw = JSON.stringify(c.events);
    expect(raw).not.toContain(password);
    expect(raw).not.toMatch(/ha1|"password"/i);
  });

  it('sends nothing for a refused change', async () => {
    const c = await open();
    await h.call('POST', '/api/departments', { name: '' });
    const marker = `Marker ${unique()}`;
    await h.call('POST', '/api/departments', { name: marker });
    await c.waitFor((e) => e.data.name === marker);
    expect(c.events).toHaveLength(1);
  });

  it('limits a client to the types it asks for with ?types=', async () => {
    const c = await connect(`${eventsUrl(h.url, h.app.token)}&types=agent.*,did.created`);
    clients.push(c);
    const d = await h.call<Row>('POST', '/api/departments', { name: `Filtered ${unique()}` });
    await h.call('POST', '/api/dids', { number: uniqueNumber(), departmentId: d.body.id });
    const a = await h.call<Row>('POST', '/api/agents', { name: 'F', sipUsername: `f${unique()}` });
    await h.call('DELETE', `/api/agents/${a.body.id}`);
    await c.waitFor((e) => e.type === 'agent.deleted');
    expect(c.events.map((e) => e.type)).toEqual(['did.created', 'agent.created', 'agent.deleted']);
  });

  it('forwards events that later layers publish on the app’s bus', async () => {
    const c = await open();
    const queued = { callId: 'c-1', departmentId: 'd-1', caller: '+4930111', dialled: '+4930100' };
    h.app.events.publish('call.queued', queued);
    const e = await c.waitFor((x) => x.type === 'call.queued');
    expect(e.data).toEqual(queued);
  });
});
