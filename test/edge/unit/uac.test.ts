/**
 * UAC flows (drachtio-wire.md §8 c): srf createUAC / request towards a raw
 * UDP peer acting as the callee.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getHeader, getTag, type SipRequest } from '../../../src/edge/sip/index.ts';
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
import { isRequest, type Received, type UdpPeer } from './peer.ts';

afterEach(cleanup);

/**
 * A server, srf connected to it, a raw peer, and srf's INVITE to the peer,
 * which the test may CANCEL (`cancel`), or which is CANCELled at its first
 * provisional response.
 */
async function inviteToPeer(o: { cancelOnProvisional?: boolean } = {}) {
  const server = await startServer();
  const srf = await connectSrf(server);
  const peer = await openPeer();
  const port = sipPort(server);
  let sent: { cancel(): void } | undefined;
  const p = srf.createUAC(
    `sip:bob@127.0.0.1:${peer.port}`,
    { localSdp: SDP },
    {
      cbRequest: (_e, req) => {
        sent = req;
      },
      ...(o.cancelOnProvisional ? { cbProvisional: () => sent?.cancel() } : {}),
    },
  );
  return { server, peer, port, p, cancel: () => sent?.cancel() };
}

/** The peer answers `req` with `status` (adds a To tag and, for 2xx, a Contact and SDP). */
function answer(
  peer: UdpPeer,
  r: Received,
  status: number,
  reason: string,
  serverPort: number,
  toTag = 'bob-tag',
): void {
  const req = r.msg as SipRequest;
  const h = (n: string): string => getHeader(req, n) ?? '';
  const vias = req.headers
    .filter((x) => x.name.toLowerCase() === 'via')
    .map((x) => `Via: ${x.value}`);
  const body = status >= 200 && status < 300 && req.method === 'INVITE' ? SDP : '';
  const lines = [
    `SIP/2.0 ${status} ${reason}`,
    ...vias,
    `From: ${h('from')}`,
    `To: ${h('to')}${status > 100 && !/tag=/.test(h('to')) ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${h('call-id')}`,
    `CSeq: ${h('cseq')}`,
  ];
  if (status >= 200 && status < 300) lines.push(`Contact: <sip:bob@127.0.0.1:${peer.port}>`);
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  peer.send(lines.join('\r\n'), serverPort);
}

describe('UAC', () => {
  it('createUAC: 100 absorbed, 180 relayed, 200 answered, ACK to the Contact with the INVITE CSeq', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    let provisional = 0;
    const dialogP = srf.createUAC(
      `sip:bob@127.0.0.1:${peer.port}`,
      { localSdp: SDP, callingNumber: '2000' },
      {
        cbProvisional: (res) => {
          provisional = res.status;
        },
      },
    );
    const inv = await peer.waitFor(isRequest('INVITE'));
    const req = inv.msg as SipRequest;
    expect(getHeader(req, 'from')).toMatch(new RegExp(`^<sip:2000@127\\.0\\.0\\.1:${port}>;tag=`));
    expect(getHeader(req, 'contact')).toBe(`<sip:2000@127.0.0.1:${port}>`);
    expect(getHeader(req, 'content-type')).toBe('application/sdp');
    expect(getHeader(req, 'via')).toMatch(
      new RegExp(`^SIP/2.0/UDP 127\\.0\\.0\\.1:${port};rport;branch=z9hG4bK`),
    );
    answer(peer, inv, 100, 'Trying', port);
    answer(peer, inv, 180, 'Ringing', port);
    await eventually(() => provisional === 180);
    answer(peer, inv, 200, 'OK', port);
    const dialog = await dialogP;
    const callId = getHeader(req, 'call-id') as string;
    expect(dialog.id).toBe(`${callId};from-tag=${getTag(getHeader(req, 'from'))}`);
    const ack = await peer.waitFor(isRequest('ACK'));
    expect((ack.msg as SipRequest).uri).toBe(`sip:bob@127.0.0.1:${peer.port}`);
    const cseq = (getHeader(req, 'cseq') as string).split(' ')[0];
    expect(getHeader(ack.msg, 'cseq')).toBe(`${cseq} ACK`);
    expect(getTag(getHeader(ack.msg, 'to'))).toBe('bob-tag');
    // App hangs up: BYE with CSeq + 1, answered, dialog gone.
    const destroyed = dialog.destroy();
    const bye = await peer.waitFor(isRequest('BYE'));
    expect(getHeader(bye.msg, 'cseq')).toBe(`${Number(cseq) + 1} BYE`);
    answer(peer, bye, 200, 'OK', port);
    await destroyed;
    await eventually(() => server.stats().dialogs === 0 && server.stats().pendingRequests === 0);
  });

  it('createUAC: 486 is ACKed by the server (same branch) and rejects with 486', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const p = srf.createUAC(`sip:bob@127.0.0.1:${peer.port}`, { localSdp: SDP });
    const inv = await peer.waitFor(isRequest('INVITE'));
    answer(peer, inv, 486, 'Busy Here', port);
    await expect(p).rejects.toMatchObject({ status: 486 });
    const ack = await peer.waitFor(isRequest('ACK'));
    expect(getHeader(ack.msg, 'via')).toBe(getHeader(inv.msg, 'via'));
    await sleep(100);
    expect(peer.received.filter(isRequest('ACK'))).toHaveLength(1);
  });

  it('cancel after 180: CANCEL with the INVITE branch, 487 relayed, createUAC rejects 487', async () => {
    const { server, peer, port, p } = await inviteToPeer({ cancelOnProvisional: true });
    const inv = await peer.waitFor(isRequest('INVITE'));
    answer(peer, inv, 180, 'Ringing', port);
    const cancel = await peer.waitFor(isRequest('CANCEL'));
    expect(getHeader(cancel.msg, 'via')).toBe(getHeader(inv.msg, 'via'));
    expect(getHeader(cancel.msg, 'cseq')?.split(' ')[0]).toBe(
      getHeader(inv.msg, 'cseq')?.split(' ')[0],
    );
    answer(peer, cancel, 200, 'OK', port);
    answer(peer, inv, 487, 'Request Terminated', port);
    await expect(p).rejects.toMatchObject({ status: 487 });
    await peer.waitFor(isRequest('ACK'));
    await eventually(() => server.stats().dialogs === 0);
  });

  it('CANCEL before any provisional is held until the 180 arrives', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const p = srf.createUAC(
      `sip:bob@127.0.0.1:${peer.port}`,
      { localSdp: SDP },
      {
        cbRequest: (_e, req) => req.cancel(),
      },
    );
    const inv = await peer.waitFor(isRequest('INVITE'));
    await sleep(100);
    expect(peer.received.filter(isRequest('CANCEL'))).toHaveLength(0);
    answer(peer, inv, 180, 'Ringing', port);
    const cancel = await peer.waitFor(isRequest('CANCEL'));
    answer(peer, cancel, 200, 'OK', port);
    answer(peer, inv, 487, 'Request Terminated', port);
    await expect(p).rejects.toMatchObject({ status: 487 });
  });

  it('200 crossing the CANCEL: app ACKs, server sends BYE "ACK-BYE due to cancel race condition"', async () => {
    const { server, peer, port, p, cancel: cancelInvite } = await inviteToPeer();
    const inv = await peer.waitFor(isRequest('INVITE'));
    answer(peer, inv, 180, 'Ringing', port);
    await sleep(50);
    cancelInvite();
    const cancel = await peer.waitFor(isRequest('CANCEL'));
    answer(peer, cancel, 200, 'OK', port);
    answer(peer, inv, 200, 'OK', port);
    const dialog = await p;
    const destroyed = new Promise((r) => dialog.on('destroy', r));
    await peer.waitFor(isRequest('ACK'));
    const bye = await peer.waitFor(isRequest('BYE'));
    expect(getHeader(bye.msg, 'reason')).toBe(
      'SIP;cause=200;text="ACK-BYE due to cancel race condition"',
    );
    await destroyed;
    answer(peer, bye, 200, 'OK', port);
    await eventually(() => server.stats().dialogs === 0);
  });

  it('Timer F: OPTIONS to a silent peer is retransmitted and ends with a local 408', async () => {
    const server = await startServer({ t1Ms: 20, t2Ms: 80, t4Ms: 100 });
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const status = await new Promise<number>((resolve, reject) => {
      srf.request(`sip:bob@127.0.0.1:${peer.port}`, { method: 'OPTIONS' }, (err, req) => {
        if (err) return reject(err);
        req.on('response', (res) => resolve(res.status));
      });
    });
    expect(status).toBe(408);
    // 64*T1 = 1280 ms with E at 20, 40, 80, 80, ... → well over 5 copies.
    expect(peer.received.filter(isRequest('OPTIONS')).length).toBeGreaterThan(5);
    await eventually(() => server.stats().transactions === 0 && server.stats().timers === 0);
  });

  it('Timer B: INVITE to a silent peer is retransmitted (A doubling) and createUAC rejects 408', async () => {
    const server = await startServer({ t1Ms: 20, t2Ms: 80, t4Ms: 100 });
    const srf = await connectSrf(server);
    const peer = await openPeer();
    await expect(
      srf.createUAC(`sip:bob@127.0.0.1:${peer.port}`, { localSdp: SDP }),
    ).rejects.toMatchObject({ status: 408 });
    const copies = peer.received.filter(isRequest('INVITE'));
    // A: 0, 20, 60, 140, 300, 620, 1260 ms → 7 copies before B at 1280 ms.
    expect(copies.length).toBeGreaterThanOrEqual(6);
    expect(copies.length).toBeLessThanOrEqual(8);
    await eventually(
      () =>
        server.stats().transactions === 0 &&
        server.stats().dialogs === 0 &&
        server.stats().timers === 0,
    );
  });

  it('request to our own address is refused with "can not send request to myself"', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const err = await new Promise<unknown>((resolve) => {
      srf.request(`sip:me@127.0.0.1:${sipPort(server)}`, { method: 'OPTIONS' }, (e) => resolve(e));
    });
    expect(String(err)).toMatch(/can not send request to myself/);
  });
});

describe('UAC memory', () => {
  it('an ended call: its lingering INVITE and BYE transactions no longer hold the dialog', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const dialogP = srf.createUAC(`sip:bob@127.0.0.1:${peer.port}`, { localSdp: SDP });
    const inv = await peer.waitFor(isRequest('INVITE'));
    answer(peer, inv, 200, 'OK', port);
    const dialog = await dialogP;
    await peer.waitFor(isRequest('ACK'));
    // No public counter tells what a lingering transaction holds: this reads
    // the server's table of requests sent for the app.
    type Sent = Map<string, { method: string; dialog: unknown }>;
    const outgoing = (server as unknown as { core: { sent: { byTxnId: Sent } } }).core.sent.byTxnId;
    const held = () =>
      [...outgoing.values()].filter((o) => o.dialog !== undefined).map((o) => o.method);
    expect(held()).toEqual(['INVITE']);
    const destroyed = dialog.destroy();
    const bye = await peer.waitFor(isRequest('BYE'));
    answer(peer, bye, 200, 'OK', port);
    await destroyed;
    await eventually(() => server.stats().dialogs === 0);
    // Both transactions linger (Accepted for 64*T1, Completed for T4) ...
    expect([...outgoing.values()].map((o) => o.method).sort()).toEqual(['BYE', 'INVITE']);
    // ... without the dialog.
    expect(held()).toEqual([]);
  });
});

describe('UAC: a dialog named by Call-ID alone', () => {
  it("another app's out-of-dialog BYE with the Call-ID goes inside the dead app's dialog", async () => {
    const server = await startServer();
    const first = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const dialogP = first.createUAC(`sip:bob@127.0.0.1:${peer.port};x=1`, { localSdp: SDP });
    const inv = await peer.waitFor(isRequest('INVITE'));
    answer(peer, inv, 200, 'OK', port);
    const dialog = await dialogP;
    await peer.waitFor(isRequest('ACK'));
    first.disconnect();
    await eventually(() => server.stats().appConnections === 0);

    const second = await connectSrf(server);
    const status = new Promise<number>((resolve, reject) => {
      second.request(
        'sip:placeholder',
        { method: 'BYE', headers: { 'Call-ID': dialog.sip.callId } },
        (err, req) => {
          if (err) reject(err);
          else req.on('response', (res) => resolve(res.status));
        },
      );
    });
    const bye = await peer.waitFor(isRequest('BYE'));
    const invMsg = inv.msg as SipRequest;
    const byeMsg = bye.msg as SipRequest;
    // The dialog's remote target, tags and next CSeq (RFC 3261 §12.2.1.1).
    expect(byeMsg.uri).toBe(`sip:bob@127.0.0.1:${peer.port}`);
    expect(getHeader(byeMsg, 'call-id')).toBe(getHeader(invMsg, 'call-id'));
    expect(getTag(getHeader(byeMsg, 'from'))).toBe(getTag(getHeader(invMsg, 'from')));
    expect(getTag(getHeader(byeMsg, 'to'))).toBe('bob-tag');
    const inviteSeq = Number.parseInt(getHeader(invMsg, 'cseq') ?? '', 10);
    expect(getHeader(byeMsg, 'cseq')).toBe(`${inviteSeq + 1} BYE`);
    answer(peer, bye, 200, 'OK', port);
    expect(await status).toBe(200);
    await eventually(() => server.stats().dialogs === 0);
  });
});

describe('UAC timers', () => {
  it('Timer C: a callee that rings forever is CANCELled and createUAC rejects 487', async () => {
    const server = await startServer({ t1Ms: 50, t2Ms: 400, t4Ms: 500, timerCMs: 300 });
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const p = srf.createUAC(`sip:bob@127.0.0.1:${peer.port}`, { localSdp: SDP });
    const inv = await peer.waitFor(isRequest('INVITE'));
    answer(peer, inv, 180, 'Ringing', port);
    const cancel = await peer.waitFor(isRequest('CANCEL'), 3000);
    expect(getHeader(cancel.msg, 'via')).toBe(getHeader(inv.msg, 'via'));
    answer(peer, cancel, 200, 'OK', port);
    answer(peer, inv, 487, 'Request Terminated', port);
    await expect(p).rejects.toMatchObject({ status: 487 });
  });

  it('a 2xx arriving after the app disconnected is ACKed and BYEd by the server', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    srf.createUAC(`sip:bob@127.0.0.1:${peer.port}`, { localSdp: SDP }).catch(() => undefined);
    const inv = await peer.waitFor(isRequest('INVITE'));
    srf.disconnect();
    await eventually(() => server.stats().appConnections === 0);
    answer(peer, inv, 200, 'OK', port);
    await peer.waitFor(isRequest('ACK'));
    const bye = await peer.waitFor(isRequest('BYE'));
    answer(peer, bye, 200, 'OK', port);
    await eventually(() => server.stats().dialogs === 0);
  });
});

describe('UAC digest retry', () => {
  it('407 then 200: srf retries with the same Call-ID and From tag, CSeq + 1, and the ACK goes out', async () => {
    const server = await startServer();
    const srf = await connectSrf(server);
    const peer = await openPeer();
    const port = sipPort(server);
    const p = srf.createUAC(`sip:trunk@127.0.0.1:${peer.port}`, {
      localSdp: SDP,
      auth: { username: 'bob', password: 'secret' },
    });
    const first = await peer.waitFor(isRequest('INVITE'));
    const req = first.msg as SipRequest;
    const h = (n: string): string => getHeader(req, n) ?? '';
    peer.send(
      [
        'SIP/2.0 407 Proxy Authentication Required',
        ...req.headers.filter((x) => x.name.toLowerCase() === 'via').map((x) => `Via: ${x.value}`),
        `From: ${h('from')}`,
        `To: ${h('to')};tag=chal`,
        `Call-ID: ${h('call-id')}`,
        `CSeq: ${h('cseq')}`,
        'Proxy-Authenticate: Digest realm="trunk.test", nonce="abc123", algorithm=MD5, qop="auth"',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      port,
    );
    await peer.waitFor(isRequest('ACK'));
    const retry = await peer.waitFor((r) => isRequest('INVITE')(r) && r !== first);
    expect(getHeader(retry.msg, 'call-id')).toBe(h('call-id'));
    expect(getTag(getHeader(retry.msg, 'from'))).toBe(getTag(h('from')));
    expect(getHeader(retry.msg, 'cseq')).toBe(`${Number(h('cseq').split(' ')[0]) + 1} INVITE`);
    expect(getHeader(retry.msg, 'proxy-authorization')).toMatch(/^Digest /);
    answer(peer, retry, 200, 'OK', port);
    const dialog = await p;
    const ack = await peer.waitFor(
      (r) =>
        isRequest('ACK')(r) &&
        getHeader(r.msg, 'cseq')?.startsWith(String(Number(h('cseq').split(' ')[0]) + 1)) === true,
    );
    expect(getTag(getHeader(ack.msg, 'to'))).toBe('bob-tag');
    const bye = dialog.destroy();
    const byeReq = await peer.waitFor(isRequest('BYE'));
    answer(peer, byeReq, 200, 'OK', port);
    await bye;
  });
});
