/**
 * Raw SIP peers on loopback (UDP socket, TCP client/listener) for checklist
 * items sipp cannot express: exact timing of retransmissions, crossing
 * messages, malformed input, Via tricks. Messages are read with
 * drachtio-srf's parser only for convenience in assertions; the peer itself
 * just moves bytes.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Arrivals } from '../../../support/arrivals.ts';
import { freePort } from '../../../support/ports.ts';

export interface Received {
  text: string;
  from: { address: string; port: number };
  at: number;
  /** Which socket / connection it came on (TCP: the socket). */
  via: 'udp' | 'tcp';
  socket?: net.Socket;
}

abstract class Collector {
  readonly received: Received[] = [];
  readonly #arrivals = new Arrivals(
    this.received,
    (ms) => `peer got no matching message in ${ms} ms; got:\n${this.dump()}`,
  );

  protected push(m: Received): void {
    this.#arrivals.add(m);
  }

  /** First message (already received, at index ≥ since, or future) matching pred. */
  next(pred: (m: Received) => boolean, timeoutMs = 5000, since = 0): Promise<Received> {
    return this.#arrivals.next(pred, timeoutMs, since);
  }

  /** Messages whose start line matches. */
  matching(startLine: RegExp, since = 0): Received[] {
    return this.received.slice(since).filter((m) => startLine.test(m.text));
  }

  dump(): string {
    return this.received
      .map((m) => `${m.via} ${m.from.port}: ${m.text.split('\r\n')[0]}`)
      .join('\n');
  }
}

export class UdpPeer extends Collector {
  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    super();
    socket.on('message', (msg, rinfo) =>
      this.push({
        text: msg.toString('utf8'),
        from: { address: rinfo.address, port: rinfo.port },
        at: Date.now(),
        via: 'udp',
      }),
    );
  }

  static async open(port?: number): Promise<UdpPeer> {
    const p = port ?? (await freePort());
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(p, '127.0.0.1', () => resolve());
    });
    return new UdpPeer(socket, p);
  }

  send(text: string | Buffer, to: { host: string; port: number }): void {
    this.socket.send(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, to.port, to.host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A TCP SIP peer: a listener (for requests the server opens connections for) and/or a client connection. */
export class TcpPeer extends Collector {
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;
  port = 0;

  static async listen(port?: number): Promise<TcpPeer> {
    const peer = new TcpPeer();
    peer.port = port ?? (await freePort());
    peer.server = net.createServer((s) => peer.attach(s));
    await new Promise<void>((resolve, reject) => {
      peer.server?.once('error', reject);
      peer.server?.listen(peer.port, '127.0.0.1', () => resolve());
    });
    return peer;
  }

  /** Opens a client connection to the server under test. */
  async dial(to: { host: string; port: number }): Promise<net.Socket> {
    const s = net.connect({ host: to.host, port: to.port });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('error', reject);
    });
    this.attach(s);
    return s;
  }

  private attach(s: net.Socket): void {
    this.sockets.add(s);
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('close', () => this.sockets.delete(s));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        // Keep-alive CRLFs between messages.
        while (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          this.push({
            text: '\r\n',
            from: { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
            at: Date.now(),
            via: 'tcp',
            socket: s,
          });
          buf = buf.subarray(2);
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('utf8');
        const cl = /^(?:content-length|l)\s*:\s*(\d+)/im.exec(head);
        const bodyLen = cl ? Number(cl[1]) : 0;
        if (buf.length < end + 4 + bodyLen) return;
        const text = buf.subarray(0, end + 4 + bodyLen).toString('utf8');
        buf = buf.subarray(end + 4 + bodyLen);
        this.push({
          text,
          from: { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 },
          at: Date.now(),
          via: 'tcp',
          socket: s,
        });
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (this.server) {
      const srv = this.server;
      this.server = undefined;
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  }
}

export function rand(n = 10): string {
  return randomBytes(n).toString('hex').slice(0, n);
}

export function branch(): string {
  return `z9hG4bK-${rand(12)}`;
}

export interface RequestSpec {
  method: string;
  uri: string;
  /** Peer's own address for Via/From/Contact. */
  from: { port: number; user?: string; tag?: string; transport?: 'UDP' | 'TCP' };
  to: { uri: string; tag?: string };
  callId: string;
  cseq: number;
  branch?: string;
  headers?: string[];
  body?: string;
  contentType?: string;
  /** Omit Contact (default: included for INVITE/REGISTER/SUBSCRIBE). */
  noContact?: boolean;
}

/** Builds a SIP request as a network peer would send it. */
export function buildRequest(r: RequestSpec): string {
  const t = r.from.transport ?? 'UDP';
  const user = r.from.user ?? 'peer';
  const body = r.body ?? '';
  const lines = [
    `${r.method} ${r.uri} SIP/2.0`,
    `Via: SIP/2.0/${t} 127.0.0.1:${r.from.port};branch=${r.branch ?? branch()};rport`,
    `From: <sip:${user}@127.0.0.1:${r.from.port}>;tag=${r.from.tag ?? 'peertag1'}`,
    `To: <${r.to.uri}>${r.to.tag ? `;tag=${r.to.tag}` : ''}`,
    `Call-ID: ${r.callId}`,
    `CSeq: ${r.cseq} ${r.method}`,
    'Max-Forwards: 70',
  ];
  if (!r.noContact && ['INVITE', 'REGISTER', 'SUBSCRIBE'].includes(r.method)) {
    lines.push(
      `Contact: <sip:${user}@127.0.0.1:${r.from.port}${t === 'TCP' ? ';transport=tcp' : ''}>`,
    );
  }
  lines.push(...(r.headers ?? []));
  if (body) lines.push(`Content-Type: ${r.contentType ?? 'application/sdp'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`, '', body);
  return lines.join('\r\n');
}

/** Builds a response to a received request (Via, From, To, Call-ID, CSeq copied). */
export function buildResponse(
  request: string,
  status: number,
  reason: string,
  opts: { toTag?: string; headers?: string[]; body?: string } = {},
): string {
  const head = request.split('\r\n\r\n')[0] ?? '';
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const line of head.split('\r\n').slice(1)) {
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    if (['via', 'v', 'from', 'f', 'call-id', 'i', 'cseq', 'record-route'].includes(name))
      lines.push(line);
    if (name === 'to' || name === 't') {
      lines.push(opts.toTag && !/;\s*tag=/i.test(line) ? `${line};tag=${opts.toTag}` : line);
    }
  }
  const body = opts.body ?? '';
  lines.push(...(opts.headers ?? []));
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`, '', body);
  return lines.join('\r\n');
}

/** Builds the ACK for a 2xx (new branch) or non-2xx (same branch as the INVITE) response. */
export function buildAck(
  invite: string,
  response: string,
  target: string,
  opts: { sameBranch?: boolean; port: number },
): string {
  const get = (text: string, n: RegExp) =>
    (text.split('\r\n').find((l) => n.test(l)) ?? '').replace(/^[^:]+:\s*/, '');
  const via = get(invite, /^(via|v)\s*:/i);
  const cseqNum = get(invite, /^cseq\s*:/i).split(/\s+/)[0];
  const br = opts.sameBranch ? /branch=([^;\s]+)/.exec(via)?.[1] : branch();
  return [
    `ACK ${target} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${opts.port};branch=${br};rport`,
    `From: ${get(invite, /^(from|f)\s*:/i)}`,
    `To: ${get(response, /^(to|t)\s*:/i)}`,
    `Call-ID: ${get(invite, /^(call-id|i)\s*:/i)}`,
    `CSeq: ${cseqNum} ACK`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

export const PEER_SDP = [
  'v=0',
  'o=peer 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 41000 RTP/AVP 0',
  '',
].join('\r\n');

/** CANCEL for an INVITE the peer sent: same Request-URI, Via (branch), From, To, Call-ID and CSeq number. */
export function buildCancel(invite: string): string {
  const head = (invite.split('\r\n\r\n')[0] ?? '').split('\r\n');
  const lines = [head[0]?.replace(/^INVITE /, 'CANCEL ') ?? ''];
  for (const line of head.slice(1)) {
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    if (
      ['via', 'v', 'from', 'f', 'to', 't', 'call-id', 'i', 'max-forwards', 'route'].includes(name)
    )
      lines.push(line);
    if (name === 'cseq') lines.push(line.replace(/INVITE\s*$/, 'CANCEL'));
  }
  lines.push('Content-Length: 0', '', '');
  return lines.join('\r\n');
}
