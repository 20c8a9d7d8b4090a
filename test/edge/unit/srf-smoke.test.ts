/**
 * drachtio-srf itself against the embedded server: connect, route INVITE,
 * answer an INVITE sent from a raw UDP socket, ACK and BYE from the peer.
 */
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedSipServer, startSipServer } from '../../../src/edge/index.ts';
import { getHeader, getTag } from '../../../src/edge/sip/index.ts';
import { inDialog, invite, isRequest, isStatus, peerHangsUp, UdpPeer } from './peer.ts';

interface SrfLike {
  connect(opts: { host: string; port: number; secret: string }): void;
  disconnect(): void;
  on(event: 'connect', cb: (err: Error | null, hostport: string) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  invite(h: (req: unknown, res: unknown) => void): void;
  createUAS(req: unknown, res: unknown, opts: { localSdp: string }): Promise<DialogLike>;
}
interface DialogLike {
  id: string;
  on(event: 'destroy' | 'ack', cb: (msg: unknown) => void): void;
}

const resources: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const r of resources.splice(0).reverse()) await r();
});

async function setup(): Promise<{
  server: EmbeddedSipServer;
  srf: SrfLike;
  peer: UdpPeer;
  sipPort: number;
}> {
  const server = await startSipServer({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    control: { host: '127.0.0.1', port: 0 },
    secret: 'cymru',
    timers: { t1Ms: 50, t2Ms: 400, t4Ms: 500 },
  });
  resources.push(() => server.close());
  const srf = new (Srf as unknown as new () => SrfLike)();
  srf.on('error', () => undefined);
  const hostport = await new Promise<string>((resolve, reject) => {
    srf.on('connect', (err, hp) => (err ? reject(err) : resolve(hp)));
    srf.connect({ ...server.controlAddress, secret: 'cymru' });
  });
  resources.push(() => srf.disconnect());
  const peer = await UdpPeer.open();
  resources.push(() => peer.close());
  const sipPort = server.sipAddresses[0]?.port as number;
  expect(hostport).toBe(`udp/127.0.0.1:${sipPort}`);
  return { server, srf, peer, sipPort };
}

describe('drachtio-srf on the embedded server', () => {
  it('srf answers an INVITE with createUAS, gets the ACK and the BYE', async () => {
    const { server, srf, peer, sipPort } = await setup();
    const dialogP = new Promise<DialogLike>((resolve, reject) => {
      srf.invite((req, res) => {
        srf
          .createUAS(req, res, {
            localSdp:
              'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n',
          })
          .then(resolve, reject);
      });
    });
    // Routes are sent right after connect; give srf a moment to register.
    await new Promise((r) => setTimeout(r, 50));
    peer.send(invite({ peerPort: peer.port, serverPort: sipPort, callId: 'smoke-1' }), sipPort);
    await peer.waitFor(isStatus(100));
    const ok = await peer.waitFor(isStatus(200, 'INVITE'));
    const toTag = getTag(getHeader(ok.msg, 'to')) as string;
    expect(toTag).toBeTruthy();
    expect(getHeader(ok.msg, 'contact')).toBe(`<sip:127.0.0.1:${sipPort}>`);
    expect(getHeader(ok.msg, 'content-type')).toBe('application/sdp');
    const dialog = await dialogP;
    expect(dialog.id).toBe('smoke-1;from-tag=alice-tag');
    const acked = new Promise((r) => dialog.on('ack', r));
    peer.send(
      inDialog({
        method: 'ACK',
        peerPort: peer.port,
        serverPort: sipPort,
        callId: 'smoke-1',
        toTag,
        cseq: 1,
        branch: 'z9hG4bK-ack1',
      }),
      sipPort,
    );
    await acked;
    await peerHangsUp(peer, dialog, {
      serverPort: sipPort,
      callId: 'smoke-1',
      toTag,
      cseq: 2,
      branch: 'z9hG4bK-bye1',
    });
    await new Promise((r) => setTimeout(r, 50));
    const s = server.stats();
    expect(s.dialogs).toBe(0);
    expect(s.pendingRequests).toBe(0);
    expect(peer.received.filter(isRequest('BYE'))).toHaveLength(0);
  });
});
