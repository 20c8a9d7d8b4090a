/**
 * The RTP engine's session recordings (both directions of a channel): a
 * prompt played to the peer lands in the write leg, the peer in the read
 * leg; one that got no audio leaves no file; bad arguments are refused; a
 * close completes every one.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeG711 } from '../../../src/media/audio/g711.ts';
import type { RtpChannel, RtpEngine } from '../../../src/media/rtp/index.ts';
import { tone, toneRatio } from '../../support/audio.ts';
import { RtpPeer } from '../../support/rtp-peer.ts';
import { newEngine, sleep } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'rtp-session-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let engine: RtpEngine;
let channel: RtpChannel;
let peer: RtpPeer;

const ulaw = (pcm: Int16Array) => {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMU', pcm, out);
  return out;
};

beforeEach(async () => {
  engine = newEngine().engine;
  channel = await engine.open();
  peer = await RtpPeer.open();
  channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
});

afterEach(async () => {
  await engine.close();
  await peer.close();
  expect(engine.portsInUse).toBe(0);
  expect(engine.timers).toBe(0);
});

function channels(file: string): { count: number; left: Int16Array; right: Int16Array } {
  const buf = readFileSync(file);
  const count = buf.readUInt16LE(22);
  const frames = buf.readUInt32LE(40) / (2 * count);
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = buf.readInt16LE(44 + 2 * count * i);
    right[i] = buf.readInt16LE(44 + 2 * count * i + 2 * (count - 1));
  }
  return { count, left, right };
}

describe('session recording in the RTP engine', () => {
  it('stereo: what the peer sends left, what is played to it right', async () => {
    const file = join(root, 'played.wav');
    const stop = new AbortController();
    const result = channel.recordSession(file, { maxMs: 10_000, layout: 'stereo' }, stop.signal);
    const playing = channel.play({
      kind: 'tone',
      frequencies: [1400],
      onMs: 800,
      offMs: 0,
      repeat: 1,
    });
    await peer.sendAudio(
      { address: '127.0.0.1', port: channel.localPort },
      0,
      tone([600], 800),
      ulaw,
    );
    await playing;
    stop.abort();
    const r = await result;
    expect(r.reason).toBe('stopped');
    expect(r.durationMs).toBeGreaterThan(700);
    const wav = channels(file);
    expect(wav.count).toBe(2);
    expect(toneRatio(wav.left, 600, 8000)).toBeGreaterThan(0.8);
    expect(toneRatio(wav.right, 1400, 8000)).toBeGreaterThan(0.8);
  });

  it('a recording stopped before any audio leaves no file and says it was discarded', async () => {
    const file = join(root, 'empty.wav');
    const stop = new AbortController();
    stop.abort();
    const r = await channel.recordSession(file, { maxMs: 1000, layout: 'stereo' }, stop.signal);
    expect(r).toMatchObject({ reason: 'stopped', durationMs: 0, discarded: true });
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('.empty.wav'))).toEqual([]);
  });

  it('refuses bad arguments with a TypeError and records nothing', async () => {
    await expect(channel.recordSession('', { maxMs: 1000, layout: 'mono' })).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(
      channel.recordSession(join(root, 'x.wav'), { maxMs: 0, layout: 'mono' }),
    ).rejects.toBeInstanceOf(TypeError);
    await expect(
      channel.recordSession(join(root, 'x.wav'), {
        maxMs: 1000,
        layout: 'quad' as unknown as 'mono',
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(existsSync(join(root, 'x.wav'))).toBe(false);
  });

  it('close() completes every running recording with its file in place', async () => {
    const files = [join(root, 'c1.wav'), join(root, 'c2.wav')];
    const results = files.map((f) => channel.recordSession(f, { maxMs: 60_000, layout: 'mono' }));
    await sleep(300);
    await channel.close();
    for (const r of await Promise.all(results)) expect(r.reason).toBe('stopped');
    for (const f of files) expect(channels(f).count).toBe(1);
  });
});
