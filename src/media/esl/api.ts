/**
 * `api` / `bgapi` commands: the ones drachtio-fsmrf sends (`sofia status`,
 * `uuid_set_media_stats`, `uuid_dump`, `uuid_bridge`, `uuid_transfer ...
 * park`, `uuid_break`, `uuid_kill`), `uuid_record` (session recordings) and
 * a few an application uses to look around. Answers are FreeSWITCH's texts; an unknown command gets
 * `-ERR <cmd> Command not found!`.
 */
import type { Channel } from '../channel/channel.ts';
import { isHangupCause } from '../channel/causes.ts';
import { parseRecordArgs } from '../channel/session-recordings.ts';
import type { ServerIdentity } from './wire/event-common.ts';
import { plainHeaders } from './wire/frames.ts';

export interface ApiHost {
  identity: ServerIdentity;
  /** `sip:mod_sofia@<ip>:<port>` of the UAS. */
  sipUrl: string;
  profile: string;
  startedAt: number;
  sessionsSinceStart: number;
  maxSessions: number;
  channels: ReadonlyMap<string, Channel>;
  /** Where relative recording paths go. */
  recordDir: string;
}

type Handler = (host: ApiHost, args: string[]) => string;

const noChannel = '-ERR No such channel!\n';
const RECORD_USAGE =
  '-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n';

/** `uuid_record <uuid> start|stop <path> [<limit s>] [{vars}]`, with FreeSWITCH's answers. */
function uuidRecord(host: ApiHost, args: string[]): string {
  const [uuid, action, ...rest] = args;
  const parsed = parseRecordArgs(rest, host.recordDir, false);
  if (!uuid || !action || !parsed) return RECORD_USAGE;
  const ch = find(host, uuid);
  if (!ch) return '-ERR Cannot locate session!\n';
  switch (action.toLowerCase()) {
    case 'start':
      return ch.recordings.start(parsed.file, parsed.limitS, parsed.vars) === 'failed'
        ? '-ERR Cannot record session!\n'
        : '+OK Success\n';
    case 'stop':
      return ch.recordings.stop(rest[0] === 'all' ? 'all' : parsed.file)
        ? '+OK Success\n'
        : '-ERR Cannot stop record session!\n';
    case 'pause':
    case 'resume':
    case 'mask':
    case 'unmask':
      return `-ERR embedded media server: uuid_record ${action.toLowerCase()} is not supported\n`;
    default:
      return RECORD_USAGE;
  }
}

function find(host: ApiHost, uuid: string | undefined): Channel | undefined {
  if (!uuid) return undefined;
  const ch = host.channels.get(uuid);
  return ch?.alive ? ch : undefined;
}

function sofiaStatus(host: ApiHost): string {
  const rule = '='.repeat(97);
  const calls = [...host.channels.values()].filter((c) => c.alive).length;
  return `${[
    `${'Name'.padStart(25)}\t   Type\t  ${'Data'.padStart(40)}\tState`,
    rule,
    `${host.profile.padStart(25)}\tprofile\t  ${host.sipUrl.padStart(40)}\tRUNNING (${calls})`,
    rule,
    '1 profile 0 aliases',
  ].join('\n')}\n`;
}

function uptime(host: ApiHost): string {
  let s = Math.floor((Date.now() - host.startedAt) / 1000);
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `UP 0 years, ${days} days, ${h} hours, ${m} minutes, ${s} seconds, 0 milliseconds, 0 microseconds`;
}

const HANDLERS: Record<string, Handler> = {
  sofia: (host, args) =>
    args[0] === 'status' ? sofiaStatus(host) : '-ERR embedded media server: only "sofia status"\n',
  status: (host) => {
    const live = [...host.channels.values()].filter((c) => c.alive).length;
    return `${uptime(host)}\nFreeSWITCH (Version ${host.identity.version}) is ready\n${host.sessionsSinceStart} session(s) since startup\n${live} session(s) - peak ${live}, last 5min ${live}\n0 session(s) per Sec out of max 30, peak 0, last 5min 0\n${host.maxSessions} session(s) max\nmin idle cpu 0.00/100.00\n`;
  },
  hostname: (host) => host.identity.hostname,
  version: (host) => `FreeSWITCH Version ${host.identity.version} (embedded)\n`,
  uuid_exists: (host, args) => (find(host, args[0]) ? 'true' : 'false'),
  uuid_dump: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return noChannel;
    return `${plainHeaders(ch.channelData('uuid_dump').slice(1))}\n`;
  },
  uuid_set_media_stats: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return `-ERR No such channel ${args[0] ?? ''}!\n`;
    const st = ch.media.stats;
    ch.vars.set('rtp_audio_in_packet_count', String(st.packetsIn));
    ch.vars.set('rtp_audio_out_packet_count', String(st.packetsOut));
    ch.vars.set('rtp_audio_in_skip_packet_count', String(st.dropped + st.malformed));
    return '+OK:\n';
  },
  uuid_getvar: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return noChannel;
    return ch.vars.get(args[1] ?? '') ?? '_undef_';
  },
  uuid_setvar: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return noChannel;
    if (!args[1]) return '-ERR Usage: uuid_setvar <uuid> <var> [value]\n';
    const value = args.slice(2).join(' ');
    if (value) ch.vars.set(args[1], value);
    else ch.vars.delete(args[1]);
    return '+OK\n';
  },
  uuid_kill: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return noChannel;
    const cause = (args[1] ?? '').toUpperCase();
    ch.hangup(isHangupCause(cause) ? cause : 'NORMAL_CLEARING');
    return '+OK\n';
  },
  uuid_break: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return noChannel;
    ch.breakMedia(args[1] === 'all');
    return '+OK\n';
  },
  uuid_bridge: (host, args) => {
    const a = find(host, args[0]);
    const b = find(host, args[1]);
    if (!a || !b || a === b) return '-ERR Invalid uuid\n';
    a.bridge(b);
    return `+OK ${b.uuid}\n`;
  },
  uuid_record: uuidRecord,
  uuid_transfer: (host, args) => {
    const ch = find(host, args[0]);
    if (!ch) return noChannel;
    const rest = args.slice(1).filter((a) => a !== '-both' && a !== '-bleg');
    if (rest[0] !== 'park') {
      return '-ERR embedded media server: uuid_transfer only to "park"\n';
    }
    ch.unbridge();
    return '+OK\n';
  },
};

export function runApi(host: ApiHost, text: string): string {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  const cmd = space < 0 ? trimmed : trimmed.slice(0, space);
  const args =
    space < 0
      ? []
      : trimmed
          .slice(space + 1)
          .trim()
          .split(/\s+/);
  const h = HANDLERS[cmd.toLowerCase()];
  if (!h) return `-ERR ${cmd} Command not found!\n`;
  return h(host, args);
}
