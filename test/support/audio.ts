/**
 * Audio analysis for tests: read and write WAV files, detect tones, measure
 * levels, and recognise a prompt inside a recording.
 *
 * Independent of the code under test (its own WAV reader), so a bug in the
 * media server's WAV or resampling code cannot hide itself. Samples are plain
 * numbers in Int16Array, mono; rates in Hz.
 *
 * Typical use:
 *   const rec = readWav('/tmp/heard.wav');
 *   expect(toneRatio(rec.samples, 1000, rec.sampleRate)).toBeGreaterThan(0.8); // mostly 1 kHz
 *   expect(dbfs(silencePart)).toBeLessThan(-50);                                 // silence
 *   expect(findPrompt(rec, readWav('prompts/welcome.wav')).score).toBeGreaterThan(0.8);
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface Audio {
  sampleRate: number;
  /** Mono samples (stereo files are mixed down). */
  samples: Int16Array;
}

// ------------------------------------------------------------------ WAV I/O

/**
 * Reads a 16-bit PCM WAV (any rate, mono or stereo) or a G.711 WAV (format 6
 * A-law, 7 mu-law). Throws on anything else.
 */
export function readWav(pathOrBytes: string | Buffer): Audio {
  const buf = typeof pathOrBytes === 'string' ? readFileSync(pathOrBytes) : pathOrBytes;
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('readWav: not a RIFF/WAVE file');
  }
  let format = 0;
  let channels = 1;
  let sampleRate = 0;
  let bits = 0;
  let data: Buffer | undefined;
  for (let at = 12; at + 8 <= buf.length; ) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      format = buf.readUInt16LE(at + 8);
      channels = buf.readUInt16LE(at + 10);
      sampleRate = buf.readUInt32LE(at + 12);
      bits = buf.readUInt16LE(at + 22);
      if (format === 0xfffe) format = buf.readUInt16LE(at + 32);
    } else if (id === 'data') {
      data = buf.subarray(at + 8, Math.min(buf.length, at + 8 + size));
    }
    at += 8 + size + (size & 1);
  }
  if (!data) throw new Error('readWav: no data chunk');
  if (format === 6 || format === 7) {
    const samples = Int16Array.from(data, (b) => (format === 7 ? ulaw(b) : alaw(b)));
    return { sampleRate, samples };
  }
  if (format !== 1 || bits !== 16)
    throw new Error(`readWav: format ${format}, ${bits}-bit not supported`);
  const frames = Math.floor(data.length / (2 * channels));
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data.readInt16LE(2 * (i * channels + c));
    samples[i] = Math.round(sum / channels);
  }
  return { sampleRate, samples };
}

/** Writes a 16-bit PCM mono WAV. */
export function writeWav(path: string, samples: Int16Array, sampleRate = 8000): void {
  const body = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) body.writeInt16LE(samples[i]!, 2 * i);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + body.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(body.length, 40);
  writeFileSync(path, Buffer.concat([h, body]));
}

// Reference G.711 decoders written from the standard's segment formula (not
// the table code under test).
function ulaw(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 7;
  const magnitude = (((u & 0x0f) * 2 + 33) << exponent) - 33;
  return (u & 0x80 ? -magnitude : magnitude) * 4;
}
function alaw(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 7;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? mantissa * 2 + 1 : (mantissa * 2 + 33) << (exponent - 1);
  return (a & 0x80 ? magnitude : -magnitude) * 8;
}

/** Decodes G.711 bytes with the reference decoders above. */
export function decodeG711Reference(codec: 'PCMU' | 'PCMA', bytes: Uint8Array): Int16Array {
  return Int16Array.from(bytes, (b) => (codec === 'PCMU' ? ulaw(b) : alaw(b)));
}

// ----------------------------------------------------------------- synthesis

/** A tone: the sum of `frequencies`, `ms` long, peak `amplitude` (default 12000). */
export function tone(
  frequencies: number[],
  ms: number,
  sampleRate = 8000,
  amplitude = 12_000,
): Int16Array {
  const n = Math.round((ms * sampleRate) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of frequencies) v += Math.sin((2 * Math.PI * f * i) / sampleRate);
    out[i] = Math.round((v * amplitude) / frequencies.length);
  }
  return out;
}

/** Deterministic noise-like "speech" with a syllable envelope, for correlation tests. */
export function pseudoSpeech(ms: number, seed = 1, sampleRate = 8000): Int16Array {
  const n = Math.round((ms * sampleRate) / 1000);
  const out = new Int16Array(n);
  let x = seed >>> 0 || 1;
  let low = 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    low = 0.7 * low + 0.3 * (((x >>> 0) / 2 ** 32) * 2 - 1); // keep it in the telephone band
    const syllable = Math.abs(Math.sin((Math.PI * i) / (0.18 * sampleRate + (seed % 7) * 90)));
    out[i] = Math.round(low * 20_000 * syllable);
  }
  return out;
}

// ------------------------------------------------------------------ analysis

/** Root mean square of the samples (0 for none). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length);
}

/** Level relative to full scale in dB (-Infinity for digital silence). */
export function dbfs(samples: ArrayLike<number>): number {
  return 20 * Math.log10(rms(samples) / 32768);
}

/** True when the level is below `thresholdDbfs` (default -50 dBFS). */
export function isSilent(samples: ArrayLike<number>, thresholdDbfs = -50): boolean {
  return dbfs(samples) < thresholdDbfs;
}

/** Goertzel power of `freq`: the squared magnitude of that DFT bin, scaled by 2/N^2 (a full-scale sine gives ~A^2/2). */
export function goertzel(samples: ArrayLike<number>, freq: number, sampleRate: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / (n * n);
}

/**
 * Share of the signal's power at `freq` (0..1): near 1 for a pure tone at
 * that frequency, near 0 for silence, other tones or broadband sound.
 */
export function toneRatio(samples: ArrayLike<number>, freq: number, sampleRate: number): number {
  const total = rms(samples) ** 2;
  if (total === 0) return 0;
  return Math.min(1, goertzel(samples, freq, sampleRate) / total);
}

/** Frequency estimated from upward zero crossings (good for a single tone). */
export function zeroCrossingFrequency(samples: ArrayLike<number>, sampleRate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 && samples[i]! >= 0) crossings++;
  return (crossings * sampleRate) / Math.max(1, samples.length);
}

/** The strongest of `candidates` (Hz) by Goertzel power. */
export function dominantFrequency(
  samples: ArrayLike<number>,
  sampleRate: number,
  candidates: number[],
): number {
  let best = candidates[0]!;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzel(samples, f, sampleRate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

/** Splits samples into consecutive windows of `ms` (the last partial one dropped). */
export function windows(samples: Int16Array, ms: number, sampleRate = 8000): Int16Array[] {
  const size = Math.round((ms * sampleRate) / 1000);
  const out: Int16Array[] = [];
  for (let at = 0; at + size <= samples.length; at += size)
    out.push(samples.subarray(at, at + size));
  return out;
}

/** What a stretch of audio is: silence, a single steady tone at one of `tones`, or other sound (speech, music). */
export function classify(
  samples: Int16Array,
  sampleRate: number,
  tones: number[] = [],
): 'silence' | `tone:${number}` | 'sound' {
  if (isSilent(samples)) return 'silence';
  for (const f of tones) if (toneRatio(samples, f, sampleRate) > 0.7) return `tone:${f}`;
  return 'sound';
}

/** RMS envelope in `ms` windows, as an array of levels. */
export function envelope(samples: Int16Array, sampleRate: number, ms = 10): number[] {
  return windows(samples, ms, sampleRate).map((w) => rms(w));
}

/**
 * Finds `prompt` inside `recording` by normalised cross-correlation of their
 * 10 ms level envelopes (robust to G.711 coding, small gains and phase):
 * `score` near 1 where the prompt was heard whole, `offsetMs` where it starts.
 * Both must have the same sample rate.
 */
export function findPrompt(recording: Audio, prompt: Audio): { score: number; offsetMs: number } {
  if (recording.sampleRate !== prompt.sampleRate)
    throw new Error('findPrompt: sample rates differ');
  const rec = envelope(recording.samples, recording.sampleRate);
  const pat = envelope(prompt.samples, prompt.sampleRate);
  if (pat.length === 0 || rec.length < pat.length) return { score: 0, offsetMs: 0 };
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const pm = mean(pat);
  const pd = pat.map((v) => v - pm);
  const pn = Math.sqrt(pd.reduce((s, v) => s + v * v, 0));
  let best = { score: 0, offsetMs: 0 };
  for (let lag = 0; lag + pat.length <= rec.length; lag++) {
    const seg = rec.slice(lag, lag + pat.length);
    const sm = mean(seg);
    let dot = 0;
    let sn = 0;
    for (let i = 0; i < seg.length; i++) {
      const d = seg[i]! - sm;
      dot += d * pd[i]!;
      sn += d * d;
    }
    const score = pn === 0 || sn === 0 ? 0 : dot / (pn * Math.sqrt(sn));
    if (score > best.score) best = { score, offsetMs: lag * 10 };
  }
  return best;
}
