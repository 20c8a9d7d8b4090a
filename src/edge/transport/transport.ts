/**
 * SIP transports (RFC 3261 §18): UDP sockets, TCP listeners and the TCP
 * connections (tcp-conns.ts), parsing and triage of every received message. Malformed requests are answered 400 (or
 * whatever the triage says) when answerable, everything else unreadable is
 * dropped; nothing received can throw out of here.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from 'pino';
import { buildResponse, parseSipMessage, serializeSipMessage, triage } from '../sip/index.ts';
import type { Counters } from '../shared/stats.ts';
import type { BoundAddress, SipListen, SipProtocol } from '../shared/types.ts';
import {
  exclusiveUdpPort,
  firstExternalIPv4,
  isOwnInterfaceAddress,
  stampedRequest,
} from './addresses.ts';
import type { LocalEndpoint, Remote, TransportEvents } from './endpoints.ts';
import { TcpConnections } from './tcp-conns.ts';
import { UdpFlows } from './udp-flows.ts';

export type { Inbound, LocalEndpoint, Remote, TransportEvents } from './endpoints.ts';
export { TcpConn } from './endpoints.ts';

export class Transport {
  private readonly udp: Array<{ sock: dgram.Socket; local: LocalEndpoint; flows: UdpFlows }> = [];
  private readonly tcpServers: Array<{ server: net.Server; local: LocalEndpoint }> = [];
  private readonly tcp: TcpConnections;
  /** Told about every message handed to a socket (load measurements); null costs nothing. */
  sentObserver: ((message: Buffer) => void) | null = null;
  readonly locals: LocalEndpoint[] = [];

  constructor(
    private readonly listen: SipListen[],
    private readonly advertisedAddress: string | undefined,
    private readonly counters: Counters,
    private readonly events: TransportEvents,
    private readonly log: Logger | undefined,
  ) {
    this.tcp = new TcpConnections(
      counters,
      (result, data, src, local) => this.handle(result, data, src, local),
      (remote) => events.onConnectFailed(remote),
      log,
    );
  }

  async start(): Promise<void> {
    const udp = this.listen.filter((x) => x.protocol === 'udp');
    const tcp = this.listen.filter((x) => x.protocol === 'tcp');
    for (const l of udp) {
      // An ephemeral UDP port paired with an ephemeral TCP entry of the same
      // host: both get one port number. The kernel picked it for UDP only, so
      // TCP may find it taken; then try another pair.
      const pair = l.port === 0 ? tcp.find((t) => t.port === 0 && t.host === l.host) : undefined;
      if (!pair) {
        await this.bindUdp(l);
        continue;
      }
      for (let attempt = 0; ; attempt++) {
        const local = await this.bindUdp(l);
        try {
          await this.bindTcp({ ...pair, port: local.port });
          tcp.splice(tcp.indexOf(pair), 1);
          break;
        } catch (err) {
          await this.unbindUdp(local);
          if (attempt >= 20) throw err;
        }
      }
    }
    for (const l of tcp) await this.bindTcp(l);
  }

  private async unbindUdp(local: LocalEndpoint): Promise<void> {
    const i = this.udp.findIndex((u) => u.local === local);
    const u = this.udp[i];
    if (!u) return;
    this.udp.splice(i, 1);
    this.locals.splice(this.locals.indexOf(local), 1);
    await u.flows.closeAll();
    await new Promise<void>((r) => u.sock.close(() => r()));
  }

  get bound(): BoundAddress[] {
    return this.locals.map((l) => ({ protocol: l.protocol, host: l.host, port: l.port }));
  }

  /** The endpoint used to send over `protocol` (the first one configured). */
  localFor(protocol: SipProtocol): LocalEndpoint | undefined {
    return this.locals.find((l) => l.protocol === protocol);
  }

  /** True when `host:port` is one of our own SIP addresses (loop prevention, §7.2). */
  isLocalAddress(host: string, port: number): boolean {
    const h = host.toLowerCase();
    for (const l of this.locals) {
      if (l.port !== port) continue;
      if (h === l.advertised || h === l.host) return true;
      if (h === 'localhost' && (l.host === '127.0.0.1' || l.host === '0.0.0.0')) return true;
      if (l.host === '0.0.0.0' && isOwnInterfaceAddress(h)) return true;
    }
    return false;
  }

  /** Sends bytes to `dest`. Returns the endpoint used (for echoes), or undefined if none exists. */
  send(dest: Remote, buf: Buffer, kind: string): LocalEndpoint | undefined {
    this.counters.messagesOut++;
    this.sentObserver?.(buf);
    if (this.log?.isLevelEnabled('debug')) {
      this.log.debug(
        { to: `${dest.protocol}/${dest.address}:${dest.port}`, kind },
        `SIP out\n${buf.toString('utf8')}`,
      );
    }
    if (dest.protocol === 'udp') {
      const u = this.udpFor(dest);
      if (!u) return undefined;
      if (!u.flows.send(buf, dest.address, dest.port)) this.sendUnconnected(u.sock, buf, dest);
      return u.local;
    }
    let conn = dest.conn && !dest.conn.closed ? dest.conn : this.tcp.find(dest.address, dest.port);
    if (!conn) {
      const local = this.localFor('tcp');
      if (!local) return undefined;
      conn = this.tcp.connect(dest, local);
    }
    conn.socket.write(buf);
    return conn.local;
  }

  /**
   * Over UDP: keeps a connected socket to `dest` while the caller (a client
   * transaction) holds it, so that an ICMP port unreachable for what we send
   * there is reported (onConnectFailed). Returns the release function, to be
   * called once; undefined for TCP (a refused connection is noticed anyway).
   */
  holdUdpFlow(dest: Remote): (() => void) | undefined {
    if (dest.protocol !== 'udp') return undefined;
    return this.udpFor(dest)?.flows.hold(dest.address, dest.port);
  }

  private udpFor(dest: Remote) {
    return (dest.local && this.udp.find((x) => x.local === dest.local)) || this.udp[0];
  }

  private sendUnconnected(
    sock: dgram.Socket,
    buf: Buffer,
    dest: { address: string; port: number },
  ) {
    sock.send(buf, dest.port, dest.address, (err) => {
      if (err) this.log?.debug({ err }, 'udp send failed');
    });
  }

  async close(): Promise<void> {
    this.tcp.closeAll();
    await Promise.all(this.udp.map((u) => u.flows.closeAll()));
    await Promise.all([
      ...this.udp.map((u) => new Promise<void>((r) => u.sock.close(() => r()))),
      ...this.tcpServers.map((t) => new Promise<void>((r) => t.server.close(() => r()))),
    ]);
  }

  private advertise(host: string): string {
    if (this.advertisedAddress) return this.advertisedAddress;
    if (host === '0.0.0.0' || host === '::') return firstExternalIPv4() ?? '127.0.0.1';
    return host;
  }

  private async bindUdp(l: SipListen): Promise<LocalEndpoint> {
    // The SIP socket carries SO_REUSEADDR so that the connected flows of
    // udp-flows.ts can share its port. That option would also let a second
    // server bind the same port silently; an exclusive bind first keeps the
    // clear "address in use" (and picks the port when 0 was asked for).
    const port = await exclusiveUdpPort(l.host, l.port);
    return new Promise((resolve, reject) => {
      const ipv6 = net.isIPv6(l.host);
      const sock = dgram.createSocket({ type: ipv6 ? 'udp6' : 'udp4', reuseAddr: true });
      sock.once('error', reject);
      sock.bind(port, l.host, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.log?.warn({ err }, 'udp socket error'));
        // Large buffers: a burst of calls must not be dropped by the kernel.
        try {
          sock.setRecvBufferSize(4 * 1024 * 1024);
          sock.setSendBufferSize(4 * 1024 * 1024);
        } catch {
          // Not fatal: the system limit may be lower.
        }
        const a = sock.address();
        const local: LocalEndpoint = {
          protocol: 'udp',
          host: a.address,
          port: a.port,
          advertised: this.advertise(a.address),
        };
        const flows = new UdpFlows(
          a.address,
          a.port,
          ipv6,
          this.counters,
          {
            onMessage: (data, rinfo) => this.onDatagram(data, rinfo, local),
            onUnreachable: (address, port) =>
              this.events.onConnectFailed({ protocol: 'udp', address, port }),
            fallback: (buf, address, port) => this.sendUnconnected(sock, buf, { address, port }),
          },
          this.log,
        );
        this.udp.push({ sock, local, flows });
        this.locals.push(local);
        sock.on('message', (data, rinfo) => this.onDatagram(data, rinfo, local));
        resolve(local);
      });
    });
  }

  private bindTcp(l: SipListen): Promise<LocalEndpoint> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => this.tcp.adopt(socket, local));
      let local: LocalEndpoint;
      server.once('error', reject);
      server.listen(l.port, l.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log?.warn({ err }, 'tcp server error'));
        const a = server.address() as net.AddressInfo;
        local = {
          protocol: 'tcp',
          host: a.address,
          port: a.port,
          advertised: this.advertise(a.address),
        };
        this.tcpServers.push({ server, local });
        this.locals.push(local);
        resolve(local);
      });
    });
  }

  private onDatagram(data: Buffer, rinfo: dgram.RemoteInfo, local: LocalEndpoint): void {
    this.counters.messagesIn++;
    // Keep-alives (CRLF) on UDP are ignored silently.
    if (data.length <= 4 && data.every((b) => b === 13 || b === 10)) return;
    const src: Remote = { protocol: 'udp', address: rinfo.address, port: rinfo.port, local };
    this.handle(parseSipMessage(data, { datagram: true }), data, src, local);
  }

  private handle(
    result: ReturnType<typeof parseSipMessage>,
    data: Buffer,
    src: Remote,
    local: LocalEndpoint,
  ): void {
    if (this.log?.isLevelEnabled('debug')) {
      this.log.debug(
        { from: `${src.protocol}/${src.address}:${src.port}` },
        `SIP in\n${data.toString('utf8')}`,
      );
    }
    try {
      const t = triage(result);
      if (t.action === 'accept') {
        this.events.onMessage({ msg: t.message, bytes: data.length, raw: data, src, local });
        return;
      }
      this.counters.badMessages++;
      if (t.action === 'reject') {
        const res = buildResponse(stampedRequest(t.request, src), t.status, t.reason, t.headers);
        this.send(src, serializeSipMessage(res), 'reject');
      }
      this.log?.debug({ detail: t.detail }, 'bad SIP message');
    } catch (err) {
      this.log?.error({ err }, 'error handling SIP message');
    }
  }
}
