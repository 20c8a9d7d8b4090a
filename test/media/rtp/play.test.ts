/**
 * Playback over real UDP on loopback: a test peer receives what the channel
 * sends and decodes it with the reference G.711 decoders (test/support/audio.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RtpChannel, RtpEngine } from '../../../src/media/rtp/index.ts';
import {
  classify,
  isSilent,
  tone,
  toneRatio,
  windows,
  writeWav,
  zeroCrossingFrequency,
} from '../../support/audio.ts';
import { RtpPeer } from '../../support/rtp-peer.ts';
import { newEngine, sleep } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rtp-play-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const toneFile = join(dir, '1k.wav');
writeWav(toneFile, tone([1000], 1000));
const fileA = join(dir, 'a.wav');
const fileB = join(dir, 'b.wav');
writeWav(fileA, tone([500], 300));
writeWav(fileB, tone([800], 300));

let engine: RtpEngine;
let channel: RtpChannel;
let peer: RtpPeer;

beforeEach(async () => {
  engine = newEngine().engine;
  channel = await engine.open();
  peer = await RtpPeer.open();
});

afterEach(async () => {
  await engine.close();
  await peer.close();
  expect(engine.openChannels).toBe(0);
  expect(engine.portsInUse).toBe(0);
  expect(engine.timers).toBe(0);
});

describe('RTP playback', () => {
  it('sends nothing before setRemote, then comfort silence when idle', async () => {
    await sleep(100);
    expect(peer.received.length).toBe(0);
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    await peer.waitForPackets(10);
    expect(isSilent(peer.audio('PCMU'))).toBe(true);
    expect(
      peer.received.every((p) => p.payload.length === 160 && p.payload.every((b) => b === 0xff)),
    ).toBe(true);
    expect(peer.received[0]!.marker).toBe(true);
  });

  it('plays a 1 kHz WAV as 1 kHz, with RFC 3550 sequence numbers, timestamps, SSRC and marker', async () => {
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    await peer.waitForPackets(3);
    const before = peer.received.length;
    expect(await channel.play({ kind: 'file', path: toneFile })).toBe('done');
    await sleep(60);
    const packets = peer.received.slice(before);
    const toneStart = packets.findIndex((p) => p.marker);
    expect(toneStart).toBeGreaterThanOrEqual(0);
    const audio = peer.audio('PCMU', 0, before + toneStart);
    const heard = audio.subarray(0, 8000);
    expect(toneRatio(heard, 1000, 8000)).toBeGreaterThan(0.95);
    expect(zeroCrossingFrequency(heard, 8000)).toBeCloseTo(1000, -1);
    expect(isSilent(audio.subarray(8000))).toBe(true); // silence again after the file

    const all = peer.received;
    for (let i = 1; i < all.length; i++) {
      expect(all[i]!.sequence).toBe((all[i - 1]!.sequence + 1) & 0xffff);
      expect(all[i]!.ssrc).toBe(all[0]!.ssrc);
      expect((all[i]!.timestamp - all[i - 1]!.timestamp) >>> 0).toBeGreaterThanOrEqual(160);
      expect(((all[i]!.timestamp - all[i - 1]!.timestamp) >>> 0) % 160).toBe(0);
    }
    // Spacing only for sanity (speed is the benchmark's business): about 20 ms on average.
    const span = all.at(-1)!.at - all[0]!.at;
    const mean = span / (all.length - 1);
    expect(mean).toBeGreaterThan(15);
    expect(mean).toBeLessThan(30);
    // Counted as sent: all received, plus at most the one in flight.
    expect(channel.stats.packetsOut - all.length).toBeGreaterThanOrEqual(0);
    expect(channel.stats.packetsOut - all.length).toBeLessThanOrEqual(2);
  });

  it('loops a list of files (music on hold) until stopped', async () => {
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMA', payloadType: 8 });
    const abort = new AbortController();
    const played = channel.play({ kind: 'files', paths: [fileA, fileB], loop: true }, abort.signal);
    await sleep(1500);
    abort.abort();
    expect(await played).toBe('stopped');
    const labels = windows(peer.audio('PCMA'), 100).map((w) => classify(w, 8000, [500, 800]));
    const runs = labels.filter((l, i) => l !== 'sound' && l !== labels[i - 1]);
    // 300 ms of each, in order, again and again: at least A B A B.
    const start = runs.indexOf('tone:500');
    expect(runs.slice(start, start + 4)).toEqual(['tone:500', 'tone:800', 'tone:500', 'tone:800']);
  });

  it('plays tones with cadence and silence, each resolving done', async () => {
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    await peer.waitForPackets(2);
    const before = peer.received.length;
    expect(
      await channel.play({
        kind: 'tone',
        frequencies: [440, 620],
        onMs: 200,
        offMs: 200,
        repeat: 2,
      }),
    ).toBe('done');
    expect(await channel.play({ kind: 'silence', durationMs: 100 })).toBe('done');
    const audio = peer.audio('PCMU', 0, before);
    const start = audio.findIndex((s) => Math.abs(s) > 500);
    const bursts = windows(audio.subarray(start), 100)
      .slice(0, 8)
      .map((w) => (isSilent(w) ? 'off' : 'on'));
    expect(bursts).toEqual(['on', 'on', 'off', 'off', 'on', 'on', 'off', 'off']);
    const first = audio.subarray(start, start + 1600);
    expect(toneRatio(first, 440, 8000) + toneRatio(first, 620, 8000)).toBeGreaterThan(0.9);
  });

  it('a new play stops the old one; stopMedia stops; an aborted signal stops', async () => {
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    const first = channel.play({ kind: 'silence', durationMs: 10_000 });
    const second = channel.play({
      kind: 'tone',
      frequencies: [1000],
      onMs: 10_000,
      offMs: 0,
      repeat: 1,
    });
    expect(await first).toBe('stopped');
    channel.stopMedia();
    expect(await second).toBe('stopped');
    expect(await channel.play({ kind: 'silence', durationMs: 10_000 }, AbortSignal.abort())).toBe(
      'stopped',
    );
  });

  it('a file that is not a WAV, or missing, rejects clearly and the channel keeps working', async () => {
    channel.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    const bogus = join(dir, 'bogus.wav');
    writeFileSync(bogus, 'this is not audio at all, just text');
    await expect(channel.play({ kind: 'file', path: bogus })).rejects.toThrow(
      /bogus\.wav: not a WAV file/,
    );
    await expect(channel.play({ kind: 'file', path: join(dir, 'missing.wav') })).rejects.toThrow(
      /missing\.wav: cannot open \(ENOENT\)/,
    );
    await expect(channel.play({ kind: 'files', paths: [bogus], loop: true })).rejects.toThrow(
      /no playable file/,
    );
    await expect(
      channel.play({ kind: 'tone', frequencies: [], onMs: 1, offMs: 0, repeat: 1 }),
    ).rejects.toThrow(TypeError);
    // A list with one bad file plays the good ones.
    expect(await channel.play({ kind: 'files', paths: [bogus, fileA], loop: false })).toBe('done');
    const sent = channel.stats.packetsOut;
    expect(await channel.play({ kind: 'file', path: fileA })).toBe('done');
    expect(channel.stats.packetsOut).toBeGreaterThan(sent + 10);
  });

  it('a file played on many channels is read from disk once', async () => {
    const more = await Promise.all([engine.open(), engine.open(), engine.open()]);
    for (const ch of [channel, ...more])
      ch.setRemote({ address: '127.0.0.1', port: peer.port, codec: 'PCMU', payloadType: 0 });
    const reads = engine.cache.reads;
    await Promise.all([channel, ...more].map((ch) => ch.play({ kind: 'file', path: fileB })));
    expect(engine.cache.reads - reads).toBeLessThanOrEqual(1);
    expect(engine.openChannels).toBe(4);
  });
});
