/**
 * The received-audio buffer of a channel: decoded samples in, one 20 ms frame
 * out per tick. It waits for two frames before it starts (and again after
 * running dry), which absorbs the usual jitter between the peer's clock and
 * ours; it keeps at most 120 ms, dropping the oldest audio if the peer sends
 * faster than real time, so latency stays bounded.
 */
const START_SAMPLES = 320;
const MAX_SAMPLES = 960;

export class SampleFifo {
  readonly #ring = new Int16Array(2048);
  #read = 0;
  #size = 0;
  #flowing = false;

  get buffered(): number {
    return this.#size;
  }

  push(samples: Int16Array): void {
    const ring = this.#ring;
    for (let i = 0; i < samples.length; i++) {
      ring[(this.#read + this.#size) & 2047] = samples[i]!;
      if (this.#size < ring.length) this.#size++;
      else this.#read = (this.#read + 1) & 2047;
    }
    if (this.#size > MAX_SAMPLES) {
      const drop = this.#size - START_SAMPLES;
      this.#read = (this.#read + drop) & 2047;
      this.#size -= drop;
    }
  }

  /** Fills `out` with the next frame; false (and `out` untouched) while filling or dry. */
  take(out: Int16Array): boolean {
    if (!this.#flowing) {
      if (this.#size < START_SAMPLES) return false;
      this.#flowing = true;
    }
    if (this.#size < out.length) {
      this.#flowing = false;
      return false;
    }
    for (let i = 0; i < out.length; i++) out[i] = this.#ring[(this.#read + i) & 2047]!;
    this.#read = (this.#read + out.length) & 2047;
    this.#size -= out.length;
    return true;
  }

  clear(): void {
    this.#read = 0;
    this.#size = 0;
    this.#flowing = false;
  }
}
