/**
 * SIP over TCP (RFC 3261 §18): the open connections, inbound and outbound,
 * one per remote address and reused for it; stream framing, CRLF keep-alive
 * answers, 400 and close for an unreadable message, idle close.
 */
import net from 'node:net';
import type { Logger } from 'pino';
import { buildResponse, type parseSipMessage, serializeSipMessage } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import { stampedRequest } from './addresses.ts';
import { type LocalEndpoint, type Remote, TcpConn } from './endpoints.ts';

/** Idle TCP connections are closed after this long (RFC 5626-style keep-alives reset it). */
const TCP_IDLE_MS = 10 * 60 * 1000;

export class TcpConnections {
  private readonly byKey = new Map<string, TcpConn>();

  constructor(
    private readonly counters: Counters,
    /** A message read from a connection (parsed; triage is the caller's). */
    private readonly onMessage: (
      result: ReturnType<typeof parseSipMessage>,
      data: Buffer,
      src: Remote,
      local: LocalEndpoint,
    ) => void,
    /** An outbound connection closed before it was ever established. */
    private readonly onConnectFailed: (remote: Remote) => void,
    private readonly log: Logger | undefined,
  ) {}

  /** The open connection to `address:port`, if any. */
  find(address: string, port: number): TcpConn | undefined {
    const conn = this.byKey.get(`${address}:${port}`);
    return conn && !conn.closed ? conn : undefined;
  }

  closeAll(): void {
    for (const c of this.byKey.values()) c.socket.destroy();
    this.byKey.clear();
  }

  /** A connection a peer opened to one of our listeners. */
  adopt(socket: net.Socket, local: LocalEndpoint): TcpConn {
    const address = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const port = socket.remotePort ?? 0;
    const key = `${address}:${port}`;
    const conn = new TcpConn(socket, key, local, address, port);
    this.register(conn);
    return conn;
  }

  private register(conn: TcpConn): void {
    const { socket } = conn;
    this.byKey.set(conn.key, conn);
    this.counters.tcpConnections++;
    socket.setNoDelay(true);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    const src: Remote = {
      protocol: 'tcp',
      address: conn.remoteAddress,
      port: conn.remotePort,
      conn,
    };
    socket.on('data', (chunk: Buffer) => {
      for (const item of conn.framer.push(chunk)) {
        if (item.kind === 'ping') {
          socket.write('\r\n');
        } else if (item.kind === 'message') {
          this.counters.messagesIn++;
          this.onMessage(item.result, item.bytes, src, conn.local);
        } else {
          this.counters.messagesIn++;
          this.counters.badMessages++;
          if (item.request && item.request.method !== 'ACK') {
            const res = buildResponse(
              stampedRequest(item.request, src),
              item.status,
              'Bad Request',
            );
            socket.write(serializeSipMessage(res));
          }
          socket.end();
        }
      }
    });
    socket.on('error', (err) => this.log?.debug({ err, key: conn.key }, 'tcp connection error'));
    socket.on('close', () => {
      if (conn.closed) return;
      conn.closed = true;
      this.counters.tcpConnections--;
      if (this.byKey.get(conn.key) === conn) this.byKey.delete(conn.key);
    });
  }

  /** A new connection of ours to `dest`, from `local`. */
  connect(dest: Remote, local: LocalEndpoint): TcpConn {
    const socket = net.connect({ host: dest.address, port: dest.port });
    const conn = new TcpConn(
      socket,
      `${dest.address}:${dest.port}`,
      local,
      dest.address,
      dest.port,
    );
    let connected = false;
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('close', () => {
      if (!connected)
        this.onConnectFailed({ protocol: 'tcp', address: dest.address, port: dest.port });
    });
    this.register(conn);
    return conn;
  }
}
