/**
 * A channel's session recordings, as FreeSWITCH's `record_session`
 * application and `uuid_record <uuid> start|stop <path>` api run them
 * (switch_ivr_record_session_event): a recording of both directions of the
 * channel that runs beside whatever else the channel does, one per file path.
 *
 * - `RECORD_STEREO=true` (channel variable or `{RECORD_STEREO=true}` in the
 *   arguments): stereo, the read leg (what the channel's peer sends, for a
 *   caller's endpoint: the caller) left, the write leg (what the channel sends
 *   its peer, for a bridged endpoint: the other side) right;
 *   `RECORD_STEREO_SWAP=true` the reverse; otherwise both mixed into mono.
 * - A limit (seconds, 0 = none) ends it; so do `stop`, the channel's hangup
 *   and a disk error. Without a limit the recording still ends after
 *   UNLIMITED_MS, so an endless call cannot fill the disk.
 * - The file appears under its name only when complete (header with its sizes);
 *   a disk error removes what was written, and the call goes on (FreeSWITCH
 *   hangs up only with `RECORD_HANGUP_ON_ERROR=true`). A recording without
 *   audio is discarded (`RECORD_DISCARDED=true`), as FreeSWITCH does.
 * - RECORD_START when it starts, RECORD_STOP (`Record-File-Path`,
 *   `Record-Completion-Cause`) when its file is complete, with
 *   `record_samples`, `record_seconds`, `record_ms`, `record_completion_cause`
 *   set on the channel first.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { EventHeaders } from '../esl/wire/frames.ts';
import type { MediaChannel, RecordResult } from '../rtp/engine-view.ts';
import type { HangupCause } from './causes.ts';

/** "No limit" still ends: four hours of stereo 8 kHz is 460 MB. */
export const UNLIMITED_MS = 4 * 3600 * 1000;

/** What a session recording needs of its channel (the Channel class fits). */
export interface RecordingChannel {
  readonly media: MediaChannel;
  readonly vars: Map<string, string>;
  readonly log: Logger;
  readonly alive: boolean;
  fire(name: string, own: EventHeaders): void;
  hangup(cause: HangupCause): void;
}

export type StartOutcome = 'started' | 'already' | 'failed';

export class SessionRecordings {
  /** File path -> the stop handle of its running recording. */
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly ch: RecordingChannel) {}

  get count(): number {
    return this.running.size;
  }

  /**
   * Starts recording to `file` (absolute). 'failed' when the folder cannot be
   * made or written (FreeSWITCH's "Cannot record session": it opens the file
   * before answering); 'already' when `file` is being recorded (a warning, and
   * FreeSWITCH answers success).
   */
  start(file: string, limitS: number, args: ReadonlyMap<string, string>): StartOutcome {
    const { ch } = this;
    const setting = (name: string) => args.get(name) ?? ch.vars.get(name);
    if (this.running.has(file)) {
      ch.log.warn({ file }, 'record_session: already recording this file');
      return 'already';
    }
    const hangupOnError = isTrue(setting('RECORD_HANGUP_ON_ERROR'));
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      accessSync(path.dirname(file), constants.W_OK);
    } catch (err) {
      ch.log.error({ file, err: String(err) }, 'record_session: cannot record here');
      ch.vars.set('record_completion_cause', 'uri-failure');
      if (hangupOnError) ch.hangup('DESTINATION_OUT_OF_ORDER');
      return 'failed';
    }
    const layout = isTrue(setting('RECORD_STEREO_SWAP'))
      ? 'stereo-swap'
      : isTrue(setting('RECORD_STEREO'))
        ? 'stereo'
        : 'mono';
    const maxMs = limitS > 0 ? limitS * 1000 : UNLIMITED_MS;
    const stop = new AbortController();
    this.running.set(file, stop);
    const recordingVars: EventHeaders = [...args].map(([k, v]) => [`Recording-Variable-${k}`, v]);
    ch.fire('RECORD_START', [['Record-File-Path', file], ...recordingVars]);
    ch.log.info({ file, layout, limitS }, 'session recording started');
    ch.media.recordSession(file, { maxMs, layout }, stop.signal).then(
      (result) => this.ended(file, result, stop, recordingVars, hangupOnError),
      (err: unknown) =>
        this.ended(
          file,
          { reason: 'error', durationMs: 0, error: String(err) },
          stop,
          recordingVars,
          hangupOnError,
        ),
    );
    return 'started';
  }

  /** Stops the recording of `file`, or every one for `all`; false when there was none. */
  stop(file: string): boolean {
    if (file === 'all') {
      const any = this.running.size > 0;
      for (const stop of this.running.values()) stop.abort();
      return any;
    }
    const stop = this.running.get(file);
    stop?.abort();
    return stop !== undefined;
  }

  private ended(
    file: string,
    result: RecordResult,
    stop: AbortController,
    recordingVars: EventHeaders,
    hangupOnError: boolean,
  ): void {
    const { ch } = this;
    if (this.running.get(file) === stop) this.running.delete(file);
    const cause = completionCause(result, ch.alive);
    const ms = result.durationMs;
    ch.vars.set('record_samples', String(ms * 8));
    ch.vars.set('record_seconds', String(Math.floor(ms / 1000)));
    ch.vars.set('record_ms', String(ms));
    ch.vars.set('record_completion_cause', cause);
    if (result.discarded) ch.vars.set('RECORD_DISCARDED', 'true');
    if (result.reason === 'error') {
      ch.log.error(
        { file, error: result.error },
        'session recording failed: nothing kept, the call goes on',
      );
    } else {
      ch.log.info({ file, ms, cause }, 'session recording ended');
    }
    ch.fire('RECORD_STOP', [
      ['Record-File-Path', file],
      ...recordingVars,
      ['Record-Completion-Cause', cause],
    ]);
    if (result.reason === 'error' && hangupOnError && ch.alive)
      ch.hangup('DESTINATION_OUT_OF_ORDER');
  }
}

/** FreeSWITCH's completion causes for a session recording without silence detection. */
function completionCause(result: RecordResult, channelUp: boolean): string {
  if (result.reason === 'error') return 'uri-failure';
  if (result.discarded) return 'empty-file';
  // A hangup ends it "after speech"; a stop or the limit while the channel is up counts as max time.
  return channelUp ? 'success-maxtime' : 'success-silence';
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|yes|on|enabled|active|allow|1)$/i.test(v.trim());
}

/**
 * `<path> [+<limit s>] [{var=value,...}]` (record_session) or, for uuid_record,
 * the limit without the plus: the file (relative to `recordDir` unless
 * absolute), the limit and the recording variables.
 */
export function parseRecordArgs(
  words: readonly string[],
  recordDir: string,
  limitNeedsPlus: boolean,
): { file: string; limitS: number; vars: Map<string, string> } | null {
  const raw = words[0];
  if (!raw) return null;
  const file = path.isAbsolute(raw) ? raw : path.join(recordDir, raw);
  let rest = words.slice(1);
  let limitS = 0;
  const first = rest[0];
  if (first !== undefined && (limitNeedsPlus ? first.startsWith('+') : /^\+?\d+$/.test(first))) {
    limitS = Math.max(0, Number.parseInt(first.replace('+', ''), 10) || 0);
    rest = rest.slice(1);
  }
  return { file, limitS, vars: bracketVars(rest.join(' ')) };
}

/** `{a=b,c=d}` (URL-encoded values allowed) -> a map; anything else -> empty. */
function bracketVars(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  const m = /^\{(.*)\}$/.exec(text.trim());
  if (!m?.[1]) return vars;
  for (const pair of m[1].split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    let value = pair.slice(i + 1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as written
    }
    vars.set(pair.slice(0, i).trim(), value);
  }
  return vars;
}
