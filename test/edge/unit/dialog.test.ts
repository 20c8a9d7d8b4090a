/**
 * In-dialog requests both ways and B2BUA (drachtio-wire.md §8 d, e).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getHeader, getTag, type SipRequest } from '../../../src/edge/sip/index.ts';
import {
  cleanup,
  connectSrf,
  type DialogLike,
  eventually,
  openPeer,
  SDP,
  sipPort,
  sleep,
  startServer,
} from './harness.ts';
import {
  inDialog,
  invite,
  isRequest,
  isStatus,
  peerHangsUp,
  type Received,
  type UdpPeer,
} from './peer.ts';

afterEach(cleanup);

function reply(
  peer: UdpPeer,
  r: Received,
  status: number,
  serverPort: number,
  opts: { toTag?: string; sdp?: boolean } = {},
): void {
  const req = r.msg as SipRequest;
  const h = (n: string): string => getHeader(req, n) ?? '';
  const vias = req.headers
    .filter((x) => x.name.toLowerCase() === 'via')
    .map((x) => `Via: ${x.value}`);
  const body = opts.sdp ? SDP : '';
  const to = h('to');
  const lines = [
    `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Ringing'}`,
    ...vias,
    `From: ${h('from')}`,
    `To: ${to}${/tag=/.test(to) ? '' : `;tag=${opts.toTag ?? 'b-tag'}`}`,
    `Call-ID: ${h('call-id')}`,
    `CSeq: ${h('cseq')}`,
    `Contact: <sip:peer@127.0.0.1:${peer.port}>`,
  ];
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  peer.send(lines.join('\r\n'), serverPort);
}

describe('dialogs', () => {
  it('re-INVITE from the peer and from the app, INFO from the app, BYE from the peer', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const dialogP = new Promise<DialogLike>((resolve, reject) => {
      srf.invite((req, res) => srf.createUAS(req, res, { localSdp: SDP }).then(resolve, reject));
    });
    await sleep(30);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'dlg-1' }), port);
    const ok = await peer.waitFor(isStatus(200, 'INVITE'));
    const toTag = getTag(getHeader(ok.msg, 'to')) as string;
    peer.send(
      inDialog({
        method: 'ACK',
        peerPort: peer.port,
        serverPort: port,
        callId: 'dlg-1',
        toTag,
        cseq: 1,
        branch: 'z9hG4bK-d1a',
      }),
      port,
    );
    const dialog = await dialogP;
    let modified = 0;
    dialog.on('modify', (req: unknown, res: unknown) => {
      modified++;
      (res as { send(s: number, o: unknown): void }).send(200, { body: SDP });
      void req;
    });
    // Peer re-INVITE: 100 from the server, 200 from the app (with Contact), ACK relayed.
    const reinvite = invite({
      peerPort: peer.port,
      serverPort: port,
      callId: 'dlg-1',
      branch: 'z9hG4bK-d1r',
      cseq: 2,
    }).replace(
      `To: <sip:service@127.0.0.1:${port}>`,
      `To: <sip:service@127.0.0.1:${port}>;tag=${toTag}`,
    );
    const mark = peer.received.length;
    peer.send(reinvite, port);
    await peer.waitFor(isStatus(100), 3000, mark);
    const ok2 = await peer.waitFor(isStatus(200, 'INVITE'), 3000, mark);
    expect(getHeader(ok2.msg, 'cseq')).toBe('2 INVITE');
    expect(getHeader(ok2.msg, 'contact')).toBeDefined();
    expect(modified).toBe(1);
    peer.send(
      inDialog({
        method: 'ACK',
        peerPort: peer.port,
        serverPort: port,
        callId: 'dlg-1',
        toTag,
        cseq: 2,
        branch: 'z9hG4bK-d1ra',
      }),
      port,
    );
    // App re-INVITE: sent to the peer's Contact with the next local CSeq (caller used 1 → ours start at 2).
    const modP = dialog.modify(SDP);
    const appInv = await peer.waitFor(isRequest('INVITE'), 3000, mark);
    expect((appInv.msg as SipRequest).uri).toBe(`sip:alice@127.0.0.1:${peer.port}`);
    expect(getHeader(appInv.msg, 'cseq')).toBe('2 INVITE');
    expect(getTag(getHeader(appInv.msg, 'from'))).toBe(toTag);
    expect(getHeader(appInv.msg, 'content-type')).toBe('application/sdp');
    reply(peer, appInv, 200, port, { sdp: true });
    await modP;
    const ack = await peer.waitFor(isRequest('ACK'), 3000, mark);
    expect(getHeader(ack.msg, 'cseq')).toBe('2 ACK');
    // INFO from the app.
    const infoP = dialog.request({
      method: 'INFO',
      headers: { 'Content-Type': 'application/dtmf-relay' },
      body: 'Signal=5\r\nDuration=160\r\n',
    });
    const info = await peer.waitFor(isRequest('INFO'), 3000, mark);
    expect(getHeader(info.msg, 'cseq')).toBe('3 INFO');
    reply(peer, info, 200, port);
    expect((await infoP).status).toBe(200);
    // BYE from the peer ends it.
    await peerHangsUp(peer, dialog, {
      serverPort: port,
      callId: 'dlg-1',
      toTag,
      cseq: 3,
      branch: 'z9hG4bK-d1b',
    });
    // A later request in the dead dialog gets 481.
    peer.send(
      inDialog({
        method: 'BYE',
        peerPort: peer.port,
        serverPort: port,
        callId: 'dlg-1',
        toTag,
        cseq: 4,
        branch: 'z9hG4bK-d1c',
      }),
      port,
    );
    await peer.waitFor(isStatus(481));
    await eventually(() => server.stats().dialogs === 0 && server.stats().pendingRequests === 0);
  });

  it('B2BUA: caller → app → callee, callee hangs up, the app hangs up the caller', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const a = await openPeer();
    const b = await openPeer();
    const port = sipPort(server);
    const legsP = new Promise<{ uas: DialogLike; uac: DialogLike }>((resolve, reject) => {
      srf.invite((req, res) => {
        srf.createB2BUA(req, res, `sip:bob@127.0.0.1:${b.port}`, {}).then(resolve, reject);
      });
    });
    await sleep(30);
    a.send(invite({ peerPort: a.port, serverPort: port, callId: 'b2b-1' }), port);
    const invB = await b.waitFor(isRequest('INVITE'));
    expect(getHeader(invB.msg, 'from')).toMatch(
      new RegExp(`^"Alice" <sip:alice@127\\.0\\.0\\.1:${port}>;tag=`),
    );
    reply(b, invB, 180, port);
    await a.waitFor(isStatus(180));
    reply(b, invB, 200, port, { sdp: true });
    await b.waitFor(isRequest('ACK'));
    const okA = await a.waitFor(isStatus(200, 'INVITE'));
    const toTagA = getTag(getHeader(okA.msg, 'to')) as string;
    a.send(
      inDialog({
        method: 'ACK',
        peerPort: a.port,
        serverPort: port,
        callId: 'b2b-1',
        toTag: toTagA,
        cseq: 1,
        branch: 'z9hG4bK-b2ba',
      }),
      port,
    );
    const legs = await legsP;
    expect(legs.uas.id).toBe('b2b-1;from-tag=alice-tag');
    // The usual B2BUA wiring: when one leg ends, hang up the other.
    legs.uac.on('destroy', () => void legs.uas.destroy().catch(() => undefined));
    // Callee hangs up: BYE from B with From = callee (its tag), To = our tag.
    const invReq = invB.msg as SipRequest;
    const ourTag = getTag(getHeader(invReq, 'from')) as string;
    b.send(
      [
        `BYE sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${b.port};branch=z9hG4bK-bbye`,
        `From: <sip:bob@127.0.0.1:${b.port}>;tag=b-tag`,
        `To: ${getHeader(invReq, 'from')}`,
        `Call-ID: ${getHeader(invReq, 'call-id')}`,
        'CSeq: 1 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    expect(ourTag).toBeTruthy();
    await b.waitFor(isStatus(200, 'BYE'));
    const byeA = await a.waitFor(isRequest('BYE'));
    expect(getHeader(byeA.msg, 'cseq')).toBe('2 BYE');
    reply(a, byeA, 200, port);
    await eventually(() => server.stats().dialogs === 0 && server.stats().pendingRequests === 0);
  });
});
