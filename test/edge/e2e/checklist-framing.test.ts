/**
 * drachtio-wire.md §11, "Framing and control" (items 1-7), against the
 * server under test with a raw wire-protocol app and a raw UDP SIP peer.
 */
import { describe, expect, it } from 'vitest';
import { sleep, useChecklist } from './helpers/harness.ts';
import { buildAck, buildRequest, rand } from './helpers/peer.ts';
import {
  APP_SDP,
  appAnswer,
  isResponse,
  oracle,
  peerInvite,
  requestFrame,
  server,
  serverUri,
} from './helpers/flows.ts';
import { WireClient, headerValue } from './helpers/wire.ts';

const c = useChecklist();

describe('§11 framing and control', () => {
  it('§11.1 counts the length prefix in UTF-8 bytes: emoji and accents round-trip both ways', async () => {
    const t = c.target();
    const wire = await c.wire(['invite']);
    const peer = await c.peer();
    const body = APP_SDP.replace('s=-', 's=Zoë 😀 café');
    const call = peerInvite(peer, t, { headers: ['Subject: Grüße 👋'], body });
    const f = await requestFrame(wire, 'INVITE', call.callId);
    expect(f.length).toBe(Buffer.byteLength(f.payload, 'utf8'));
    expect(wire.protocolErrors).toEqual([]);
    const parsed = oracle(f);
    expect(parsed.get('Subject')).toBe('Grüße 👋');
    expect(parsed.body).toContain('Zoë 😀 café');
    // App → network: a non-ASCII body and header in the app's 200.
    const appBody = APP_SDP.replace('s=-', 's=Ça va ☕');
    await appAnswer(wire, f, 200, 'OK', { headers: ['X-Name: Łukasz 🎧'], body: appBody });
    const ok = await peer.next((m) => isResponse(m, 200, 'INVITE'));
    const okBody = ok.text.slice(ok.text.indexOf('\r\n\r\n') + 4);
    expect(okBody).toBe(appBody);
    expect(Number(headerValue(ok.text, 'Content-Length'))).toBe(Buffer.byteLength(appBody, 'utf8'));
    expect(headerValue(ok.text, 'X-Name')).toBe('Łukasz 🎧');
    peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
  });

  it('§11.2 reassembles frames split at every byte and several frames in one TCP chunk', async () => {
    const t = c.target();
    const wire = c.track(await WireClient.connect(t.drachtio), (w) => w.close());
    // authenticate + route, one byte per write.
    const frames = [`a-1|authenticate|${t.drachtio.secret}|`, 'a-2|route|invite']
      .map((p) => `${Buffer.byteLength(p)}#${p}`)
      .join('');
    for (const byte of Buffer.from(frames)) {
      wire.writeRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const auth = await wire.next((f) => f.type === 'response' && f.tokens[2] === 'a-1');
    expect(auth.tokens[3]).toBe('OK');
    await wire.next((f) => f.type === 'response' && f.tokens[2] === 'a-2');
    // Three pings in one chunk: three answers.
    wire.writeRaw(['p-1', 'p-2', 'p-3'].map((id) => `${id.length + 5}#${id}|ping`).join(''));
    for (const id of ['p-1', 'p-2', 'p-3']) {
      const pong = await wire.next((f) => f.type === 'response' && f.tokens[2] === id);
      expect(pong.tokens.slice(3)).toEqual(['OK', 'pong']);
    }
    // A SIP answer frame cut at every byte still works (the route is live).
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    const sip = [
      'SIP/2.0 486 Busy Here',
      `Call-ID: ${call.callId}`,
      'cseq: 1 INVITE',
      `from: ${headerValue(inv.sip, 'From')}`,
      `to: ${headerValue(inv.sip, 'To')}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const payload = `r-1|sip|${inv.tokens[8]}|\r\n${sip}`;
    for (const byte of Buffer.from(`${Buffer.byteLength(payload)}#${payload}`)) {
      wire.writeRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect((await wire.next((f) => f.tokens[2] === 'r-1')).tokens[3]).toBe('OK');
    await peer.next((m) => isResponse(m, 486));
    expect(wire.protocolErrors).toEqual([]);
  });

  it('§11.3 never sends a frame type other than response, sip, cdr:* nor a malformed length', async () => {
    const t = c.target();
    const wire = await c.wire(['invite', 'options']);
    const peer = await c.peer();
    // A busy mix: answered call with BYE, rejected call, an OPTIONS, bogus app frames.
    const call = peerInvite(peer, t);
    const inv = await requestFrame(wire, 'INVITE', call.callId);
    await appAnswer(wire, inv, 180, 'Ringing');
    await appAnswer(wire, inv, 200, 'OK', { body: APP_SDP });
    const ok = await peer.next((m) => isResponse(m, 200, 'INVITE'));
    peer.send(buildAck(call.invite, ok.text, serverUri(t), { port: peer.port }), server(t));
    const opt = buildRequest({
      method: 'OPTIONS',
      uri: serverUri(t),
      from: { port: peer.port },
      to: { uri: serverUri(t) },
      callId: `o-${rand()}`,
      cseq: 1,
    });
    peer.send(opt, server(t));
    const optFrame = await wire.next((f) => f.type === 'sip' && f.sip.startsWith('OPTIONS'));
    await appAnswer(wire, optFrame, 200, 'OK');
    await wire.call(['sip', 'no-such-txn', ''], 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
    await wire.call(
      ['sip', '', 'no-such-dialog'],
      'BYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n',
    );
    await sleep(200);
    expect(wire.protocolErrors).toEqual([]);
    expect(new Set(wire.frames.map((f) => f.type))).toEqual(new Set(['response', 'sip']));
    for (const f of wire.frames) expect(f.length).toBe(Buffer.byteLength(f.payload, 'utf8'));
  });

  it('§11.4 accepts authenticate with an empty tags token and closes after a wrong secret', async () => {
    const t = c.target();
    const good = c.track(await WireClient.connect(t.drachtio), (w) => w.close());
    const ok = await good.call(['authenticate', t.drachtio.secret, '']);
    expect(ok.tokens[3]).toBe('OK');
    expect(ok.tokens).toHaveLength(7);
    expect(ok.tokens[4]).toContain(`udp/${t.sipHost}:${t.sipPort}`);
    const bad = c.track(await WireClient.connect(t.drachtio), (w) => w.close());
    const no = await bad.call(['authenticate', `${t.drachtio.secret}-wrong`, '']);
    expect(no.tokens.slice(3)).toEqual(['NO', 'incorrect secret']);
    await bad.closed;
    expect(bad.isOpen).toBe(false);
  });

  it('§11.5 reports a version starting with v0.9. and answers ping with OK|pong', async () => {
    const t = c.target();
    const wire = c.track(await WireClient.connect(t.drachtio), (w) => w.close());
    const ok = await wire.call(['authenticate', t.drachtio.secret, '']);
    if (t.kind === 'embedded') expect(ok.tokens[5]).toMatch(/^v0\.9\./);
    else
      console.info(
        `external drachtio-server reports version ${ok.tokens[5]} (a build without git tags says 1.0.0)`,
      );
    const pong = await wire.call(['ping']);
    expect(pong.tokens.slice(3)).toEqual(['OK', 'pong']);
    // srf connects and learns the same version (srf pings only when it is >= v0.8.2).
    const app = await c.srf();
    if (t.kind === 'embedded') expect(app.version).toMatch(/^v0\.9\./);
  });

  it('§11.6 delivers a request once although route|invite was sent three times', async () => {
    const t = c.target();
    const wire = await c.wire(['invite', 'invite', 'invite']);
    const peer = await c.peer();
    const call = peerInvite(peer, t);
    const f = await requestFrame(wire, 'INVITE', call.callId);
    await sleep(300);
    expect(wire.frames.filter((x) => x.type === 'sip' && x.sip.includes(call.callId))).toHaveLength(
      1,
    );
    await appAnswer(wire, f, 486, 'Busy Here');
    const busy = await peer.next((m) => isResponse(m, 486));
    peer.send(
      buildAck(call.invite, busy.text, serverUri(t), { port: peer.port, sameBranch: true }),
      server(t),
    );
  });

  it('§11.7 answers 503 to a method nobody routed (after 100 Trying for INVITE)', async () => {
    const t = c.target();
    await c.wire(['register']);
    const peer = await c.peer();
    const opt = buildRequest({
      method: 'OPTIONS',
      uri: serverUri(t),
      from: { port: peer.port },
      to: { uri: serverUri(t) },
      callId: `o-${rand()}`,
      cseq: 1,
    });
    peer.send(opt, server(t));
    const optAnswer = await peer.next(
      (m) => m.text.includes('OPTIONS') && /^SIP\/2\.0 [2-6]/.test(m.text),
    );
    expect(optAnswer.text).toMatch(/^SIP\/2\.0 503 /);
    const call = peerInvite(peer, t, { user: 'nobody' });
    const final = await peer.next(
      (m) => m.text.includes(call.callId) && /^SIP\/2\.0 [2-6]\d\d/.test(m.text),
    );
    expect(final.text).toMatch(/^SIP\/2\.0 503 /);
    const msgs = peer.received
      .filter((m) => m.text.includes(call.callId))
      .map((m) => m.text.split('\r\n')[0]);
    expect(msgs[0]).toMatch(/^SIP\/2\.0 100 /);
    peer.send(
      buildAck(call.invite, final.text, serverUri(t, 'nobody'), {
        port: peer.port,
        sameBranch: true,
      }),
      server(t),
    );
  });
});
