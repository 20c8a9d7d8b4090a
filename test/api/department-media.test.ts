/**
 * A department's media settings through the API: defaults that work without
 * any setting, stored and read back, bad paths and keys refused naming the
 * field (and nothing stored), and the fields documented in OpenAPI.
 */
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ErrorReply, unique, useApp } from './support/harness.ts';

interface Dept {
  id: string;
  [key: string]: unknown;
}

describe.each(BACKENDS)('department media settings on %s', (backend) => {
  const h = useApp(backend);

  it('a new department has working defaults: shipped prompts and music, welcome on, no exit key', async () => {
    const r = await h.call<Dept>('POST', '/api/departments', { name: `m-${unique()}` });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      promptsFolder: null,
      mohFolder: null,
      welcomeEnabled: true,
      welcomePrompt: null,
      outOfHoursPrompt: null,
      queueFullPrompt: null,
      noAgentPrompt: null,
      maxWaitPrompt: null,
      exitKey: null,
      exitKeyAction: { kind: 'voicemail' },
    });
  });

  it('stores and returns every field', async () => {
    const settings = {
      promptsFolder: '/srv/prompts/de',
      mohFolder: '/srv/moh/jazz',
      welcomeEnabled: false,
      welcomePrompt: '/srv/prompts/welcome-sales.wav',
      outOfHoursPrompt: '/srv/p/ooh.wav',
      queueFullPrompt: '/srv/p/full.wav',
      noAgentPrompt: '/srv/p/none.wav',
      maxWaitPrompt: '/srv/p/late.wav',
      exitKey: '#',
      exitKeyAction: { kind: 'forward', number: '+4930123456' },
    };
    const created = await h.call<Dept>('POST', '/api/departments', {
      name: `m-${unique()}`,
      ...settings,
    });
    expect(
      created.status,
      JSON.stringify(h.logs.filter((l) => l.includes('"error"')).slice(-2)),
    ).toBe(201);
    const read = await h.call<Dept>('GET', `/api/departments/${created.body.id}`);
    expect(read.body).toMatchObject(settings);
    const patched = await h.call<Dept>('PATCH', `/api/departments/${created.body.id}`, {
      exitKey: null,
      exitKeyAction: { kind: 'hangup' },
      mohFolder: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      exitKey: null,
      exitKeyAction: { kind: 'hangup' },
      mohFolder: null,
      welcomePrompt: settings.welcomePrompt,
    });
  });

  it.each([
    ['promptsFolder', 'relative/path'],
    ['promptsFolder', '/srv/../etc'],
    ['mohFolder', '/with space'],
    ['welcomePrompt', '/srv/p/welcome.mp3'],
    ['welcomePrompt', '/srv/a!b.wav'],
    ['noAgentPrompt', 42],
    ['exitKey', 'A'],
    ['exitKey', '**'],
    ['exitKeyAction', { kind: 'overflow', departmentId: '6f1c5b8e-4f1a-4c3b-9d7e-2a1b3c4d5e6f' }],
    ['exitKeyAction', { kind: 'forward' }],
    ['welcomeEnabled', 'yes'],
  ])('refuses %s = %j, naming the field, and stores nothing', async (field, value) => {
    const name = `bad-${unique()}`;
    const r = await h.call<ErrorReply>('POST', '/api/departments', { name, [field]: value });
    expect(r.status).toBe(400);
    expect(r.body.error.field?.split('.')[0]).toBe(field);
    const list = await h.call<{ items: Dept[] }>('GET', '/api/departments');
    expect(list.body.items.some((d) => d.name === name)).toBe(false);
  });

  it('documents the fields in OpenAPI', async () => {
    const r = await h.call<{ components: { schemas: Record<string, unknown> } }>(
      'GET',
      '/api/openapi.json',
    );
    const text = JSON.stringify(r.body);
    for (const f of ['promptsFolder', 'mohFolder', 'welcomePrompt', 'exitKey', 'exitKeyAction']) {
      expect(text).toContain(`"${f}"`);
    }
  });
});
