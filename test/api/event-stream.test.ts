/**
 * The event stream on its own HTTP server (no database): heartbeats end
 * connections whose peer stopped answering pings, `close()` says goodbye
 * with 1001 and stops accepting upgrades, and the ?types= filter.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EventBus } from '../../src/api/events/bus.ts';
import { attachEventStream, type EventStream, typeFilter } from '../../src/api/events/stream.ts';
import { refusedStatus } from './support/ws-client.ts';

const TOKENS = { admin: 'stream-admin-token-0123', read: null };
let server: Server | undefined;
let stream: EventStream | undefined;

afterEach(async () => {
  await stream?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  stream = undefined;
});

async function setUp(heartbeatMs: number) {
  server = createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const bus = new EventBus<Record<string, unknown>>();
  stream = attachEventStream({ server, tokens: TOKENS, events: bus, heartbeatMs });
  const { port } = server.address() as AddressInfo;
  return { bus, url: `ws://127.0.0.1:${port}/api/events?token=${TOKENS.admin}` };
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

describe('event stream', () => {
  it('drops a client that stops answering pings, keeps one that answers', async () => {
    // Long enough between pings that a busy machine still delivers the lively pong.
    const { url } = await setUp(750);
    const silent = new WebSocket(url, { autoPong: false });
    const lively = new WebSocket(url);
    await Promise.all([opened(silent), opened(lively)]);
    const silentClosed = new Promise<number>((resolve) =>
      silent.once('close', (code) => resolve(code)),
    );
    // Terminated without a close frame: the client sees 1006 (abnormal closure).
    expect(await silentClosed).toBe(1006);
    expect(lively.readyState).toBe(WebSocket.OPEN);
    // The server forgets the dropped socket once its own side has closed.
    for (let i = 0; i < 300 && stream!.clientCount() !== 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(stream!.clientCount()).toBe(1);
    lively.close();
  });

  it('closes clients with 1001 on close() and refuses new upgrades afterwards', async () => {
    const { url, bus } = await setUp(10_000);
    const ws = new WebSocket(url);
    await opened(ws);
    const code = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    await stream!.close();
    expect(await code).toBe(1001);
    // No longer upgraded (refusedStatus throws if the socket opened).
    expect(await refusedStatus(url)).not.toBe(101);
    expect(() => bus.publish('x.y', {})).not.toThrow();
    expect(bus.listenerCount()).toBe(0);
  });

  it('filters by exact types and prefixes', () => {
    const f = typeFilter('agent.*,did.created');
    expect(f).not.toBeNull();
    expect(
      ['agent.status', 'agent.created', 'did.created', 'did.deleted', 'call.queued'].filter(f!),
    ).toEqual(['agent.status', 'agent.created', 'did.created']);
    expect(typeFilter(null)).toBeNull();
    expect(typeFilter(' ')).toBeNull();
  });
});
