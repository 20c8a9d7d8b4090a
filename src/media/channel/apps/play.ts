/**
 * Playing a list of items on a channel, shared by `playback`,
 * `endless_playback` and `play_and_get_digits`: PLAYBACK_START/STOP per item
 * and the `playback_*` variables FreeSWITCH sets after each file.
 */
import type { AppContext } from '../channel.ts';
import type { StopCause } from '../frame.ts';
import { resolveItem, type SourceOptions } from '../sources.ts';

export type PlayOutcome =
  | { kind: 'played'; cause?: StopCause }
  | { kind: 'error'; response: 'FILE NOT FOUND' | 'PLAYBACK ERROR' };

export async function playItems(
  ctx: AppContext,
  items: string[],
  sources: SourceOptions,
  stopWhen: () => boolean = () => false,
): Promise<PlayOutcome> {
  let last: PlayOutcome = { kind: 'played' };
  for (const raw of items) {
    if (ctx.frame.hungUp || stopWhen()) break;
    last = await playOne(ctx, raw, sources);
    if (last.kind === 'error' || last.cause !== undefined) return last;
  }
  return last;
}

async function playOne(ctx: AppContext, raw: string, sources: SourceOptions): Promise<PlayOutcome> {
  const { ch, frame } = ctx;
  const item = resolveItem(raw, sources);
  if (!item.ok) {
    ch.log.warn({ file: item.display, reason: item.detail }, `playback: ${item.error}`);
    return { kind: 'error', response: item.error };
  }
  const fileHeaders: Array<[string, string]> = [['Playback-File-Path', item.display]];
  if (item.fileType) fileHeaders.push(['Playback-File-Type', item.fileType]);
  ch.fire('PLAYBACK_START', fileHeaders);
  const started = performance.now();
  let cause: StopCause | undefined;
  let failed: string | undefined;
  try {
    do {
      const r = await frame.media((signal) => ch.media.play(item.source, signal));
      cause = r.cause;
    } while (item.endless && cause === undefined && ch.alive);
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
  }
  const ms = Math.round(performance.now() - started);
  setPlaybackVars(ctx, ms);
  ch.fire('PLAYBACK_STOP', [
    ...fileHeaders,
    ['Playback-Status', cause === undefined || cause === 'preempt' ? 'done' : 'break'],
  ]);
  if (failed !== undefined) {
    ch.log.warn({ file: item.display, reason: failed }, 'playback: PLAYBACK ERROR');
    return { kind: 'error', response: 'PLAYBACK ERROR' };
  }
  return cause === undefined ? { kind: 'played' } : { kind: 'played', cause };
}

export function setPlaybackVars(ctx: AppContext, ms: number): void {
  const v = ctx.ch.vars;
  v.set('playback_seconds', String(Math.floor(ms / 1000)));
  v.set('playback_ms', String(ms));
  v.set('playback_samples', String(ms * 8));
  v.set('playback_last_offset_pos', String(ms * 8));
}

/** Digits that end playback/record per `playback_terminators` (unset: `*`). */
export function terminatorSet(value: string | undefined): string {
  if (value === undefined) return '*';
  if (value === 'none') return '';
  if (value === 'any') return '0123456789*#ABCD';
  return value;
}
