/**
 * Turns a FreeSWITCH playback argument into sources for the RTP engine:
 * files (absolute, or relative to the sound folder), `file_string://a!b`,
 * `silence_stream://<ms>` (-1 or 0: endless), `tone_stream://` (a subset of
 * TGML: `%(on,off,f1[,f2...])` segments, `L=<n>` and `loops=<n>`), and
 * `local_stream://<name>` (a configured folder played in a loop).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PlaySource } from '../rtp/engine-view.ts';

export interface SourceOptions {
  soundDir: string;
  localStreams: Record<string, string>;
}

export type ResolvedItem =
  | { ok: true; display: string; source: PlaySource; fileType?: string; endless: boolean }
  | { ok: false; display: string; error: 'FILE NOT FOUND' | 'PLAYBACK ERROR'; detail: string };

/** Splits a playback argument into its items (file_string:// and the playback_delimiter). */
export function splitPlayback(arg: string, delimiter: string | undefined): string[] {
  let text = arg.trim();
  if (text.startsWith('file_string://')) return text.slice(14).split('!').filter(Boolean);
  if (delimiter && delimiter.length > 0 && delimiter !== 'none') {
    return text.split(delimiter).filter(Boolean);
  }
  // A `@@<samples>` seek suffix is accepted and ignored (the engine plays from the start).
  text = text.replace(/@@\d+$/, '');
  return text ? [text] : [];
}

export function resolveItem(raw: string, opts: SourceOptions): ResolvedItem {
  const item = raw.replace(/@@\d+$/, '').trim();
  if (item.startsWith('silence_stream://')) {
    const ms = Number.parseInt(item.slice(17).split(',')[0] ?? '', 10);
    const endless = !Number.isFinite(ms) || ms <= 0;
    return {
      ok: true,
      display: item,
      source: { kind: 'silence', durationMs: endless ? 3_600_000 : ms },
      endless,
    };
  }
  if (item.startsWith('tone_stream://')) return resolveTone(item);
  if (item.startsWith('local_stream://')) {
    const name = item.slice(15) || 'default';
    const dir = opts.localStreams[name];
    if (!dir)
      return {
        ok: false,
        display: item,
        error: 'FILE NOT FOUND',
        detail: `no local stream "${name}"`,
      };
    const files = listAudio(dir);
    if (files.length === 0)
      return {
        ok: false,
        display: item,
        error: 'FILE NOT FOUND',
        detail: `no .wav files in ${dir}`,
      };
    return {
      ok: true,
      display: item,
      source: { kind: 'files', paths: files, loop: true },
      fileType: 'local_stream',
      endless: true,
    };
  }
  if (/^[a-z_]+:/.test(item) && !item.startsWith('/')) {
    return {
      ok: false,
      display: item,
      error: 'PLAYBACK ERROR',
      detail: `unsupported playback scheme in "${item}"`,
    };
  }
  const file = path.isAbsolute(item) ? item : path.join(opts.soundDir, item);
  if (!existsSync(file) || !statSync(file).isFile()) {
    return { ok: false, display: file, error: 'FILE NOT FOUND', detail: `no such file ${file}` };
  }
  return { ok: true, display: file, source: { kind: 'file', path: file }, endless: false };
}

function listAudio(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.toLowerCase().endsWith('.wav'))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

function resolveTone(item: string): ResolvedItem {
  const spec = item.slice(14);
  let repeat = 1;
  const segs: Array<{ on: number; off: number; freqs: number[] }> = [];
  for (const part of spec.split(';')) {
    const p = part.trim();
    const loops = /^(?:loops|L)=(-?\d+)$/.exec(p);
    if (loops) {
      repeat = Number(loops[1]);
      continue;
    }
    const re = /%\(\s*(\d+)\s*,\s*(\d+)\s*((?:,\s*[\d.]+\s*)*)\)/g;
    for (let m = re.exec(p); m; m = re.exec(p)) {
      const freqs = (m[3] ?? '')
        .split(',')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0);
      segs.push({ on: Number(m[1]), off: Number(m[2]), freqs });
    }
  }
  const first = segs[0];
  if (!first || first.freqs.length === 0) {
    return {
      ok: false,
      display: item,
      error: 'PLAYBACK ERROR',
      detail: `unsupported tone "${spec}"`,
    };
  }
  // One segment is what the engine takes; further segments are not supported.
  const endless = repeat < 0;
  return {
    ok: true,
    display: item,
    source: {
      kind: 'tone',
      frequencies: first.freqs,
      onMs: first.on,
      offMs: first.off,
      repeat: endless ? 1 : Math.max(1, repeat),
    },
    fileType: 'tone_stream',
    endless,
  };
}
