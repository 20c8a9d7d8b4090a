/**
 * `record_session <path> [+<limit s>] [{var=value,...}]` and
 * `stop_record_session <path|all>`: start and stop a recording of both
 * directions of the channel (see ../session-recordings.ts). Both return at
 * once, as in FreeSWITCH; the recording runs on until stopped, its limit or
 * the hangup.
 */
import type { App } from '../channel.ts';
import { parseRecordArgs } from '../session-recordings.ts';

export function recordSessionApp(recordDir: string): App {
  return async ({ ch, arg }) => {
    const parsed = parseRecordArgs(arg.trim().split(/\s+/).filter(Boolean), recordDir, true);
    if (!parsed) {
      ch.log.warn('record_session: usage: <path> [+<timeout>] [{var1=x,var2=y}]');
      return undefined;
    }
    ch.recordings.start(parsed.file, parsed.limitS, parsed.vars);
    return undefined;
  };
}

export function stopRecordSessionApp(recordDir: string): App {
  return async ({ ch, arg }) => {
    const parsed = parseRecordArgs([arg.trim()], recordDir, true);
    const target = arg.trim() === 'all' ? 'all' : parsed?.file;
    if (target === undefined || !ch.recordings.stop(target)) {
      ch.log.info({ arg }, 'stop_record_session: no such recording');
    }
    return undefined;
  };
}
