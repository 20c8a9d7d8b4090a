/**
 * Listeners that connect and never read must not make the process hold
 * memory without bound: with the default limits each one is dropped (close
 * code 1008) after a few hundred kB of unsent events, and one token can hold
 * only so many connections. Real `ws` clients whose sockets are paused (they
 * read nothing, so the kernel's buffers fill and then the server's).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventBus } from '../../src/api/events/bus.ts';
import { attachEventStream, type EventStream } from '../../src/api/events/stream.ts';
import { ADMIN_TOKEN, useApp } from './support/harness.ts';
import { connect, eventsUrl } from './support/ws-client.ts';

const TOKENS = { admin: 'slow-admin-token-0123456', read: 'slow-read-token-01234567' };
let server: Server | undefined;
let stream: EventStream | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await stream?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  stream = undefined;
});

/** The stream with its default limits on a bare HTTP server. */
async function defaultStream() {
  server = createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const bus = new EventBus<Record<string, unknown>>();
  stream = attachEventStream({ server, tokens: TOKENS, events: bus });
  const { port } = server.address() as AddressInfo;
  return { bus, url: (token: string) => `ws://127.0.0.1:${port}/api/events?token=${token}` };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      reject(Object.assign(new Error(`refused ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once('error', reject);
  });
}

const tick = () => new Promise((r) => setImmediate(r));

describe('slow event-stream clients', () => {
  it('drops clients that do not read after a bounded backlog (1008); a reading client keeps everything', async () => {
    const { bus, url } = await defaultStream();
    const paused = await Promise.all(Array.from({ length: 5 }, () => open(url(TOKENS.admin))));
    const closes = paused.map((ws) => new Promise<number>((r) => ws.once('close', (c) => r(c))));
    for (const ws of paused) ws.pause();
    const reader = await open(url(TOKENS.read));
    let read = 0;
    reader.on('message', () => {
      read += 1;
    });

    const padding = 'x'.repeat(1000);
    let published = 0;
    let maxBuffered = 0;
    // Up to 64 MB per client: far more than the kernel's socket buffers take.
    // Small bursts (20 kB a tick), so that the reading client, which must
    // drain each tick's burst in time, keeps up on a busy machine too.
    while (stream!.clientCount() > 1 && published < 64_000) {
      for (let i = 0; i < 20; i += 1) bus.publish('test.padding', { n: published++, padding });
      maxBuffered = Math.max(maxBuffered, stream!.bufferedBytes());
      await tick();
    }
    // A dropped client is closing: its socket goes at the latest after the
    // stream's grace (2 s), which a fast machine outruns with 64,000 events.
    for (let i = 0; i < 500 && stream!.clientCount() > 1; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    // Every paused client was dropped while it held at most ~256 kB (plus one event).
    expect(stream!.clientCount()).toBe(1);
    expect(maxBuffered).toBeLessThanOrEqual(paused.length * (256 * 1024 + 2 * 1100));
    // Closed with 1008, or cut off (1006) when the close handshake went unanswered.
    for (const ws of paused) ws.resume();
    for (const code of await Promise.all(closes)) expect([1008, 1006]).toContain(code);
    // The reader got every event.
    for (let i = 0; i < 500 && read < published; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    expect(read).toBe(published);
  }, 120_000);

  it('says why: a client that reads again in time finds close code 1008', async () => {
    const { bus, url } = await defaultStream();
    const ws = await open(url(TOKENS.admin));
    const closed = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    ws.pause();
    const padding = 'x'.repeat(1000);
    for (let n = 0; stream!.clientCount() > 0 && n < 64_000; ) {
      for (let i = 0; i < 100; i += 1) bus.publish('test.padding', { n: n++, padding });
      await tick();
    }
    ws.resume();
    expect(await closed).toBe(1008);
  }, 120_000);

  it('refuses more than 50 connections per token (429), each token counted on its own', async () => {
    const { url } = await defaultStream();
    const admins = await Promise.all(Array.from({ length: 50 }, () => open(url(TOKENS.admin))));
    await expect(open(url(TOKENS.admin))).rejects.toMatchObject({ status: 429 });
    const reader = await open(url(TOKENS.read));
    expect(reader.readyState).toBe(WebSocket.OPEN);
    // A closed connection frees its place.
    await new Promise<void>((resolve) => {
      admins[0]!.once('close', () => resolve());
      admins[0]!.close();
    });
    for (let i = 0; i < 100 && stream!.clientCount() > 51; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const again = await open(url(TOKENS.admin));
    expect(again.readyState).toBe(WebSocket.OPEN);
  }, 60_000);
});

describe('the app passes its configured limits to the stream', () => {
  const h = useApp('pglite', {
    overrides: {
      api: { token: ADMIN_TOKEN, readToken: null, events: { maxClientsPerToken: 2 } },
    },
  });

  it('api.events.maxClientsPerToken', async () => {
    const a = await connect(eventsUrl(h.url, ADMIN_TOKEN));
    const b = await connect(eventsUrl(h.url, ADMIN_TOKEN));
    await expect(connect(eventsUrl(h.url, ADMIN_TOKEN))).rejects.toMatchObject({ status: 429 });
    await a.close();
    await b.close();
  });
});
