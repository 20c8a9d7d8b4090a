/**
 * The drachtio control port (drachtio-wire.md §1, §2): app connections,
 * authentication with the shared secret, route registration, ping, and
 * hand-off of `sip` frames to the SIP core.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { Counters } from '../shared/stats.ts';
import { encodeFrame, FrameDecoder } from './framing.ts';
import { noFrame, nokFrame, okFrame } from './frames.ts';
import { RouteTable } from './routes.ts';

/** Reported in the authenticate answer; srf pings only servers ≥ v0.8.2 (§2.1). */
export const WIRE_VERSION = 'v0.9.10-embedded';

export interface AppFrameHandler {
  /** An A→S `sip` frame from an authenticated connection. `tokens` is the split leader. */
  onSipFrame(conn: AppConnection, msgId: string, tokens: string[], sipText: string): void;
  /** Connection gone (after authentication). */
  onAppClosed(conn: AppConnection): void;
}

let connSeq = 0;

export class AppConnection {
  readonly id: number;
  authenticated = false;
  closed = false;
  readonly verbs = new Set<string>();
  private readonly decoder = new FrameDecoder();

  constructor(
    readonly socket: net.Socket,
    private readonly control: ControlServer,
  ) {
    this.id = ++connSeq;
  }

  private corked = false;

  /**
   * Writes one frame; silently ignored once the connection is closed. Frames
   * written during one event-loop turn (e.g. a burst of SIP datagrams) leave
   * in one writev (corked until the check phase): under load this saves a
   * syscall per frame, and the order is kept.
   */
  send(payload: string): void {
    // writableEnded: the server refused the app and is closing the connection.
    if (this.closed || this.socket.destroyed || this.socket.writableEnded) return;
    this.control.counters.framesOut++;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame(payload));
  }

  /** Payloads of one TCP chunk. */
  decode(chunk: Buffer): { frames: string[]; error?: string } {
    return this.decoder.push(chunk);
  }
}

export class ControlServer {
  readonly routes = new RouteTable<AppConnection>();
  readonly connections = new Set<AppConnection>();
  private server: net.Server | undefined;
  address = { host: '127.0.0.1', port: 0 };

  constructor(
    readonly counters: Counters,
    private readonly secret: string,
    private readonly handler: AppFrameHandler,
    private readonly hostports: () => { external: string; local: string },
    private readonly log: Logger | undefined,
    /** A new id for a server-originated frame (any string without `|`). */
    readonly nextId: () => string,
  ) {}

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.accept(socket));
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log?.error({ err }, 'control port error'));
        const a = server.address();
        if (a && typeof a === 'object') this.address = { host: a.address, port: a.port };
        this.server = server;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30000);
    const conn = new AppConnection(socket, this);
    this.connections.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (err) => this.log?.debug({ err, conn: conn.id }, 'app connection error'));
    socket.on('close', () => this.onClose(conn));
  }

  private onData(conn: AppConnection, chunk: Buffer): void {
    const { frames, error } = conn.decode(chunk);
    for (const f of frames) {
      // Nothing after a frame that made us close the connection is read.
      if (conn.closed || conn.socket.writableEnded) return;
      this.counters.framesIn++;
      try {
        this.onFrame(conn, f);
      } catch (err) {
        // A bug in handling one frame must not take the server down, and the
        // app still gets its one answer (§4.6).
        this.log?.error({ err, conn: conn.id }, 'error handling app frame');
        const id = f.slice(0, Math.max(0, f.indexOf('|')));
        if (id && conn.authenticated)
          conn.send(nokFrame(this.nextId(), id, 'Server error: internal error'));
      }
    }
    if (error !== undefined) {
      this.log?.warn({ conn: conn.id, error }, 'bad frame from app; disconnecting');
      conn.socket.destroy();
    }
  }

  private onFrame(conn: AppConnection, payload: string): void {
    const cr = payload.indexOf('\r\n');
    const leader = cr < 0 ? payload : payload.slice(0, cr);
    const body = cr < 0 ? '' : payload.slice(cr + 2);
    const tokens = leader.split('|');
    const id = tokens[0] ?? '';
    const type = tokens[1];
    this.log?.debug({ conn: conn.id, leader }, 'frame from app');
    if (tokens.length < 2) {
      // drachtio-server's answer to a frame it cannot read (§2.5): NO, then disconnect.
      this.refuse(conn, id, 'Invalid message format');
      return;
    }
    if (!conn.authenticated) {
      if (type !== 'authenticate') {
        conn.send(noFrame(this.nextId(), id, 'authentication required'));
        conn.socket.end();
        return;
      }
      if ((tokens[2] ?? '') !== this.secret) {
        conn.send(noFrame(this.nextId(), id, 'incorrect secret'));
        conn.socket.end();
        return;
      }
      conn.authenticated = true;
      this.counters.appConnections++;
      const hp = this.hostports();
      conn.send(okFrame(this.nextId(), id, hp.external, WIRE_VERSION, hp.local));
      return;
    }
    switch (type) {
      case 'route': {
        const verb = (tokens[2] ?? '').toLowerCase();
        if (verb) {
          conn.verbs.add(verb);
          this.routes.add(verb, conn);
        }
        conn.send(okFrame(this.nextId(), id));
        return;
      }
      case 'remove_route': {
        const verb = (tokens[2] ?? '').toLowerCase();
        conn.verbs.delete(verb);
        this.routes.remove(verb, conn);
        conn.send(okFrame(this.nextId(), id));
        return;
      }
      case 'ping':
        conn.send(okFrame(this.nextId(), id, 'pong'));
        return;
      case 'sip':
        this.handler.onSipFrame(conn, id, tokens, body);
        return;
      case 'proxy':
        conn.send(nokFrame(this.nextId(), id, 'proxy not supported'));
        return;
      case 'authenticate':
        conn.send(okFrame(this.nextId(), id));
        return;
      default:
        // As drachtio-server (§2.5): a protocol error, not a SIP-level one.
        this.log?.warn({ conn: conn.id, type }, 'unknown message type from app; disconnecting');
        this.refuse(conn, id, 'Unknown message type');
    }
  }

  /** Protocol-level failure: `NO|reason`, then the connection is closed once that frame is out. */
  private refuse(conn: AppConnection, id: string, reason: string): void {
    conn.send(noFrame(this.nextId(), id, reason));
    conn.socket.end();
  }

  private onClose(conn: AppConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    this.connections.delete(conn);
    this.routes.removeConnection(conn);
    if (conn.authenticated) {
      this.counters.appConnections--;
      this.handler.onAppClosed(conn);
    }
  }
}
