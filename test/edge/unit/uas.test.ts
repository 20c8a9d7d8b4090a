/**
 * UAS flows (drachtio-wire.md §7.3–§7.5, §8 a): a raw UDP caller, srf as
 * the app.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getHeader, getTag } from '../../../src/edge/sip/index.ts';
import {
  cleanup,
  connectSrf,
  eventually,
  openPeer,
  SDP,
  sipPort,
  sleep,
  startServer,
} from './harness.ts';
import { inDialog, invite, isRequest, isStatus } from './peer.ts';

afterEach(cleanup);

const ackFor = (
  peerPort: number,
  serverPort: number,
  callId: string,
  toTag: string,
  branch: string,
): string => inDialog({ method: 'ACK', peerPort, serverPort, callId, toTag, cseq: 1, branch });

describe('UAS', () => {
  it('no app routed INVITE: 100 Trying then 503', async () => {
    const server = await startServer();
    await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'noroute' }), port);
    await peer.waitFor(isStatus(100));
    await peer.waitFor(isStatus(503));
    expect(peer.received[0]?.msg.kind === 'response' && peer.received[0].msg.status).toBe(100);
  });

  it('reject with 486: ACK absorbed, final retransmitted until ACK, no ACK reaches the app', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const seen: string[] = [];
    srf.invite((req, res) => {
      seen.push(req.method);
      res.send(486);
    });
    srf.on('request' as string, () => undefined);
    await sleep(30);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'busy-1' }), port);
    const busy = await peer.waitFor(isStatus(486));
    // Timer G: at least one retransmission of the 486 while no ACK comes (T1 = 50 ms).
    await peer.waitFor((r) => isStatus(486)(r) && r !== busy, 2000);
    const toTag = getTag(getHeader(busy.msg, 'to')) as string;
    peer.send(ackFor(peer.port, port, 'busy-1', toTag, 'z9hG4bK-busy-1'), port);
    await sleep(300);
    const count = peer.received.filter(isStatus(486)).length;
    await sleep(300);
    expect(peer.received.filter(isStatus(486)).length).toBe(count);
    expect(seen).toEqual(['INVITE']);
    await eventually(() => server.stats().transactions === 0 && server.stats().timers === 0);
  });

  it('retransmitted INVITE while the app decides is not delivered twice', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    let deliveries = 0;
    let answer: (() => void) | undefined;
    srf.invite((_req, res) => {
      deliveries++;
      answer = () => res.send(480);
    });
    await sleep(30);
    const text = invite({ peerPort: peer.port, serverPort: port, callId: 'retx-1' });
    peer.send(text, port);
    await peer.waitFor(isStatus(100));
    peer.send(text, port);
    peer.send(text, port);
    await sleep(100);
    expect(deliveries).toBe(1);
    answer?.();
    await peer.waitFor(isStatus(480));
  });

  it('CANCEL before the app answers: 200 + 487 at once, app gets cancel, its late 200 is refused', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    let lateErr: unknown;
    const cancelled = new Promise<void>((resolve) => {
      srf.invite((req, res) => {
        req.on('cancel', () => {
          res.send(200, { body: SDP }, (err) => {
            lateErr = err;
            resolve();
          });
        });
      });
    });
    await sleep(30);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'cancel-1' }), port);
    await peer.waitFor(isStatus(100));
    await sleep(30);
    peer.send(
      [
        `CANCEL sip:service@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-cancel-1`,
        `From: "Alice" <sip:alice@127.0.0.1:${peer.port}>;tag=alice-tag`,
        `To: <sip:service@127.0.0.1:${port}>`,
        'Call-ID: cancel-1',
        'CSeq: 1 CANCEL',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    await peer.waitFor(isStatus(200, 'CANCEL'));
    const r487 = await peer.waitFor(isStatus(487));
    await cancelled;
    expect(String(lateErr)).toMatch(/unknown transaction/);
    await sleep(100);
    expect(peer.received.filter(isStatus(200, 'INVITE'))).toHaveLength(0);
    const toTag = getTag(getHeader(r487.msg, 'to')) as string;
    peer.send(ackFor(peer.port, port, 'cancel-1', toTag, 'z9hG4bK-cancel-1'), port);
    await eventually(() => server.stats().pendingRequests === 0 && server.stats().dialogs === 0);
  });

  it('no ACK for the 200: retransmitted, then BYE "ACK timeout" and srf dialog destroyed', async () => {
    const server = await startServer({ t1Ms: 20, t2Ms: 80, t4Ms: 100 });
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const dialogP = new Promise<import('./harness.ts').DialogLike>((resolve, reject) => {
      srf.invite((req, res) => {
        srf.createUAS(req, res, { localSdp: SDP }).then(resolve, reject);
      });
    });
    await sleep(30);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'noack-1' }), port);
    const dialog = await dialogP;
    const reason = new Promise<unknown>((resolve) => dialog.on('destroy', (_m, r) => resolve(r)));
    const bye = await peer.waitFor(isRequest('BYE'), 4000);
    expect(getHeader(bye.msg, 'reason')).toBe('SIP;cause=200;text="ACK timeout"');
    expect(getHeader(bye.msg, 'cseq')).toBe('2 BYE');
    expect(await reason).toBe('ACK timeout');
    expect(peer.received.filter(isStatus(200, 'INVITE')).length).toBeGreaterThan(3);
  });

  it('CANCEL after the 200 (before the ACK) gets 481 and changes nothing', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    srf.invite((req, res) => {
      srf.createUAS(req, res, { localSdp: SDP }).catch(() => undefined);
    });
    await sleep(30);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'late-cancel' }), port);
    const ok = await peer.waitFor(isStatus(200, 'INVITE'));
    peer.send(
      [
        `CANCEL sip:service@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-late-cancel`,
        `From: "Alice" <sip:alice@127.0.0.1:${peer.port}>;tag=alice-tag`,
        `To: <sip:service@127.0.0.1:${port}>`,
        'Call-ID: late-cancel',
        'CSeq: 1 CANCEL',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    await peer.waitFor(isStatus(481, 'CANCEL'));
    const toTag = getTag(getHeader(ok.msg, 'to')) as string;
    peer.send(ackFor(peer.port, port, 'late-cancel', toTag, 'z9hG4bK-la'), port);
    await sleep(50);
    expect(server.stats().dialogs).toBe(1);
    peer.send(
      inDialog({
        method: 'BYE',
        peerPort: peer.port,
        serverPort: port,
        callId: 'late-cancel',
        toTag,
        cseq: 2,
        branch: 'z9hG4bK-lb',
      }),
      port,
    );
    await peer.waitFor(isStatus(200, 'BYE'));
    await eventually(() => server.stats().dialogs === 0);
  });

  it('BYE for an unknown dialog gets 481', async () => {
    const server = await startServer();
    await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    peer.send(
      inDialog({
        method: 'BYE',
        peerPort: peer.port,
        serverPort: port,
        callId: 'nobody',
        toTag: 'x',
        cseq: 2,
        branch: 'z9hG4bK-nb',
      }),
      port,
    );
    await peer.waitFor(isStatus(481));
  });

  it('merged request (same Call-ID, From tag, CSeq on a new branch) gets 482', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    srf.invite(() => undefined);
    await sleep(30);
    peer.send(
      invite({ peerPort: peer.port, serverPort: port, callId: 'merge-1', branch: 'z9hG4bK-m1' }),
      port,
    );
    await peer.waitFor(isStatus(100));
    peer.send(
      invite({ peerPort: peer.port, serverPort: port, callId: 'merge-1', branch: 'z9hG4bK-m2' }),
      port,
    );
    await peer.waitFor(isStatus(482));
  });

  it('app connection drops with a pending INVITE: 503 at once', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    srf.invite(() => srf.disconnect());
    await sleep(30);
    peer.send(invite({ peerPort: peer.port, serverPort: port, callId: 'drop-1' }), port);
    await peer.waitFor(isStatus(503));
    await eventually(
      () => server.stats().pendingRequests === 0 && server.stats().appConnections === 0,
    );
  });

  it('REGISTER reaches srf.register (no 100 Trying); the app answer goes out with a To tag', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    srf.register((req, res) => {
      res.send(200, { headers: { Contact: `${req.get('Contact')};expires=60`, Expires: '60' } });
    });
    await sleep(30);
    peer.send(
      [
        `REGISTER sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port} ;branch=z9hG4bK-reg1;Foo=Bar`,
        `From: <sip:1001@127.0.0.1>;tag=r1`,
        `To: <sip:1001@127.0.0.1>`,
        'Call-ID: reg-1',
        'CSeq: 1 REGISTER',
        `Contact: <sip:1001@127.0.0.1:${peer.port}>`,
        'Expires: 60',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    const ok = await peer.waitFor(isStatus(200, 'REGISTER'));
    expect(getTag(getHeader(ok.msg, 'to'))).toBeTruthy();
    // The Via as the app saw it: re-encoded, parameter spelling kept, rport filled in.
    expect(getHeader(ok.msg, 'via')).toBe(
      `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-reg1;Foo=Bar;rport=${peer.port}`,
    );
    expect(peer.received.filter(isStatus(100))).toHaveLength(0);
  });
});

describe('non-INVITE server transaction', () => {
  it('OPTIONS retransmissions are absorbed while the app decides and answered from the stored 200 afterwards (Timer J)', async () => {
    const server = await startServer({ t1Ms: 20, t2Ms: 80, t4Ms: 100 });
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    let deliveries = 0;
    let answer: (() => void) | undefined;
    srf.options((_req, res) => {
      deliveries++;
      answer = () => res.send(200);
    });
    await sleep(30);
    const text = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-opt1`,
      `From: <sip:ping@127.0.0.1:${peer.port}>;tag=o1`,
      `To: <sip:127.0.0.1:${port}>`,
      'Call-ID: opt-1',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    peer.send(text, port);
    await eventually(() => deliveries === 1);
    peer.send(text, port);
    await sleep(50);
    expect(peer.received).toHaveLength(0);
    answer?.();
    const first = await peer.waitFor(isStatus(200, 'OPTIONS'));
    peer.send(text, port);
    const second = await peer.waitFor((r) => isStatus(200, 'OPTIONS')(r) && r !== first);
    expect(second.text).toBe(first.text);
    expect(deliveries).toBe(1);
    // 64*T1 = 1.28 s later the transaction is gone and every timer released.
    await eventually(() => server.stats().transactions === 0 && server.stats().timers === 0, 4000);
  });
});
