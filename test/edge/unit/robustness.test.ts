/**
 * The server never crashes and always answers: random and mutated frames
 * from an app, random datagrams on the SIP port (a bounded, seeded run).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../src/edge/wire/framing.ts';
import { cleanup, sipPort, sleep, startServer } from './harness.ts';

afterEach(cleanup);

/** Small deterministic PRNG (mulberry32) so failures can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = [
  'INVITE sip:bob@127.0.0.1:1 SIP/2.0\r\nContent-Length: 0\r\n\r\n',
  'SIP/2.0 200 OK\r\ncseq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
  'CANCEL sip:x SIP/2.0\r\n\r\n',
  'ACK sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\nv=0',
  'BYE sip:placeholder SIP/2.0\r\n\r\n',
  'MESSAGE sip:a@127.0.0.1:2 SIP/2.0\r\nContent-Type: text/plain\r\n\r\nhi',
  'garbage',
  '',
];

function mutate(s: string, r: () => number): string {
  const chars = s.split('');
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n && chars.length > 0; i++) {
    const at = Math.floor(r() * chars.length);
    const op = r();
    if (op < 0.33) chars.splice(at, 1);
    else if (op < 0.66) chars.splice(at, 0, String.fromCharCode(Math.floor(r() * 128)));
    else chars[at] = '|';
  }
  return chars.join('');
}

describe('robustness', () => {
  it('random app frames get one answer each (or a disconnect) and never stop the server', async () => {
    const server = await startServer();
    const r = rng(4711);
    const sock = await new Promise<net.Socket>((resolve) => {
      const s = net.connect(server.controlAddress.port, '127.0.0.1', () => resolve(s));
    });
    const frames: string[] = [];
    const dec = new FrameDecoder();
    sock.on('data', (c: Buffer) => frames.push(...dec.push(c).frames));
    // A response frame without transaction id makes the server drop the app (§2.4).
    sock.on('error', () => undefined);
    sock.write(encodeFrame('a|authenticate|cymru|'));
    const N = 300;
    for (let i = 0; i < N; i++) {
      const sip = mutate(SAMPLES[Math.floor(r() * SAMPLES.length)] as string, r);
      // Responses always carry a transaction id, so the connection survives the run.
      const txn = r() < 0.3 || sip.startsWith('SIP/') ? 'tx' : '';
      const dlg = r() < 0.3 ? 'd;from-tag=x' : '';
      sock.write(encodeFrame(`m${i}|sip|${txn}|${dlg}\r\n${sip}`));
    }
    sock.write(encodeFrame('last|ping'));
    // The ping's answer can overtake answers that wait on a name lookup (a
    // mutated host): wait for an answer to every frame, then a little more
    // for any second answer.
    const answered = (id: string) => frames.some((f) => f.split('|')[2] === id);
    const allAnswered = () =>
      answered('last') && Array.from({ length: N }, (_, i) => `m${i}`).every(answered);
    const end = Date.now() + 20000;
    while (!allAnswered() && !sock.destroyed && Date.now() < end) await sleep(20);
    await sleep(200);
    // Every frame type the server sent is one srf understands, and every
    // app frame got exactly one answer.
    for (const f of frames) expect(f.split('|')[1]).toMatch(/^(response|sip)$/);
    expect(sock.destroyed).toBe(false);
    const answers = new Map<string, number>();
    for (const f of frames) {
      const t = f.split('|');
      if (t[1] === 'response') answers.set(t[2] as string, (answers.get(t[2] as string) ?? 0) + 1);
    }
    for (let i = 0; i < N; i++) expect(answers.get(`m${i}`), `frame m${i}`).toBe(1);
    sock.destroy();
    // A fresh app still gets through.
    const again = await new Promise<net.Socket>((resolve) => {
      const s = net.connect(server.controlAddress.port, '127.0.0.1', () => resolve(s));
    });
    const got: string[] = [];
    const d2 = new FrameDecoder();
    again.on('data', (c: Buffer) => got.push(...d2.push(c).frames));
    again.write(encodeFrame('b|authenticate|cymru|'));
    const end2 = Date.now() + 3000;
    while (got.length === 0 && Date.now() < end2) await sleep(20);
    expect(got[0]?.split('|')[3]).toBe('OK');
    again.destroy();
  });

  it('random and mutated datagrams on the SIP port never stop the server', async () => {
    const server = await startServer();
    const port = sipPort(server);
    const r = rng(99);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
    const base =
      'OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-f\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: f\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';
    for (let i = 0; i < 300; i++) {
      const text =
        r() < 0.5
          ? mutate(base, r)
          : Buffer.from(
              Array.from({ length: 1 + Math.floor(r() * 200) }, () => Math.floor(r() * 256)),
            ).toString('latin1');
      sock.send(Buffer.from(text, 'latin1'), port, '127.0.0.1');
    }
    await sleep(300);
    const s = server.stats();
    expect(s.messagesIn).toBeGreaterThan(0);
    // Still serving: a well-formed OPTIONS with no app routed gets 503.
    const answer = new Promise<string>((res) =>
      sock.on('message', (m) => {
        if (m.toString().includes('z9hG4bK-final')) res(m.toString());
      }),
    );
    sock.send(
      Buffer.from(
        base.replace('z9hG4bK-f', 'z9hG4bK-final').replace('Call-ID: f', 'Call-ID: final'),
      ),
      port,
      '127.0.0.1',
    );
    expect(await answer).toMatch(/^SIP\/2\.0 503 /);
    await new Promise<void>((res) => sock.close(() => res()));
  });
});
