/**
 * Session timers (RFC 4028) when the peer is the refresher: the server
 * watches, a refresh from the peer re-arms the watch, and a peer that stops
 * refreshing gets a BYE "Session timer expired" before the session expires
 * (the app hears an unsolicited BYE). The clock is a manual one, so the
 * real intervals (90 s and more) pass at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RandomIds } from '../../../src/edge/shared/ids.ts';
import { newCounters } from '../../../src/edge/shared/stats.ts';
import { EdgeServer } from '../../../src/edge/server.ts';
import { getHeader, getTag } from '../../../src/edge/sip/index.ts';
import { cleanup, connectSrf, type DialogLike, eventually, openPeer, SDP } from './harness.ts';
import { ManualClock } from './manual-clock.ts';
import { inDialog, invite, isRequest, isStatus, type UdpPeer } from './peer.ts';

afterEach(cleanup);

async function start(clock: ManualClock): Promise<EdgeServer> {
  const server = new EdgeServer(
    {
      listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
      control: { host: '127.0.0.1', port: 0 },
      secret: 'cymru',
    },
    newCounters(),
    { clock, ids: new RandomIds(clock) },
  );
  await server.start();
  return server;
}

const udpPort = (server: EdgeServer) =>
  server.sipAddresses.find((a) => a.protocol === 'udp')?.port as number;

/** A peer's re-INVITE in the dialog (the session refresh), with Session-Expires. */
function refreshInvite(peer: UdpPeer, port: number, callId: string, toTag: string): string {
  return [
    `INVITE sip:127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-refresh-${callId}`,
    `From: "Alice" <sip:alice@127.0.0.1:${peer.port}>;tag=alice-tag`,
    `To: <sip:service@127.0.0.1:${port}>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    'CSeq: 2 INVITE',
    `Contact: <sip:alice@127.0.0.1:${peer.port}>`,
    'Max-Forwards: 70',
    'Session-Expires: 90;refresher=uac',
    'Supported: timer',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(SDP)}`,
    '',
    SDP,
  ].join('\r\n');
}

/** The peer calls in; the app answers with `headers`; the peer ACKs. */
async function answeredCall(
  clock: ManualClock,
  callId: string,
  inviteHeaders: string[],
  answerHeaders: Record<string, string>,
) {
  const server = await start(clock);
  const srf = await connectSrf(server);
  const peer = await openPeer();
  const port = udpPort(server);
  const dialogP = new Promise<DialogLike>((resolve, reject) => {
    srf.invite((req, res) => {
      srf.createUAS(req, res, { localSdp: SDP, headers: answerHeaders }).then(resolve, reject);
    });
  });
  peer.send(
    invite({ peerPort: peer.port, serverPort: port, callId, headers: inviteHeaders }),
    port,
  );
  const ok = await peer.waitFor(isStatus(200, 'INVITE'));
  const toTag = getTag(getHeader(ok.msg, 'to')) as string;
  peer.send(
    inDialog({
      method: 'ACK',
      peerPort: peer.port,
      serverPort: port,
      callId,
      toTag,
      cseq: 1,
      branch: `z9hG4bK-ack-${callId}`,
    }),
    port,
  );
  const dialog = await dialogP;
  // Let the ACK arrive before the clock moves (its absence would end the call at 32 s).
  await new Promise((r) => setTimeout(r, 100));
  const ended = new Promise<unknown>((resolve) => dialog.on('destroy', (_m, r) => resolve(r)));
  return { server, peer, port, ok, toTag, ended };
}

describe('session timer: the peer refreshes', () => {
  it('a peer that refreshes keeps the call; one that stops gets a BYE before expiry', async () => {
    const clock = new ManualClock();
    const call = await answeredCall(clock, 'st-watch', ['Supported: timer'], {
      'Session-Expires': '90;refresher=uac',
    });
    try {
      // 90 s interval, BYE 30 s before expiry (min(32, 90/3)): nothing at 59 s.
      clock.advance(59_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(call.peer.received.filter(isRequest('BYE'))).toHaveLength(0);
      // The peer refreshes with a re-INVITE; srf answers it, the watch starts again.
      call.peer.send(refreshInvite(call.peer, call.port, 'st-watch', call.toTag), call.port);
      const refreshed = await call.peer.waitFor(
        (r) => isStatus(200, 'INVITE')(r) && getHeader(r.msg, 'cseq') === '2 INVITE',
      );
      call.peer.send(
        inDialog({
          method: 'ACK',
          peerPort: call.peer.port,
          serverPort: call.port,
          callId: 'st-watch',
          toTag: call.toTag,
          cseq: 2,
          branch: 'z9hG4bK-ack2-st-watch',
        }),
        call.port,
      );
      expect(refreshed).toBeDefined();
      clock.advance(59_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(call.peer.received.filter(isRequest('BYE'))).toHaveLength(0);
      // No second refresh: at 60 s after the first the server hangs up.
      clock.advance(1_000);
      const bye = await call.peer.waitFor(isRequest('BYE'));
      expect(getHeader(bye.msg, 'reason')).toBe('SIP;cause=200;text="Session timer expired"');
      expect(await call.ended).toBe('Session timer expired');
      call.peer.send(
        [
          'SIP/2.0 200 OK',
          `Via: ${getHeader(bye.msg, 'via')}`,
          `From: ${getHeader(bye.msg, 'from')}`,
          `To: ${getHeader(bye.msg, 'to')}`,
          `Call-ID: ${getHeader(bye.msg, 'call-id')}`,
          `CSeq: ${getHeader(bye.msg, 'cseq')}`,
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'),
        call.port,
      );
      clock.advance(40_000);
      await eventually(() => call.server.stats().dialogs === 0);
      expect(call.server.stats().timers).toBe(0);
    } finally {
      await call.server.close();
    }
  });

  it("adds the INVITE's Session-Expires with its refresher to the app's 200 and watches it", async () => {
    const clock = new ManualClock();
    const call = await answeredCall(
      clock,
      'st-added',
      ['Supported: timer', 'Session-Expires: 120;refresher=uac'],
      {},
    );
    try {
      expect(getHeader(call.ok.msg, 'session-expires')).toBe('120;refresher=uac');
      // 120 s interval: BYE at 88 s (32 s before expiry).
      clock.advance(87_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(call.peer.received.filter(isRequest('BYE'))).toHaveLength(0);
      clock.advance(1_000);
      await call.peer.waitFor(isRequest('BYE'));
      expect(await call.ended).toBe('Session timer expired');
    } finally {
      await call.server.close();
    }
  });

  it('an INVITE without a refresher parameter gets no timer (drachtio-server default)', async () => {
    const clock = new ManualClock();
    const call = await answeredCall(
      clock,
      'st-none',
      ['Supported: timer', 'Session-Expires: 120'],
      {},
    );
    try {
      expect(getHeader(call.ok.msg, 'session-expires')).toBeUndefined();
      clock.advance(600_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(call.peer.received.filter(isRequest('BYE'))).toHaveLength(0);
    } finally {
      await call.server.close();
    }
  });
});
