/**
 * A department's callback settings through the API: off by default with the
 * documented retry defaults, stored and read back, a key equal to the exit
 * key refused (in one request, and against the stored exit key), bad values
 * refused naming the field, and the fields documented in OpenAPI.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ErrorReply, unique, useApp } from './support/harness.ts';

interface Dept {
  id: string;
  [key: string]: unknown;
}

describe.each(BACKENDS)('department callback settings on %s', (backend) => {
  const h = useApp(backend);

  it('a new department has callbacks off, 2 retries 300 s apart', async () => {
    const r = await h.call<Dept>('POST', '/api/departments', { name: `cb-${unique()}` });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      callbackKey: null,
      callbackRetries: 2,
      callbackRetryIntervalS: 300,
    });
  });

  it('stores, returns and changes the settings', async () => {
    const settings = { callbackKey: '2', callbackRetries: 0, callbackRetryIntervalS: 60 };
    const created = await h.call<Dept>('POST', '/api/departments', {
      name: `cb-${unique()}`,
      exitKey: '*',
      ...settings,
    });
    expect(created.status).toBe(201);
    const read = await h.call<Dept>('GET', `/api/departments/${created.body.id}`);
    expect(read.body).toMatchObject(settings);
    const patched = await h.call<Dept>('PATCH', `/api/departments/${created.body.id}`, {
      callbackKey: null,
      callbackRetries: 10,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      callbackKey: null,
      callbackRetries: 10,
      callbackRetryIntervalS: 60,
    });
  });

  it('refuses a callback key equal to the exit key, in one request or against the stored one', async () => {
    const same = await h.call<ErrorReply>('POST', '/api/departments', {
      name: `cb-${unique()}`,
      exitKey: '5',
      callbackKey: '5',
    });
    expect(same.status).toBe(400);
    expect(same.body.error.field).toBe('callbackKey');
    const d = await h.call<Dept>('POST', '/api/departments', {
      name: `cb-${unique()}`,
      exitKey: '5',
    });
    const patched = await h.call<ErrorReply>('PATCH', `/api/departments/${d.body.id}`, {
      callbackKey: '5',
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.field).toBe('callbackKey');
    const read = await h.call<Dept>('GET', `/api/departments/${d.body.id}`);
    expect(read.body.callbackKey).toBeNull();
  });

  it.each([
    ['callbackKey', '*'],
    ['callbackKey', '#'],
    ['callbackKey', '22'],
    ['callbackKey', 2],
    ['callbackRetries', -1],
    ['callbackRetries', 11],
    ['callbackRetries', 1.5],
    ['callbackRetryIntervalS', 5],
    ['callbackRetryIntervalS', 86_401],
  ])('refuses %s = %j, naming the field, and stores nothing', async (field, value) => {
    const name = `bad-${unique()}`;
    const r = await h.call<ErrorReply>('POST', '/api/departments', { name, [field]: value });
    expect(r.status).toBe(400);
    expect(r.body.error.field?.split('.')[0]).toBe(field);
    const list = await h.call<{ items: Dept[] }>('GET', '/api/departments');
    expect(list.body.items.some((d) => d.name === name)).toBe(false);
  });

  it('documents the fields in OpenAPI', async () => {
    const r = await h.call('GET', '/api/openapi.json');
    const text = JSON.stringify(r.body);
    for (const f of ['callbackKey', 'callbackRetries', 'callbackRetryIntervalS']) {
      expect(text).toContain(`"${f}"`);
    }
  });
});
