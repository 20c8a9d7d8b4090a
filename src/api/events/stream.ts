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
 *
 * `?live=true` asks for the live view (wallboards): the first message is a
 * `live.snapshot` of the whole view, then the events as usual, among them a
 * fresh `live.snapshot` after changes. Events that happen while the first
 * snapshot is being built are held and sent after it, in order. Clients that
 * did not ask never get `live.*` messages.
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
  /** Redeems a one-time `?ticket=` (browsers; see tickets.ts); without it tickets are refused. */
  redeemTicket?: (ticket: string) => Role | null;
  /** Builds the live view sent first to `?live=true` clients; without it they get none. */
  liveSnapshot?: () => Promise<unknown>;
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
  /** Clients that asked for the live view (`?live=true`). */
  liveClientCount(): number;
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

/** The role of an upgrade: bearer header, `?token=`, or a one-time `?ticket=`. */
function upgradeRole(
  req: IncomingMessage,
  url: URL,
  tokens: ApiTokens,
  redeemTicket?: (ticket: string) => Role | null,
): Role | null {
  const role = roleOf(tokens, bearerOf(req) ?? url.searchParams.get('token'));
  if (role !== null) return role;
  const ticket = url.searchParams.get('ticket');
  return ticket && redeemTicket ? redeemTicket(ticket) : null;
}

/** `live.*` messages go only to clients that asked for the live view. */
function wantsType(wanted: ((type: string) => boolean) | null, live: boolean, type: string) {
  if (type.startsWith('live.') && !live) return false;
  return wanted === null || wanted(type);
}

/**
 * Sends the live snapshot first; until it is out, `hold` keeps the events
 * that arrive meanwhile and they follow it in order. A failed snapshot is
 * reported and the held events are sent all the same.
 */
function greetWithSnapshot(
  ws: WebSocket,
  snapshot: () => Promise<unknown>,
  onError?: (err: unknown) => void,
): { hold(event: BusEvent): boolean } {
  let held: BusEvent[] | null = [];
  const flush = () => {
    const pending = held ?? [];
    held = null;
    for (const e of pending) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e));
  };
  snapshot()
    .then((data) => {
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify({ type: 'live.snapshot', at: new Date().toISOString(), data }));
      }
    })
    .catch((err: unknown) => onError?.(err))
    .finally(flush);
  return {
    hold(event) {
      if (held === null) return false;
      held.push(event);
      return true;
    },
  };
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
  const liveClients = new Set<WebSocket>();
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
    const role = upgradeRole(req, url, tokens, options.redeemTicket);
    if (role === null) return reject(socket, 401, 'Unauthorized');
    if ((perRole.get(role) ?? 0) >= maxPerToken) return reject(socket, 429, 'Too Many Requests');
    perRole.set(role, (perRole.get(role) ?? 0) + 1);
    // The slot is freed exactly once: when the socket closes, whether or not
    // the upgrade completed.
    socket.once('close', () => release(role));
    const wanted = typeFilter(url.searchParams.get('types'));
    const live = url.searchParams.get('live') === 'true';
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, wanted, live));
  };
  server.on('upgrade', onUpgrade);

  const onConnection = (
    ws: WebSocket,
    wanted: ((type: string) => boolean) | null,
    live: boolean,
  ) => {
    alive.set(ws, true);
    if (live) liveClients.add(ws);
    const gate =
      live && options.liveSnapshot
        ? greetWithSnapshot(ws, options.liveSnapshot, options.onError)
        : null;
    const off = events.onAny((event) => {
      if (ws.readyState !== ws.OPEN) return;
      if (!wantsType(wanted, live, event.type)) return;
      if (ws.bufferedAmount > maxBuffered) {
        drop(ws);
        return;
      }
      if (gate?.hold(event)) return;
      ws.send(JSON.stringify(event));
    });
    ws.once('close', () => liveClients.delete(ws));
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
    liveClientCount: () => liveClients.size,
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
