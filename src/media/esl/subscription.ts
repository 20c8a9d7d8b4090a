/**
 * Which events an event-socket connection receives: the `event` command's
 * names (after `CUSTOM`, every word is a subclass), `nixevent`, `noevents`,
 * and `filter` (several filters OR; a value starting with `/` is a regex).
 */
import type { EslEvent, EventFormat } from './wire/frames.ts';

/** Event names the media server knows (FreeSWITCH knows more; these are the ones it can fire or that fsmrf names). */
export const KNOWN_EVENTS = new Set([
  'CUSTOM',
  'CHANNEL_CREATE',
  'CHANNEL_DESTROY',
  'CHANNEL_STATE',
  'CHANNEL_CALLSTATE',
  'CHANNEL_ANSWER',
  'CHANNEL_HANGUP',
  'CHANNEL_HANGUP_COMPLETE',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_OUTGOING',
  'CHANNEL_PARK',
  'CHANNEL_UNPARK',
  'CHANNEL_DATA',
  'API',
  'BACKGROUND_JOB',
  'DTMF',
  'DETECTED_TONE',
  'HEARTBEAT',
  'PLAYBACK_START',
  'PLAYBACK_STOP',
  'RECORD_START',
  'RECORD_STOP',
  'RE_SCHEDULE',
  'SHUTDOWN',
  'STARTUP',
]);

export class Subscription {
  format: EventFormat | undefined;
  all = false;
  readonly names = new Set<string>();
  readonly subclasses = new Set<string>();
  readonly filters: Array<[string, string]> = [];

  get active(): boolean {
    return this.format !== undefined;
  }

  /** `event <format> <names...>`; returns the reply text. */
  subscribe(args: string[]): string {
    const format = (args[0] ?? '').toLowerCase();
    if (format !== 'plain' && format !== 'json') return '-ERR no keywords supplied';
    let custom = false;
    let any = false;
    for (const raw of args.slice(1)) {
      if (custom) {
        this.subclasses.add(raw);
        any = true;
        continue;
      }
      const name = raw.toUpperCase().replace(/^SWITCH_EVENT_/, '');
      if (name === 'ALL') {
        this.all = true;
        any = true;
      } else if (name === 'CUSTOM') {
        custom = true;
        any = true;
      } else if (KNOWN_EVENTS.has(name)) {
        this.names.add(name);
        any = true;
      }
    }
    if (!any) return '-ERR no keywords supplied';
    this.format = format;
    return `+OK event listener enabled ${format}`;
  }

  nix(args: string[]): string {
    let custom = false;
    for (const raw of args) {
      if (custom) {
        this.subclasses.delete(raw);
        continue;
      }
      const name = raw.toUpperCase().replace(/^SWITCH_EVENT_/, '');
      if (name === 'ALL') {
        this.all = false;
        this.names.clear();
        this.subclasses.clear();
      } else if (name === 'CUSTOM') custom = true;
      else this.names.delete(name);
    }
    return '+OK events nixed';
  }

  clear(): string {
    this.format = undefined;
    this.all = false;
    this.names.clear();
    this.subclasses.clear();
    return '+OK no longer listening for events';
  }

  /** `filter <header> <value>` / `filter delete <header> [<value>]`. */
  filter(rest: string): string {
    const m = /^(\S+)\s*(.*)$/.exec(rest.trim());
    if (!m) return '-ERR invalid syntax';
    if ((m[1] as string).toLowerCase() === 'delete') {
      const d = /^(\S+)\s*(.*)$/.exec((m[2] as string).trim());
      if (!d) return '-ERR invalid syntax';
      const [h, v] = [d[1] as string, (d[2] as string).trim()];
      for (let i = this.filters.length - 1; i >= 0; i--) {
        const f = this.filters[i] as [string, string];
        if (f[0].toLowerCase() === h.toLowerCase() && (v === '' || f[1] === v))
          this.filters.splice(i, 1);
      }
      return `+OK filter deleted. [${h}][${v}]`;
    }
    const [h, v] = [m[1] as string, (m[2] as string).trim()];
    if (!v) return '-ERR invalid syntax';
    this.filters.push([h, v]);
    return `+OK filter added. [${h}]=[${v}]`;
  }

  matches(ev: EslEvent): boolean {
    if (!this.format) return false;
    const typed =
      this.all ||
      (ev.name === 'CUSTOM'
        ? this.names.has('CUSTOM') ||
          (ev.subclass !== undefined && this.subclasses.has(ev.subclass))
        : this.names.has(ev.name));
    if (!typed) return false;
    if (this.filters.length === 0) return true;
    return this.filters.some(([h, v]) => {
      const hv = ev.headers.find(([n]) => n.toLowerCase() === h.toLowerCase())?.[1];
      if (hv === undefined) return false;
      if (v.startsWith('/')) {
        try {
          return new RegExp(v.slice(1).replace(/\/$/, '')).test(hv);
        } catch {
          return false;
        }
      }
      return hv.toLowerCase() === v.toLowerCase();
    });
  }
}
