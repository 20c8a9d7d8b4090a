/**
 * `play_and_get_digits <min> <max> <tries> <timeout> <terminators> <file>
 * <invalid_file> <var_name> <regexp> <digit_timeout>`: a digit ends the
 * prompt and counts; then the first-digit `timeout`, then `digit_timeout`
 * between digits; max digits or a terminator end the input. A mismatch plays
 * `invalid_file` and tries again. Sets `<var_name>`, `<var_name>_invalid`,
 * `read_result` and `read_terminator_used` (never cleared, as in FreeSWITCH).
 */
import type { App } from '../channel.ts';
import { splitPlayback, type SourceOptions } from '../sources.ts';
import { playItems } from './play.ts';

function int(s: string | undefined, dflt: number): number {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) ? n : dflt;
}

export function playAndGetDigitsApp(sources: SourceOptions): App {
  return async (ctx) => {
    const { ch, frame } = ctx;
    const a = ctx.arg.trim().split(/\s+/);
    const min = int(a[0], 0);
    const max = Math.max(1, int(a[1], 128));
    const tries = Math.max(1, int(a[2], 1));
    const timeout = Math.max(1000, int(a[3], 5000));
    const terminators = a[4] === 'none' ? '' : (a[4] ?? '#');
    const file = a[5] ?? '';
    const invalidFile = a[6];
    const varName = a[7] ?? 'read_digits';
    const digitTimeout = Math.max(1, int(a[9], timeout));
    let regex: RegExp | undefined;
    try {
      regex = a[8] ? new RegExp(a[8]) : undefined;
    } catch {
      ch.log.warn({ regexp: a[8] }, 'play_and_get_digits: invalid regexp, accepting any input');
    }
    ch.vars.delete(varName);
    ch.vars.delete(`${varName}_invalid`);
    let digits = '';
    for (let attempt = 1; attempt <= tries; attempt++) {
      digits = '';
      let ended = false;
      frame.clearPending();
      frame.digitSink = (d) => {
        if (ended) return;
        if (terminators.includes(d)) {
          ch.vars.set('read_terminator_used', d);
          ended = true;
        } else {
          digits += d;
          if (digits.length >= max) ended = true;
        }
        frame.stop('digit');
      };
      const prompt = await playItems(
        ctx,
        splitPlayback(file, ch.vars.get('playback_delimiter')),
        sources,
        () => digits.length > 0 || ended,
      );
      if (prompt.kind === 'error') ch.log.warn({ file }, 'play_and_get_digits: prompt not played');
      while (!ended && !frame.hungUp) {
        const cause = await frame.wait(digits.length === 0 ? timeout : digitTimeout);
        if (cause === undefined) break; // timed out
      }
      frame.digitSink = undefined;
      if (frame.hungUp) return undefined;
      const valid =
        digits.length >= Math.max(min, 1) && digits.length <= max && (regex?.test(digits) ?? true);
      if (valid) {
        ch.vars.set(varName, digits);
        ch.vars.set('read_result', 'success');
        return undefined;
      }
      if (digits.length > 0) ch.vars.set(`${varName}_invalid`, digits);
      if (attempt < tries && invalidFile) {
        await playItems(
          ctx,
          splitPlayback(invalidFile, ch.vars.get('playback_delimiter')),
          sources,
        );
        if (frame.hungUp) return undefined;
      }
    }
    ch.vars.set('read_result', digits.length > 0 ? 'failure' : 'timeout');
    return undefined;
  };
}
