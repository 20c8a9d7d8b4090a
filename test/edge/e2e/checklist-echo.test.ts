/**
 * drachtio-wire.md §11, "Echo and ordering" (items 13-18): one answer per
 * A→S frame, echo token layout, echoed text = what went on the wire, echo
 * before related network traffic, exact NOK reasons.
 */
import { describe, expect, it } from 'vitest';
import { sleep, useChecklist } from './helpers/harness.ts';
import { buildAck, buildCancel, buildResponse } from './helpers/peer.ts';
import {
  APP_SDP,
  appAnswer,
  appInvite,
  appRequest,
  establishUas,
  isRequest,
  isResponse,
  oracle,
  peerInDialog,
  peerInvite,
  peerRespond,
  requestFrame,
  responseFrame,
  server,
  serverUri,
  srfRequest,
} from './helpers/flows.ts';
import { headerValue } from './helpers/wire.ts';

const c = useChecklist();

describe('§11 echo and ordering', () => {
  it('§11.13 answers every A→S sip frame with exactly one response frame', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const ids = [
      wire.send(['sip', '', ''], srfRequest('OPTIONS', `sip:x@127.0.0.1:${peer.port}`)),
      wire.send(['sip', 'no-such-txn', ''], 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'),
      wire.send(['sip', '', 'no-such-dialog'], srfRequest('BYE', 'sip:placeholder')),
      wire.send(['sip', 'no-such-txn', ''], srfRequest('CANCEL', `sip:x@127.0.0.1:${peer.port}`)),
      wire.send(['sip', '', ''], srfRequest('OPTIONS', serverUri(t))),
    ];
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    ids.push(
      wire.send(
        ['sip', inv.tokens[8] ?? '', ''],
        `SIP/2.0 180 Ringing\r\nCall-ID: ${call.callId}\r\ncseq: 1 INVITE\r\nfrom: ${headerValue(inv.sip, 'From')}\r\nto: ${headerValue(inv.sip, 'To')}\r\nContent-Length: 0\r\n\r\n`,
      ),
    );
    ids.push(
      wire.send(
        ['sip', inv.tokens[8] ?? '', ''],
        `SIP/2.0 486 Busy Here\r\nCall-ID: ${call.callId}\r\ncseq: 1 INVITE\r\nfrom: ${headerValue(inv.sip, 'From')}\r\nto: ${headerValue(inv.sip, 'To')}\r\nContent-Length: 0\r\n\r\n`,
      ),
    );
    await sleep(500);
    for (const id of ids) {
      expect(
        wire.frames.filter((f) => f.type === 'response' && f.tokens[2] === id),
        `answers to ${id}`,
      ).toHaveLength(1);
    }
    const busy = await peer.next((m) => isResponse(m, 486));
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
  });

  it('§11.14 lays out request echoes (txn at 10, 13 tokens) and response echoes (txn 10, dialog 11, Msg sent: 13)', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    expect(call.echo.tokens).toHaveLength(13);
    expect(call.echo.tokens.slice(3, 5)).toEqual(['OK', 'application']);
    expect(call.echo.tokens[10]).toMatch(/\S/);
    expect(call.echo.tokens.slice(11)).toEqual(['Msg sent:', '']);
    peerRespond(peer, server(t), call.invite.text, 486, 'Busy Here');
    await responseFrame(wire, 486, call.callId);
    // Response echo to an INVITE: dialog id at 11.
    const d = await establishUas(wire, peer, t);
    expect(d.echo.tokens).toHaveLength(15);
    expect(d.echo.tokens[10]).toBe(d.inviteFrame.tokens[8]);
    expect(d.echo.tokens[11]).toBe(`${d.callId};from-tag=${d.fromTag}`);
    expect(d.echo.tokens.slice(12)).toEqual(['', 'Msg sent:', '']);
    // 200 to an in-dialog INFO: dialog id (the dialog still exists).
    peerInDialog(peer, t, d, 'INFO', {
      body: 'Signal=5\r\n',
      contentType: 'application/dtmf-relay',
    });
    const info = await requestFrame(wire, 'INFO', d.callId);
    const infoEcho = await appAnswer(wire, info, 200, 'OK');
    expect(infoEcho.tokens[11]).toBe(d.dialogId);
    // 200 to BYE: the real server leaves the dialog id empty; §12.4 lets the embedded one do either.
    peerInDialog(peer, t, d, 'BYE');
    const bye = await requestFrame(wire, 'BYE', d.callId);
    const byeEcho = await appAnswer(wire, bye, 200, 'OK');
    expect(byeEcho.tokens).toHaveLength(15);
    expect(['', d.dialogId]).toContain(byeEcho.tokens[11]);
  });

  it('§11.15 echoes the request exactly as it went on the wire', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer, ['from: sip:2000@localhost', 'X-Test: echo']);
    expect(call.echo.sip).toBe(call.invite.text);
    const sent = oracle(call.echo);
    expect(sent.get('Via')).toMatch(/branch=z9hG4bK/);
    expect(sent.get('From')).toMatch(/;tag=/);
    expect(sent.get('Call-ID')).toMatch(/\S/);
    expect(sent.get('CSeq')).toMatch(/^\d+ INVITE$/);
    expect(sent.get('Max-Forwards')).toBe('70');
    expect(sent.get('Contact')).toMatch(/^<sip:/);
    expect(sent.get('Content-Type')).toBe('application/sdp');
    expect(Number(sent.get('Content-Length'))).toBe(Buffer.byteLength(APP_SDP));
    expect(sent.body).toBe(APP_SDP);
    peerRespond(peer, server(t), call.invite.text, 486, 'Busy Here');
    await responseFrame(wire, 486, call.callId);
  });

  it('§11.16 writes the echo of a request before any relayed response, even to an instant peer', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    for (let i = 0; i < 20; i++) {
      const since = peer.received.length;
      const id = wire.send(
        ['sip', '', ''],
        srfRequest('OPTIONS', `sip:fast@127.0.0.1:${peer.port}`),
      );
      const req = await peer.next((m) => isRequest(m, 'OPTIONS'), 5000, since);
      peer.send(buildResponse(req.text, 200, 'OK', { toTag: 'x' }), server(t));
      const callId = headerValue(req.text, 'Call-ID') ?? '';
      const relay = await responseFrame(wire, 200, callId);
      const echoIdx = wire.frames.findIndex((f) => f.type === 'response' && f.tokens[2] === id);
      expect(echoIdx).toBeGreaterThanOrEqual(0);
      expect(echoIdx).toBeLessThan(wire.frames.indexOf(relay));
    }
  });

  it('§11.17 writes the echo of a 2xx before the ACK relay and in-dialog requests that follow at once', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    for (let i = 0; i < 10; i++) {
      const call = peerInvite(peer, t);
      const inv = await requestFrame(wire, 'INVITE', call.callId);
      const since = peer.received.length;
      const id = wire.send(
        ['sip', inv.tokens[8] ?? '', ''],
        `SIP/2.0 200 OK\r\nCall-ID: ${call.callId}\r\ncseq: 1 INVITE\r\nfrom: ${headerValue(inv.sip, 'From')}\r\nto: ${headerValue(inv.sip, 'To')}\r\nContent-Length: ${APP_SDP.length}\r\n\r\n${APP_SDP}`,
      );
      const ok = await peer.next((m) => isResponse(m, 200, 'INVITE'), 5000, since);
      // ACK and BYE back to back, the moment the 200 arrives.
      peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
      const toTag = /tag=([^;>\s]+)/.exec(headerValue(ok.text, 'To') ?? '')?.[1] ?? '';
      peerInDialog(
        peer,
        t,
        { ...call, inviteFrame: inv, echo: inv, ok, dialogId: '', localTag: toTag, nextCseq: 2 },
        'BYE',
      );
      const bye = await requestFrame(wire, 'BYE', call.callId);
      const ack = await requestFrame(wire, 'ACK', call.callId);
      const echoIdx = wire.frames.findIndex((f) => f.type === 'response' && f.tokens[2] === id);
      expect(echoIdx).toBeGreaterThanOrEqual(0);
      expect(echoIdx).toBeLessThan(wire.frames.indexOf(ack));
      expect(echoIdx).toBeLessThan(wire.frames.indexOf(bye));
      await appAnswer(wire, bye, 200, 'OK');
    }
  });

  it('§11.18 gives the documented NOK reasons', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const noDialog = await appRequest(wire, srfRequest('BYE', 'sip:placeholder'), {
      dialogId: 'nope;from-tag=nope',
    });
    expect(noDialog.tokens[3]).toBe('NOK');
    expect(noDialog.tokens[4]).toMatch(/unable to find dialog/i);
    const noTxn = await wire.call(
      ['sip', 'no-such-txn', ''],
      'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n',
    );
    expect(noTxn.tokens.slice(3, 5)).toEqual([
      'NOK',
      'Response not sent due to unknown transaction',
    ]);
    const noCancel = await appRequest(wire, srfRequest('CANCEL', `sip:x@127.0.0.1:${peer.port}`), {
      txnId: 'no-such-txn',
    });
    expect(noCancel.tokens.slice(3, 5)).toEqual([
      'NOK',
      'unable to cancel unknown transaction id: no-such-txn',
    ]);
    const myself = await appRequest(
      wire,
      srfRequest('OPTIONS', `sip:me@${t.sipHost}:${t.sipPort}`),
    );
    expect(myself.tokens.slice(3, 5)).toEqual(['NOK', 'can not send request to myself']);
    // App ACK after a non-2xx final.
    const call = await appInvite(wire, peer);
    peerRespond(peer, server(t), call.invite.text, 486, 'Busy Here');
    await responseFrame(wire, 486, call.callId);
    const ack = await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
    expect(ack.tokens[3]).toBe('NOK');
    expect(ack.tokens[4]).toMatch(
      /ACK for non-success final response is automatically generated by server/,
    );
    // The app answering an incoming CANCEL.
    const inv = peerInvite(peer, t);
    const invFrame = await requestFrame(wire, 'INVITE', inv.callId);
    await appAnswer(wire, invFrame, 180, 'Ringing');
    const ring = await peer.next((m) => isResponse(m, 180) && m.text.includes(inv.callId));
    peer.send(buildCancel(inv.invite), server(t));
    const cancelFrame = await requestFrame(wire, 'CANCEL', inv.callId);
    const answerCancel = await wire.call(
      ['sip', cancelFrame.tokens[8] ?? '', ''],
      `SIP/2.0 200 OK\r\nCall-ID: ${inv.callId}\r\ncseq: 1 CANCEL\r\nfrom: ${headerValue(cancelFrame.sip, 'From')}\r\nto: ${headerValue(cancelFrame.sip, 'To')}\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(answerCancel.tokens[3]).toBe('NOK');
    expect(ring.text).toContain('180');
    const r487 = await peer.next((m) => isResponse(m, 487));
    peer.send(
      buildAck(inv.invite, r487.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
  });
});
