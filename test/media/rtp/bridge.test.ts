/**
 * Bridging two channels: each peer hears what the other sends, transcoded
 * when one side speaks PCMU and the other PCMA; DTMF crosses as RFC 4733
 * events; unbridge and close return each side to idle silence.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeG711 } from '../../../src/media/audio/g711.ts';
import type { RtpChannel, RtpEngine } from '../../../src/media/rtp/index.ts';
import { isSilent, tone, toneRatio } from '../../support/audio.ts';
import { RtpPeer } from '../../support/rtp-peer.ts';
import { newEngine, sleep, until } from './helpers.ts';

let engine: RtpEngine;
let a: RtpChannel;
let b: RtpChannel;
let peerA: RtpPeer;
let peerB: RtpPeer;

const encoder = (codec: 'PCMU' | 'PCMA') => (pcm: Int16Array) => {
  const out = new Uint8Array(pcm.length);
  encodeG711(codec, pcm, out);
  return out;
};
const to = (ch: RtpChannel) => ({ address: '127.0.0.1', port: ch.localPort });

beforeEach(async () => {
  engine = newEngine().engine;
  [a, b] = await Promise.all([engine.open(), engine.open()]);
  [peerA, peerB] = await Promise.all([RtpPeer.open(), RtpPeer.open()]);
  a.setRemote({ address: '127.0.0.1', port: peerA.port, codec: 'PCMU', payloadType: 0, telephoneEventPt: 101 });
  b.setRemote({ address: '127.0.0.1', port: peerB.port, codec: 'PCMA', payloadType: 8, telephoneEventPt: 96 });
});

afterEach(async () => {
  await engine.close();
  await Promise.all([peerA.close(), peerB.close()]);
  expect(engine.openChannels).toBe(0);
  expect(engine.portsInUse).toBe(0);
});

/** The middle `ms` of what a peer received from index `from`, skipping the bridge's start-up. */
function heard(peer: RtpPeer, codec: 'PCMU' | 'PCMA', from: number): Int16Array {
  const audio = peer.audio(codec, codec === 'PCMU' ? 0 : 8, from);
  const start = audio.findIndex((s) => Math.abs(s) > 1000);
  return start < 0 ? new Int16Array(0) : audio.subarray(start + 400, start + 400 + 4800);
}

describe('bridge', () => {
  it('passes a tone both ways, transcoding PCMU <-> PCMA', async () => {
    const playing = a.play({ kind: 'silence', durationMs: 60_000 });
    a.bridge(b);
    expect(await playing).toBe('stopped'); // bridging stops playback
    const fromA = peerA.received.length;
    const fromB = peerB.received.length;
    await Promise.all([
      peerA.sendAudio(to(a), 0, tone([1000], 1000), encoder('PCMU')),
      peerB.sendAudio(to(b), 8, tone([600], 1000), encoder('PCMA')),
    ]);
    await sleep(100);
    const atB = heard(peerB, 'PCMA', fromB);
    const atA = heard(peerA, 'PCMU', fromA);
    expect(atB.length).toBe(4800);
    expect(atA.length).toBe(4800);
    expect(toneRatio(atB, 1000, 8000)).toBeGreaterThan(0.9);
    expect(toneRatio(atA, 600, 8000)).toBeGreaterThan(0.9);
    // Each peer got its own codec and payload type.
    expect(peerB.received.slice(fromB).every((p) => p.payloadType === 8)).toBe(true);
    expect(peerA.received.slice(fromA).every((p) => p.payloadType === 0)).toBe(true);
  });

  it('relays a key press as RFC 4733 events in the other side\'s payload type, and reports it on the receiving channel', async () => {
    a.bridge(b);
    const onA: string[] = [];
    a.on('dtmf', (d) => onA.push(d));
    const from = peerB.received.length;
    await peerA.sendDtmf(to(a), 101, 7, 100);
    await until(() => peerB.received.slice(from).filter((p) => p.payloadType === 96 && (p.payload[1]! & 0x80) !== 0).length === 3, 3000, 'relayed end packets');
    const events = peerB.received.slice(from).filter((p) => p.payloadType === 96);
    expect(new Set(events.map((p) => p.payload[0]))).toEqual(new Set([7]));
    expect(new Set(events.map((p) => p.timestamp)).size).toBe(1); // one press, one timestamp
    expect(events[0]!.marker).toBe(true);
    expect(events.at(-1)!.payload.readUInt16BE(2)).toBe(800); // 100 ms
    expect(onA).toEqual(['7']);
  });

  it('unbridge, and closing one side, leave the other sending silence', async () => {
    a.bridge(b);
    void peerA.sendAudio(to(a), 0, tone([1000], 3000), encoder('PCMU'));
    await until(() => !isSilent(peerB.audio('PCMA').subarray(-800)), 3000, 'tone across');
    a.unbridge();
    await sleep(100);
    const after = peerB.received.length;
    await sleep(300);
    expect(isSilent(peerB.audio('PCMA', 8, after))).toBe(true);

    b.bridge(a);
    await until(() => !isSilent(peerB.audio('PCMA').subarray(-800)), 3000, 'tone across again');
    await a.close();
    await sleep(60);
    const afterClose = peerB.received.length;
    await sleep(200);
    expect(peerB.received.length).toBeGreaterThan(afterClose + 5);
    expect(isSilent(peerB.audio('PCMA', 8, afterClose))).toBe(true);
    expect(() => b.bridge(a)).toThrow(/closed/);
    expect(() => b.bridge(b)).toThrow(TypeError);
  });
});
