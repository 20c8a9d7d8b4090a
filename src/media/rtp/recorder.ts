/**
 * Recording to a 16-bit PCM 8 kHz WAV: mono (what the peer sends, or a
 * session's two directions mixed) or stereo (a session's two directions,
 * interleaved left, right).
 *
 * The channel hands over one frame per 20 ms tick (silence where the peer sent
 * nothing), so the file's length is wall-clock time. Samples go to a hidden
 * temporary file beside the target (`.<name>.<random>.part`), written in
 * half-second batches; on finish the header gets its sizes and the file is
 * renamed into place, so a listing never shows a half-written recording. A
 * disk error ends the recording with reason 'error' and removes the partial
 * file; the channel carries on.
 *
 *   opening -> recording -> finishing -> done
 *      \____________________/
 *        (finish requested early: the open completes first)
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { wavHeader } from '../audio/wav.ts';
import type { RecordOptions, RecordResult } from './types.ts';

const FLUSH_SAMPLES = 4000; // half a second of mono, a quarter of stereo
const SILENCE_RMS = 150; // about -47 dBFS
const HEADER_BYTES = 44;

type Reason = RecordResult['reason'];

/** What is wrong with a recording's arguments, if anything. */
export function recordArgumentsProblem(path: string, opts: RecordOptions): string | null {
  if (typeof path !== 'string' || path === '') return 'path must be a non-empty string';
  if (!opts || !Number.isFinite(opts.maxMs) || opts.maxMs <= 0)
    return 'maxMs must be a positive number';
  const silence = opts.silenceStopMs;
  if (silence !== undefined && (!Number.isFinite(silence) || silence < 0))
    return 'silenceStopMs must be zero or more';
  return null;
}

export interface RecorderOptions extends RecordOptions {
  /** Samples per frame: 1 (mono) or 2 (stereo, interleaved). */
  channels?: 1 | 2;
  /** A recording that got no audio at all is removed instead of kept as an empty file. */
  discardEmpty?: boolean;
}
type State = 'opening' | 'recording' | 'finishing' | 'done';

export class Recorder {
  readonly result: Promise<RecordResult>;
  readonly #path: string;
  readonly #temp: string;
  readonly #maxSamples: number;
  readonly #terminators: string;
  readonly #silenceSamples: number;
  readonly #channels: 1 | 2;
  readonly #discardEmpty: boolean;
  #resolve!: (r: RecordResult) => void;
  #state: State = 'opening';
  #file: FileHandle | undefined;
  #pending: Int16Array[] = [];
  #pendingSamples = 0;
  /** Sample frames (one sample per channel) accepted so far. */
  #samples = 0;
  #silentRun = 0;
  #writes: Promise<void> = Promise.resolve();
  /** Where the next batch goes (every write is positioned: the header is rewritten at 0). */
  #offset = HEADER_BYTES;
  #failure: string | undefined;
  #endReason: Reason | undefined;

  constructor(path: string, opts: RecorderOptions) {
    this.#path = path;
    this.#temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.part`);
    this.#maxSamples = Math.max(1, Math.round(opts.maxMs * 8));
    this.#terminators = opts.terminators ?? '';
    this.#channels = opts.channels ?? 1;
    this.#discardEmpty = opts.discardEmpty ?? false;
    this.#silenceSamples =
      opts.silenceStopMs && opts.silenceStopMs > 0 ? Math.round(opts.silenceStopMs * 8) : 0;
    this.result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#open();
  }

  get active(): boolean {
    return this.#state === 'opening' || this.#state === 'recording';
  }

  async #open(): Promise<void> {
    try {
      this.#file = await open(this.#temp, 'wx');
      await this.#file.write(wavHeader(0, 8000, this.#channels), 0, HEADER_BYTES, 0);
    } catch (err) {
      this.#failure = describe(err);
    }
    if (this.#state === 'opening') this.#state = 'recording';
    if (this.#failure) this.finish('error');
    else if (this.#endReason) this.#complete();
    else this.#flush(false);
  }

  /** One tick's frame (interleaved left, right when stereo). */
  push(frame: Int16Array): void {
    if (!this.active) return;
    const ch = this.#channels;
    const take = Math.min(Math.floor(frame.length / ch), this.#maxSamples - this.#samples);
    this.#pending.push(frame.slice(0, take * ch));
    this.#pendingSamples += take * ch;
    this.#samples += take;
    if (this.#silenceSamples > 0) {
      this.#silentRun = rms(frame) < SILENCE_RMS ? this.#silentRun + frame.length : 0;
      if (this.#silentRun >= this.#silenceSamples) {
        this.finish('silence');
        return;
      }
    }
    if (this.#samples >= this.#maxSamples) {
      this.finish('max');
      return;
    }
    if (this.#pendingSamples >= FLUSH_SAMPLES) this.#flush(false);
  }

  /** A received digit; a terminator ends the recording. */
  dtmf(digit: string): void {
    if (this.active && this.#terminators.includes(digit)) this.finish('terminator');
  }

  /** Ends the recording (no-op once ended); the result settles after the file is in place. */
  finish(reason: Reason): void {
    if (!this.active) return;
    this.#endReason = reason;
    if (this.#state === 'opening') return; // #open completes it
    this.#complete();
  }

  #complete(): void {
    this.#state = 'finishing';
    this.#flush(true);
    this.#writes = this.#writes.then(() => this.#close());
  }

  #flush(final: boolean): void {
    if (this.#pendingSamples === 0 || !this.#file || (this.#failure && !final)) return;
    const file = this.#file;
    const bytes = Buffer.alloc(this.#pendingSamples * 2);
    let at = 0;
    for (const chunk of this.#pending) {
      for (let i = 0; i < chunk.length; i++, at += 2) bytes.writeInt16LE(chunk[i]!, at);
    }
    this.#pending = [];
    this.#pendingSamples = 0;
    const position = this.#offset;
    this.#offset += bytes.length;
    this.#writes = this.#writes.then(async () => {
      if (this.#failure) return;
      try {
        const { bytesWritten } = await file.write(bytes, 0, bytes.length, position);
        // A full disk may take part of a write without an error; the file would then lie.
        if (bytesWritten < bytes.length) {
          throw Object.assign(new Error(`short write (${bytesWritten} of ${bytes.length} bytes)`), {
            code: 'ENOSPC',
          });
        }
      } catch (err) {
        this.#failure = describe(err);
        if (this.active) this.finish('error');
      }
    });
  }

  async #close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    const dataBytes = this.#samples * 2 * this.#channels;
    const discard = this.#discardEmpty && this.#samples === 0;
    if (file && !this.#failure && !discard) {
      try {
        await file.write(wavHeader(dataBytes, 8000, this.#channels), 0, HEADER_BYTES, 0);
      } catch (err) {
        this.#failure = describe(err);
      }
    }
    await file?.close().catch(() => undefined);
    if (!this.#failure && file && !discard) {
      try {
        await rename(this.#temp, this.#path);
      } catch (err) {
        this.#failure = describe(err);
      }
    }
    if (this.#failure || discard) await unlink(this.#temp).catch(() => undefined);
    this.#state = 'done';
    const durationMs = Math.round(this.#samples / 8);
    this.#resolve(
      this.#failure
        ? { reason: 'error', durationMs, error: this.#failure }
        : discard
          ? { reason: this.#endReason ?? 'stopped', durationMs, discarded: true }
          : { reason: this.#endReason ?? 'stopped', durationMs },
    );
  }
}

function rms(frame: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += frame[i]! * frame[i]!;
  return Math.sqrt(sum / Math.max(1, frame.length));
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(err);
}
