/**
 * Decoded-audio cache: a prompt or music track played to hundreds of callers
 * is read and decoded once. Entries are keyed by path and checked against the
 * file's size and mtime on each use (one stat, no read), so a replaced prompt
 * is picked up; concurrent loads of one file share one read. The least
 * recently used entries go when the total exceeds the byte budget.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type DecodedAudio, WavError, parseWav } from './wav.ts';

interface Entry {
  mtimeMs: number;
  size: number;
  audio: Promise<DecodedAudio>;
  bytes: number;
}

export class AudioCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>(); // insertion order = recency
  #bytes = 0;
  /** Files actually read from disk (tests check that a cached file is not read again). */
  reads = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Decoded 8 kHz mono samples of a WAV file; rejects with a WavError naming the file and the reason. */
  async load(path: string): Promise<DecodedAudio> {
    const key = resolve(path);
    let info: { mtimeMs: number; size: number; isFile(): boolean };
    try {
      info = await stat(key);
    } catch (err) {
      throw new WavError(
        `${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    if (!info.isFile()) throw new WavError(`${path}: not a file`);
    const hit = this.#entries.get(key);
    if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.audio;
    }
    if (hit) this.#forget(key, hit);
    const entry: Entry = {
      mtimeMs: info.mtimeMs,
      size: info.size,
      bytes: 0,
      audio: this.#read(key, path),
    };
    this.#entries.set(key, entry);
    try {
      const audio = await entry.audio;
      if (this.#entries.get(key) === entry) {
        entry.bytes = audio.samples.byteLength;
        this.#bytes += entry.bytes;
        this.#evict();
      }
      return audio;
    } catch (err) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw err;
    }
  }

  async #read(key: string, path: string): Promise<DecodedAudio> {
    let bytes: Buffer;
    try {
      bytes = await readFile(key);
      this.reads++;
    } catch (err) {
      throw new WavError(
        `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    return parseWav(bytes, path);
  }

  #forget(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes || this.#entries.size <= 1) break;
      if (entry.bytes > 0) this.#forget(key, entry);
    }
  }
}
