/**
 * G.711, WAV reading and resampling against sox (a real, independent
 * implementation): sox encodes the same PCM, sox writes the WAV files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioCache } from '../../../src/media/audio/cache.ts';
import { SILENCE_BYTE, decodeG711, encodeG711 } from '../../../src/media/audio/g711.ts';
import { WavError, encodeWav, parseWav } from '../../../src/media/audio/wav.ts';
import {
  decodeG711Reference,
  readWav,
  tone,
  toneRatio,
  writeWav,
  zeroCrossingFrequency,
} from '../../support/audio.ts';

const dir = mkdtempSync(join(tmpdir(), 'rtp-audio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sox(...args: string[]): void {
  execFileSync('sox', args, { stdio: 'pipe' });
}

/** Every 16-bit value once, as raw little-endian PCM. */
function allSamples(): Int16Array {
  return Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
}

describe('G.711', () => {
  for (const [codec, soxEncoding] of [
    ['PCMU', 'mu-law'],
    ['PCMA', 'a-law'],
  ] as const) {
    it(`${codec}: encodes every 16-bit sample as sox does`, () => {
      const pcm = allSamples();
      const raw = join(dir, `all-${codec}.raw`);
      const coded = join(dir, `all-${codec}.g711`);
      writeFileSync(raw, Buffer.from(pcm.buffer));
      sox(
        '-D',
        '-t',
        'raw',
        '-r',
        '8000',
        '-e',
        'signed',
        '-b',
        '16',
        '-c',
        '1',
        raw,
        '-t',
        'raw',
        '-e',
        soxEncoding,
        '-b',
        '8',
        coded,
      );
      const expected = readFileSync(coded);
      const ours = new Uint8Array(pcm.length);
      encodeG711(codec, pcm, ours);
      let mismatches = 0;
      for (let i = 0; i < pcm.length; i++) if (ours[i] !== expected[i]) mismatches++;
      expect(mismatches).toBe(0);
    });

    it(`${codec}: decodes every code as the reference formula does`, () => {
      const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
      const ours = new Int16Array(256);
      decodeG711(codec, codes, ours);
      expect(Array.from(ours)).toEqual(Array.from(decodeG711Reference(codec, codes)));
    });

    it(`${codec}: silence encodes to the codec's silence byte`, () => {
      const out = new Uint8Array(4);
      encodeG711(codec, new Int16Array(4), out);
      expect(Array.from(out)).toEqual([
        SILENCE_BYTE[codec],
        SILENCE_BYTE[codec],
        SILENCE_BYTE[codec],
        SILENCE_BYTE[codec],
      ]);
    });
  }
});

describe('WAV reading', () => {
  it('reads 16-bit PCM 8 kHz mono as is', () => {
    const samples = tone([1000], 200);
    const parsed = parseWav(encodeWav(samples), 'x.wav');
    expect(Array.from(parsed.samples)).toEqual(Array.from(samples));
    expect(parsed.source).toEqual({ format: 'pcm16', sampleRate: 8000, channels: 1 });
  });

  it('resamples a 44.1 kHz stereo file from sox to 8 kHz, keeping a 1 kHz tone and removing a 6 kHz one', () => {
    const path = join(dir, 'cd.wav');
    sox(
      '-n',
      '-r',
      '44100',
      '-c',
      '2',
      '-b',
      '16',
      path,
      'synth',
      '1',
      'sine',
      '1000',
      'sine',
      '6000',
      'vol',
      '0.4',
    );
    const parsed = parseWav(readFileSync(path), path);
    expect(parsed.samples.length).toBe(8000);
    // sox puts 1 kHz in the left and 6 kHz in the right channel: after mixing and
    // resampling only 1 kHz may remain (6 kHz would alias to 2 kHz).
    const middle = parsed.samples.subarray(400, 7600);
    expect(toneRatio(middle, 1000, 8000)).toBeGreaterThan(0.9);
    expect(toneRatio(middle, 2000, 8000)).toBeLessThan(0.01);
  });

  it('reads 16 kHz mono from sox (a common prompt rate)', () => {
    const path = join(dir, 'wide.wav');
    sox('-n', '-r', '16000', '-c', '1', '-b', '16', path, 'synth', '0.5', 'sine', '440');
    const parsed = parseWav(readFileSync(path), path);
    expect(parsed.samples.length).toBe(4000);
    expect(zeroCrossingFrequency(parsed.samples, 8000)).toBeCloseTo(440, -1);
  });

  for (const [encoding, label] of [
    ['u-law', 'mu-law (format 7)'],
    ['a-law', 'A-law (format 6)'],
  ] as const) {
    it(`reads a G.711 ${label} WAV from sox`, () => {
      const path = join(dir, `${encoding}.wav`);
      sox('-n', '-r', '8000', '-c', '1', '-e', encoding, path, 'synth', '0.5', 'sine', '1000');
      const parsed = parseWav(readFileSync(path), path);
      expect(parsed.samples.length).toBe(4000);
      expect(toneRatio(parsed.samples, 1000, 8000)).toBeGreaterThan(0.95);
      expect(readWav(path).samples.length).toBe(4000);
    });
  }

  it('refuses what is not a WAV, or not PCM/G.711, naming the file and the reason', () => {
    expect(() => parseWav(Buffer.from('ID3 this is an mp3'), 'song.mp3')).toThrow(
      new WavError('song.mp3: not a WAV file (no RIFF/WAVE header)'),
    );
    const eightBit = join(dir, 'u8.wav');
    sox(
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-b',
      '8',
      '-e',
      'unsigned',
      eightBit,
      'synth',
      '0.1',
      'sine',
      '1000',
    );
    expect(() => parseWav(readFileSync(eightBit), 'u8.wav')).toThrow(
      /u8\.wav: 8-bit PCM; only 16-bit/,
    );
    const float = join(dir, 'float.wav');
    sox(
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-e',
      'floating-point',
      '-b',
      '32',
      float,
      'synth',
      '0.1',
      'sine',
      '1000',
    );
    expect(() => parseWav(readFileSync(float), 'float.wav')).toThrow(
      /float\.wav: WAV format 3 is not PCM or G\.711/,
    );
    const header = encodeWav(new Int16Array(10)).subarray(0, 12);
    expect(() => parseWav(header, 'h.wav')).toThrow(/h\.wav: WAV without a fmt chunk/);
  });
});

describe('decoded-file cache', () => {
  it('reads a file once for many plays, and again when it changes', async () => {
    const path = join(dir, 'moh.wav');
    writeWav(path, tone([500], 100));
    const cache = new AudioCache();
    const loads = await Promise.all(Array.from({ length: 50 }, () => cache.load(path)));
    expect(cache.reads).toBe(1);
    expect(new Set(loads.map((l) => l.samples)).size).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    writeWav(path, tone([700], 200));
    const changed = await cache.load(path);
    expect(cache.reads).toBe(2);
    expect(changed.samples.length).toBe(1600);
  });

  it('a missing file rejects with a WavError naming it', async () => {
    await expect(new AudioCache().load(join(dir, 'nope.wav'))).rejects.toThrow(
      /nope\.wav: cannot open \(ENOENT\)/,
    );
  });

  it('keeps within its byte budget, evicting the least recently used', async () => {
    const cache = new AudioCache(3000); // room for one 200 ms file (3200 bytes decoded) at a time
    const a = join(dir, 'a.wav');
    const b = join(dir, 'b.wav');
    writeWav(a, tone([500], 200));
    writeWav(b, tone([600], 200));
    await cache.load(a);
    await cache.load(b);
    expect(cache.size).toBe(1);
    await cache.load(a);
    expect(cache.reads).toBe(3);
  });
});
