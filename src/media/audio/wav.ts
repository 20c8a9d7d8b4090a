/**
 * WAV (RIFF) reading and writing for the media server.
 *
 * Read: PCM 16-bit (mono, or stereo mixed down) at any rate, resampled to
 * 8 kHz, and G.711 WAV (format 7 mu-law, format 6 A-law; 8 kHz mono).
 * WAVE_FORMAT_EXTENSIBLE is read through its sub-format. Anything else is
 * refused with a WavError that names the file and the reason.
 * Write: 16-bit PCM, mono, 8 kHz; the header is written for a given length.
 */
import { decodeG711 } from './g711.ts';
import { resample } from './resample.ts';

export const SAMPLE_RATE = 8000;

export class WavError extends Error {
  override readonly name = 'WavError';
}

export interface DecodedAudio {
  /** 16-bit mono samples at 8 kHz. */
  samples: Int16Array;
  /** What the file held, for logs. */
  source: { format: 'pcm16' | 'PCMU' | 'PCMA'; sampleRate: number; channels: number };
}

const FORMAT_PCM = 1;
const FORMAT_ALAW = 6;
const FORMAT_ULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

interface Fmt {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function readFmt(buf: Buffer, at: number, size: number, name: string): Fmt {
  if (size < 16) throw new WavError(`${name}: fmt chunk too short (${size} bytes)`);
  let format = buf.readUInt16LE(at);
  if (format === FORMAT_EXTENSIBLE) {
    if (size < 40) throw new WavError(`${name}: extensible fmt chunk too short (${size} bytes)`);
    format = buf.readUInt16LE(at + 24); // first two bytes of the sub-format GUID
  }
  return {
    format,
    channels: buf.readUInt16LE(at + 2),
    sampleRate: buf.readUInt32LE(at + 4),
    blockAlign: buf.readUInt16LE(at + 12),
    bitsPerSample: buf.readUInt16LE(at + 14),
  };
}

/** Parses a WAV file's bytes; `name` appears in error messages. */
export function parseWav(buf: Buffer, name: string): DecodedAudio {
  if (
    buf.length < 12 ||
    buf.toString('latin1', 0, 4) !== 'RIFF' ||
    buf.toString('latin1', 8, 12) !== 'WAVE'
  ) {
    throw new WavError(`${name}: not a WAV file (no RIFF/WAVE header)`);
  }
  let fmt: Fmt | undefined;
  let data: Buffer | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') fmt = readFmt(buf, body, Math.min(size, buf.length - body), name);
    // A data chunk whose size runs past the end (a recording cut short) is read as far as it goes.
    if (id === 'data') data = buf.subarray(body, Math.min(buf.length, body + size));
    if (fmt && data) break;
    at = body + size + (size & 1);
  }
  if (!fmt) throw new WavError(`${name}: WAV without a fmt chunk`);
  if (!data) throw new WavError(`${name}: WAV without a data chunk`);
  const { format, channels, sampleRate, bitsPerSample } = fmt;
  if (channels < 1 || channels > 2)
    throw new WavError(`${name}: ${channels} channels; only mono or stereo`);
  if (sampleRate < 4000 || sampleRate > 192_000)
    throw new WavError(`${name}: sample rate ${sampleRate} Hz not supported`);

  if (format === FORMAT_ULAW || format === FORMAT_ALAW) {
    const codec = format === FORMAT_ULAW ? 'PCMU' : 'PCMA';
    if (bitsPerSample !== 8 || channels !== 1 || sampleRate !== SAMPLE_RATE) {
      throw new WavError(
        `${name}: G.711 WAV must be 8-bit mono 8000 Hz (has ${bitsPerSample}-bit, ${channels} ch, ${sampleRate} Hz)`,
      );
    }
    const samples = new Int16Array(data.length);
    decodeG711(codec, data, samples);
    return { samples, source: { format: codec, sampleRate, channels } };
  }
  if (format !== FORMAT_PCM)
    throw new WavError(`${name}: WAV format ${format} is not PCM or G.711`);
  if (bitsPerSample !== 16) throw new WavError(`${name}: ${bitsPerSample}-bit PCM; only 16-bit`);

  const frames = Math.floor(data.length / (2 * channels));
  const mono = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    if (channels === 1) mono[i] = data.readInt16LE(2 * i);
    else mono[i] = (data.readInt16LE(4 * i) + data.readInt16LE(4 * i + 2)) >> 1;
  }
  return {
    samples: resample(mono, sampleRate, SAMPLE_RATE),
    source: { format: 'pcm16', sampleRate, channels },
  };
}

/** The 44-byte header of a 16-bit PCM WAV (mono unless told; stereo is interleaved left, right) holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate = SAMPLE_RATE, channels = 1): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2 * channels, 28);
  h.writeUInt16LE(2 * channels, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A whole 16-bit PCM mono WAV file in memory. */
export function encodeWav(samples: Int16Array, sampleRate = SAMPLE_RATE): Buffer {
  const body = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) body.writeInt16LE(samples[i]!, 2 * i);
  return Buffer.concat([wavHeader(body.length, sampleRate), body]);
}
