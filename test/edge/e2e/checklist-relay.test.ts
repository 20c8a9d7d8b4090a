/**
 * drachtio-wire.md §11, "S→A relay format" (items 8-12): token layout of
 * `sip` frames, dialog ids, the relayed top Via, 100 absorption, and the
 * locally generated 408. Every relayed SIP text goes through srf's parser.
 */
import { describe, expect, it } from 'vitest';
import { loadTortureCorpus } from '../parser/torture-data.ts';
import { sleep, useChecklist } from './helpers/harness.ts';
import { PEER_SDP, buildAck, buildRequest, rand } from './helpers/peer.ts';
import {
  APP_SDP,
  appAnswer,
  appInvite,
  appRequest,
  establishUas,
  isResponse,
  oracle,
  peerInDialog,
  peerRespond,
  requestFrame,
  responseFrame,
  server,
  serverUri,
  srfRequest,
} from './helpers/flows.ts';
import { sdp, tagOf } from './helpers/srf.ts';
import { headerValue } from './helpers/wire.ts';

const c = useChecklist();

describe('§11 S→A relay format', () => {
  it('§11.8 gives every sip frame ≥ 11 tokens and receivedOn only on new requests', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const d = await establishUas(wire, peer, t);
    expect(d.inviteFrame.tokens).toHaveLength(13);
    expect(d.inviteFrame.tokens.slice(10, 13)).toEqual([t.sipHost, String(t.sipPort), '']);
    peerInDialog(peer, t, d, 'INFO', {
      body: 'Signal=5\r\n',
      contentType: 'application/dtmf-relay',
    });
    const info = await requestFrame(wire, 'INFO', d.callId);
    expect(info.tokens).toHaveLength(11);
    expect(info.tokens[10]).toBe('');
    for (const f of wire.frames.filter((x) => x.type === 'sip'))
      expect(f.tokens.length).toBeGreaterThanOrEqual(11);
    await appAnswer(wire, info, 200, 'OK');
    // srf sees receivedOn on a new request.
    const app = await c.srf();
    const receivedOn: string[] = [];
    app.srf.invite((req, res) => {
      receivedOn.push((req as unknown as { receivedOn?: string }).receivedOn ?? '');
      res.send(486);
    });
    wire.close();
    await sleep(100);
    const call2 = buildRequest({
      method: 'INVITE',
      uri: serverUri(t),
      from: { port: peer.port },
      to: { uri: serverUri(t) },
      callId: `c-${rand()}`,
      cseq: 1,
      body: PEER_SDP,
    });
    peer.send(call2, server(t));
    const busy = await peer.next((m) => isResponse(m, 486));
    peer.send(
      buildAck(call2, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    expect(receivedOn).toEqual([`${t.sipHost}:${t.sipPort}`]);
  });

  it('§11.9 uses one dialog id <Call-ID>;from-tag=<creating INVITE From tag> on every frame of the dialog', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    // UAS side: echo, ACK relay and in-dialog requests carry callid;from-tag=<caller tag>.
    const uas = await establishUas(wire, peer, t);
    const uasId = `${uas.callId};from-tag=${uas.fromTag}`;
    expect(uas.dialogId).toBe(uasId);
    const ack = await requestFrame(wire, 'ACK', uas.callId);
    expect(ack.tokens[9]).toBe(uasId);
    peerInDialog(peer, t, uas, 'BYE');
    const uasBye = await requestFrame(wire, 'BYE', uas.callId);
    expect(uasBye.tokens[9]).toBe(uasId);
    await appAnswer(wire, uasBye, 200, 'OK');
    // UAC side: 180, 200 and the callee's BYE (From = callee) carry callid;from-tag=<our tag>.
    const call = await appInvite(wire, peer);
    peerRespond(peer, server(t), call.invite.text, 180, 'Ringing', { toTag: 'r1' });
    expect((await responseFrame(wire, 180, call.callId)).tokens[9]).toBe(call.dialogId);
    peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'r1',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    expect((await responseFrame(wire, 200, call.callId)).tokens[9]).toBe(call.dialogId);
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
    const calleeBye = buildRequest({
      method: 'BYE',
      uri: `sip:${t.sipHost}:${t.sipPort}`,
      from: { port: peer.port, tag: 'r1' },
      to: { uri: `sip:peer@127.0.0.1:${peer.port}`, tag: call.localTag },
      callId: call.callId,
      cseq: 1,
    }).replace(/^To: .*$/m, `To: ${headerValue(call.echo.sip, 'From')}`);
    peer.send(calleeBye, server(t));
    const bye = await requestFrame(wire, 'BYE', call.callId);
    expect(bye.tokens[9]).toBe(call.dialogId);
    await appAnswer(wire, bye, 200, 'OK');
    // Non-2xx to a UAC INVITE: the dialog id is there too.
    const busyCall = await appInvite(wire, peer);
    peerRespond(peer, server(t), busyCall.invite.text, 486, 'Busy Here', { toTag: 'r2' });
    expect((await responseFrame(wire, 486, busyCall.callId)).tokens[9]).toBe(busyCall.dialogId);
    // srf finds a UAS dialog by Call-ID and From tag.
    wire.close();
    const app = await c.srf();
    const found: boolean[] = [];
    app.srf.invite(async (req, res) => {
      await app.srf.createUAS(req, res, { localSdp: sdp() });
      found.push(
        Boolean(
          app.srf.findDialogByCallIDAndFromTag(req.get('Call-ID'), tagOf(req.get('From')) ?? ''),
        ),
      );
    });
    await sleep(100);
    const inv = buildRequest({
      method: 'INVITE',
      uri: serverUri(t),
      from: { port: peer.port, tag: 'ft9' },
      to: { uri: serverUri(t) },
      callId: `c-${rand()}`,
      cseq: 1,
      body: PEER_SDP,
    });
    peer.send(inv, server(t));
    const ok = await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes('ft9'));
    peer.send(buildAck(inv, ok.text, serverUri(t), { port: peer.port }), server(t));
    await sleep(100);
    expect(found).toEqual([true]);
  });

  it('§11.10 relays the top Via with rport (and received) and every other byte verbatim', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const callId = `c-${rand()}`;
    const lines = [
      `INVITE ${serverUri(t)} SIP/2.0`,
      'v:  SIP/2.0/UDP   192.0.2.7:5999 ; branch=z9hG4bK-odd1 ;Foo=Bar',
      'Via: SIP/2.0/UDP 192.0.2.8:5060;branch=z9hG4bK-second',
      `f: "Odd" <sip:odd@127.0.0.1:${peer.port}>;tag=oddtag`,
      `t: <${serverUri(t)}>`,
      `i: ${callId}`,
      'CSeq:    1   INVITE',
      `m: <sip:odd@127.0.0.1:${peer.port}>`,
      'Max-Forwards: 70',
      'X-Custom:   spaced   value ',
      'c: application/sdp',
      `l: ${Buffer.byteLength(PEER_SDP)}`,
      '',
      PEER_SDP,
    ];
    peer.send(lines.join('\r\n'), server(t));
    const f = await requestFrame(wire, 'INVITE', callId);
    const relayed = f.sip.split('\r\n');
    const via = relayed[1] ?? '';
    expect(via).toMatch(/^Via: SIP\/2\.0\/UDP 192\.0\.2\.7:5999;branch=z9hG4bK-odd1;Foo=Bar/);
    expect(via).toContain(`rport=${peer.port}`);
    expect(via).toContain('received=127.0.0.1');
    // Everything but the top Via, body included, byte for byte.
    expect([relayed[0], ...relayed.slice(2)].join('\r\n')).toBe(
      [lines[0], ...lines.slice(2)].join('\r\n'),
    );
    expect(oracle(f).get('Call-ID')).toBe(callId);
    await appAnswer(wire, f, 486, 'Busy Here');
  });

  it('relays a REGISTER whose To and From are not SIP URIs (RFC 4475 unksm2) for the app to refuse', async () => {
    const t = c.target();
    const wire = await c.wire(['register']);
    const peer = await c.peer();
    // The torture message as is, with a Call-ID of its own.
    const callId = `unksm2.${rand()}@hyphenated-host.example.com`;
    const corpus = loadTortureCorpus();
    if (!corpus.ok) throw new Error(corpus.missing);
    const unksm2 = corpus.cases.find((m) => m.name === 'unksm2');
    if (unksm2 === undefined)
      throw new Error('RFC 4475 message unksm2 is missing from ACD_SHARED_DIR');
    const text = unksm2.bytes.toString('utf8').replace(/^Call-ID: .*$/m, `Call-ID: ${callId}`);
    peer.send(text, server(t));
    const f = await requestFrame(wire, 'REGISTER', callId);
    const o = oracle(f);
    expect(o.get('to')).toBe('isbn:2983792873');
    expect(o.get('from')).toBe('<http://www.example.com>;tag=3234233');
    expect(o.get('contact')).toBe('<name:John_Smith>');
    await appAnswer(wire, f, 400, 'Bad Request');
    const refused = await peer.next((m) => isResponse(m, 400) && m.text.includes(callId));
    // The app's answer, not one of the server's own: exactly one.
    expect(peer.received.filter((m) => m.text.includes(callId))).toEqual([refused]);
    expect(headerValue(refused.text, 'To')).toMatch(/^isbn:2983792873;tag=/);
  });

  it('§11.11 never relays 100 Trying to the app; 180, 183 and 200 are relayed', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer);
    for (const [code, reason] of [
      [100, 'Trying'],
      [180, 'Ringing'],
      [183, 'Session Progress'],
    ] as const) {
      peerRespond(peer, server(t), call.invite.text, code, reason, {
        toTag: code === 100 ? undefined : 'r1',
      });
    }
    peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'r1',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await responseFrame(wire, 200, call.callId);
    await sleep(100);
    const statuses = wire.frames
      .filter((f) => f.type === 'sip' && f.sip.includes(call.callId))
      .map((f) => oracle(f).status);
    expect(statuses).toEqual([180, 183, 200]);
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`), {
      dialogId: call.dialogId,
    });
  });

  it('§11.12 relays a locally generated 408 (Timer F and Timer B) with the request transaction id', async () => {
    const t = c.target();
    const wire = await c.wire();
    const silent = await c.peer();
    const optEcho = await appRequest(
      wire,
      srfRequest('OPTIONS', `sip:dead@127.0.0.1:${silent.port}`),
    );
    const inv = await appInvite(wire, silent, [], APP_SDP, 'dead');
    const wait = 64 * t.timers.t1Ms + 5000;
    const optCallId = headerValue(optEcho.sip, 'Call-ID') ?? '';
    const f408 = await responseFrame(wire, 408, optCallId, wait);
    expect(f408.tokens[8]).toBe(optEcho.tokens[10]);
    expect(f408.tokens[9]).toBe('');
    expect(oracle(f408).status).toBe(408);
    const b408 = await responseFrame(wire, 408, inv.callId, wait);
    expect(b408.tokens[8]).toBe(inv.txnId);
    expect(b408.tokens[9]).toBe(inv.dialogId);
    // The silent peer saw retransmissions (UDP), then nothing more.
    expect(silent.received.filter((m) => m.text.startsWith('OPTIONS')).length).toBeGreaterThan(1);
  }, 120_000);
});
