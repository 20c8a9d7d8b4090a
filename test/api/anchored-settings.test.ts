/**
 * The settings of anchored calls through the API: a department's
 * `recordCalls` and `namePrompt`, an agent's `confirmMobileAnswer`; defaults,
 * stored and read back, bad values refused naming the field, documented in
 * OpenAPI.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ErrorReply, unique, useApp } from './support/harness.ts';

interface Row {
  id: string;
  [key: string]: unknown;
}

describe.each(BACKENDS)('anchored-call settings on %s', (backend) => {
  const h = useApp(backend);

  it('a department does not record by default and has no name prompt; both are stored', async () => {
    const r = await h.call<Row>('POST', '/api/departments', { name: `a-${unique()}` });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ recordCalls: false, namePrompt: null });
    const patched = await h.call<Row>('PATCH', `/api/departments/${r.body.id}`, {
      recordCalls: true,
      namePrompt: '/srv/prompts/sales-name.wav',
    });
    expect(patched.status).toBe(200);
    const read = await h.call<Row>('GET', `/api/departments/${r.body.id}`);
    expect(read.body).toMatchObject({
      recordCalls: true,
      namePrompt: '/srv/prompts/sales-name.wav',
    });
  });

  it.each([
    ['recordCalls', 'yes'],
    ['namePrompt', 'relative.wav'],
    ['namePrompt', '/srv/name.mp3'],
    ['namePrompt', '/srv/../name.wav'],
  ])('refuses department %s = %j, naming the field', async (field, value) => {
    const r = await h.call<ErrorReply>('POST', '/api/departments', {
      name: `bad-${unique()}`,
      [field]: value,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.field?.split('.')[0]).toBe(field);
  });

  it('an agent confirms mobile answers by default; it can be turned off', async () => {
    const r = await h.call<Row>('POST', '/api/agents', {
      name: 'Mo',
      sipUsername: `mo${unique()}`,
    });
    expect(r.status).toBe(201);
    expect(r.body.confirmMobileAnswer).toBe(true);
    const patched = await h.call<Row>('PATCH', `/api/agents/${r.body.id}`, {
      confirmMobileAnswer: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.confirmMobileAnswer).toBe(false);
    const bad = await h.call<ErrorReply>('PATCH', `/api/agents/${r.body.id}`, {
      confirmMobileAnswer: 'no',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('confirmMobileAnswer');
  });

  it('documents the fields in OpenAPI', async () => {
    const r = await h.call<unknown>('GET', '/api/openapi.json');
    const text = JSON.stringify(r.body);
    for (const f of ['recordCalls', 'namePrompt', 'confirmMobileAnswer']) {
      expect(text).toContain(`"${f}"`);
    }
  });
});
