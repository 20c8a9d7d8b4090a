/**
 * drachtio-wire.md §11, "Transports and robustness" (items 49-54): rport,
 * TCP framing and connection reuse, app connections dropping and sharing
 * the load, counters returning to zero, session timers.
 */
import { describe, expect, it } from 'vitest';
import { sleep, useChecklist, waitFor } from './helpers/harness.ts';
import { PEER_SDP, buildAck, buildRequest, buildResponse, rand } from './helpers/peer.ts';
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
import { destroyDialog, sdp } from './helpers/srf.ts';
import { WireClient, headerValue } from './helpers/wire.ts';

const c = useChecklist();

describe('§11 transports and robustness', () => {
  it('§11.49 sends UDP responses to the packet source even when the Via names another port', async () => {
    const t = c.target();
    const wire = await c.wire(['options']);
    const peer = await c.peer();
    const callId = `o-${rand()}`;
    const opt = buildRequest({
      method: 'OPTIONS',
      uri: serverUri(t),
      from: { port: peer.port },
      to: { uri: serverUri(t) },
      callId,
      cseq: 1,
    }).replace(/^Via: .*$/m, 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-elsewhere');
    peer.send(opt, server(t));
    const f = await requestFrame(wire, 'OPTIONS', callId);
    expect(headerValue(f.sip, 'Via')).toContain(`rport=${peer.port}`);
    await appAnswer(wire, f, 200, 'OK');
    const ok = await peer.next((m) => isResponse(m, 200) && m.text.includes(callId));
    expect(ok.from.port).toBe(t.sipPort);
  });

  it("§11.49 stamps rport (and received) on the Via of every answer, the server's own ones too, over UDP", async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    // A sender that did not ask for rport and names another port (and for the
    // BYE another host) in its Via, as a phone behind NAT does.
    const elsewhere = (text: string, host = '127.0.0.1') =>
      text.replace(/^Via: .*$/m, `Via: SIP/2.0/UDP ${host}:9;branch=z9hG4bK-${rand(10)}`);
    const call = { callId: `r-${rand()}` };
    const invite = elsewhere(
      buildRequest({
        method: 'INVITE',
        uri: serverUri(t),
        from: { port: peer.port },
        to: { uri: serverUri(t) },
        callId: call.callId,
        cseq: 1,
        body: PEER_SDP,
      }),
    );
    peer.send(invite, server(t));
    const f = await requestFrame(wire, 'INVITE', call.callId);
    expect(headerValue(f.sip, 'Via')).toMatch(new RegExp(`;rport=${peer.port}$`));
    const trying = await peer.next((m) => isResponse(m, 100) && m.text.includes(call.callId));
    expect(headerValue(trying.text, 'Via')).toMatch(
      new RegExp(`:9;branch=[^;]+;rport=${peer.port}$`),
    );
    await appAnswer(wire, f, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486) && m.text.includes(call.callId));
    expect(headerValue(busy.text, 'Via')).toContain(`;rport=${peer.port}`);
    peer.send(
      buildAck(invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
    // Answers of the server alone: 481 to a BYE of no dialog (Via names another host) ...
    const byeId = `b-${rand()}`;
    peer.send(
      elsewhere(
        buildRequest({
          method: 'BYE',
          uri: serverUri(t),
          from: { port: peer.port, tag: 'x1' },
          to: { uri: serverUri(t), tag: 'nodialog' },
          callId: byeId,
          cseq: 2,
        }),
        '192.0.2.7',
      ),
      server(t),
    );
    const gone = await peer.next((m) => isResponse(m, 481) && m.text.includes(byeId));
    expect(headerValue(gone.text, 'Via')).toMatch(
      new RegExp(`^SIP/2.0/UDP 192.0.2.7:9;branch=[^;]+;received=127.0.0.1;rport=${peer.port}$`),
    );
    // ... and 503 to a method no app routed.
    const optId = `o-${rand()}`;
    peer.send(
      elsewhere(
        buildRequest({
          method: 'OPTIONS',
          uri: serverUri(t),
          from: { port: peer.port },
          to: { uri: serverUri(t) },
          callId: optId,
          cseq: 1,
        }),
      ),
      server(t),
    );
    const unrouted = await peer.next((m) => isResponse(m, 503) && m.text.includes(optId));
    expect(headerValue(unrouted.text, 'Via')).toContain(`;rport=${peer.port}`);
  });

  it('§11.49 stamps rport on the Via of answers over TCP', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const client = await c.tcpPeer();
    const sock = await client.dial(server(t));
    const callId = `tcp-r-${rand()}`;
    const invite = buildRequest({
      method: 'INVITE',
      uri: `${serverUri(t)};transport=tcp`,
      from: { port: 9, transport: 'TCP' },
      to: { uri: serverUri(t) },
      callId,
      cseq: 1,
      body: PEER_SDP,
    }).replace(/;rport\r\n/, '\r\n');
    sock.write(invite);
    const f = await requestFrame(wire, 'INVITE', callId);
    const trying = await client.next((m) => isResponse(m, 100) && m.text.includes(callId));
    expect(headerValue(trying.text, 'Via')).toMatch(new RegExp(`;rport=${sock.localPort}$`));
    await appAnswer(wire, f, 486, 'Busy Here');
    const busy = await client.next((m) => isResponse(m, 486) && m.text.includes(callId));
    expect(headerValue(busy.text, 'Via')).toMatch(new RegExp(`;rport=${sock.localPort}$`));
    sock.write(
      buildAck(invite, busy.text, serverUri(t), { port: 9, sameBranch: true }).replace(
        'SIP/2.0/UDP',
        'SIP/2.0/TCP',
      ),
    );
  });

  it('§11.50 TCP: Content-Length framing, answers on the same connection, CRLF keep-alive, one reused connection for requests', async () => {
    const t = c.target();
    const wire = await c.wire(['options', 'invite']);
    const client = await c.tcpPeer();
    const sock = await client.dial(server(t));
    const mk = (callId: string) =>
      buildRequest({
        method: 'OPTIONS',
        uri: `${serverUri(t)};transport=tcp`,
        from: { port: client.port, transport: 'TCP' },
        to: { uri: serverUri(t) },
        callId,
        cseq: 1,
      });
    const a = mk(`tcp-a-${rand()}`);
    const b = mk(`tcp-b-${rand()}`);
    const d = mk(`tcp-d-${rand()}`);
    // One request cut in two writes, then two requests in one write.
    sock.write(a.slice(0, 40));
    await sleep(50);
    sock.write(a.slice(40));
    sock.write(b + d);
    for (const text of [a, b, d]) {
      const callId = headerValue(text, 'Call-ID') ?? '';
      const f = await requestFrame(wire, 'OPTIONS', callId);
      expect(f.tokens[4]).toBe('tcp');
      await appAnswer(wire, f, 200, 'OK');
      const ok = await client.next((m) => isResponse(m, 200) && m.text.includes(callId));
      expect(ok.socket).toBe(sock);
    }
    // Double-CRLF keep-alive: answered with CRLF (or ignored); the connection stays usable.
    sock.write('\r\n\r\n');
    await sleep(100);
    const e = mk(`tcp-e-${rand()}`);
    sock.write(e);
    const fe = await requestFrame(wire, 'OPTIONS', headerValue(e, 'Call-ID') ?? '');
    await appAnswer(wire, fe, 200, 'OK');
    await client.next(
      (m) => isResponse(m, 200) && m.text.includes(headerValue(e, 'Call-ID') ?? '#'),
    );
    // Requests to a ;transport=tcp peer: one connection, reused.
    const listener = await c.tcpPeer();
    for (let i = 0; i < 3; i++) {
      await appRequest(
        wire,
        srfRequest('OPTIONS', `sip:agent@127.0.0.1:${listener.port};transport=tcp`),
      );
    }
    await waitFor(
      () => listener.matching(/^OPTIONS /).length === 3,
      5000,
      'three OPTIONS over TCP',
    );
    expect(new Set(listener.matching(/^OPTIONS /).map((m) => m.socket)).size).toBe(1);
  });

  it('§11.51 after an app drops mid-call: 481 in its dialogs, its pending requests answered (503) or left (real server), new calls reach the next app', async () => {
    const t = c.target();
    const first = c.track(await WireClient.connectAuthenticated(t.drachtio, ['invite']), (w) =>
      w.close(),
    );
    const peer = await c.peer();
    const d = await establishUas(first, peer, t);
    const pending = peerInvite(peer, t);
    await requestFrame(first, 'INVITE', pending.callId);
    first.close();
    await first.closed;
    await sleep(200);
    const finals = peer.received.filter(
      (m) => m.text.includes(pending.callId) && /^SIP\/2\.0 [3-6]\d\d /.test(m.text),
    );
    if (t.kind === 'embedded') {
      // §12.4: the embedded server answers the dropped app's pending requests with 503 at once.
      // (Retransmitted over UDP until the peer ACKs it.)
      expect(finals.length).toBeGreaterThan(0);
      expect(new Set(finals.map((m) => m.text.split('\r\n')[0]))).toEqual(
        new Set(['SIP/2.0 503 Service Unavailable']),
      );
      peer.send(
        buildAck(pending.invite, (finals[0] as { text: string }).text, serverUri(t), {
          port: peer.port,
          sameBranch: true,
        }),
        server(t),
      );
    } else {
      expect(finals).toHaveLength(0);
    }
    peerInDialog(peer, t, d, 'INFO', {
      body: 'Signal=1\r\n',
      contentType: 'application/dtmf-relay',
    });
    await peer.next((m) => isResponse(m, 481, 'INFO'));
    peerInDialog(peer, t, d, 'BYE');
    await peer.next(
      (m) =>
        m.text.includes(d.callId) &&
        /^SIP\/2\.0 (200|481) /.test(m.text) &&
        /CSeq:\s*\d+ BYE/i.test(m.text),
    );
    // A new (or reconnected) app registers its routes and gets the next call.
    const second = await c.wire(['invite']);
    const next = peerInvite(peer, t);
    const f = await requestFrame(second, 'INVITE', next.callId);
    await appAnswer(second, f, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486) && m.text.includes(next.callId));
    peer.send(
      buildAck(next.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
  });

  it('§11.52 alternates new INVITEs between two apps and keeps each dialog on its owner', async () => {
    const t = c.target();
    const w1 = await c.wire(['invite']);
    const w2 = await c.wire(['invite']);
    const peer = await c.peer();
    const owners: WireClient[] = [];
    const dialogs = [];
    for (let i = 0; i < 4; i++) {
      const call = peerInvite(peer, t);
      const f = await Promise.any([
        requestFrame(w1, 'INVITE', call.callId, 2000),
        requestFrame(w2, 'INVITE', call.callId, 2000),
      ]);
      const owner = w1.frames.includes(f) ? w1 : w2;
      owners.push(owner);
      const echo = await appAnswer(owner, f, 200, 'OK', { body: APP_SDP });
      const ok = await peer.next(
        (m) => isResponse(m, 200, 'INVITE') && m.text.includes(call.callId),
      );
      peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
      const localTag = /;tag=([^;\s>]+)/.exec(headerValue(ok.text, 'To') ?? '')?.[1] ?? '';
      dialogs.push({
        ...call,
        inviteFrame: f,
        echo,
        ok,
        dialogId: echo.tokens[11] ?? '',
        localTag,
        nextCseq: 2,
      });
    }
    expect(owners[0]).not.toBe(owners[1]);
    expect(owners[1]).not.toBe(owners[2]);
    expect(owners[2]).not.toBe(owners[3]);
    for (const [i, d] of dialogs.entries()) {
      peerInDialog(peer, t, d, 'BYE');
      const owner = owners[i] as WireClient;
      const other = owner === w1 ? w2 : w1;
      const bye = await requestFrame(owner, 'BYE', d.callId);
      await appAnswer(owner, bye, 200, 'OK');
      expect(other.sipFrames(/^BYE /).filter((f) => f.sip.includes(d.callId))).toHaveLength(0);
    }
  });

  it('§11.54 refreshes a session when the peer makes us the refresher (Session-Expires: 90;refresher=uac)', async () => {
    const t = c.target();
    const app = await c.srf();
    const peer = await c.peer();
    const callP = app.srf.createUAC(`sip:st@127.0.0.1:${peer.port}`, {
      localSdp: sdp(),
      headers: { Supported: 'timer' },
    });
    const inv = await peer.next((m) => isRequest(m, 'INVITE'));
    const contact = `Contact: <sip:st@127.0.0.1:${peer.port}>`;
    peer.send(
      buildResponse(inv.text, 200, 'OK', {
        toTag: 'st1',
        headers: [contact, 'Require: timer', 'Session-Expires: 90;refresher=uac'],
        body: PEER_SDP,
      }),
      server(t),
    );
    const dialog = await callP;
    const sentAt = Date.now();
    // We are the refresher: a re-INVITE (or UPDATE) with Session-Expires around 45 s.
    const refresh = await peer.next(
      (m) => (isRequest(m, 'INVITE') || isRequest(m, 'UPDATE')) && m.text.includes('tag=st1'),
      70_000,
    );
    const after = (Date.now() - sentAt) / 1000;
    expect(after).toBeGreaterThan(30);
    expect(after).toBeLessThan(60);
    expect(headerValue(refresh.text, 'Session-Expires')).toMatch(/^90/);
    peer.send(
      buildResponse(refresh.text, 200, 'OK', {
        headers: [contact, 'Session-Expires: 90;refresher=uac'],
        body: PEER_SDP,
      }),
      server(t),
    );
    await peer.next((m) => isRequest(m, 'ACK') && peer.matching(/^ACK /).length >= 2, 5000);
    const bye = destroyDialog(dialog);
    const byeReq = await peer.next((m) => isRequest(m, 'BYE'));
    peer.send(buildResponse(byeReq.text, 200, 'OK'), server(t));
    await bye;
  }, 100_000);
});
