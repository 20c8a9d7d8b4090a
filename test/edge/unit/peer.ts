/**
 * A raw UDP SIP peer for unit tests: sends SIP text, collects every message
 * it receives (parsed with the project's parser) and waits for one matching
 * a predicate.
 */
import dgram from 'node:dgram';
import { parseSipMessage, type SipMessage } from '../../../src/edge/sip/index.ts';
import { Arrivals } from '../../support/arrivals.ts';

export interface Received {
  msg: SipMessage;
  text: string;
  at: number;
}

export class UdpPeer {
  readonly received: Received[] = [];
  readonly #arrivals = new Arrivals(
    this.received,
    () =>
      `timeout waiting for SIP message; got: ${this.received.map((r) => startLineOf(r.msg)).join(', ')}`,
  );
  private constructor(
    private readonly sock: dgram.Socket,
    readonly port: number,
  ) {}

  static async open(): Promise<UdpPeer> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const peer = new UdpPeer(sock, sock.address().port);
    sock.on('message', (data) => peer.onMessage(data));
    return peer;
  }

  private onMessage(data: Buffer): void {
    const parsed = parseSipMessage(data);
    if (!parsed.ok) return;
    const r = { msg: parsed.message, text: data.toString('utf8'), at: Date.now() };
    this.#arrivals.add(r);
  }

  send(text: string, port: number): void {
    this.sock.send(Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8'), port, '127.0.0.1');
  }

  sendRaw(buf: Buffer, port: number): void {
    this.sock.send(buf, port, '127.0.0.1');
  }

  /** Resolves with the first message (already received or future) matching `pred`. */
  waitFor(pred: (r: Received) => boolean, timeoutMs = 5000, fromIndex = 0): Promise<Received> {
    return this.#arrivals.next(pred, timeoutMs, fromIndex);
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}

export function startLineOf(m: SipMessage): string {
  return m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`;
}

export const isStatus =
  (status: number, method?: string) =>
  (r: Received): boolean =>
    r.msg.kind === 'response' &&
    r.msg.status === status &&
    (method === undefined ||
      (r.msg.headers.find((h) => h.name.toLowerCase() === 'cseq')?.value ?? '').endsWith(method));

export const isRequest =
  (method: string) =>
  (r: Received): boolean =>
    r.msg.kind === 'request' && r.msg.method === method;

/** A minimal INVITE from the peer at `peerPort` to the server at `serverPort`. */
export function invite(opts: {
  peerPort: number;
  serverPort: number;
  callId: string;
  branch?: string;
  fromTag?: string;
  cseq?: number;
  body?: string;
  user?: string;
  /** Extra header lines, e.g. `Session-Expires: 90;refresher=uac`. */
  headers?: string[];
}): string {
  const body =
    opts.body ??
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
  return [
    `INVITE sip:${opts.user ?? 'service'}@127.0.0.1:${opts.serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${opts.peerPort};branch=${opts.branch ?? `z9hG4bK-${opts.callId}`}`,
    `From: "Alice" <sip:alice@127.0.0.1:${opts.peerPort}>;tag=${opts.fromTag ?? 'alice-tag'}`,
    `To: <sip:${opts.user ?? 'service'}@127.0.0.1:${opts.serverPort}>`,
    `Call-ID: ${opts.callId}`,
    `CSeq: ${opts.cseq ?? 1} INVITE`,
    `Contact: <sip:alice@127.0.0.1:${opts.peerPort}>`,
    'Max-Forwards: 70',
    ...(opts.headers ?? []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** An in-dialog request from the peer (ACK, BYE, ...). */
export function inDialog(opts: {
  method: string;
  peerPort: number;
  serverPort: number;
  callId: string;
  toTag: string;
  cseq: number;
  branch: string;
  fromTag?: string;
}): string {
  return [
    `${opts.method} sip:127.0.0.1:${opts.serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${opts.peerPort};branch=${opts.branch}`,
    `From: "Alice" <sip:alice@127.0.0.1:${opts.peerPort}>;tag=${opts.fromTag ?? 'alice-tag'}`,
    `To: <sip:service@127.0.0.1:${opts.serverPort}>;tag=${opts.toTag}`,
    `Call-ID: ${opts.callId}`,
    `CSeq: ${opts.cseq} ${opts.method}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/**
 * The peer hangs up the dialog it has with the server on `serverPort`: its
 * BYE gets a 200, and srf destroys the dialog.
 */
export async function peerHangsUp(
  peer: UdpPeer,
  dialog: { on(event: 'destroy', listener: () => void): unknown },
  bye: { serverPort: number; callId: string; toTag: string; cseq: number; branch: string },
): Promise<void> {
  const destroyed = new Promise<void>((r) => dialog.on('destroy', () => r()));
  peer.send(inDialog({ method: 'BYE', peerPort: peer.port, ...bye }), bye.serverPort);
  await peer.waitFor(isStatus(200, 'BYE'));
  await destroyed;
}
