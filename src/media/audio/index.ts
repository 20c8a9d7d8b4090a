/** Audio helpers of the media server: G.711, WAV, resampling, tones, decoded-file cache. */
export { AudioCache } from './cache.ts';
export {
  type G711,
  SILENCE_BYTE,
  decodeG711,
  decodeSample,
  encodeG711,
  encodeSample,
} from './g711.ts';
export { resample } from './resample.ts';
export { ToneOscillator } from './tone.ts';
export { type DecodedAudio, SAMPLE_RATE, WavError, encodeWav, parseWav, wavHeader } from './wav.ts';
