/**
 * Refusals: missing or wrong tokens (401), the read-only token writing (403),
 * invalid bodies and queries (400 naming the field), unknown routes (404),
 * and nothing written when a request fails.
 */
import { describe, expect, it } from 'vitest';
import {
  BACKENDS,
  type ErrorReply,
  READ_TOKEN,
  unique,
  uniqueNumber,
  useApp,
} from './support/harness.ts';

interface Row {
  id: string;
  [key: string]: unknown;
}

describe.each(BACKENDS)('auth and validation on %s', (backend) => {
  const h = useApp(backend);

  describe('authentication', () => {
    it('answers 401 with a WWW-Authenticate challenge without a token', async () => {
      const r = await h.call<ErrorReply>('GET', '/api/departments', undefined, { token: null });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('answers 401 for a wrong token, another scheme, and a token in the query string', async () => {
      expect(
        (await h.call('GET', '/api/agents', undefined, { token: 'wrong-token-xxxxxxxx' })).status,
      ).toBe(401);
      const basic = await h.call('GET', '/api/agents', undefined, {
        token: null,
        headers: { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` },
      });
      expect(basic.status).toBe(401);
      // ?token= is for the WebSocket only; plain requests must use the header.
      const q = await h.call('GET', `/api/agents?token=${h.app.token}`, undefined, { token: null });
      expect(q.status).toBe(401);
    });

    it('refuses unauthenticated writes before looking at the body', async () => {
      const name = `Sneaky ${unique()}`;
      const r = await h.call('POST', '/api/departments', { name }, { token: null });
      expect(r.status).toBe(401);
      const list = await h.call<{ items: Row[] }>('GET', '/api/departments');
      expect(list.body.items.some((d) => d.name === name)).toBe(false);
    });

    it('lets the read-only token read but answers 403 to its writes', async () => {
      expect(
        (await h.call('GET', '/api/departments', undefined, { token: READ_TOKEN })).status,
      ).toBe(200);
      const name = `Read only ${unique()}`;
      const w = await h.call<ErrorReply>(
        'POST',
        '/api/departments',
        { name },
        { token: READ_TOKEN },
      );
      expect(w.status).toBe(403);
      expect(w.body.error.code).toBe('forbidden');
      const list = await h.call<{ items: Row[] }>('GET', '/api/departments');
      expect(list.body.items.some((d) => d.name === name)).toBe(false);
    });

    it('serves health, readiness, metrics and the OpenAPI document without a token', async () => {
      for (const p of ['/healthz', '/readyz', '/metrics', '/api/openapi.json']) {
        expect((await h.call('GET', p, undefined, { token: null })).status, p).toBe(200);
      }
    });
  });

  describe('validation', () => {
    it('names an unknown field', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/departments', {
        name: `X ${unique()}`,
        colour: 'blue',
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        code: 'validation_failed',
        field: 'colour',
        reason: 'unknown field',
      });
    });

    it('names a missing required field', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/agents', { name: 'No username' });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ field: 'sipUsername', reason: 'is required' });
    });

    it('names wrong types, ranges and formats, nested fields with their path', async () => {
      const cases: Array<[string, unknown, string]> = [
        ['/api/departments', { name: 'x', ringTimeoutS: 'long' }, 'ringTimeoutS'],
        ['/api/departments', { name: 'x', ringTimeoutS: 0 }, 'ringTimeoutS'],
        ['/api/departments', { name: 'x', strategy: 'fastest' }, 'strategy'],
        ['/api/departments', { name: 'x', timeZone: 'Mars/Olympus' }, 'timeZone'],
        ['/api/departments', { name: '   ' }, 'name'],
        [
          '/api/departments',
          { name: 'x', businessHours: [{ day: 1, open: '18:00', close: '09:00' }] },
          'businessHours.0.close',
        ],
        [
          '/api/departments',
          { name: 'x', businessHours: [{ day: 7, open: '09:00', close: '17:00' }] },
          'businessHours.0.day',
        ],
        ['/api/departments', { name: 'x', holidays: ['25.12.2026'] }, 'holidays.0'],
        [
          '/api/departments',
          { name: 'x', maxWaitAction: { kind: 'forward' } },
          'maxWaitAction.number',
        ],
        [
          '/api/dids',
          { number: '030 1234', departmentId: '00000000-0000-4000-8000-000000000000' },
          'number',
        ],
        ['/api/dids', { number: '+49301234', departmentId: 'sales' }, 'departmentId'],
        ['/api/agents', { name: 'a', sipUsername: 'has space' }, 'sipUsername'],
        ['/api/agents', { name: 'a', sipUsername: 'ok', password: 'short' }, 'password'],
        [
          '/api/agents',
          { name: 'a', sipUsername: 'ok', maxConcurrentCalls: 0 },
          'maxConcurrentCalls',
        ],
        ['/api/agents', { name: 'a', sipUsername: 'ok', status: 'break' }, 'status'],
        ['/api/memberships', { agentId: 'a', departmentId: 'b' }, 'agentId'],
      ];
      for (const [p, body, field] of cases) {
        const r = await h.call<ErrorReply>('POST', p, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.field, JSON.stringify(body)).toBe(field);
        expect(r.body.error.reason, JSON.stringify(body)).toBeTruthy();
      }
    });

    it('answers 400 invalid_json for a body that is not JSON', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/departments', undefined, {
        rawBody: '{"name": ',
      });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_json');
    });

    it('lists every problem in details when there are several', async () => {
      const r = await h.call<ErrorReply & { error: { details: Array<{ field: string }> } }>(
        'POST',
        '/api/departments',
        { name: '', ringTimeoutS: 0, extra: 1 },
      );
      expect(r.status).toBe(400);
      expect(r.body.error.details.map((d) => d.field).sort()).toEqual([
        'extra',
        'name',
        'ringTimeoutS',
      ]);
    });

    it('answers 413 for a body over the size limit', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/departments', {
        name: 'x',
        holidays: Array.from({ length: 30_000 }, () => '2026-01-01'),
      });
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('payload_too_large');
    });

    it('answers 415 for a body that is not sent as JSON', async () => {
      const r = await h.call<ErrorReply>('POST', '/api/departments', undefined, {
        rawBody: JSON.stringify({ name: `Plain ${unique()}` }),
        headers: { 'content-type': 'text/plain' },
      });
      expect(r.status).toBe(415);
      expect(r.body.error.code).toBe('unsupported_media_type');
    });

    it('answers 400 when the body is missing or is not an object', async () => {
      const missing = await h.call<ErrorReply>('POST', '/api/departments');
      expect(missing.status).toBe(400);
      expect(missing.body.error.field).toBe('body');
      const array = await h.call<ErrorReply>('POST', '/api/departments', [1, 2]);
      expect(array.status).toBe(400);
    });

    it('refuses unknown query parameters and a body where none is taken', async () => {
      const q = await h.call<ErrorReply>('GET', '/api/departments?sort=name');
      expect(q.status).toBe(400);
      expect(q.body.error.field).toBe('sort');
      const d = await h.call<Row>('POST', '/api/departments', { name: `Body ${unique()}` });
      const del = await h.call<ErrorReply>('DELETE', `/api/departments/${d.body.id}`, {
        force: true,
      });
      expect(del.status).toBe(400);
      expect((await h.call('GET', `/api/departments/${d.body.id}`)).status).toBe(200);
    });

    it('answers 404 with an error body for unknown routes', async () => {
      const r = await h.call<ErrorReply>('GET', '/api/nothing-here');
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
      expect((await h.call('GET', '/nothing-here')).status).toBe(404);
    });
  });

  describe('nothing half-written', () => {
    it('leaves a department unchanged when one field of a patch is invalid', async () => {
      const d = await h.call<Row>('POST', '/api/departments', { name: `Whole ${unique()}` });
      const r = await h.call<ErrorReply>('PATCH', `/api/departments/${d.body.id}`, {
        strategy: 'random',
        wrapUpS: -1,
      });
      expect(r.status).toBe(400);
      const after = await h.call<Row>('GET', `/api/departments/${d.body.id}`);
      expect(after.body).toEqual(d.body);
    });

    it('leaves a department unchanged when the database refuses a patch', async () => {
      const d = await h.call<Row>('POST', '/api/departments', { name: `Refused ${unique()}` });
      // Valid JSON shape, but the target department does not exist: the store refuses.
      const r = await h.call<ErrorReply>('PATCH', `/api/departments/${d.body.id}`, {
        strategy: 'random',
        queueFullAction: { kind: 'overflow', departmentId: '00000000-0000-4000-8000-00000000abcd' },
      });
      expect(r.status).toBe(400);
      expect((await h.call<Row>('GET', `/api/departments/${d.body.id}`)).body).toEqual(d.body);
    });

    it('does not change an agent’s status when the break end is in the past', async () => {
      const a = await h.call<Row>('POST', '/api/agents', {
        name: 'Stay',
        sipUsername: `stay${unique()}`,
        status: 'available',
      });
      await h.call('PUT', `/api/agents/${a.body.id}/status`, {
        status: 'break',
        until: '2001-01-01T00:00:00Z',
      });
      const history = await h.call<{ items: Row[] }>(
        'GET',
        `/api/agents/${a.body.id}/status-history`,
      );
      expect(history.body.items).toEqual([]);
      expect((await h.call<Row>('GET', `/api/agents/${a.body.id}`)).body.status).toBe('available');
    });

    it('keeps the number with its first department when a second one claims it', async () => {
      const d1 = await h.call<Row>('POST', '/api/departments', { name: `First ${unique()}` });
      const d2 = await h.call<Row>('POST', '/api/departments', { name: `Second ${unique()}` });
      const number = uniqueNumber();
      await h.call('POST', '/api/dids', { number, departmentId: d1.body.id });
      expect((await h.call('POST', '/api/dids', { number, departmentId: d2.body.id })).status).toBe(
        409,
      );
      const list = await h.call<{ items: Row[] }>('GET', `/api/dids?departmentId=${d2.body.id}`);
      expect(list.body.items).toEqual([]);
    });
  });
});
