/**
 * /api/voicemails against the real app over HTTP, on PGlite and Postgres:
 * filters and keyset pages, the audio with range requests (206, 416),
 * PATCH validation naming the field, DELETE removing the file, and who may
 * do what (read token reads and listens, only the admin token writes).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/media/audio/wav.ts';
import { tone } from '../support/audio.ts';
import {
  ADMIN_TOKEN,
  BACKENDS,
  type ErrorReply,
  READ_TOKEN,
  unique,
  useApp,
} from './support/harness.ts';

interface VoicemailView {
  id: string;
  callId: string | null;
  departmentId: string | null;
  caller: string;
  startedAt: string;
  durationMs: number;
  heard: boolean;
  assignedAgentId: string | null;
  [k: string]: unknown;
}

describe.each(BACKENDS)('voicemails API on %s', (backend) => {
  const h = useApp(backend);
  let dir = '';
  let deptA = '';
  let deptB = '';
  let agentId = '';
  const wav = encodeWav(tone([440], 1000, 8000, 8000));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'acd-vm-api-'));
    deptA = (await h.call<{ id: string }>('POST', '/api/departments', { name: `A ${unique()}` }))
      .body.id;
    deptB = (await h.call<{ id: string }>('POST', '/api/departments', { name: `B ${unique()}` }))
      .body.id;
    agentId = (
      await h.call<{ id: string }>('POST', '/api/agents', {
        name: `vm ${unique()}`,
        sipUsername: `vm${unique()}`,
        password: 'a-long-enough-secret',
      })
    ).body.id;
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A stored voicemail with a real WAV file, left `minutesAgo` ago. */
  async function seed(departmentId: string, minutesAgo: number) {
    const id = crypto.randomUUID();
    const file = path.join(dir, `${id}.wav`);
    writeFileSync(file, wav);
    const startedAt = new Date(Date.now() - minutesAgo * 60_000);
    await h.app.store.voicemails.add({
      id,
      callId: `call-${unique()}`,
      departmentId,
      caller: '+4915112345678',
      startedAt,
      endedAt: new Date(startedAt.getTime() + 1000),
      durationMs: 1000,
      path: file,
    });
    return { id, file };
  }

  function audio(id: string, headers: Record<string, string> = {}, token = ADMIN_TOKEN) {
    return fetch(`${h.url}/api/voicemails/${id}/audio`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
  }

  it('lists newest first, filtered by department, time and heard, in keyset pages', async () => {
    const old = await seed(deptA, 30);
    const mid = await seed(deptA, 20);
    const other = await seed(deptB, 10);
    const all = await h.call<{ items: VoicemailView[]; nextCursor: string | null }>(
      'GET',
      `/api/voicemails?departmentId=${deptA}&limit=1`,
    );
    expect(all.status).toBe(200);
    expect(all.body.items.map((v) => v.id)).toEqual([mid.id]);
    expect(all.body.items[0]).not.toHaveProperty('path');
    const next = await h.call<{ items: VoicemailView[]; nextCursor: string | null }>(
      'GET',
      `/api/voicemails?departmentId=${deptA}&limit=1&cursor=${all.body.nextCursor}`,
    );
    expect(next.body.items.map((v) => v.id)).toEqual([old.id]);
    const from = new Date(Date.now() - 15 * 60_000).toISOString();
    const recent = await h.call<{ items: VoicemailView[] }>(
      'GET',
      `/api/voicemails?from=${encodeURIComponent(from)}`,
    );
    expect(recent.body.items.map((v) => v.id)).toContain(other.id);
    expect(recent.body.items.map((v) => v.id)).not.toContain(old.id);
    await h.call('PATCH', `/api/voicemails/${other.id}`, { heard: true });
    const unheard = await h.call<{ items: VoicemailView[] }>('GET', '/api/voicemails?heard=false');
    expect(unheard.body.items.map((v) => v.id)).not.toContain(other.id);
    const heard = await h.call<{ items: VoicemailView[] }>('GET', '/api/voicemails?heard=true');
    expect(heard.body.items.map((v) => v.id)).toEqual([other.id]);
  });

  it('serves the audio whole (200), in part (206 with Content-Range) and refuses ranges past the end (416)', async () => {
    const { id } = await seed(deptA, 1);
    const whole = await audio(id);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(wav)).toBe(true);

    const head = await audio(id, { range: 'bytes=0-43' });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-43/${wav.length}`);
    const headBytes = Buffer.from(await head.arrayBuffer());
    expect(headBytes.length).toBe(44);
    expect(headBytes.toString('latin1', 0, 4)).toBe('RIFF');

    const tail = await audio(id, { range: 'bytes=-100' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(wav.subarray(wav.length - 100))).toBe(true);

    const open = await audio(id, { range: `bytes=${wav.length - 10}-` });
    expect(open.status).toBe(206);
    expect(open.headers.get('content-range')).toBe(
      `bytes ${wav.length - 10}-${wav.length - 1}/${wav.length}`,
    );
    await open.arrayBuffer();

    const past = await audio(id, { range: `bytes=${wav.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${wav.length}`);
    expect(((await past.json()) as ErrorReply).error.code).toBe('range_not_satisfiable');
  });

  it('answers 404 for an unknown voicemail and for one whose file is gone', async () => {
    expect((await audio(crypto.randomUUID())).status).toBe(404);
    const { id, file } = await seed(deptA, 2);
    await rm(file);
    const r = await audio(id);
    expect(r.status).toBe(404);
    expect(((await r.json()) as ErrorReply).error.code).toBe('not_found');
  });

  it('marks heard and assigns an agent; bad values are refused naming the field', async () => {
    const { id } = await seed(deptB, 3);
    const ok = await h.call<VoicemailView>('PATCH', `/api/voicemails/${id}`, {
      heard: true,
      assignedAgentId: agentId,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id, heard: true, assignedAgentId: agentId });

    const cases: Array<[unknown, string]> = [
      [{ heard: 'yes' }, 'heard'],
      [{ assignedAgentId: 'bob' }, 'assignedAgentId'],
      [{ assignedAgentId: crypto.randomUUID() }, 'assignedAgentId'],
      [{ path: '/etc/passwd' }, 'path'],
      [{}, 'heard'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call<ErrorReply>('PATCH', `/api/voicemails/${id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field, JSON.stringify(body)).toBe(field);
      expect(r.body.error.reason?.length).toBeGreaterThan(0);
    }
    const bad = await h.call<ErrorReply>('PATCH', '/api/voicemails/not-a-uuid', { heard: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('id');
    expect(
      (await h.call('PATCH', `/api/voicemails/${crypto.randomUUID()}`, { heard: true })).status,
    ).toBe(404);
    const unchanged = await h.call<VoicemailView>('GET', `/api/voicemails/${id}`);
    expect(unchanged.body).toMatchObject({ heard: true, assignedAgentId: agentId });
    const cleared = await h.call<VoicemailView>('PATCH', `/api/voicemails/${id}`, {
      assignedAgentId: null,
    });
    expect(cleared.body.assignedAgentId).toBeNull();
  });

  it('lets the read token list and listen, but not change or delete; no token gets 401', async () => {
    const { id, file } = await seed(deptA, 4);
    const list = await h.call('GET', '/api/voicemails', undefined, { token: READ_TOKEN });
    expect(list.status).toBe(200);
    expect((await audio(id, {}, READ_TOKEN)).status).toBe(200);
    const patch = await h.call<ErrorReply>(
      'PATCH',
      `/api/voicemails/${id}`,
      { heard: true },
      { token: READ_TOKEN },
    );
    expect(patch.status).toBe(403);
    const del = await h.call('DELETE', `/api/voicemails/${id}`, undefined, { token: READ_TOKEN });
    expect(del.status).toBe(403);
    expect(existsSync(file)).toBe(true);
    expect((await h.call('GET', '/api/voicemails', undefined, { token: null })).status).toBe(401);
    expect((await audio(id, {}, 'wrong-token-000000000000')).status).toBe(401);
    expect((await h.call<VoicemailView>('GET', `/api/voicemails/${id}`)).body.heard).toBe(false);
  });

  it('deletes the row and its file', async () => {
    const { id, file } = await seed(deptB, 5);
    const r = await h.call('DELETE', `/api/voicemails/${id}`);
    expect(r.status).toBe(204);
    expect(existsSync(file)).toBe(false);
    expect((await h.call('GET', `/api/voicemails/${id}`)).status).toBe(404);
    expect((await h.call('DELETE', `/api/voicemails/${id}`)).status).toBe(404);
  });

  it('refuses bad list queries naming the field', async () => {
    for (const [q, field] of [
      ['heard=maybe', 'heard'],
      ['departmentId=x', 'departmentId'],
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['colour=red', 'colour'],
    ] as const) {
      const r = await h.call<ErrorReply>('GET', `/api/voicemails?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.field, q).toBe(field);
    }
    const cursor = await h.call<ErrorReply>('GET', '/api/voicemails?cursor=garbage');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.field).toBe('cursor');
  });
});
