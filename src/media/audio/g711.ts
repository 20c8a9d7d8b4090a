/**
 * G.711 (ITU-T) mu-law and A-law, table-based. Encoding looks up a table
 * indexed by the 16-bit sample, which holds the code for the sample rounded
 * to the codec's own resolution (14 bits for mu-law, 13 for A-law; rounding,
 * as sox does, halves the error of plain truncation), so a 160-sample frame
 * costs 160 array reads.
 */
/** The two G.711 variants by their RTP encoding names. */
export type G711 = 'PCMU' | 'PCMA';

/** The byte a G.711 encoder produces for digital silence (sample 0). */
export const SILENCE_BYTE: Readonly<Record<G711, number>> = { PCMU: 0xff, PCMA: 0xd5 };

function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  let magnitude = (a & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

/** Segment of a magnitude: the first end point it does not exceed (8 when above all). */
function segmentOf(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]!) return i;
  return ends.length;
}

const ULAW_ENDS = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

/** `pcm14` is a 14-bit sample (-8192..8191). */
function linear14ToUlaw(pcm14: number): number {
  let value = pcm14;
  let mask = 0xff;
  if (value < 0) {
    value = -value;
    mask = 0x7f;
  }
  value = Math.min(value, 8159) + 0x21;
  const segment = segmentOf(value, ULAW_ENDS);
  if (segment >= 8) return 0x7f ^ mask;
  return ((segment << 4) | ((value >> (segment + 1)) & 0x0f)) ^ mask;
}

/** `pcm13` is a 13-bit sample (-4096..4095). */
function linear13ToAlaw(pcm13: number): number {
  let value = pcm13;
  let mask = 0xd5;
  if (value < 0) {
    mask = 0x55;
    value = -value - 1;
  }
  const segment = segmentOf(value, ALAW_ENDS);
  if (segment >= 8) return 0x7f ^ mask;
  const low = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return ((segment << 4) | low) ^ mask;
}

const ULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
/** Rounds a 16-bit sample to `bits` (the codec's input resolution), staying in range. */
function reduce(sample: number, bits: number): number {
  const shift = 16 - bits;
  return Math.min((sample + (1 << (shift - 1))) >> shift, (1 << (bits - 1)) - 1);
}
// Indexed by the 16-bit sample + 32768 (64 KiB each): one read per sample, rounding built in.
const ULAW_ENCODE = Uint8Array.from({ length: 1 << 16 }, (_, i) =>
  linear14ToUlaw(reduce(i - 32768, 14)),
);
const ALAW_ENCODE = Uint8Array.from({ length: 1 << 16 }, (_, i) =>
  linear13ToAlaw(reduce(i - 32768, 13)),
);

/** Encodes `pcm` into `out` (same length) with the codec's table. */
export function encodeG711(codec: G711, pcm: Int16Array, out: Uint8Array): void {
  const n = pcm.length;
  if (codec === 'PCMU') {
    for (let i = 0; i < n; i++) out[i] = ULAW_ENCODE[pcm[i]! + 32768]!;
  } else {
    for (let i = 0; i < n; i++) out[i] = ALAW_ENCODE[pcm[i]! + 32768]!;
  }
}

/** Decodes `bytes` into `out` starting at `outOffset`. */
export function decodeG711(codec: G711, bytes: Uint8Array, out: Int16Array, outOffset = 0): void {
  const table = codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
  const n = bytes.length;
  for (let i = 0; i < n; i++) out[outOffset + i] = table[bytes[i]!]!;
}

/** One sample each way, for tests and the occasional single value. */
export function encodeSample(codec: G711, sample: number): number {
  return (codec === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE)[(sample | 0) + 32768]!;
}
export function decodeSample(codec: G711, code: number): number {
  return (codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE)[code & 0xff]!;
}
