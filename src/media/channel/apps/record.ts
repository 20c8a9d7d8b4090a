/**
 * `record <path> [<limit s>] [<silence thresh>] [<silence hits>]`: records
 * what the peer sends to a WAV file until the limit, a digit in
 * `playback_terminators`, silence (only with a threshold), `uuid_break` or
 * hangup. Sets `record_seconds`, `record_ms`, `record_samples` and, for a
 * terminator, `playback_terminator_used`. A file that cannot be written hangs
 * the channel up, as FreeSWITCH does.
 */
import path from 'node:path';
import type { App } from '../channel.ts';
import { terminatorSet } from './play.ts';

/** "No limit" still ends: FreeSWITCH records until hangup; we stop after 4 hours. */
const UNLIMITED_MS = 4 * 3600 * 1000;

export function recordApp(recordDir: string): App {
  return async (ctx) => {
    const { ch, frame } = ctx;
    const a = ctx.arg.trim().split(/\s+/);
    const raw = a[0] ?? '';
    if (!raw) {
      ch.log.warn('record: no file given');
      return undefined;
    }
    const file = path.isAbsolute(raw) ? raw : path.join(recordDir, raw);
    const limitS = Number.parseInt(a[1] ?? '', 10);
    const thresh = Number.parseInt(a[2] ?? '', 10);
    const hits = Number.parseInt(a[3] ?? '', 10);
    const opts: { maxMs: number; silenceStopMs?: number } = {
      maxMs: Number.isFinite(limitS) && limitS > 0 ? limitS * 1000 : UNLIMITED_MS,
    };
    if (Number.isFinite(thresh) && thresh > 0) {
      opts.silenceStopMs = (Number.isFinite(hits) && hits > 0 ? hits : 3) * 1000;
    }
    const terminators = terminatorSet(ch.vars.get('playback_terminators'));
    frame.digitSink = (d) => {
      if (!terminators.includes(d)) return;
      ch.vars.set('playback_terminator_used', d);
      frame.stop('terminator');
    };
    ch.fire('RECORD_START', [['Record-File-Path', file]]);
    const started = performance.now();
    let error: string | undefined;
    let recordedMs: number | undefined;
    try {
      const r = await frame.media((signal) => ch.media.record(file, opts, signal), {
        preemptible: false,
      });
      // No value: the channel hung up (or a break came) before the recording started.
      if (r.value?.reason === 'error') error = r.value.error ?? 'recording failed';
      recordedMs = r.value?.durationMs;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    frame.digitSink = undefined;
    // The audio in the file is what counts; the clock only when the engine reported none.
    const ms = recordedMs ?? Math.round(performance.now() - started);
    ch.vars.set('record_ms', String(ms));
    ch.vars.set('record_seconds', String(Math.floor(ms / 1000)));
    ch.vars.set('record_samples', String(ms * 8));
    ch.fire('RECORD_STOP', [['Record-File-Path', file]]);
    if (error !== undefined && ch.alive) {
      ch.log.warn(
        { file, reason: error },
        'record: cannot record, hanging up (as FreeSWITCH does)',
      );
      ch.hangup('NORMAL_TEMPORARY_FAILURE');
    }
    return undefined;
  };
}
