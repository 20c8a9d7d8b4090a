/**
 * What the voicemail needs to know of a recorded WAV file: how long it is and
 * whether it holds only silence. Pure: bytes in, facts out. Reads the RIFF
 * chunks instead of assuming a 44-byte header, because FreeSWITCH and the
 * embedded media server write different headers.
 */

export interface WavFacts {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Byte offset of the samples in the file. */
  dataOffset: number;
  /** Bytes of samples (as the header says, capped by the bytes present). */
  dataBytes: number;
  durationMs: number;
}

/** The header's facts, or null when `head` is not a PCM WAV (`fileBytes`: the file's size). */
export function wavFacts(head: Buffer, fileBytes: number): WavFacts | null {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF') return null;
  if (head.toString('latin1', 8, 12) !== 'WAVE') return null;
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  for (let at = 12; at + 8 <= head.length; ) {
    const id = head.toString('latin1', at, at + 4);
    const size = head.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ' && body + 16 <= head.length) {
      fmt = {
        format: head.readUInt16LE(body),
        channels: head.readUInt16LE(body + 2),
        rate: head.readUInt32LE(body + 4),
        bits: head.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (
        fmt === null ||
        fmt.format !== 1 ||
        fmt.rate <= 0 ||
        fmt.channels <= 0 ||
        fmt.bits !== 16
      ) {
        return null;
      }
      const present = Math.max(0, fileBytes - body);
      // A header left at 0 or 0xFFFFFFFF by a writer that was cut off: the bytes present count.
      const dataBytes = size === 0 || size === 0xffffffff ? present : Math.min(size, present);
      const frameBytes = fmt.channels * 2;
      return {
        sampleRate: fmt.rate,
        channels: fmt.channels,
        bitsPerSample: fmt.bits,
        dataOffset: body,
        dataBytes,
        durationMs: Math.round((Math.floor(dataBytes / frameBytes) / fmt.rate) * 1000),
      };
    }
    at = body + size + (size % 2);
  }
  return null;
}

/** RMS below this (16-bit samples) counts as silence: about -47 dBFS, below line hiss. */
export const SILENCE_RMS = 150;

/** Whether 16-bit little-endian `samples` hold nothing louder than silence (per 20 ms window). */
export function onlySilence(samples: Buffer, sampleRate: number): boolean {
  const window = Math.max(1, Math.round(sampleRate / 50));
  const count = Math.floor(samples.length / 2);
  for (let start = 0; start < count; start += window) {
    const end = Math.min(count, start + window);
    let sum = 0;
    for (let i = start; i < end; i++) {
      const s = samples.readInt16LE(i * 2);
      sum += s * s;
    }
    if (Math.sqrt(sum / (end - start)) >= SILENCE_RMS) return false;
  }
  return true;
}
