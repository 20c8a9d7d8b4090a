/**
 * Tone generation: the sum of sine waves, phase-continuous across frames, at a
 * level that cannot clip (the sum peaks at about -6 dBFS whatever the count).
 */
import { SAMPLE_RATE } from './wav.ts';

const PEAK = 16_000;

export class ToneOscillator {
  readonly #steps: number[];
  readonly #amplitude: number;
  #n = 0;

  constructor(frequencies: readonly number[]) {
    this.#steps = frequencies.map((f) => (2 * Math.PI * f) / SAMPLE_RATE);
    this.#amplitude = frequencies.length > 0 ? PEAK / frequencies.length : 0;
  }

  /** Writes the next `count` samples into `out` from `offset`. */
  fill(out: Int16Array, offset: number, count: number): void {
    for (let i = 0; i < count; i++) {
      let v = 0;
      for (const step of this.#steps) v += Math.sin(step * this.#n);
      out[offset + i] = Math.round(v * this.#amplitude);
      this.#n++;
    }
  }

  /** Starts the next burst at phase zero. */
  reset(): void {
    this.#n = 0;
  }
}
