/**
 * SIP over TCP (RFC 3261 §18.3, drachtio-wire.md §11 item 50): responses on
 * the same connection, Content-Length framing across chunks, CRLF keep-alive.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  getHeader,
  getTag,
  SipStreamFramer,
  type SipMessage,
} from '../../../src/edge/sip/index.ts';
import { cleanup, connectSrf, eventually, SDP, sipPort, sleep, startServer } from './harness.ts';

afterEach(cleanup);

class TcpPeer {
  readonly msgs: SipMessage[] = [];
  raw = '';
  private readonly framer = new SipStreamFramer();
  constructor(readonly sock: net.Socket) {
    sock.on('data', (c: Buffer) => {
      this.raw += c.toString('latin1');
      for (const item of this.framer.push(c)) {
        if (item.kind === 'message' && item.result.ok) this.msgs.push(item.result.message);
      }
    });
  }
  static open(port: number): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new TcpPeer(s)));
      s.once('error', reject);
    });
  }
  async waitStatus(status: number, method: string): Promise<SipMessage> {
    let found: SipMessage | undefined;
    await eventually(() => {
      found = this.msgs.find(
        (m) =>
          m.kind === 'response' &&
          m.status === status &&
          (getHeader(m, 'cseq') ?? '').endsWith(method),
      );
      return found !== undefined;
    });
    return found as SipMessage;
  }
}

describe('TCP transport', () => {
  it('INVITE over TCP split in chunks is answered on the same connection with a ;transport=tcp Contact', async () => {
    const server = await startServer(undefined, ['udp', 'tcp']);
    const srf = await connectSrf(server);
    srf.invite((req, res) => {
      srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
    });
    await sleep(30);
    const port = sipPort(server, 'tcp');
    const peer = await TcpPeer.open(port);
    const local = peer.sock.localPort;
    const body = SDP;
    const text = [
      `INVITE sip:service@127.0.0.1:${port};transport=tcp SIP/2.0`,
      `Via: SIP/2.0/TCP 127.0.0.1:${local};branch=z9hG4bK-tcp1`,
      `From: <sip:alice@127.0.0.1:${local}>;tag=t1`,
      `To: <sip:service@127.0.0.1:${port}>`,
      'Call-ID: tcp-1',
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${local};transport=tcp>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    const buf = Buffer.from(text);
    peer.sock.write(buf.subarray(0, 40));
    await sleep(20);
    peer.sock.write(buf.subarray(40));
    await peer.waitStatus(100, 'INVITE');
    const ok = await peer.waitStatus(200, 'INVITE');
    expect(getHeader(ok, 'contact')).toBe(`<sip:127.0.0.1:${port};transport=tcp>`);
    const toTag = getTag(getHeader(ok, 'to')) as string;
    // Keep-alive ping: CRLF CRLF is answered with CRLF.
    const before = peer.raw.length;
    peer.sock.write('\r\n\r\n');
    await eventually(() => peer.raw.length > before);
    expect(peer.raw.slice(before)).toBe('\r\n');
    const inDialog = (method: string, cseq: number, branch: string): string =>
      [
        `${method} sip:127.0.0.1:${port};transport=tcp SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:${local};branch=${branch}`,
        `From: <sip:alice@127.0.0.1:${local}>;tag=t1`,
        `To: <sip:service@127.0.0.1:${port}>;tag=${toTag}`,
        'Call-ID: tcp-1',
        `CSeq: ${cseq} ${method}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    // ACK and BYE coalesced in one chunk.
    peer.sock.write(inDialog('ACK', 1, 'z9hG4bK-tcp2') + inDialog('BYE', 2, 'z9hG4bK-tcp3'));
    await peer.waitStatus(200, 'BYE');
    await eventually(() => server.stats().dialogs === 0);
    expect(server.stats().tcpConnections).toBe(1);
    peer.sock.destroy();
    await eventually(() => server.stats().tcpConnections === 0);
  });
});

describe('TCP flows of registered phones', () => {
  it('after a 200 to a REGISTER over TCP, an INVITE to that contact reuses the connection', async () => {
    const server = await startServer(undefined, ['udp', 'tcp']);
    const srf = await connectSrf(server);
    srf.register((_req, res) => res.send(200, { headers: { Expires: '300' } }));
    await sleep(30);
    const port = sipPort(server, 'tcp');
    const peer = await TcpPeer.open(port);
    // The phone advertises a port nobody listens on (typical behind NAT).
    const contact = 'sip:1001@127.0.0.1:9;transport=tcp';
    peer.sock.write(
      [
        `REGISTER sip:127.0.0.1:${port};transport=tcp SIP/2.0`,
        `Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-reg-tcp`,
        'From: <sip:1001@127.0.0.1>;tag=rt',
        'To: <sip:1001@127.0.0.1>',
        'Call-ID: reg-tcp-1',
        'CSeq: 1 REGISTER',
        `Contact: <${contact}>`,
        'Expires: 300',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    await peer.waitStatus(200, 'REGISTER');
    srf.createUAC(contact, { localSdp: SDP }).catch(() => undefined);
    await eventually(() => peer.msgs.some((m) => m.kind === 'request' && m.method === 'INVITE'));
    expect(server.stats().tcpConnections).toBe(1);
    peer.sock.destroy();
  });
});
