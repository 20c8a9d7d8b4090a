/**
 * Recording what the peer sends, to a 16-bit PCM 8 kHz mono WAV that only
 * appears under its name once complete; endings by max length, DTMF
 * terminator, silence, stop; a disk error ends the recording, not the call.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeG711 } from '../../../src/media/audio/g711.ts';
import type { RtpChannel, RtpEngine } from '../../../src/media/rtp/index.ts';
import { isSilent, readWav, tone, toneRatio } from '../../support/audio.ts';
import { RtpPeer } from '../../support/rtp-peer.ts';
import { newEngine, sleep } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'rtp-rec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;

let engine: RtpEngine;
let channel: RtpChannel;
let peer: RtpPeer;
let target: { address: string; port: number };
let dir: string;

const alaw = (pcm: Int16Array) => {
  const out = new Uint8Array(pcm.length);
  encodeG711('PCMA', pcm, out);
  return out;
};

beforeEach(async () => {
  engine = newEngine().engine;
  channel = await engine.open();
  peer = await RtpPeer.open();
  target = { address: '127.0.0.1', port: channel.localPort };
  channel.setRemote({
    address: '127.0.0.1',
    port: peer.port,
    codec: 'PCMA',
    payloadType: 8,
    telephoneEventPt: 101,
  });
  dir = join(root, String(dirCount++));
  mkdirSync(dir);
});

afterEach(async () => {
  await engine.close();
  await peer.close();
  expect(engine.portsInUse).toBe(0);
});

describe('recording', () => {
  it('records a tone the peer sends, ends on a terminator, and the file appears only when complete', async () => {
    const path = join(dir, 'message.wav');
    const result = channel.record(path, { maxMs: 10_000, terminators: '#' });
    const sending = peer.sendAudio(target, 8, tone([1000], 1000), alaw);
    await sleep(500);
    // Half-way: nothing listed under the name; the partial file is hidden.
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual([]);
    await sending;
    await peer.sendDtmf(target, 101, 11, 60); // '#'
    const r = await result;
    expect(r.reason).toBe('terminator');
    expect(r.durationMs).toBeGreaterThan(1000);
    expect(readdirSync(dir)).toEqual(['message.wav']);
    const wav = readWav(path);
    expect(wav.sampleRate).toBe(8000);
    expect(wav.samples.length).toBe(r.durationMs * 8);
    const start = wav.samples.findIndex((s) => Math.abs(s) > 1000);
    expect(toneRatio(wav.samples.subarray(start, start + 7200), 1000, 8000)).toBeGreaterThan(0.95);
  });

  it('ends at the maximum length', async () => {
    const path = join(dir, 'max.wav');
    void peer.sendAudio(target, 8, tone([700], 1500), alaw);
    const r = await channel.record(path, { maxMs: 400 });
    expect(r).toEqual({ reason: 'max', durationMs: 400 });
    expect(readWav(path).samples.length).toBe(3200);
  });

  it('ends after the configured silence', async () => {
    const r = await channel.record(join(dir, 'quiet.wav'), { maxMs: 5000, silenceStopMs: 300 });
    expect(r).toEqual({ reason: 'silence', durationMs: 300 });
    expect(isSilent(readWav(join(dir, 'quiet.wav')).samples)).toBe(true);
  });

  it('stopMedia and an abort signal end it as stopped, keeping what was recorded', async () => {
    const first = channel.record(join(dir, 'a.wav'), { maxMs: 5000 });
    await sleep(200);
    channel.stopMedia();
    expect((await first).reason).toBe('stopped');
    const abort = new AbortController();
    const second = channel.record(join(dir, 'b.wav'), { maxMs: 5000 }, abort.signal);
    await sleep(100);
    abort.abort();
    expect((await second).reason).toBe('stopped');
    expect(readdirSync(dir).sort()).toEqual(['a.wav', 'b.wav']);
  });

  it('a disk error ends the recording with reason error and the channel keeps going', async () => {
    const r = await channel.record(join(dir, 'no-such-dir', 'x.wav'), { maxMs: 1000 });
    expect(r.reason).toBe('error');
    expect(r.error).toMatch(/ENOENT/);

    // The directory vanishes mid-recording: the rename fails, nothing half-written is left.
    const doomed = join(dir, 'doomed');
    mkdirSync(doomed);
    const pending = channel.record(join(doomed, 'y.wav'), { maxMs: 300 });
    await sleep(100);
    rmSync(doomed, { recursive: true, force: true });
    const r2 = await pending;
    expect(r2.reason).toBe('error');

    const sent = channel.stats.packetsOut;
    await sleep(100);
    expect(channel.stats.packetsOut).toBeGreaterThan(sent);
    const ok = await channel.record(join(dir, 'fine.wav'), { maxMs: 100 });
    expect(ok.reason).toBe('max');
  });

  it('closing the channel finishes the recording first', async () => {
    const result = channel.record(join(dir, 'closing.wav'), { maxMs: 5000 });
    await sleep(100);
    await channel.close();
    expect((await result).reason).toBe('stopped');
    expect(readdirSync(dir)).toEqual(['closing.wav']);
    await expect(channel.record(join(dir, 'late.wav'), { maxMs: 100 })).rejects.toThrow(/closed/);
  });

  it('rejects bad options clearly', async () => {
    await expect(channel.record(join(dir, 'x.wav'), { maxMs: 0 })).rejects.toThrow(
      /maxMs must be a positive number/,
    );
    await expect(channel.record('', { maxMs: 10 })).rejects.toThrow(/path/);
  });
});
