/**
 * drachtio-wire.md §11, "UAC" (items 40-48b): the server sending requests
 * for the app — provisional and final handling, ACK routing, 2xx
 * retransmissions, CANCEL timing and races, timers B and C, re-INVITE then
 * BYE, digest retry, reliable provisionals both ways, forked 2xx.
 */
import { describe, expect, it } from 'vitest';
import { sleep, useChecklist } from './helpers/harness.ts';
import { PEER_SDP, buildResponse } from './helpers/peer.ts';
import {
  APP_SDP,
  appAnswer,
  appInvite,
  appRequest,
  establishUac,
  isRequest,
  isResponse,
  peerInvite,
  peerRespond,
  requestFrame,
  responseFrame,
  server,
  srfRequest,
} from './helpers/flows.ts';
import { type SentRequest, destroyDialog, onceDestroyed, sdp } from './helpers/srf.ts';
import { headerValue } from './helpers/wire.ts';

const c = useChecklist({ timerCMs: 3000 });
const branchOf = (text: string) => /branch=([^;\s]+)/.exec(headerValue(text, 'Via') ?? '')?.[1];
const cseqOf = (text: string) => headerValue(text, 'CSeq') ?? '';

describe('§11 UAC', () => {
  it('§11.40 absorbs 100, relays 180 with the dialog id and the 200; the app ACK goes to the 200 Contact with the INVITE CSeq and both tags', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const contactPeer = await c.peer();
    const call = await appInvite(wire, peer);
    peerRespond(peer, server(t), call.invite.text, 100, 'Trying', {});
    peerRespond(peer, server(t), call.invite.text, 180, 'Ringing', { toTag: 'rtag' });
    const ring = await responseFrame(wire, 180, call.callId);
    expect(ring.tokens[9]).toBe(call.dialogId);
    peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'rtag',
      headers: [`Contact: <sip:callee@127.0.0.1:${contactPeer.port}>`],
      body: PEER_SDP,
    });
    const ok = await responseFrame(wire, 200, call.callId);
    expect(ok.tokens[9]).toBe(call.dialogId);
    expect(
      wire.frames.filter(
        (f) => f.type === 'sip' && f.sip.startsWith('SIP/2.0 100') && f.sip.includes(call.callId),
      ),
    ).toHaveLength(0);
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
    const ack = await contactPeer.next((m) => isRequest(m, 'ACK'));
    expect(ack.text.split('\r\n')[0]).toBe(`ACK sip:callee@127.0.0.1:${contactPeer.port} SIP/2.0`);
    expect(cseqOf(ack.text)).toBe(`${cseqOf(call.invite.text).split(' ')[0]} ACK`);
    expect(headerValue(ack.text, 'From')).toContain(`tag=${call.localTag}`);
    expect(headerValue(ack.text, 'To')).toContain('tag=rtag');
  });

  it('§11.41 re-sends the app ACK itself for a retransmitted 2xx and drops 2xx copies before the app ACK, relaying only one', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    const okText = peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'r1',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await responseFrame(wire, 200, call.callId);
    peer.send(okText, server(t)); // before the app's ACK: dropped
    await sleep(100);
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
    await peer.next((m) => isRequest(m, 'ACK'));
    peer.send(okText, server(t)); // after: the server re-sends the ACK
    await peer.next((m) => isRequest(m, 'ACK') && peer.matching(/^ACK /).length === 2);
    await sleep(100);
    expect(
      wire.frames.filter(
        (f) => f.type === 'sip' && f.sip.startsWith('SIP/2.0 200') && f.sip.includes(call.callId),
      ),
    ).toHaveLength(1);
  });

  it('§11.42 ACKs a non-2xx final in the transaction layer (same branch) and refuses the app ACK without sending anything', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    peerRespond(peer, server(t), call.invite.text, 486, 'Busy Here', { toTag: 'r1' });
    const ack = await peer.next((m) => isRequest(m, 'ACK'));
    expect(branchOf(ack.text)).toBe(branchOf(call.invite.text));
    expect(headerValue(ack.text, 'To')).toContain('tag=r1');
    await responseFrame(wire, 486, call.callId);
    const refused = await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
    expect(refused.tokens[3]).toBe('NOK');
    await sleep(200);
    expect(peer.matching(/^ACK /)).toHaveLength(1);
  });

  it('§11.43 holds a CANCEL until the first provisional; with none the INVITE ends in 408 (Timer B)', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    const echo = await appRequest(wire, srfRequest('CANCEL', `sip:peer@127.0.0.1:${peer.port}`), {
      txnId: call.txnId,
    });
    expect(echo.tokens[3]).toBe('OK');
    await sleep(300);
    expect(peer.matching(/^CANCEL /)).toHaveLength(0);
    peerRespond(peer, server(t), call.invite.text, 180, 'Ringing', { toTag: 'r1' });
    const cancel = await peer.next((m) => isRequest(m, 'CANCEL'));
    expect(branchOf(cancel.text)).toBe(branchOf(call.invite.text));
    peer.send(buildResponse(cancel.text, 200, 'OK', { toTag: 'r1' }), server(t));
    peerRespond(peer, server(t), call.invite.text, 487, 'Request Terminated', { toTag: 'r1' });
    await responseFrame(wire, 487, call.callId);
    // No provisional ever: 408 after 64×T1, and no CANCEL on the wire.
    const silent = await c.peer();
    const call2 = await appInvite(wire, silent);
    await appRequest(wire, srfRequest('CANCEL', `sip:peer@127.0.0.1:${silent.port}`), {
      txnId: call2.txnId,
    });
    const r408 = await responseFrame(wire, 408, call2.callId, 64 * t.timers.t1Ms + 5000);
    expect(r408.tokens[8]).toBe(call2.txnId);
    expect(silent.matching(/^CANCEL /)).toHaveLength(0);
  }, 60_000);

  it('§11.44 resolves a 200 that crossed the CANCEL, then sends ACK and BYE "ACK-BYE due to cancel race condition" with an unsolicited BYE', async () => {
    const t = c.target();
    const app = await c.srf();
    const peer = await c.peer();
    let sent: SentRequest | undefined;
    const dialogP = app.srf.createUAC(
      `sip:race@127.0.0.1:${peer.port}`,
      { localSdp: sdp() },
      {
        cbRequest: (_e, req) => {
          sent = req;
        },
      },
    );
    const inv = await peer.next((m) => isRequest(m, 'INVITE'));
    peerRespond(peer, server(t), inv.text, 180, 'Ringing', { toTag: 'r1' });
    while (!sent) await sleep(5);
    await sleep(50);
    sent.cancel();
    const cancel = await peer.next((m) => isRequest(m, 'CANCEL'));
    peerRespond(peer, server(t), inv.text, 200, 'OK', {
      toTag: 'r1',
      headers: [`Contact: <sip:race@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    peer.send(buildResponse(cancel.text, 200, 'OK', { toTag: 'r1' }), server(t));
    const dialog = await dialogP;
    const destroyed = onceDestroyed(dialog);
    const ack = await peer.next((m) => isRequest(m, 'ACK'));
    const bye = await peer.next((m) => isRequest(m, 'BYE'));
    expect(peer.received.indexOf(ack)).toBeLessThan(peer.received.indexOf(bye));
    expect(headerValue(bye.text, 'Reason')).toBe(
      'SIP;cause=200;text="ACK-BYE due to cancel race condition"',
    );
    expect((await destroyed).reason).toBe('ACK-BYE due to cancel race condition');
    peer.send(buildResponse(bye.text, 200, 'OK'), server(t));
  });

  it('§11.45 CANCELs a call that rings past Timer C (shortened to 3 s here; 185 s on drachtio-server)', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    peerRespond(peer, server(t), call.invite.text, 180, 'Ringing', { toTag: 'r1' });
    const cancel = await peer.next((m) => isRequest(m, 'CANCEL'), t.timers.timerCMs + 10_000);
    expect(branchOf(cancel.text)).toBe(branchOf(call.invite.text));
    peer.send(buildResponse(cancel.text, 200, 'OK', { toTag: 'r1' }), server(t));
    peerRespond(peer, server(t), call.invite.text, 487, 'Request Terminated', { toTag: 'r1' });
    const r487 = await responseFrame(wire, 487, call.callId);
    expect(r487.tokens[8]).toBe(call.txnId);
  }, 240_000);

  it('§11.46 CANCELs its own pending re-INVITE before sending the app BYE', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const d = await establishUac(wire, peer, t);
    await appRequest(wire, srfRequest('INVITE', 'sip:placeholder', [], APP_SDP), {
      dialogId: d.dialogId,
    });
    const reinvite = await peer.next(
      (m) =>
        isRequest(m, 'INVITE') &&
        m.text.includes('tag=') &&
        /tag=ct/.test(headerValue(m.text, 'To') ?? ''),
    );
    peer.send(buildResponse(reinvite.text, 100, 'Trying'), server(t));
    await sleep(50);
    const since = peer.received.length;
    await appRequest(wire, srfRequest('BYE', 'sip:placeholder'), { dialogId: d.dialogId });
    const cancel = await peer.next((m) => isRequest(m, 'CANCEL'), 5000, since);
    const bye = await peer.next((m) => isRequest(m, 'BYE'), 5000, since);
    expect(branchOf(cancel.text)).toBe(branchOf(reinvite.text));
    expect(peer.received.indexOf(cancel)).toBeLessThan(peer.received.indexOf(bye));
    peer.send(buildResponse(cancel.text, 200, 'OK'), server(t));
    peer.send(buildResponse(reinvite.text, 487, 'Request Terminated'), server(t));
    peer.send(buildResponse(bye.text, 200, 'OK'), server(t));
  });

  it('§11.47 re-sends after a 401 challenge with srf auth: same Call-ID and From tag, CSeq + 1, to the ROUTEURI; cancel then targets the new transaction', async () => {
    const t = c.target();
    const app = await c.srf();
    const peer = await c.peer();
    const uri = `sip:+15550100@127.0.0.1:${peer.port}`;
    const challenge = [
      'WWW-Authenticate: Digest realm="trunk.test", nonce="abc123", algorithm=MD5, qop="auth"',
    ];
    const callP = app.srf.createUAC(uri, {
      localSdp: sdp(),
      auth: { username: 'bob', password: 'secret' },
    });
    const first = await peer.next((m) => isRequest(m, 'INVITE'));
    peerRespond(peer, server(t), first.text, 401, 'Unauthorized', {
      toTag: 'a1',
      headers: challenge,
    });
    await peer.next((m) => isRequest(m, 'ACK'));
    const second = await peer.next((m) => isRequest(m, 'INVITE') && m !== first);
    expect(headerValue(second.text, 'Call-ID')).toBe(headerValue(first.text, 'Call-ID'));
    expect(headerValue(second.text, 'From')).toBe(headerValue(first.text, 'From'));
    expect(Number(cseqOf(second.text).split(' ')[0])).toBe(
      Number(cseqOf(first.text).split(' ')[0]) + 1,
    );
    // Re-printed as drachtio-server's stack does: ", " between the parameters
    // (srf writes them without spaces).
    const authorization = headerValue(second.text, 'Authorization') ?? '';
    expect(authorization).toMatch(/^Digest username="bob", realm="trunk\.test", /);
    expect(authorization).not.toMatch(/,(?! )/);
    expect(second.text.split('\r\n')[0]).toBe(`INVITE ${uri} SIP/2.0`);
    expect(headerValue(second.text, 'Route')).toBeUndefined();
    peerRespond(peer, server(t), second.text, 200, 'OK', {
      toTag: 'a2',
      headers: [`Contact: <sip:trunk@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    const dialog = await callP;
    const hangup = destroyDialog(dialog);
    const byeReq = await peer.next((m) => isRequest(m, 'BYE'));
    peer.send(buildResponse(byeReq.text, 200, 'OK'), server(t));
    await hangup;
    // Cancel after a challenge: the CANCEL carries the retried INVITE's branch.
    let sent: SentRequest | undefined;
    const call2 = app.srf.createUAC(
      uri,
      { localSdp: sdp(), auth: { username: 'bob', password: 'secret' } },
      {
        cbRequest: (_e, req) => {
          sent = req;
        },
      },
    );
    const f2 = await peer.next(
      (m) =>
        isRequest(m, 'INVITE') &&
        m.text.includes('tag=') &&
        !m.text.includes(headerValue(first.text, 'Call-ID') ?? '#'),
    );
    peerRespond(peer, server(t), f2.text, 401, 'Unauthorized', { toTag: 'b1', headers: challenge });
    const s2 = await peer.next(
      (m) =>
        isRequest(m, 'INVITE') &&
        m !== f2 &&
        headerValue(m.text, 'Call-ID') === headerValue(f2.text, 'Call-ID'),
    );
    peerRespond(peer, server(t), s2.text, 180, 'Ringing', { toTag: 'b2' });
    await sleep(100);
    sent?.cancel();
    const cancel = await peer.next((m) => isRequest(m, 'CANCEL'));
    expect(branchOf(cancel.text)).toBe(branchOf(s2.text));
    peer.send(buildResponse(cancel.text, 200, 'OK', { toTag: 'b2' }), server(t));
    peerRespond(peer, server(t), s2.text, 487, 'Request Terminated', { toTag: 'b2' });
    await expect(call2).rejects.toMatchObject({ status: 487 });
  });

  it('§11.48 lets srf PRACK a reliable 18x from the peer (early dialog exists before the 200)', async () => {
    const t = c.target();
    const app = await c.srf();
    const peer = await c.peer();
    const callP = app.srf.createUAC(`sip:rel@127.0.0.1:${peer.port}`, {
      localSdp: sdp(),
      headers: { Supported: '100rel' },
    });
    const inv = await peer.next((m) => isRequest(m, 'INVITE'));
    const contact = `Contact: <sip:rel@127.0.0.1:${peer.port}>`;
    peerRespond(peer, server(t), inv.text, 183, 'Session Progress', {
      toTag: 'p1',
      headers: [contact, 'Require: 100rel', 'RSeq: 1'],
      body: PEER_SDP,
    });
    const prack = await peer.next((m) => isRequest(m, 'PRACK'));
    expect(headerValue(prack.text, 'RAck')).toBe(`1 ${cseqOf(inv.text).split(' ')[0]} INVITE`);
    expect(headerValue(prack.text, 'To')).toContain('tag=p1');
    peer.send(buildResponse(prack.text, 200, 'OK'), server(t));
    peerRespond(peer, server(t), inv.text, 200, 'OK', {
      toTag: 'p1',
      headers: [contact],
      body: PEER_SDP,
    });
    const dialog = await callP;
    await peer.next((m) => isRequest(m, 'ACK'));
    const bye = destroyDialog(dialog);
    const byeReq = await peer.next((m) => isRequest(m, 'BYE'));
    peer.send(buildResponse(byeReq.text, 200, 'OK'), server(t));
    await bye;
  });

  it('§11.48a rejects the INVITE with a 5xx when the app reliable 18x is never PRACKed, and keeps running', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t, { headers: ['Supported: 100rel'] });
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await appAnswer(wire, inv, 183, 'Session Progress', {
      headers: ['Require: 100rel'],
      body: APP_SDP,
    });
    const final = await peer.next(
      (m) => /^SIP\/2\.0 5\d\d /.test(m.text) && m.text.includes(call.callId),
      64 * t.timers.t1Ms + 10_000,
    );
    expect(final.text).toMatch(/CSeq:\s*1 INVITE/i);
    expect(peer.received.filter((m) => isResponse(m, 183)).length).toBeGreaterThan(1);
    const late = await appAnswer(wire, inv, 200, 'OK', { body: APP_SDP });
    expect(late.tokens[3]).toBe('NOK');
    const pong = await wire.call(['ping']);
    expect(pong.tokens.slice(3)).toEqual(['OK', 'pong']);
  }, 60_000);

  it('§11.48b does not relay a second 2xx with another To tag (forked)', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'fork1',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await responseFrame(wire, 200, call.callId);
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
    peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'fork2',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await sleep(300);
    expect(
      wire.frames.filter(
        (f) => f.type === 'sip' && f.sip.startsWith('SIP/2.0 200') && f.sip.includes(call.callId),
      ),
    ).toHaveLength(1);
  });
});
