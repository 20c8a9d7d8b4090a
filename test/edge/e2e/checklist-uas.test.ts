/**
 * drachtio-wire.md §11, "UAS" (items 29-39 and 38a): the server answering
 * network requests on the app's behalf — 100 Trying, retransmissions,
 * 2xx retransmission and ACK timeout, CANCEL in each state, BYE, glare,
 * re-INVITE. Small timers (T1 = 50 ms) keep the timer cases short.
 */
import { describe, expect, it } from 'vitest';
import { statNumber } from '../../support/sip-target.ts';
import { sleep, useChecklist } from './helpers/harness.ts';
import {
  PEER_SDP,
  buildAck,
  buildCancel,
  buildRequest,
  buildResponse,
  rand,
} from './helpers/peer.ts';
import {
  APP_SDP,
  appAnswer,
  appRequest,
  establishUas,
  isRequest,
  isResponse,
  peerInDialog,
  peerInvite,
  requestFrame,
  server,
  serverUri,
  srfRequest,
} from './helpers/flows.ts';
import { type Dialog, onceDestroyed, sdp } from './helpers/srf.ts';
import { headerValue } from './helpers/wire.ts';

const c = useChecklist();
const firstLines = (list: Array<{ text: string }>, callId: string) =>
  list.filter((m) => m.text.includes(callId)).map((m) => m.text.split('\r\n')[0]);

describe('§11 UAS', () => {
  it('§11.29 sends 100 Trying for INVITE before the app answers, none for REGISTER or OPTIONS', async () => {
    const t = c.target();
    const wire = await c.wire(['invite', 'register', 'options']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await peer.next((m) => isResponse(m, 100) && m.text.includes(call.callId));
    await appAnswer(wire, inv, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486) && m.text.includes(call.callId));
    expect(firstLines(peer.received, call.callId)[0]).toMatch(/^SIP\/2\.0 100 /);
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    for (const method of ['REGISTER', 'OPTIONS']) {
      const callId = `${method}-${rand()}`;
      peer.send(
        buildRequest({
          method,
          uri: serverUri(t),
          from: { port: peer.port },
          to: { uri: serverUri(t) },
          callId,
          cseq: 1,
          headers: method === 'REGISTER' ? ['Expires: 60'] : [],
        }),
        server(t),
      );
      const f = await requestFrame(wire, method, callId);
      await sleep(100);
      await appAnswer(wire, f, 200, 'OK');
      await peer.next((m) => isResponse(m, 200) && m.text.includes(callId));
      expect(firstLines(peer.received, callId)).toEqual(['SIP/2.0 200 OK']);
    }
  });

  it('§11.30 does not re-deliver retransmitted INVITE/REGISTER; after the answer it re-sends the last response', async () => {
    const t = c.target();
    const wire = await c.wire(['invite', 'register']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    peer.send(call.invite, server(t));
    await sleep(150);
    expect(wire.sipFrames(/^INVITE /).filter((f) => f.sip.includes(call.callId))).toHaveLength(1);
    await appAnswer(wire, inv, 180, 'Ringing');
    await peer.next((m) => isResponse(m, 180) && m.text.includes(call.callId));
    const before = peer.received.length;
    peer.send(call.invite, server(t));
    await peer.next((m) => isResponse(m, 180) && m.text.includes(call.callId), 3000, before);
    expect(wire.sipFrames(/^INVITE /).filter((f) => f.sip.includes(call.callId))).toHaveLength(1);
    await appAnswer(wire, inv, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486));
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    // REGISTER: same story.
    const callId = `reg-${rand()}`;
    const reg = buildRequest({
      method: 'REGISTER',
      uri: `sip:${t.sipHost}:${t.sipPort}`,
      from: { port: peer.port },
      to: { uri: serverUri(t, '1001') },
      callId,
      cseq: 1,
      headers: ['Expires: 60'],
    });
    peer.send(reg, server(t));
    const regFrame = await requestFrame(wire, 'REGISTER', callId);
    peer.send(reg, server(t));
    await sleep(150);
    expect(wire.sipFrames(/^REGISTER /).filter((f) => f.sip.includes(callId))).toHaveLength(1);
    await appAnswer(wire, regFrame, 200, 'OK', { headers: ['Expires: 60'] });
    await peer.next((m) => isResponse(m, 200) && m.text.includes(callId));
    const mark = peer.received.length;
    peer.send(reg, server(t));
    await peer.next((m) => isResponse(m, 200) && m.text.includes(callId), 3000, mark);
    expect(wire.sipFrames(/^REGISTER /).filter((f) => f.sip.includes(callId))).toHaveLength(1);
  });

  it('§11.30 sends its own 100 Trying once: retransmitted INVITEs before the app answers get no second 100', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await peer.next((m) => isResponse(m, 100) && m.text.includes(call.callId));
    // Two more copies of the same INVITE, as a caller retransmits (or as sipp
    // re-sends its last request whenever a response repeats).
    peer.send(call.invite, server(t));
    await sleep(50);
    peer.send(call.invite, server(t));
    await sleep(300);
    expect(firstLines(peer.received, call.callId)).toEqual(['SIP/2.0 100 Trying']);
    expect(wire.sipFrames(/^INVITE /).filter((f) => f.sip.includes(call.callId))).toHaveLength(1);
    // A provisional of the app's is what a later copy gets (RFC 3261 §17.2.1).
    await appAnswer(wire, inv, 180, 'Ringing');
    await peer.next((m) => isResponse(m, 180) && m.text.includes(call.callId));
    peer.send(call.invite, server(t));
    await sleep(300);
    expect(firstLines(peer.received, call.callId)).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 180 Ringing',
      'SIP/2.0 180 Ringing',
    ]);
    await appAnswer(wire, inv, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486) && m.text.includes(call.callId));
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
  });

  it('§11.31 never answers a request the app ignores, and forgets it after 64 s (or answers 480/503, §12.4)', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await sleep(1000);
    expect(firstLines(peer.received, call.callId)).toEqual(['SIP/2.0 100 Trying']);
    // Wait out the pending-request limit (64 s on drachtio-server).
    const end = Date.now() + 66_000;
    while (Date.now() < end) {
      if (
        peer.received.some(
          (m) => m.text.includes(call.callId) && /^SIP\/2\.0 (480|503) /.test(m.text),
        )
      )
        break;
      if (t.stats && statNumber(t.stats(), 'pendingRequests') === 0) break;
      await sleep(250);
    }
    const late = await appAnswer(wire, inv, 486, 'Busy Here');
    expect(late.tokens.slice(3, 5)).toEqual([
      'NOK',
      'Response not sent due to unknown transaction',
    ]);
    const finals = firstLines(peer.received, call.callId).filter((l) => !/ 100 /.test(l ?? ''));
    // drachtio-server: nothing; the embedded server may answer 480 or 503 once (§12.4).
    expect(finals.every((l) => /^SIP\/2\.0 (480|503) /.test(l ?? ''))).toBe(true);
    expect(finals.some((l) => / 486 /.test(l ?? ''))).toBe(false);
  }, 90_000);

  it('§11.32 retransmits the 2xx (T1 doubling up to T2), stops on ACK, and ends an unacknowledged call with BYE "ACK timeout"', async () => {
    const t = c.target();
    const app = await c.srf();
    const peer = await c.peer();
    const dialogs: Dialog[] = [];
    app.srf.invite(async (req, res) => {
      dialogs.push(await app.srf.createUAS(req, res, { localSdp: sdp() }));
    });
    // Call 1: the peer never ACKs.
    const call = peerInvite(peer, t);
    await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId));
    while (dialogs.length === 0) await sleep(10);
    const destroyed = onceDestroyed(dialogs[0] as Dialog);
    const bye = await peer.next(
      (m) => isRequest(m, 'BYE') && m.text.includes(call.callId),
      64 * t.timers.t1Ms + 5000,
    );
    expect(headerValue(bye.text, 'Reason')).toBe('SIP;cause=200;text="ACK timeout"');
    expect((await destroyed).reason).toBe('ACK timeout');
    const copies = peer.received.filter(
      (m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId),
    );
    expect(copies.length).toBeGreaterThanOrEqual(6);
    const gaps = copies.slice(1).map((m, i) => m.at - (copies[i] as { at: number }).at);
    // Intervals grow from about T1 and never exceed T2 by much (timer jitter allowed).
    // Loose bounds: a loaded 2-core machine delays timers; the shape is what counts.
    expect(gaps[0]).toBeLessThan(t.timers.t1Ms * 4 + 250);
    expect(Math.max(...gaps)).toBeLessThan(t.timers.t2Ms * 2 + 250);
    expect(Math.max(...gaps)).toBeGreaterThan(t.timers.t1Ms * 3);
    peer.send(buildResponse(bye.text, 200, 'OK'), server(t));
    // Call 2: ACK after the second copy; no copy after the ACK.
    const call2 = peerInvite(peer, t);
    const ok = await peer.next(
      (m) => isResponse(m, 200, 'INVITE') && m.text.includes(call2.callId),
    );
    await peer.next(
      (m) => isResponse(m, 200, 'INVITE') && m.text.includes(call2.callId) && m !== ok,
    );
    peer.send(buildAck(call2.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
    await sleep(100);
    const afterAck = peer.received.length;
    await sleep(t.timers.t2Ms * 2);
    expect(
      peer.received
        .slice(afterAck)
        .filter((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call2.callId)),
    ).toHaveLength(0);
  }, 90_000);

  it('§11.33 absorbs the ACK for a non-2xx final and relays the ACK for a 2xx with the INVITE transaction id', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await appAnswer(wire, inv, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486));
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    await sleep(300);
    expect(wire.sipFrames(/^ACK /).filter((f) => f.sip.includes(call.callId))).toHaveLength(0);
    const d = await establishUas(wire, peer, t);
    const ack = await requestFrame(wire, 'ACK', d.callId);
    expect(ack.tokens[8]).toBe(d.inviteFrame.tokens[8]);
    expect(ack.tokens[9]).toBe(d.dialogId);
  });

  it('§11.34 answers a CANCEL before any app response with 200 + 487 at once, tells the app, and refuses the late 200', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    peer.send(buildCancel(call.invite), server(t));
    await peer.next((m) => isResponse(m, 200, 'CANCEL') && m.text.includes(call.callId));
    const r487 = await peer.next((m) => isResponse(m, 487) && m.text.includes(call.callId));
    const cancel = await requestFrame(wire, 'CANCEL', call.callId);
    expect(cancel.tokens).toHaveLength(11);
    expect(cancel.tokens.slice(8, 11)).toEqual([inv.tokens[8], '', '']);
    peer.send(
      buildAck(call.invite, r487.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    const late = await appAnswer(wire, inv, 200, 'OK', { body: APP_SDP });
    expect(late.tokens[3]).toBe('NOK');
    await sleep(200);
    expect(
      peer.received.filter((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId)),
    ).toHaveLength(0);
  });

  it('§11.35 answers a CANCEL after a 180 with 200 + 487 (same To tag), passes the dialog id, tells srf (cancel event, no answer possible), and a B2BUA cancels its B leg', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    const echo = await appAnswer(wire, inv, 180, 'Ringing');
    const ring = await peer.next((m) => isResponse(m, 180) && m.text.includes(call.callId));
    peer.send(buildCancel(call.invite), server(t));
    const okCancel = await peer.next(
      (m) => isResponse(m, 200, 'CANCEL') && m.text.includes(call.callId),
    );
    const r487 = await peer.next((m) => isResponse(m, 487) && m.text.includes(call.callId));
    const tag = (x: string) => /;tag=([^;\s>]+)/.exec(headerValue(x, 'To') ?? '')?.[1];
    expect(tag(okCancel.text)).toBe(tag(ring.text));
    expect(tag(r487.text)).toBe(tag(ring.text));
    const cancel = await requestFrame(wire, 'CANCEL', call.callId);
    expect(cancel.tokens[9]).toBe(echo.tokens[11]);
    peer.send(
      buildAck(call.invite, r487.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    wire.close();
    // srf: createUAS rejects 487; a B2BUA cancels its ringing B leg.
    const app = await c.srf();
    const calleePeer = await c.peer();
    const outcomes: unknown[] = [];
    const cancelled: string[] = [];
    app.srf.invite((req, res) => {
      if (req.get('Subject') === 'uas') {
        // srf attaches its own cancel listener only while createUAS is sending,
        // so the app listens itself and answers after the CANCEL: srf then
        // learns from the server that the transaction is gone.
        (req as unknown as { on(e: 'cancel', cb: () => void): void }).on('cancel', () => {
          cancelled.push(req.get('Call-ID'));
          app.srf.createUAS(req, res, { localSdp: sdp() }).then(
            () => outcomes.push('answered'),
            (err: unknown) => outcomes.push(err),
          );
        });
        res.send(180);
      } else {
        app.srf
          .createB2BUA(req, res, `sip:b@127.0.0.1:${calleePeer.port}`, { localSdpB: req.body })
          .then(
            () => outcomes.push('b2b answered'),
            (err: unknown) => outcomes.push(err),
          );
      }
    });
    await sleep(100);
    const uasCall = peerInvite(peer, t, { headers: ['Subject: uas'] });
    await peer.next((m) => isResponse(m, 180) && m.text.includes(uasCall.callId));
    peer.send(buildCancel(uasCall.invite), server(t));
    const r487b = await peer.next((m) => isResponse(m, 487) && m.text.includes(uasCall.callId));
    peer.send(
      buildAck(uasCall.invite, r487b.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    while (outcomes.length < 1) await sleep(20);
    expect(cancelled).toEqual([uasCall.callId]);
    expect(outcomes[0]).not.toBe('answered');
    expect(
      peer.received.filter((m) => isResponse(m, 200, 'INVITE') && m.text.includes(uasCall.callId)),
    ).toHaveLength(0);
    const b2bCall = peerInvite(peer, t, { headers: ['Subject: b2b'] });
    const bInvite = await calleePeer.next((m) => isRequest(m, 'INVITE'));
    calleePeer.send(
      bInvite.text.startsWith('INVITE')
        ? `SIP/2.0 180 Ringing\r\n${bInvite.text
            .split('\r\n')
            .slice(1)
            .filter((l) => /^(via|from|call-id|cseq):/i.test(l))
            .join(
              '\r\n',
            )}\r\nTo: ${headerValue(bInvite.text, 'To')};tag=btag\r\nContent-Length: 0\r\n\r\n`
        : '',
      server(t),
    );
    await peer.next((m) => isResponse(m, 180) && m.text.includes(b2bCall.callId));
    peer.send(buildCancel(b2bCall.invite), server(t));
    const bCancel = await calleePeer.next((m) => isRequest(m, 'CANCEL'));
    expect(headerValue(bCancel.text, 'Call-ID')).toBe(headerValue(bInvite.text, 'Call-ID'));
    const r487c = await peer.next((m) => isResponse(m, 487) && m.text.includes(b2bCall.callId));
    peer.send(
      buildAck(b2bCall.invite, r487c.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    const bHead = bInvite.text
      .split('\r\n')
      .slice(1)
      .filter((l) => /^(via|from|call-id):/i.test(l))
      .join('\r\n');
    calleePeer.send(
      `SIP/2.0 200 OK\r\n${bHead}\r\nTo: ${headerValue(bInvite.text, 'To')};tag=btag\r\nCSeq: ${headerValue(bCancel.text, 'CSeq')}\r\nContent-Length: 0\r\n\r\n`,
      server(t),
    );
    calleePeer.send(
      `SIP/2.0 487 Request Terminated\r\n${bHead}\r\nTo: ${headerValue(bInvite.text, 'To')};tag=btag\r\nCSeq: ${headerValue(bInvite.text, 'CSeq')}\r\nContent-Length: 0\r\n\r\n`,
      server(t),
    );
    await calleePeer.next((m) => isRequest(m, 'ACK'));
    while (outcomes.length < 2) await sleep(20);
    expect(outcomes[1]).toMatchObject({ status: 487 });
  });

  it('§11.36 answers a CANCEL after the 2xx (before the ACK) with 481 only; the dialog stays up', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    const echo = await appAnswer(wire, inv, 200, 'OK', { body: APP_SDP });
    const ok = await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId));
    peer.send(buildCancel(call.invite), server(t));
    await peer.next((m) => isResponse(m, 481) && m.text.includes(call.callId));
    await sleep(200);
    expect(wire.sipFrames(/^CANCEL /).filter((f) => f.sip.includes(call.callId))).toHaveLength(0);
    expect(peer.received.filter((m) => isRequest(m, 'BYE') || isResponse(m, 487))).toHaveLength(0);
    peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
    await requestFrame(wire, 'ACK', call.callId);
    const localTag = /;tag=([^;\s>]+)/.exec(headerValue(ok.text, 'To') ?? '')?.[1] ?? '';
    peerInDialog(
      peer,
      t,
      {
        ...call,
        inviteFrame: inv,
        echo,
        ok,
        dialogId: echo.tokens[11] ?? '',
        localTag,
        nextCseq: 2,
      },
      'BYE',
    );
    const bye = await requestFrame(wire, 'BYE', call.callId);
    expect(bye.tokens[9]).toBe(echo.tokens[11]);
    await appAnswer(wire, bye, 200, 'OK');
    await peer.next((m) => isResponse(m, 200, 'BYE'));
  });

  it('§11.37 puts nothing on the wire for a second final response from the app', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await appAnswer(wire, inv, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486));
    await appAnswer(wire, inv, 200, 'OK', { body: APP_SDP });
    await sleep(300);
    expect(
      peer.received.filter((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId)),
    ).toHaveLength(0);
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
  });

  it('§11.38 relays a network BYE, sends the app answer, and answers 481 to anything in the dialog after the BYE', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const d = await establishUas(wire, peer, t);
    peerInDialog(peer, t, d, 'BYE');
    const bye = await requestFrame(wire, 'BYE', d.callId);
    // Before the app answers, the dialog is already gone.
    peerInDialog(peer, t, d, 'INFO', {
      body: 'Signal=1\r\n',
      contentType: 'application/dtmf-relay',
    });
    await peer.next((m) => isResponse(m, 481, 'INFO'));
    await appAnswer(wire, bye, 200, 'OK');
    await peer.next((m) => isResponse(m, 200, 'BYE'));
    peerInDialog(peer, t, d, 'BYE');
    await peer.next((m) => isResponse(m, 481, 'BYE'));
    expect(wire.sipFrames(/^(INFO|BYE) /).filter((f) => f.sip.includes(d.callId))).toHaveLength(1);
  });

  it('§11.38a handles BYE glare: our BYE first, or the peer BYE first (then the app BYE gets NOK)', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    // (1) our BYE first: the peer BYE is relayed and answered by the app; the 200 to ours is relayed.
    const d = await establishUas(wire, peer, t);
    const ourBye = await appRequest(wire, srfRequest('BYE', 'sip:placeholder'), {
      dialogId: d.dialogId,
    });
    const byeOnWire = await peer.next((m) => isRequest(m, 'BYE') && m.text.includes(d.callId));
    peerInDialog(peer, t, d, 'BYE');
    const theirs = await requestFrame(wire, 'BYE', d.callId);
    await appAnswer(wire, theirs, 200, 'OK');
    await peer.next((m) => isResponse(m, 200, 'BYE') && m.text.includes(d.callId));
    peer.send(
      `SIP/2.0 200 OK\r\n${byeOnWire.text
        .split('\r\n')
        .slice(1)
        .filter((l) => /^(via|from|to|call-id|cseq):/i.test(l))
        .join('\r\n')}\r\nContent-Length: 0\r\n\r\n`,
      server(t),
    );
    const relayed = await wire.next(
      (f) =>
        f.type === 'sip' &&
        f.sip.startsWith('SIP/2.0 200') &&
        f.sip.includes(d.callId) &&
        /CSeq:\s*\d+ BYE/i.test(f.sip),
    );
    expect(relayed.tokens[8]).toBe(ourBye.tokens[10]);
    expect(relayed.tokens[9]).toBe(d.dialogId);
    // (2) the peer BYE first: the app BYE afterwards gets NOK and sends nothing.
    const d2 = await establishUas(wire, peer, t);
    peerInDialog(peer, t, d2, 'BYE');
    const theirs2 = await requestFrame(wire, 'BYE', d2.callId);
    const before = peer.received.length;
    const late = await appRequest(wire, srfRequest('BYE', 'sip:placeholder'), {
      dialogId: d2.dialogId,
    });
    expect(late.tokens[3]).toBe('NOK');
    expect(late.tokens[4]).toMatch(/unable to find dialog/);
    await appAnswer(wire, theirs2, 200, 'OK');
    await sleep(200);
    expect(peer.received.slice(before).filter((m) => isRequest(m, 'BYE'))).toHaveLength(0);
  });

  it('§11.39 sends 100 to a re-INVITE, 491 to a tag-less INVITE on an established dialog, and lets glare re-INVITEs reach the app', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const d = await establishUas(wire, peer, t);
    const reinvite1 = peerInDialog(peer, t, d, 'INVITE', { body: PEER_SDP });
    await peer.next((m) => isResponse(m, 100) && /CSeq:\s*2 INVITE/i.test(m.text));
    const re1 = await wire.next(
      (f) => f.type === 'sip' && f.sip.startsWith('INVITE') && /CSeq:\s*2 INVITE/i.test(f.sip),
    );
    expect(re1.tokens[9]).toBe(d.dialogId);
    const reinvite2 = peerInDialog(peer, t, d, 'INVITE', { body: PEER_SDP });
    const re2 = await wire.next(
      (f) => f.type === 'sip' && f.sip.startsWith('INVITE') && /CSeq:\s*3 INVITE/i.test(f.sip),
    );
    expect(re2.tokens[9]).toBe(d.dialogId);
    await appAnswer(wire, re1, 200, 'OK', { body: APP_SDP });
    await appAnswer(wire, re2, 491, 'Request Pending');
    const ok1 = await peer.next((m) => isResponse(m, 200) && /CSeq:\s*2 INVITE/i.test(m.text));
    const r491 = await peer.next((m) => isResponse(m, 491) && /CSeq:\s*3 INVITE/i.test(m.text));
    peer.send(buildAck(reinvite1, ok1.text, serverUri(t), { port: peer.port }), server(t));
    peer.send(
      buildAck(reinvite2, r491.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    // An INVITE without To tag on the established Call-ID and From tag, new branch.
    const stray = buildRequest({
      method: 'INVITE',
      uri: serverUri(t),
      from: { port: peer.port, tag: d.fromTag },
      to: { uri: serverUri(t) },
      callId: d.callId,
      cseq: 1,
      body: PEER_SDP,
    });
    peer.send(stray, server(t));
    await peer.next((m) => isResponse(m, 491) && /CSeq:\s*1 INVITE/i.test(m.text));
  });
});
