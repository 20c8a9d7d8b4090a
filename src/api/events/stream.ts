/**
 * The WebSocket event stream at `/api/events`: every bus event goes to every
 * connected client as one JSON text message `{ type, at, data }`.
 *
 * Authentication happens at the HTTP upgrade, before a socket is accepted:
 * `Authorization: Bearer <token>` or, for browsers (which cannot set headers
 * on a WebSocket), `?token=<token>`. Either token (admin or read) may listen.
 * A client that stops reading is dropped (close code 1008) once its unsent
 * data passes `maxBufferedBytes`, and cut off if it does not finish the
 * close handshake soon after; each token may hold at most
 * `maxClientsPerToken` connections (more are refused with 429). Together they
 * bound what idle listeners can make the process hold. A ping every
 * `heartbeatMs` ends connections whose peer vanished.
 * `?types=department.*,agent.status` limits a client to some events (exact
 * types, or prefixes ending in `*`).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ApiTokens, bearerOf, type Role, roleOf } from '../http/auth.ts';
import type { BusEvent } from './bus.ts';

export const EVENTS_PATH = '/api/events';

/** What the stream needs from the bus. */
export interface EventSource {
  onAny(listener: (event: BusEvent) => void): () => void;
}

export interface EventStreamOptions {
  server: Server;
  tokens: ApiTokens;
  events: EventSource;
  heartbeatMs?: number;
  /** A client whose unsent data exceeds this is disconnected (close code 1008). */
  maxBufferedBytes?: number;
  /** Most connections one token (admin or read) may hold at once. */
  maxClientsPerToken?: number;
  onError?: (err: unknown) => void;
}

/** Defaults: events are small (well under 1 kB); a wallboard reads them at once. */
export const STREAM_DEFAULTS = { maxBufferedBytes: 256 * 1024, maxClientsPerToken: 50 };

/** How long a dropped client gets to answer the close handshake before it is cut off. */
const DROP_GRACE_MS = 2_000;

export interface EventStream {
  clientCount(): number;
  /** Unsent bytes held for all clients (metrics, tests). */
  bufferedBytes(): number;
  /** Closes every client (1001 going away) and stops listening for upgrades. */
  close(): Promise<void>;
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
  );
}

/** Builds the `?types=` filter; null = every event. */
export function typeFilter(spec: string | null): ((type: string) => boolean) | null {
  if (spec === null || spec.trim() === '') return null;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    if (part.endsWith('*')) prefixes.push(part.slice(0, -1));
    else exact.add(part);
  }
  return (type) => exact.has(type) || prefixes.some((p) => type.startsWith(p));
}

export function attachEventStream(options: EventStreamOptions): EventStream {
  const { server, tokens, events } = options;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const maxBuffered = options.maxBufferedBytes ?? STREAM_DEFAULTS.maxBufferedBytes;
  const maxPerToken = options.maxClientsPerToken ?? STREAM_DEFAULTS.maxClientsPerToken;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const alive = new WeakMap<WebSocket, boolean>();
  /** Connections per role, counted from the upgrade on (so racing upgrades cannot pass the cap). */
  const perRole = new Map<Role, number>();
  let closed = false;

  const release = (role: Role) => {
    const n = (perRole.get(role) ?? 1) - 1;
    if (n <= 0) perRole.delete(role);
    else perRole.set(role, n);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (closed) return reject(socket, 503, 'Service Unavailable');
    if (url.pathname !== EVENTS_PATH) return reject(socket, 404, 'Not Found');
    const presented = bearerOf(req) ?? url.searchParams.get('token');
    const role = roleOf(tokens, presented);
    if (role === null) return reject(socket, 401, 'Unauthorized');
    if ((perRole.get(role) ?? 0) >= maxPerToken) return reject(socket, 429, 'Too Many Requests');
    perRole.set(role, (perRole.get(role) ?? 0) + 1);
    // The slot is freed exactly once: when the socket closes, whether or not
    // the upgrade completed.
    socket.once('close', () => release(role));
    const wanted = typeFilter(url.searchParams.get('types'));
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, wanted));
  };
  server.on('upgrade', onUpgrade);

  const onConnection = (ws: WebSocket, wanted: ((type: string) => boolean) | null) => {
    alive.set(ws, true);
    const off = events.onAny((event) => {
      if (ws.readyState !== ws.OPEN) return;
      if (wanted && !wanted(event.type)) return;
      if (ws.bufferedAmount > maxBuffered) {
        drop(ws);
        return;
      }
      ws.send(JSON.stringify(event));
    });
    ws.on('pong', () => alive.set(ws, true));
    ws.on('error', (err) => options.onError?.(err));
    ws.once('close', off);
    // Clients only listen; anything they send is ignored.
  };

  /**
   * A client that does not read would not see the close frame behind its
   * backlog either; it gets a short grace, then the socket (and the data held
   * for it) goes.
   */
  const drop = (ws: WebSocket) => {
    ws.close(1008, 'client too slow');
    const cut = setTimeout(() => ws.terminate(), DROP_GRACE_MS);
    cut.unref();
    ws.once('close', () => clearTimeout(cut));
  };

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  let closing: Promise<void> | null = null;
  return {
    clientCount: () => wss.clients.size,
    bufferedBytes: () => {
      let total = 0;
      for (const ws of wss.clients) total += ws.bufferedAmount;
      return total;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        clearInterval(heartbeat);
        server.off('upgrade', onUpgrade);
        for (const ws of wss.clients) ws.close(1001, 'server shutting down');
        // Clients that do not answer the close handshake are cut off.
        const force = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 2000);
        force.unref();
        wss.close(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}
