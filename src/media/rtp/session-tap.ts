/**
 * A session recording's tap on one RTP channel: it pairs each tick's read
 * frame (what the peer sent) with its write frame (what the channel sent) and
 * hands the pair to a recorder as FreeSWITCH's media bug lays it out: stereo
 * with read left and write right (`stereo-swap`: the reverse), or mono with
 * both summed and clipped.
 *
 * The engine takes every channel's read frame before any channel sends, so a
 * read normally waits for its tick's write. A read that gets no write (the
 * catch-up frames after a stall) is paired with silence, so the file keeps
 * wall-clock length on both sides.
 */
import { Recorder } from './recorder.ts';
import type { RecordResult, SessionRecordOptions } from './types.ts';

const FRAME = 160;

/** What is wrong with a session recording's arguments, if anything. */
export function sessionArgumentsProblem(path: string, opts: SessionRecordOptions): string | null {
  if (typeof path !== 'string' || path === '') return 'path must be a non-empty string';
  if (!opts || !Number.isFinite(opts.maxMs) || opts.maxMs <= 0)
    return 'maxMs must be a positive number';
  if (opts.layout !== 'mono' && opts.layout !== 'stereo' && opts.layout !== 'stereo-swap')
    return 'layout must be mono, stereo or stereo-swap';
  return null;
}

export class SessionTap {
  readonly #recorder: Recorder;
  readonly #layout: SessionRecordOptions['layout'];
  readonly #read = new Int16Array(FRAME);
  #readPending = false;
  readonly #silence = new Int16Array(FRAME);
  readonly #out: Int16Array;

  constructor(path: string, opts: SessionRecordOptions) {
    this.#layout = opts.layout;
    const channels = opts.layout === 'mono' ? 1 : 2;
    this.#out = new Int16Array(FRAME * channels);
    this.#recorder = new Recorder(path, { maxMs: opts.maxMs, channels, discardEmpty: true });
  }

  get result(): Promise<RecordResult> {
    return this.#recorder.result;
  }

  get active(): boolean {
    return this.#recorder.active;
  }

  /** This tick's frame from the peer. */
  read(frame: Int16Array): void {
    if (this.#readPending) this.#emit(this.#read, this.#silence);
    this.#read.set(frame.subarray(0, FRAME));
    this.#readPending = true;
  }

  /** This tick's frame to the peer. */
  write(frame: Int16Array): void {
    this.#emit(this.#readPending ? this.#read : this.#silence, frame);
    this.#readPending = false;
  }

  finish(reason: RecordResult['reason']): void {
    if (this.#readPending) this.#emit(this.#read, this.#silence);
    this.#readPending = false;
    this.#recorder.finish(reason);
  }

  #emit(read: Int16Array, write: Int16Array): void {
    if (!this.#recorder.active) return;
    const out = this.#out;
    if (this.#layout === 'mono') {
      for (let i = 0; i < FRAME; i++) {
        const sum = (read[i] ?? 0) + (write[i] ?? 0);
        out[i] = Math.min(32767, Math.max(-32768, sum));
      }
    } else {
      const [left, right] = this.#layout === 'stereo' ? [read, write] : [write, read];
      for (let i = 0; i < FRAME; i++) {
        out[2 * i] = left[i] ?? 0;
        out[2 * i + 1] = right[i] ?? 0;
      }
    }
    this.#recorder.push(out);
  }
}
