/** The voicemail's view of a recorded WAV: duration from the chunks, silence per 20 ms. */
import { describe, expect, it } from 'vitest';
import { onlySilence, wavFacts } from '../../../src/calls/voicemail/wav-file.ts';
import { encodeWav } from '../../../src/media/audio/wav.ts';
import { tone } from '../../support/audio.ts';

describe('wavFacts', () => {
  it('reads the duration of an 8 kHz 16-bit mono file', () => {
    const wav = encodeWav(tone([440], 1500, 8000, 8000));
    expect(wavFacts(wav, wav.length)).toMatchObject({
      sampleRate: 8000,
      channels: 1,
      dataOffset: 44,
      durationMs: 1500,
    });
  });

  it('skips chunks before the data and counts only the bytes present', () => {
    const wav = encodeWav(new Int16Array(8000));
    const list = Buffer.alloc(8 + 10);
    list.write('LIST', 0, 'latin1');
    list.writeUInt32LE(10, 4);
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    expect(wavFacts(withList, withList.length)?.durationMs).toBe(1000);
    // A writer cut off before it wrote the sizes: what is there counts.
    const cut = Buffer.from(wav.subarray(0, 44 + 8000));
    cut.writeUInt32LE(0, 40);
    expect(wavFacts(cut, cut.length)?.durationMs).toBe(500);
  });

  it('refuses what is not 16-bit PCM WAV', () => {
    expect(wavFacts(Buffer.from('not a wav file at all'), 21)).toBeNull();
    const wav = encodeWav(new Int16Array(80));
    const alaw = Buffer.from(wav);
    alaw.writeUInt16LE(6, 20);
    expect(wavFacts(alaw, alaw.length)).toBeNull();
    expect(wavFacts(wav.subarray(0, 20), 20)).toBeNull();
  });
});

describe('onlySilence', () => {
  const bytes = (pcm: Int16Array) => Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);

  it('is true for digital silence and faint hiss', () => {
    expect(onlySilence(bytes(new Int16Array(16000)), 8000)).toBe(true);
    const hiss = new Int16Array(16000).map((_, i) => (i % 2 === 0 ? 40 : -40));
    expect(onlySilence(bytes(hiss), 8000)).toBe(true);
  });

  it('is false as soon as one 20 ms window holds speech-level audio', () => {
    const pcm = new Int16Array(16000);
    pcm.set(tone([440], 20, 8000, 3000), 8000);
    expect(onlySilence(bytes(pcm), 8000)).toBe(false);
  });
});
