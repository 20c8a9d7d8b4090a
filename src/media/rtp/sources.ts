/**
 * What a channel plays, frame by frame. `fill(out)` writes up to a frame of
 * 8 kHz samples and returns how many; fewer than `out.length` means the
 * source has ended (the rest of the frame is silence).
 */
import { ToneOscillator } from '../audio/tone.ts';

export interface FrameSource {
  fill(out: Int16Array): number;
}

/** Decoded tracks played in order, optionally again from the first one. */
export class TracksSource implements FrameSource {
  readonly #tracks: Int16Array[];
  readonly #loop: boolean;
  #track = 0;
  #pos = 0;

  constructor(tracks: Int16Array[], loop: boolean) {
    this.#tracks = tracks.filter((t) => t.length > 0);
    this.#loop = loop;
  }

  fill(out: Int16Array): number {
    let written = 0;
    while (written < out.length) {
      const track = this.#tracks[this.#track];
      if (!track) {
        if (!this.#loop || this.#tracks.length === 0) break;
        this.#track = 0;
        continue;
      }
      const n = Math.min(out.length - written, track.length - this.#pos);
      out.set(track.subarray(this.#pos, this.#pos + n), written);
      written += n;
      this.#pos += n;
      if (this.#pos >= track.length) {
        this.#track++;
        this.#pos = 0;
      }
    }
    out.fill(0, written);
    return written;
  }
}

/** Bursts of a tone: `onMs` of the summed frequencies, `offMs` of silence, `repeat` times (<= 0: endless). */
export class ToneSource implements FrameSource {
  readonly #osc: ToneOscillator;
  readonly #on: number;
  readonly #off: number;
  readonly #repeat: number;
  #burst = 0;
  #pos = 0; // sample within the current on+off period

  constructor(frequencies: number[], onMs: number, offMs: number, repeat: number) {
    this.#osc = new ToneOscillator(frequencies);
    this.#on = Math.max(0, Math.round(onMs * 8));
    this.#off = Math.max(0, Math.round(offMs * 8));
    this.#repeat = repeat;
  }

  fill(out: Int16Array): number {
    const period = this.#on + this.#off;
    let written = 0;
    while (written < out.length && period > 0) {
      if (this.#repeat > 0 && this.#burst >= this.#repeat) break;
      if (this.#pos < this.#on) {
        const n = Math.min(out.length - written, this.#on - this.#pos);
        this.#osc.fill(out, written, n);
        written += n;
        this.#pos += n;
      } else {
        const n = Math.min(out.length - written, period - this.#pos);
        out.fill(0, written, written + n);
        written += n;
        this.#pos += n;
      }
      if (this.#pos >= period) {
        this.#pos = 0;
        this.#burst++;
        this.#osc.reset();
      }
    }
    out.fill(0, written);
    return written;
  }
}

export class SilenceSource implements FrameSource {
  #left: number;
  constructor(durationMs: number) {
    this.#left = Math.max(0, Math.round(durationMs * 8));
  }
  fill(out: Int16Array): number {
    const n = Math.min(out.length, this.#left);
    this.#left -= n;
    out.fill(0);
    return n;
  }
}
