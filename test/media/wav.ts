/** Small WAV files for the tests: PCM 16-bit mono tones and a non-PCM (IEEE float) file. */
import { writeFileSync } from 'node:fs';

function header(format: number, bits: number, rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(format, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * bits) / 8, 28);
  h.writeUInt16LE(bits / 8, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A PCM 16-bit 8 kHz mono sine of `hz` lasting `ms`. */
export function writeToneWav(file: string, hz: number, ms: number): void {
  const n = (8000 * ms) / 1000;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)), i * 2);
  }
  writeFileSync(file, Buffer.concat([header(1, 16, 8000, data.length), data]));
}

/** An IEEE-float WAV (format 3): a WAV the media server cannot play. */
export function writeFloatWav(file: string, ms: number): void {
  const n = (8000 * ms) / 1000;
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) data.writeFloatLE(Math.sin(i / 3) * 0.5, i * 4);
  writeFileSync(file, Buffer.concat([header(3, 32, 8000, data.length), data]));
}
