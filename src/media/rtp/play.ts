/**
 * Turning a PlaySource into a FrameSource: validation, and loading files
 * through the decoded-audio cache. A list skips files that cannot be played
 * (logged) and fails only when none can; a single file fails with its error.
 */
import type { AudioCache } from '../audio/cache.ts';
import { WavError } from '../audio/wav.ts';
import { type FrameSource, SilenceSource, ToneSource, TracksSource } from './sources.ts';
import type { PlaySource, RtpLogger } from './types.ts';

function checkTone(s: Extract<PlaySource, { kind: 'tone' }>): void {
  if (!Array.isArray(s.frequencies) || s.frequencies.length === 0)
    throw new TypeError('tone: frequencies must be a non-empty list');
  for (const f of s.frequencies) {
    if (!Number.isFinite(f) || f <= 0 || f >= 4000)
      throw new TypeError(`tone: frequency ${f} Hz is outside 0-4000 Hz`);
  }
  if (!Number.isFinite(s.onMs) || s.onMs <= 0)
    throw new TypeError('tone: onMs must be a positive number');
  if (!Number.isFinite(s.offMs) || s.offMs < 0)
    throw new TypeError('tone: offMs must be zero or more');
  if (!Number.isFinite(s.repeat))
    throw new TypeError('tone: repeat must be a number (0 or less: endless)');
}

/** Sources that need no I/O, or undefined for the ones that load files. */
export function immediateSource(source: PlaySource): FrameSource | undefined {
  switch (source.kind) {
    case 'tone':
      checkTone(source);
      return new ToneSource(source.frequencies, source.onMs, source.offMs, source.repeat);
    case 'silence':
      if (!Number.isFinite(source.durationMs) || source.durationMs < 0)
        throw new TypeError('silence: durationMs must be zero or more');
      return new SilenceSource(source.durationMs);
    case 'file':
    case 'files':
      return undefined;
    default:
      throw new TypeError(`unknown play source kind ${(source as { kind: unknown }).kind}`);
  }
}

export async function loadSource(
  source: PlaySource,
  cache: AudioCache,
  log?: RtpLogger,
): Promise<FrameSource> {
  const immediate = immediateSource(source);
  if (immediate) return immediate;
  if (source.kind === 'file') {
    if (typeof source.path !== 'string' || source.path === '')
      throw new TypeError('file: path must be a non-empty string');
    return new TracksSource([(await cache.load(source.path)).samples], false);
  }
  if (source.kind !== 'files') throw new TypeError('unreachable');
  if (!Array.isArray(source.paths) || source.paths.length === 0)
    throw new TypeError('files: paths must be a non-empty list');
  const loaded = await Promise.allSettled(source.paths.map((p) => cache.load(p)));
  const tracks: Int16Array[] = [];
  const errors: string[] = [];
  for (const r of loaded) {
    if (r.status === 'fulfilled') tracks.push(r.value.samples);
    else errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
  }
  if (errors.length > 0) log?.warn({ errors }, 'play: skipping files that cannot be played');
  if (tracks.every((t) => t.length === 0)) {
    throw new WavError(
      errors.length > 0
        ? `no playable file in the list (${errors.join('; ')})`
        : 'every file in the list is empty',
    );
  }
  return new TracksSource(tracks, source.loop);
}
