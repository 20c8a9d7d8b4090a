/**
 * drachtio-wire.md §11, "Headers the server fills in" (items 19-28): what
 * the peer receives when the app leaves headers out, supplies forbidden
 * ones, or relies on the server's defaults.
 */
import { describe, expect, it } from 'vitest';
import { sleep, useChecklist } from './helpers/harness.ts';
import { PEER_SDP, buildAck, buildCancel, rand } from './helpers/peer.ts';
import {
  APP_SDP,
  appAnswer,
  appInvite,
  appRequest,
  isRequest,
  isResponse,
  peerInvite,
  peerRespond,
  requestFrame,
  responseFrame,
  server,
  serverUri,
  srfRequest,
} from './helpers/flows.ts';
import { tagOf } from './helpers/srf.ts';
import { headerValue } from './helpers/wire.ts';

const c = useChecklist();
const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);

describe('§11 headers the server fills in', () => {
  it('§11.19 rewrites sip:NNN@localhost in From/To/Contact/P-Asserted-Identity to the SIP address, keeping the display name', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const call = await appInvite(wire, peer, [
      'from: "Alice" <sip:1000@localhost>',
      'contact: sip:1000@localhost',
      'P-Asserted-Identity: "Alice" <sip:1000@localhost>',
    ]);
    const sent = call.invite.text;
    const hp = `${t.sipHost}:${t.sipPort}`;
    expect(headerValue(sent, 'From')).toMatch(
      new RegExp(`^"Alice" <sip:1000@${hp.replace(/\./g, '\\.')}>;tag=\\S+$`),
    );
    expect(headerValue(sent, 'Contact')).toBe(`<sip:1000@${hp}>`);
    expect(headerValue(sent, 'P-Asserted-Identity')).toBe(`"Alice" <sip:1000@${hp}>`);
    expect(sent).not.toContain('localhost');
    peerRespond(peer, server(t), sent, 486, 'Busy Here');
    await responseFrame(wire, 486, call.callId);
  });

  it('§11.20 ignores app Via, Route, Record-Route, RSeq and Content-Length, recomputing the length in bytes', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const body = APP_SDP.replace('s=-', 's=Café ☕');
    const text = [
      `INVITE sip:peer@127.0.0.1:${peer.port} SIP/2.0`,
      'Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bKfake',
      'Route: <sip:198.51.100.66;lr>',
      'Record-Route: <sip:198.51.100.66;lr>',
      'RSeq: 7',
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n');
    const since = peer.received.length;
    const echo = await appRequest(wire, text);
    expect(echo.tokens[3], echo.payload).toBe('OK');
    const got = await peer.next((m) => isRequest(m, 'INVITE'), 5000, since);
    expect(got.text).not.toContain('198.51.100.66');
    expect(got.text).not.toMatch(/^RSeq:/im);
    expect(bodyOf(got.text)).toBe(body);
    expect(Number(headerValue(got.text, 'Content-Length'))).toBe(Buffer.byteLength(body, 'utf8'));
    peerRespond(peer, server(t), got.text, 486, 'Busy Here');
  });

  it('§11.21 adds application/sdp to v=0 bodies (INVITE, 200, re-INVITE, 3PCC ACK) and refuses other untyped request bodies', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    // INVITE without body (3PCC), peer offers in the 200, app ACKs with SDP and no type.
    const since = peer.received.length;
    const echo = await appRequest(wire, srfRequest('INVITE', `sip:peer@127.0.0.1:${peer.port}`));
    const callId = headerValue(echo.sip, 'Call-ID') ?? '';
    const inv = await peer.next((m) => isRequest(m, 'INVITE'), 5000, since);
    const dialogId = `${callId};from-tag=${tagOf(headerValue(echo.sip, 'From'))}`;
    peerRespond(peer, server(t), inv.text, 200, 'OK', {
      toTag: 'r1',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await responseFrame(wire, 200, callId);
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`, [], APP_SDP), {
      dialogId,
    });
    const ack = await peer.next((m) => isRequest(m, 'ACK'), 5000, since);
    expect(headerValue(ack.text, 'Content-Type')).toBe('application/sdp');
    expect(bodyOf(ack.text)).toBe(APP_SDP);
    // re-INVITE with SDP, no type.
    await appRequest(wire, srfRequest('INVITE', 'sip:placeholder', [], APP_SDP), { dialogId });
    const reinv = await peer.next(
      (m) => isRequest(m, 'INVITE') && m.text.includes(callId) && /;tag=r1/.test(m.text),
      5000,
      since,
    );
    expect(headerValue(reinv.text, 'Content-Type')).toBe('application/sdp');
    peerRespond(peer, server(t), reinv.text, 200, 'OK', {
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await wire.next(
      (f) =>
        f.type === 'sip' &&
        f.sip.startsWith('SIP/2.0 200') &&
        /CSeq:\s*\d+ INVITE/i.test(f.sip) &&
        f.sip.includes(callId) &&
        wire.frames.indexOf(f) > 0,
      5000,
    );
    // A 200 from the app with SDP and no type (UAS).
    const call = peerInvite(peer, t);
    const f = await requestFrame(wire, 'INVITE', call.callId);
    await appAnswer(wire, f, 200, 'OK', { body: APP_SDP });
    const ok = await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId));
    expect(headerValue(ok.text, 'Content-Type')).toBe('application/sdp');
    peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
    // MESSAGE with plain text and no type: refused, nothing sent.
    const before = peer.received.length;
    const msg = await appRequest(
      wire,
      srfRequest('MESSAGE', `sip:peer@127.0.0.1:${peer.port}`, [], 'hello there'),
    );
    expect(msg.tokens[3]).toBe('NOK');
    expect(msg.tokens[4]).toMatch(/missing content-type/);
    await sleep(200);
    expect(peer.received.slice(before).filter((m) => isRequest(m, 'MESSAGE'))).toHaveLength(0);
  });

  it('§11.22 keeps x- header names, capitalises other custom names, drops bad names and CR/LF values', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const since = peer.received.length;
    const echo = await appRequest(
      wire,
      srfRequest('OPTIONS', `sip:peer@127.0.0.1:${peer.port}`, [
        'x-foo: 1',
        'my-custom-hdr: 2',
        'bad name: 3',
        'X-Cr: a\rb',
        'nocolon',
      ]),
    );
    expect(echo.tokens[3], echo.payload).toBe('OK');
    const got = await peer.next((m) => isRequest(m, 'OPTIONS'), 5000, since);
    expect(got.text).toMatch(/^x-foo: 1$/m);
    expect(got.text).toMatch(/^My-Custom-Hdr: 2$/m);
    expect(got.text).not.toMatch(/bad name/i);
    expect(got.text).not.toMatch(/^X-Cr/im);
    expect(got.text).not.toMatch(/nocolon/);
    peer.send(
      got.text.startsWith('OPTIONS')
        ? `SIP/2.0 200 OK\r\n${got.text
            .split('\r\n')
            .slice(1)
            .filter((l) => /^(via|from|to|call-id|cseq):/i.test(l))
            .join('\r\n')}\r\nContent-Length: 0\r\n\r\n`
        : '',
      server(t),
    );
  });

  it('§11.23 adds the default Contact only where drachtio does, and the app Contact wins', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const hp = `${t.sipHost}:${t.sipPort}`;
    // UDP request: <sip:HOST:PORT>.
    const call = await appInvite(wire, peer);
    expect(headerValue(call.invite.text, 'Contact')).toBe(`<sip:${hp}>`);
    peerRespond(peer, server(t), call.invite.text, 486, 'Busy Here');
    // TCP request: ;transport=tcp.
    const tcp = await c.tcpPeer();
    await appRequest(
      wire,
      srfRequest('INVITE', `sip:peer@127.0.0.1:${tcp.port};transport=tcp`, [], APP_SDP),
    );
    const tcpInv = await tcp.next((m) => m.text.startsWith('INVITE'));
    expect(headerValue(tcpInv.text, 'Contact')).toBe(`<sip:${hp};transport=tcp>`);
    tcpInv.socket?.write(
      `SIP/2.0 486 Busy Here\r\n${tcpInv.text
        .split('\r\n')
        .slice(1)
        .filter((l) => /^(via|from|to|call-id|cseq):/i.test(l))
        .join('\r\n')
        .replace(/^(To: .*)$/m, '$1;tag=t1')}\r\nContent-Length: 0\r\n\r\n`,
    );
    // UAS: 180 without, 200 with, 486 without; the app's Contact wins.
    const a = peerInvite(peer, t);
    const fa = await requestFrame(wire, 'INVITE', a.callId);
    await appAnswer(wire, fa, 180, 'Ringing');
    await appAnswer(wire, fa, 200, 'OK', { body: APP_SDP });
    const r180 = await peer.next((m) => isResponse(m, 180) && m.text.includes(a.callId));
    const r200 = await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes(a.callId));
    expect(headerValue(r180.text, 'Contact')).toBeUndefined();
    expect(headerValue(r200.text, 'Contact')).toBe(`<sip:${hp}>`);
    peer.send(buildAck(a.invite, r200.text, serverUri(t), { port: peer.port }), server(t));
    const b = peerInvite(peer, t);
    const fb = await requestFrame(wire, 'INVITE', b.callId);
    await appAnswer(wire, fb, 486, 'Busy Here');
    const r486 = await peer.next((m) => isResponse(m, 486) && m.text.includes(b.callId));
    expect(headerValue(r486.text, 'Contact')).toBeUndefined();
    peer.send(
      buildAck(b.invite, r486.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    const d = peerInvite(peer, t);
    const fd = await requestFrame(wire, 'INVITE', d.callId);
    await appAnswer(wire, fd, 200, 'OK', {
      headers: ['contact: <sip:agent@192.0.2.10:5080>'],
      body: APP_SDP,
    });
    const r200d = await peer.next((m) => isResponse(m, 200, 'INVITE') && m.text.includes(d.callId));
    expect(headerValue(r200d.text, 'Contact')).toBe('<sip:agent@192.0.2.10:5080>');
    peer.send(buildAck(d.invite, r200d.text, serverUri(t), { port: peer.port }), server(t));
    // Reliable 183 to an INVITE that supports 100rel: Contact added.
    const e = peerInvite(peer, t, { headers: ['Supported: 100rel'] });
    const fe = await requestFrame(wire, 'INVITE', e.callId);
    await appAnswer(wire, fe, 183, 'Session Progress', {
      headers: ['Require: 100rel'],
      body: APP_SDP,
    });
    const r183 = await peer.next((m) => isResponse(m, 183) && m.text.includes(e.callId));
    expect(headerValue(r183.text, 'Contact')).toBe(`<sip:${hp}>`);
    expect(headerValue(r183.text, 'RSeq')).toMatch(/^\d+$/);
    await appAnswer(wire, fe, 486, 'Busy Here');
  });

  it('§11.24 uses the app-chosen To tag, or one generated tag, on every response, the 200 to CANCEL and the 487', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    for (const appTag of ['apptag123', undefined]) {
      const call = peerInvite(peer, t);
      const f = await requestFrame(wire, 'INVITE', call.callId);
      const to = `${headerValue(f.sip, 'To')}${appTag ? `;tag=${appTag}` : ''}`;
      await wire.call(
        ['sip', f.tokens[8] ?? '', ''],
        `SIP/2.0 180 Ringing\r\nCall-ID: ${call.callId}\r\ncseq: 1 INVITE\r\nfrom: ${headerValue(f.sip, 'From')}\r\nto: ${to}\r\nContent-Length: 0\r\n\r\n`,
      );
      const ring = await peer.next((m) => isResponse(m, 180) && m.text.includes(call.callId));
      const tag = tagOf(headerValue(ring.text, 'To'));
      if (appTag) expect(tag).toBe(appTag);
      else expect(tag).toMatch(/\S/);
      peer.send(buildCancel(call.invite), server(t));
      const okCancel = await peer.next(
        (m) => isResponse(m, 200, 'CANCEL') && m.text.includes(call.callId),
      );
      const r487 = await peer.next((m) => isResponse(m, 487) && m.text.includes(call.callId));
      expect(tagOf(headerValue(okCancel.text, 'To'))).toBe(tag);
      expect(tagOf(headerValue(r487.text, 'To'))).toBe(tag);
      peer.send(
        buildAck(call.invite, r487.text, serverUri(t), { port: peer.port, sameBranch: true }),
        server(t),
      );
    }
  });

  it('§11.25 echoes Record-Route in 18x/2xx and sends in-dialog requests along the route set', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const proxy = await c.peer();
    const rr = `<sip:127.0.0.1:${proxy.port};lr>`;
    const call = peerInvite(peer, t, { headers: [`Record-Route: ${rr}`] });
    const f = await requestFrame(wire, 'INVITE', call.callId);
    await appAnswer(wire, f, 180, 'Ringing');
    const echo = await appAnswer(wire, f, 200, 'OK', { body: APP_SDP });
    const r180 = await peer.next((m) => isResponse(m, 180) && m.text.includes(call.callId));
    const r200 = await peer.next(
      (m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId),
    );
    expect(headerValue(r180.text, 'Record-Route')).toBe(rr);
    expect(headerValue(r200.text, 'Record-Route')).toBe(rr);
    peer.send(buildAck(call.invite, r200.text, serverUri(t), { port: peer.port }), server(t));
    await requestFrame(wire, 'ACK', call.callId);
    await appRequest(wire, srfRequest('BYE', 'sip:placeholder'), { dialogId: echo.tokens[11] });
    const bye = await proxy.next((m) => isRequest(m, 'BYE'));
    expect(headerValue(bye.text, 'Route')).toBe(rr);
    expect(bye.text.split('\r\n')[0]).toBe(`BYE sip:peer@127.0.0.1:${peer.port} SIP/2.0`);
    expect(peer.received.filter((m) => isRequest(m, 'BYE'))).toHaveLength(0);
  });

  it('§11.26 keeps app Call-ID, From tag and CSeq out of dialog; manages CSeq in dialog (ACK and CANCEL reuse the INVITE number)', async () => {
    const t = c.target();
    const wire = await c.wire();
    const peer = await c.peer();
    const callId = `app-chosen-${rand()}`;
    const call = await appInvite(wire, peer, [
      `Call-ID: ${callId}`,
      'from: <sip:me@localhost>;tag=apptag77',
      'cseq: 4711 INVITE',
    ]);
    expect(headerValue(call.invite.text, 'Call-ID')).toBe(callId);
    expect(tagOf(headerValue(call.invite.text, 'From'))).toBe('apptag77');
    expect(headerValue(call.invite.text, 'CSeq')).toBe('4711 INVITE');
    peerRespond(peer, server(t), call.invite.text, 200, 'OK', {
      toTag: 'r1',
      headers: [`Contact: <sip:peer@127.0.0.1:${peer.port}>`],
      body: PEER_SDP,
    });
    await responseFrame(wire, 200, callId);
    const since = peer.received.length;
    await appRequest(wire, srfRequest('ACK', `sip:peer@127.0.0.1:${peer.port}`, ['cseq: 1 ACK']), {
      dialogId: `${callId};from-tag=apptag77`,
    });
    const ack = await peer.next((m) => isRequest(m, 'ACK'), 5000, since);
    expect(headerValue(ack.text, 'CSeq')).toBe('4711 ACK');
    await appRequest(wire, srfRequest('BYE', 'sip:placeholder', ['cseq: 9 BYE']), {
      dialogId: `${callId};from-tag=apptag77`,
    });
    const bye = await peer.next((m) => isRequest(m, 'BYE'), 5000, since);
    expect(headerValue(bye.text, 'CSeq')).toBe('4712 BYE');
    peerRespond(peer, server(t), bye.text, 200, 'OK');
    // CANCEL: the INVITE's number and branch.
    const second = await appInvite(wire, peer);
    peerRespond(peer, server(t), second.invite.text, 180, 'Ringing', { toTag: 'r2' });
    await responseFrame(wire, 180, second.callId);
    await appRequest(wire, srfRequest('CANCEL', `sip:peer@127.0.0.1:${peer.port}`), {
      txnId: second.txnId,
    });
    const cancel = await peer.next((m) => isRequest(m, 'CANCEL'));
    const branchOf = (text: string) => /branch=([^;\s]+)/.exec(headerValue(text, 'Via') ?? '')?.[1];
    expect(branchOf(cancel.text)).toBe(branchOf(second.invite.text));
    expect(headerValue(cancel.text, 'CSeq')?.split(' ')[0]).toBe(
      headerValue(second.invite.text, 'CSeq')?.split(' ')[0],
    );
    peerRespond(peer, server(t), cancel.text, 200, 'OK');
    peerRespond(peer, server(t), second.invite.text, 487, 'Request Terminated', { toTag: 'r2' });
    await responseFrame(wire, 487, second.callId);
  });

  it('§11.27 refuses a request to its own address with NOK and sends nothing', async () => {
    const t = c.target();
    const wire = await c.wire();
    // Only the explicit-port form can be exercised: the port-less form means 5060,
    // which a test cannot occupy.
    for (const uri of [
      `sip:me@${t.sipHost}:${t.sipPort}`,
      `sip:${t.sipHost}:${t.sipPort};transport=udp`,
    ]) {
      const r = await appRequest(wire, srfRequest('OPTIONS', uri));
      expect(r.tokens.slice(3, 5)).toEqual(['NOK', 'can not send request to myself']);
    }
  });

  it('§11.28 picks TCP for ;transport=tcp (URI or ROUTEURI), UDP otherwise; ROUTEURI adds no Route', async () => {
    const wire = await c.wire();
    const udp = await c.peer();
    const tcp = await c.tcpPeer(udp.port);
    const req = (uri: string, routeUri?: string) =>
      appRequest(wire, srfRequest('OPTIONS', uri), { routeUri });
    await req(`sip:plain@127.0.0.1:${udp.port}`);
    await udp.next((m) => isRequest(m, 'OPTIONS') && m.text.includes('sip:plain@'));
    await req(`sip:tcp@127.0.0.1:${udp.port};transport=tcp`);
    const viaTcp = await tcp.next((m) => m.text.startsWith('OPTIONS sip:tcp@'));
    // The To built from such a URI: parameters outside the brackets, as
    // drachtio-server writes it (drachtio-wire.md §7.2).
    expect(headerValue(viaTcp.text, 'To')).toBe(`<sip:tcp@127.0.0.1:${udp.port}>;transport=tcp`);
    await req('sip:routed@192.0.2.99:5099', `sip:127.0.0.1:${udp.port};transport=tcp`);
    const routed = await tcp.next((m) => m.text.startsWith('OPTIONS sip:routed@'));
    expect(routed.text.split('\r\n')[0]).toBe('OPTIONS sip:routed@192.0.2.99:5099 SIP/2.0');
    expect(headerValue(routed.text, 'Route')).toBeUndefined();
    expect(
      udp.received.filter((m) => /sip:(tcp|routed)@/.test(m.text.split('\r\n')[0] ?? '')),
    ).toHaveLength(0);
    expect(tcp.received.filter((m) => m.text.startsWith('OPTIONS sip:plain@'))).toHaveLength(0);
  });
});
