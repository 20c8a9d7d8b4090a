/** `playback` and `endless_playback`. */
import type { App } from '../channel.ts';
import { splitPlayback, type SourceOptions } from '../sources.ts';
import { playItems, terminatorSet } from './play.ts';

export function playbackApp(sources: SourceOptions): App {
  return async (ctx) => {
    const { ch, frame } = ctx;
    const items = splitPlayback(ctx.arg, ch.vars.get('playback_delimiter'));
    const terminators = terminatorSet(ch.vars.get('playback_terminators'));
    frame.digitSink = (d) => {
      if (!terminators.includes(d)) return; // other digits are discarded, as in FreeSWITCH
      ch.vars.set('playback_terminator_used', d);
      frame.stop('terminator');
    };
    const limit = Number(ch.vars.get('playback_timeout_sec'));
    const timer =
      Number.isFinite(limit) && limit > 1
        ? setTimeout(() => frame.stop('timeout'), limit * 1000)
        : undefined;
    try {
      const r = await playItems(ctx, items, sources);
      return r.kind === 'error' ? r.response : 'FILE PLAYED';
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

/** Plays the file again and again until hangup; a break restarts it (as in FreeSWITCH). */
export function endlessPlaybackApp(sources: SourceOptions): App {
  return async (ctx) => {
    const items = splitPlayback(ctx.arg, ctx.ch.vars.get('playback_delimiter'));
    while (!ctx.frame.hungUp && ctx.ch.alive) {
      const r = await playItems(ctx, items, sources);
      if (r.kind === 'error') return r.response;
    }
    return 'FILE PLAYED';
  };
}
