/** The application table: the dialplan applications drachtio-fsmrf and the ACD execute. */
import type { App } from '../channel.ts';
import { isHangupCause } from '../causes.ts';
import type { SourceOptions } from '../sources.ts';
import { playAndGetDigitsApp } from './collect.ts';
import { endlessPlaybackApp, playbackApp } from './playback.ts';
import { recordApp } from './record.ts';
import { recordSessionApp, stopRecordSessionApp } from './record-session.ts';

export interface AppOptions extends SourceOptions {
  recordDir: string;
}

/** `k=v`: sets (or with an empty value unsets) a channel variable. */
const setVar: App = async ({ ch, arg }) => {
  const i = arg.indexOf('=');
  if (i <= 0) {
    ch.log.warn({ arg }, 'set: expected name=value');
    return undefined;
  }
  const name = arg.slice(0, i).trim();
  const value = arg.slice(i + 1);
  if (value === '' || value === '_undef_') ch.vars.delete(name);
  else ch.vars.set(name, value);
  return undefined;
};

/** `multiset ^^<d>k1=v1<d>k2=v2` (or space-separated pairs). */
const multiset: App = async (ctx) => {
  let text = ctx.arg;
  let delim = ' ';
  if (text.startsWith('^^') && text.length > 2) {
    delim = text[2] as string;
    text = text.slice(3);
  }
  for (const pair of text.split(delim)) if (pair) await setVar({ ...ctx, arg: pair });
  return undefined;
};

const none: App = async () => undefined;

/** Parks until hangup (or a transfer/break elsewhere ends the wait). */
const park: App = async ({ frame, ch }) => {
  while (!frame.hungUp && ch.alive) {
    const cause = await frame.wait(3_600_000);
    if (cause === 'break' || cause === 'hangup') break;
  }
  return undefined;
};

const sleep: App = async ({ frame, arg }) => {
  const ms = Number.parseInt(arg, 10);
  if (Number.isFinite(ms) && ms > 0) await frame.wait(ms);
  return undefined;
};

const hangup: App = async ({ ch, arg }) => {
  const name = arg.trim().toUpperCase();
  ch.hangup(isHangupCause(name) ? name : 'NORMAL_CLEARING');
  return undefined;
};

const breakApp: App = async ({ ch, frame }) => {
  // `break` ends the media of the application it interrupts (the one below it).
  ch.breakMedia(false, frame);
  return undefined;
};

const log: App = async ({ ch, arg }) => {
  ch.log.info({ text: arg }, 'log application');
  return undefined;
};

export function applications(opts: AppOptions): Map<string, App> {
  return new Map<string, App>([
    ['playback', playbackApp(opts)],
    ['endless_playback', endlessPlaybackApp(opts)],
    ['play_and_get_digits', playAndGetDigitsApp(opts)],
    ['record', recordApp(opts.recordDir)],
    ['record_session', recordSessionApp(opts.recordDir)],
    ['stop_record_session', stopRecordSessionApp(opts.recordDir)],
    ['set', setVar],
    ['export', setVar],
    ['multiset', multiset],
    ['unset', async (ctx) => setVar({ ...ctx, arg: `${ctx.arg.trim()}=` })],
    ['answer', none],
    ['pre_answer', none],
    ['ring_ready', none],
    ['park', park],
    ['sleep', sleep],
    ['hangup', hangup],
    ['break', breakApp],
    ['log', log],
    ['info', log],
  ]);
}
