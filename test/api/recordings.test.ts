/**
 * A call's recording over HTTP, against the real app on PGlite and on the
 * test Postgres: the WAV with byte ranges (206, 416), 404 without one, the
 * start/stop control (admin only; 404 for a call not in progress, 409 for
 * one whose media is not anchored), validation naming the field, and the
 * department settings that ask for recordings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AcdLiveState } from '../../src/acd/index.ts';
import type { LayerStarter } from '../../src/app/runtime/layer.ts';
import {
  ADMIN_TOKEN,
  BACKENDS,
  type ErrorReply,
  READ_TOKEN,
  unique,
  useApp,
} from './support/harness.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'recordings-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A WAV-like file whose byte i is i mod 251, so any slice can be checked. */
function makeFile(name: string, size: number): { file: string; bytes: Buffer } {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  bytes.write('RIFF', 0, 'latin1');
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return { file, bytes };
}

const LIVE_CALL = 'live-call-in-progress';

/** A routing engine's picture with one connected call, as telephony would give it. */
const liveLayer: LayerStarter = async () => ({
  name: 'test-live',
  live: (): AcdLiveState => ({
    now: Date.now(),
    departments: [],
    agents: [],
    connected: [
      {
        callId: LIVE_CALL,
        departmentId: '00000000-0000-4000-8000-000000000000',
        agentId: '00000000-0000-4000-8000-000000000001',
        answeredAt: Date.now(),
      },
    ],
  }),
  close: async () => undefined,
});

describe.each(BACKENDS)('call recordings over HTTP on %s', (backend) => {
  const h = useApp(backend, { layers: [liveLayer] });

  async function listed(size = 1000): Promise<{ callId: string; bytes: Buffer; file: string }> {
    const callId = `rec-${unique()}`;
    const { file, bytes } = makeFile(`${callId}.wav`, size);
    await h.app.store.recordings.add({
      callId,
      departmentId: null,
      path: file,
      startedAt: new Date(Date.now() - 60_000),
      endedAt: new Date(),
      bytes: size,
    });
    return { callId, bytes, file };
  }

  async function get(
    callId: string,
    headers: Record<string, string> = {},
    token = ADMIN_TOKEN,
  ): Promise<Response> {
    return fetch(`${h.url}/api/calls/${encodeURIComponent(callId)}/recording`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
  }

  it('serves the whole recording as audio/wav, announcing byte ranges', async () => {
    const { callId, bytes } = await listed();
    const r = await get(callId);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('audio/wav');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('answers a byte range with 206 and exactly those bytes (first, open-ended and suffix ranges)', async () => {
    const { callId, bytes } = await listed(1000);
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=900-', 900, 999],
      ['bytes=-10', 990, 999],
      ['bytes=990-5000', 990, 999],
    ];
    for (const [range, start, end] of cases) {
      const r = await get(callId, { range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/1000`);
      expect(r.headers.get('content-length'), range).toBe(String(end - start + 1));
      const body = Buffer.from(await r.arrayBuffer());
      expect(body.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('answers 416 with the size for a range past the end; serves the whole file for ranges it does not serve', async () => {
    const { callId, bytes } = await listed(1000);
    const r = await get(callId, { range: 'bytes=1000-1100' });
    expect(r.status).toBe(416);
    expect(r.headers.get('content-range')).toBe('bytes */1000');
    const body = (await r.json()) as ErrorReply;
    expect(body.error.code).toBe('range_not_satisfiable');
    for (const range of ['bytes=0-1,5-9', 'items=0-5', 'bytes=50-10']) {
      const whole = await get(callId, { range });
      expect(whole.status, range).toBe(200);
      expect(Buffer.from(await whole.arrayBuffer()).length).toBe(bytes.length);
    }
  });

  it('answers 404 for a call without a recording, and for a listed recording whose file is gone', async () => {
    const none = await get(`no-recording-${unique()}`);
    expect(none.status).toBe(404);
    expect(((await none.json()) as ErrorReply).error.code).toBe('not_found');
    const { callId, file } = await listed();
    rmSync(file);
    const gone = await get(callId);
    expect(gone.status).toBe(404);
    expect(h.logs.some((l) => l.includes('recording listed but its file is missing'))).toBe(true);
  });

  it('lets the read token listen; only the admin token may start or stop; no token gets 401', async () => {
    const { callId } = await listed();
    expect((await get(callId, {}, READ_TOKEN)).status).toBe(200);
    const readWrite = await h.call<ErrorReply>(
      'POST',
      `/api/calls/${LIVE_CALL}/recording`,
      { action: 'start' },
      { token: READ_TOKEN },
    );
    expect(readWrite.status).toBe(403);
    const anonymous = await h.call(
      'POST',
      `/api/calls/${LIVE_CALL}/recording`,
      { action: 'start' },
      { token: null },
    );
    expect(anonymous.status).toBe(401);
    expect((await get(callId, {}, 'wrong-token-0123456789')).status).toBe(401);
  });

  it('refuses a bad action with 400 naming the field and the reason', async () => {
    const url = `/api/calls/${LIVE_CALL}/recording`;
    const bad = await h.call<ErrorReply>('POST', url, { action: 'pause' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('action');
    expect(bad.body.error.reason).toBeTruthy();
    const extra = await h.call<ErrorReply>('POST', url, { action: 'start', file: '/etc/passwd' });
    expect(extra.status).toBe(400);
    const empty = await h.call<ErrorReply>('POST', url, {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.field).toBe('action');
  });

  it('start or stop: 404 for a call not in progress, 409 "call is not recorded/anchored" for a live call', async () => {
    for (const action of ['start', 'stop']) {
      const notLive = await h.call<ErrorReply>('POST', `/api/calls/ended-${unique()}/recording`, {
        action,
      });
      expect(notLive.status, action).toBe(404);
      expect(notLive.body.error.reason).toBe('call is not live');
      const live = await h.call<ErrorReply>('POST', `/api/calls/${LIVE_CALL}/recording`, {
        action,
      });
      expect(live.status, action).toBe(409);
      expect(live.body.error).toMatchObject({
        code: 'conflict',
        field: 'id',
        reason: 'call is not recorded/anchored',
      });
    }
  });

  it('department settings: recordCalls (off) and recordingRetentionDays (90) by default, validated', async () => {
    const created = await h.call<{
      id: string;
      recordCalls: boolean;
      recordingRetentionDays: number;
    }>('POST', '/api/departments', { name: `Recorded ${unique()}` });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ recordCalls: false, recordingRetentionDays: 90 });
    const patched = await h.call<{ recordCalls: boolean; recordingRetentionDays: number }>(
      'PATCH',
      `/api/departments/${created.body.id}`,
      { recordCalls: true, recordingRetentionDays: 30 },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ recordCalls: true, recordingRetentionDays: 30 });
    for (const bad of [0, 3651, 1.5, '30']) {
      const r = await h.call<ErrorReply>('PATCH', `/api/departments/${created.body.id}`, {
        recordingRetentionDays: bad,
      });
      expect(r.status, String(bad)).toBe(400);
      expect(r.body.error.field).toBe('recordingRetentionDays');
    }
    const notBool = await h.call<ErrorReply>('PATCH', `/api/departments/${created.body.id}`, {
      recordCalls: 'yes',
    });
    expect(notBool.status).toBe(400);
    expect(notBool.body.error.field).toBe('recordCalls');
  });
});
